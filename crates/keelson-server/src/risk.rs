//! What a risk determination is asked with, over the API and from the
//! command line alike: the impacts and the attack feasibility, the
//! CVSS-based approach given as a v3.x vector. The vector is validated by
//! `keelson-cvss` before its exploitability metrics are read, so a vector
//! the scorer refuses is refused here with the same reason.

use keelson_core::risk::{
    self, AttackPotential, CvssExploitability, Feasibility, Impacts, RiskDetermination, RiskMatrix,
};
use serde::Deserialize;

/// A risk determination to make.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskInput {
    pub impacts: Impacts,
    pub feasibility: FeasibilityInput,
}

/// The attack feasibility by one of the two approaches.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum FeasibilityInput {
    /// Annex G.2: the five attack potential factors.
    AttackPotential(AttackPotential),
    /// Annex G.3: the exploitability metrics of a CVSS v3.0/v3.1 vector.
    Cvss(CvssInput),
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CvssInput {
    /// A CVSS v3.0 or v3.1 vector such as `CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H`.
    pub vector: String,
}

impl RiskInput {
    /// The determination by `matrix`, or the reason the input is refused
    /// (prefixed with the field it concerns).
    pub fn determine(&self, matrix: &RiskMatrix) -> Result<RiskDetermination, String> {
        let feasibility = match &self.feasibility {
            FeasibilityInput::AttackPotential(potential) => {
                Feasibility::AttackPotential(*potential)
            }
            FeasibilityInput::Cvss(input) => Feasibility::Cvss(exploitability(&input.vector)?),
        };
        Ok(risk::determine(self.impacts, feasibility, matrix))
    }
}

fn exploitability(vector: &str) -> Result<CvssExploitability, String> {
    let parsed: keelson_cvss::Vector = vector
        .parse()
        .map_err(|error| format!("feasibility.vector: {error}"))?;
    CvssExploitability::from_vector(&parsed.to_string())
        .map_err(|error| format!("feasibility.vector: {}", error.reason))
}

#[cfg(test)]
mod tests {
    use keelson_core::risk::FeasibilityRating;

    use super::*;

    fn input(json: &str) -> RiskInput {
        serde_json::from_str(json).unwrap_or_else(|error| panic!("{error}"))
    }

    const IMPACTS: &str = r#""impacts": {"safety": "severe", "financial": "negligible",
        "operational": "negligible", "privacy": "negligible"}"#;

    #[test]
    fn a_cvss_vector_is_validated_then_read_for_its_exploitability() {
        let ok = input(&format!(
            r#"{{{IMPACTS}, "feasibility": {{"method": "cvss",
                "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}}}"#
        ));
        let found = ok.determine(&RiskMatrix::default());
        // Annex G.3: E = 3.89 is high; Annex H: severe at high is 5.
        assert_eq!(
            found.map(|d| (d.feasibility_rating, d.risk_value)),
            Ok((FeasibilityRating::High, 5))
        );

        let broken = input(&format!(
            r#"{{{IMPACTS}, "feasibility": {{"method": "cvss", "vector": "CVSS:3.1/AV:N"}}}}"#
        ));
        let refused = broken.determine(&RiskMatrix::default());
        assert!(refused.is_err_and(|reason| reason.starts_with("feasibility.vector: ")));
    }
}
