//! ISO/SAE 21434 risk determination: the impact of a damage scenario per
//! category (clause 15.5), the feasibility of the attack (clause 15.7, by
//! the attack-potential approach of Annex G.2 or the CVSS-based approach of
//! Annex G.3), and the risk value 1 to 5 a risk matrix gives for the two
//! (clause 15.8).
//!
//! The risk value is determined per impact category; the value of the
//! whole determination is the highest of the four, so a severe safety
//! impact is never averaged away by negligible financial and privacy ones.

use serde::{Deserialize, Serialize};

use crate::case::vocabulary;

vocabulary!(
    /// How badly a damage scenario hurts the road user in one category.
    ImpactRating, "impact rating", {
        Severe => "severe",
        Major => "major",
        Moderate => "moderate",
        Negligible => "negligible",
    }
);

vocabulary!(
    /// How easily an attack path can be carried out.
    FeasibilityRating, "attack feasibility rating", {
        High => "high",
        Medium => "medium",
        Low => "low",
        VeryLow => "very_low",
    }
);

vocabulary!(
    /// Attack potential: how long identifying and exploiting takes.
    ElapsedTime, "elapsed time", {
        /// Up to one day.
        UpToOneDay => "up_to_one_day",
        UpToOneWeek => "up_to_one_week",
        UpToOneMonth => "up_to_one_month",
        UpToSixMonths => "up_to_six_months",
        MoreThanSixMonths => "more_than_six_months",
    }
);

vocabulary!(
    /// Attack potential: the attacker's skill and experience.
    SpecialistExpertise, "specialist expertise", {
        Layman => "layman",
        Proficient => "proficient",
        Expert => "expert",
        MultipleExperts => "multiple_experts",
    }
);

vocabulary!(
    /// Attack potential: how much of the item's design the attacker needs.
    ItemKnowledge, "knowledge of the item", {
        Public => "public",
        Restricted => "restricted",
        Confidential => "confidential",
        StrictlyConfidential => "strictly_confidential",
    }
);

vocabulary!(
    /// Attack potential: access and time the attack needs to the item.
    WindowOfOpportunity, "window of opportunity", {
        Unlimited => "unlimited",
        Easy => "easy",
        Moderate => "moderate",
        Difficult => "difficult",
    }
);

vocabulary!(
    /// Attack potential: the tools the attack needs.
    Equipment, "equipment", {
        Standard => "standard",
        Specialized => "specialized",
        Bespoke => "bespoke",
        MultipleBespoke => "multiple_bespoke",
    }
);

vocabulary!(
    /// CVSS v3.x attack vector (AV).
    AttackVector, "attack vector", {
        Network => "network",
        AdjacentNetwork => "adjacent_network",
        Local => "local",
        Physical => "physical",
    }
);

vocabulary!(
    /// CVSS v3.x attack complexity (AC).
    AttackComplexity, "attack complexity", {
        Low => "low",
        High => "high",
    }
);

vocabulary!(
    /// CVSS v3.x privileges required (PR).
    PrivilegesRequired, "privileges required", {
        None => "none",
        Low => "low",
        High => "high",
    }
);

vocabulary!(
    /// CVSS v3.x user interaction (UI).
    UserInteraction, "user interaction", {
        None => "none",
        Required => "required",
    }
);

/// The impact of a damage scenario in each of the four categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Impacts {
    pub safety: ImpactRating,
    pub financial: ImpactRating,
    pub operational: ImpactRating,
    pub privacy: ImpactRating,
}

impl Impacts {
    /// The categories with their ratings, in the standard's order.
    pub fn by_category(&self) -> [(&'static str, ImpactRating); 4] {
        [
            ("safety", self.safety),
            ("financial", self.financial),
            ("operational", self.operational),
            ("privacy", self.privacy),
        ]
    }
}

/// The five factors of the attack-potential approach (Annex G.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttackPotential {
    pub elapsed_time: ElapsedTime,
    pub specialist_expertise: SpecialistExpertise,
    pub item_knowledge: ItemKnowledge,
    pub window_of_opportunity: WindowOfOpportunity,
    pub equipment: Equipment,
}

impl AttackPotential {
    /// The sum of the factors' values (Annex G.2, after ISO/IEC 18045).
    pub fn value(&self) -> u32 {
        let time = match self.elapsed_time {
            ElapsedTime::UpToOneDay => 0,
            ElapsedTime::UpToOneWeek => 1,
            ElapsedTime::UpToOneMonth => 4,
            ElapsedTime::UpToSixMonths => 17,
            ElapsedTime::MoreThanSixMonths => 19,
        };
        let expertise = match self.specialist_expertise {
            SpecialistExpertise::Layman => 0,
            SpecialistExpertise::Proficient => 3,
            SpecialistExpertise::Expert => 6,
            SpecialistExpertise::MultipleExperts => 8,
        };
        let knowledge = match self.item_knowledge {
            ItemKnowledge::Public => 0,
            ItemKnowledge::Restricted => 3,
            ItemKnowledge::Confidential => 7,
            ItemKnowledge::StrictlyConfidential => 11,
        };
        time + expertise + knowledge + self.window_value() + self.equipment_value()
    }

    fn window_value(&self) -> u32 {
        match self.window_of_opportunity {
            WindowOfOpportunity::Unlimited => 0,
            WindowOfOpportunity::Easy => 1,
            WindowOfOpportunity::Moderate => 4,
            WindowOfOpportunity::Difficult => 10,
        }
    }

    fn equipment_value(&self) -> u32 {
        match self.equipment {
            Equipment::Standard => 0,
            Equipment::Specialized => 4,
            Equipment::Bespoke => 7,
            Equipment::MultipleBespoke => 9,
        }
    }

    /// The rating of the summed value: 0-13 high, 14-19 medium, 20-24
    /// low, 25 and more very low.
    pub fn rating(&self) -> FeasibilityRating {
        match self.value() {
            0..=13 => FeasibilityRating::High,
            14..=19 => FeasibilityRating::Medium,
            20..=24 => FeasibilityRating::Low,
            _ => FeasibilityRating::VeryLow,
        }
    }
}

/// The CVSS v3.x exploitability metrics of the CVSS-based approach
/// (Annex G.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CvssExploitability {
    pub attack_vector: AttackVector,
    pub attack_complexity: AttackComplexity,
    pub privileges_required: PrivilegesRequired,
    pub user_interaction: UserInteraction,
    /// Scope changed (`S:C`); it raises the weight of low and high
    /// privileges required.
    pub scope_changed: bool,
}

impl CvssExploitability {
    /// Reads AV, AC, PR, UI and S from a CVSS v3.0 or v3.1 vector string;
    /// the other metrics are not looked at (the caller validates the whole
    /// vector with `keelson-cvss`).
    pub fn from_vector(text: &str) -> Result<Self, VectorRefused> {
        let refused = |reason: String| VectorRefused {
            vector: text.to_owned(),
            reason,
        };
        let Some(metrics) = text
            .strip_prefix("CVSS:3.1/")
            .or_else(|| text.strip_prefix("CVSS:3.0/"))
        else {
            return Err(refused(
                "the CVSS-based approach takes a v3.0 or v3.1 vector".into(),
            ));
        };
        let value = |name: &str| {
            metrics
                .split('/')
                .find_map(|pair| pair.strip_prefix(name)?.strip_prefix(':'))
                .ok_or_else(|| refused(format!("metric {name} is missing")))
        };
        let unknown = |name: &str, letter: &str| refused(format!("{name}:{letter} is not a value"));
        Ok(Self {
            attack_vector: match value("AV")? {
                "N" => AttackVector::Network,
                "A" => AttackVector::AdjacentNetwork,
                "L" => AttackVector::Local,
                "P" => AttackVector::Physical,
                other => return Err(unknown("AV", other)),
            },
            attack_complexity: match value("AC")? {
                "L" => AttackComplexity::Low,
                "H" => AttackComplexity::High,
                other => return Err(unknown("AC", other)),
            },
            privileges_required: match value("PR")? {
                "N" => PrivilegesRequired::None,
                "L" => PrivilegesRequired::Low,
                "H" => PrivilegesRequired::High,
                other => return Err(unknown("PR", other)),
            },
            user_interaction: match value("UI")? {
                "N" => UserInteraction::None,
                "R" => UserInteraction::Required,
                other => return Err(unknown("UI", other)),
            },
            scope_changed: match value("S")? {
                "U" => false,
                "C" => true,
                other => return Err(unknown("S", other)),
            },
        })
    }

    /// `E = 8.22 x AV x AC x PR x UI` with the CVSS v3.1 metric weights.
    pub fn value(&self) -> f64 {
        let vector = match self.attack_vector {
            AttackVector::Network => 0.85,
            AttackVector::AdjacentNetwork => 0.62,
            AttackVector::Local => 0.55,
            AttackVector::Physical => 0.2,
        };
        let complexity = match self.attack_complexity {
            AttackComplexity::Low => 0.77,
            AttackComplexity::High => 0.44,
        };
        let privileges = match (self.privileges_required, self.scope_changed) {
            (PrivilegesRequired::None, _) => 0.85,
            (PrivilegesRequired::Low, false) => 0.62,
            (PrivilegesRequired::Low, true) => 0.68,
            (PrivilegesRequired::High, false) => 0.27,
            (PrivilegesRequired::High, true) => 0.5,
        };
        let interaction = match self.user_interaction {
            UserInteraction::None => 0.85,
            UserInteraction::Required => 0.62,
        };
        8.22 * vector * complexity * privileges * interaction
    }

    /// The rating of the exploitability value: from 2.96 high, from 2.00
    /// medium, from 1.06 low, below that very low. No combination of
    /// metric weights lands between two of the published ranges.
    pub fn rating(&self) -> FeasibilityRating {
        let value = self.value();
        if value >= 2.96 {
            FeasibilityRating::High
        } else if value >= 2.0 {
            FeasibilityRating::Medium
        } else if value >= 1.06 {
            FeasibilityRating::Low
        } else {
            FeasibilityRating::VeryLow
        }
    }
}

/// A vector the CVSS-based approach cannot read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{vector}: {reason}")]
pub struct VectorRefused {
    pub vector: String,
    pub reason: String,
}

/// How the attack feasibility was rated, with the approach's inputs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum Feasibility {
    AttackPotential(AttackPotential),
    Cvss(CvssExploitability),
}

impl Feasibility {
    pub fn rating(&self) -> FeasibilityRating {
        match self {
            Feasibility::AttackPotential(potential) => potential.rating(),
            Feasibility::Cvss(metrics) => metrics.rating(),
        }
    }
}

/// The risk values of each impact rating and attack feasibility rating.
///
/// Each row lists the values for very low, low, medium and high feasibility.
/// The default is the example matrix of ISO/SAE 21434 Annex H.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawRiskMatrix", into = "RawRiskMatrix")]
pub struct RiskMatrix {
    /// Rows by impact (severe, major, moderate, negligible), columns by
    /// feasibility (very low, low, medium, high).
    values: [[u8; 4]; 4],
}

impl Default for RiskMatrix {
    fn default() -> Self {
        Self {
            values: [[2, 3, 4, 5], [1, 2, 3, 4], [1, 2, 2, 3], [1, 1, 1, 1]],
        }
    }
}

impl RiskMatrix {
    /// The risk value of one impact rating at one feasibility rating.
    pub fn value(&self, impact: ImpactRating, feasibility: FeasibilityRating) -> u8 {
        let row = match impact {
            ImpactRating::Severe => 0,
            ImpactRating::Major => 1,
            ImpactRating::Moderate => 2,
            ImpactRating::Negligible => 3,
        };
        let column = match feasibility {
            FeasibilityRating::VeryLow => 0,
            FeasibilityRating::Low => 1,
            FeasibilityRating::Medium => 2,
            FeasibilityRating::High => 3,
        };
        self.values[row][column]
    }
}

/// The matrix as configuration writes it (`[risk_matrix]`), checked into
/// a [`RiskMatrix`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRiskMatrix {
    /// Values at very low, low, medium and high feasibility.
    pub severe: Vec<u8>,
    pub major: Vec<u8>,
    pub moderate: Vec<u8>,
    pub negligible: Vec<u8>,
}

/// A risk matrix of the wrong shape or with a value outside 1 to 5.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("risk matrix row {row}: {reason}")]
pub struct MatrixRefused {
    pub row: &'static str,
    pub reason: String,
}

impl TryFrom<RawRiskMatrix> for RiskMatrix {
    type Error = MatrixRefused;

    fn try_from(raw: RawRiskMatrix) -> Result<Self, Self::Error> {
        let rows = [
            ("severe", &raw.severe),
            ("major", &raw.major),
            ("moderate", &raw.moderate),
            ("negligible", &raw.negligible),
        ];
        let mut values = [[0u8; 4]; 4];
        for (slot, (row, given)) in values.iter_mut().zip(rows) {
            *slot = checked_row(row, given)?;
        }
        Ok(Self { values })
    }
}

fn checked_row(row: &'static str, given: &[u8]) -> Result<[u8; 4], MatrixRefused> {
    let shape: [u8; 4] = given.try_into().map_err(|_| MatrixRefused {
        row,
        reason: format!(
            "has {} values; it needs 4 (very low, low, medium, high feasibility)",
            given.len()
        ),
    })?;
    if let Some(bad) = shape.iter().find(|value| !(1..=5).contains(*value)) {
        return Err(MatrixRefused {
            row,
            reason: format!("value {bad} is outside 1 to 5"),
        });
    }
    Ok(shape)
}

impl From<RiskMatrix> for RawRiskMatrix {
    fn from(matrix: RiskMatrix) -> Self {
        let [severe, major, moderate, negligible] = matrix.values.map(|row| row.to_vec());
        Self {
            severe,
            major,
            moderate,
            negligible,
        }
    }
}

/// The risk value of one impact category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CategoryRisk {
    pub category: &'static str,
    pub impact: ImpactRating,
    pub risk_value: u8,
}

/// What the determination found: the feasibility rating (with the
/// approach's value), the risk per category and the overall risk value.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RiskDetermination {
    pub impacts: Impacts,
    pub feasibility: Feasibility,
    pub feasibility_rating: FeasibilityRating,
    /// The summed attack potential (attack-potential approach).
    pub attack_potential: Option<u32>,
    /// The exploitability value E, to two decimals (CVSS-based approach).
    pub exploitability: Option<f64>,
    pub categories: Vec<CategoryRisk>,
    /// The highest category's value: 1 (lowest) to 5.
    pub risk_value: u8,
    /// The matrix the values were read from.
    #[schema(value_type = RawRiskMatrix)]
    pub matrix: RiskMatrix,
}

/// Determines the risk of a damage scenario's impacts at an attack's
/// feasibility, by `matrix`.
pub fn determine(
    impacts: Impacts,
    feasibility: Feasibility,
    matrix: &RiskMatrix,
) -> RiskDetermination {
    let rating = feasibility.rating();
    let categories: Vec<CategoryRisk> = impacts
        .by_category()
        .into_iter()
        .map(|(category, impact)| CategoryRisk {
            category,
            impact,
            risk_value: matrix.value(impact, rating),
        })
        .collect();
    let risk_value = categories.iter().map(|c| c.risk_value).max().unwrap_or(1);
    let (attack_potential, exploitability) = match feasibility {
        Feasibility::AttackPotential(potential) => (Some(potential.value()), None),
        Feasibility::Cvss(metrics) => (None, Some((metrics.value() * 100.0).round() / 100.0)),
    };
    RiskDetermination {
        impacts,
        feasibility,
        feasibility_rating: rating,
        attack_potential,
        exploitability,
        categories,
        risk_value,
        matrix: *matrix,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn potential(
        elapsed_time: ElapsedTime,
        specialist_expertise: SpecialistExpertise,
        item_knowledge: ItemKnowledge,
        window_of_opportunity: WindowOfOpportunity,
        equipment: Equipment,
    ) -> AttackPotential {
        AttackPotential {
            elapsed_time,
            specialist_expertise,
            item_knowledge,
            window_of_opportunity,
            equipment,
        }
    }

    /// Every factor at its lowest level but the one under test.
    fn only(change: impl FnOnce(&mut AttackPotential)) -> u32 {
        let mut lowest = potential(
            ElapsedTime::UpToOneDay,
            SpecialistExpertise::Layman,
            ItemKnowledge::Public,
            WindowOfOpportunity::Unlimited,
            Equipment::Standard,
        );
        change(&mut lowest);
        lowest.value()
    }

    /// ISO/SAE 21434:2021 Annex G.2, the tables of the five attack
    /// potential factors (values after ISO/IEC 18045).
    #[test]
    fn each_attack_potential_factor_has_the_annex_g2_value() {
        let elapsed = [
            (ElapsedTime::UpToOneDay, 0),
            (ElapsedTime::UpToOneWeek, 1),
            (ElapsedTime::UpToOneMonth, 4),
            (ElapsedTime::UpToSixMonths, 17),
            (ElapsedTime::MoreThanSixMonths, 19),
        ];
        for (level, expected) in elapsed {
            assert_eq!(only(|p| p.elapsed_time = level), expected, "{level}");
        }
        let expertise = [
            (SpecialistExpertise::Layman, 0),
            (SpecialistExpertise::Proficient, 3),
            (SpecialistExpertise::Expert, 6),
            (SpecialistExpertise::MultipleExperts, 8),
        ];
        for (level, expected) in expertise {
            assert_eq!(
                only(|p| p.specialist_expertise = level),
                expected,
                "{level}"
            );
        }
        let knowledge = [
            (ItemKnowledge::Public, 0),
            (ItemKnowledge::Restricted, 3),
            (ItemKnowledge::Confidential, 7),
            (ItemKnowledge::StrictlyConfidential, 11),
        ];
        for (level, expected) in knowledge {
            assert_eq!(only(|p| p.item_knowledge = level), expected, "{level}");
        }
        let window = [
            (WindowOfOpportunity::Unlimited, 0),
            (WindowOfOpportunity::Easy, 1),
            (WindowOfOpportunity::Moderate, 4),
            (WindowOfOpportunity::Difficult, 10),
        ];
        for (level, expected) in window {
            assert_eq!(
                only(|p| p.window_of_opportunity = level),
                expected,
                "{level}"
            );
        }
        let equipment = [
            (Equipment::Standard, 0),
            (Equipment::Specialized, 4),
            (Equipment::Bespoke, 7),
            (Equipment::MultipleBespoke, 9),
        ];
        for (level, expected) in equipment {
            assert_eq!(only(|p| p.equipment = level), expected, "{level}");
        }
    }

    /// ISO/SAE 21434:2021 Annex G.2, the table from attack potential to
    /// rating: 0-13 high, 14-19 medium, 20-24 low, 25 and more very low.
    /// Each pair sits on one edge of a range; the sums are of the factor
    /// values of the same annex.
    #[test]
    fn attack_potential_ranges_meet_at_the_annex_g2_edges() {
        use ElapsedTime as T;
        use Equipment as Q;
        use ItemKnowledge as K;
        use SpecialistExpertise as X;
        use WindowOfOpportunity as W;
        let cases = [
            // 4 + 6 + 3 + 0 + 0 = 13
            (
                potential(
                    T::UpToOneMonth,
                    X::Expert,
                    K::Restricted,
                    W::Unlimited,
                    Q::Standard,
                ),
                FeasibilityRating::High,
            ),
            // 4 + 0 + 0 + 10 + 0 = 14
            (
                potential(
                    T::UpToOneMonth,
                    X::Layman,
                    K::Public,
                    W::Difficult,
                    Q::Standard,
                ),
                FeasibilityRating::Medium,
            ),
            // 19 + 0 + 0 + 0 + 0 = 19
            (
                potential(
                    T::MoreThanSixMonths,
                    X::Layman,
                    K::Public,
                    W::Unlimited,
                    Q::Standard,
                ),
                FeasibilityRating::Medium,
            ),
            // 19 + 0 + 0 + 1 + 0 = 20
            (
                potential(
                    T::MoreThanSixMonths,
                    X::Layman,
                    K::Public,
                    W::Easy,
                    Q::Standard,
                ),
                FeasibilityRating::Low,
            ),
            // 17 + 0 + 0 + 0 + 7 = 24
            (
                potential(
                    T::UpToSixMonths,
                    X::Layman,
                    K::Public,
                    W::Unlimited,
                    Q::Bespoke,
                ),
                FeasibilityRating::Low,
            ),
            // 17 + 3 + 0 + 1 + 4 = 25
            (
                potential(
                    T::UpToSixMonths,
                    X::Proficient,
                    K::Public,
                    W::Easy,
                    Q::Specialized,
                ),
                FeasibilityRating::VeryLow,
            ),
        ];
        for (potential, expected) in cases {
            assert_eq!(potential.rating(), expected, "{potential:?}");
        }
    }

    fn cvss(text: &str) -> CvssExploitability {
        CvssExploitability::from_vector(text).unwrap_or_else(|error| panic!("{error}"))
    }

    /// ISO/SAE 21434:2021 Annex G.3: E ranges from 0.12 to 3.89; 2.96-3.89
    /// is high, 2.00-2.95 medium, 1.06-1.99 low, 0.12-1.05 very low. The
    /// metric weights are those of the CVSS v3.1 specification, 7.4; the
    /// products below are worked from those weights by hand.
    #[test]
    fn cvss_exploitability_falls_in_the_annex_g3_ranges() {
        let cases = [
            // 8.22 x 0.85 x 0.77 x 0.85 x 0.85 = 3.887: the top of the scale
            (
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                3.89,
                FeasibilityRating::High,
            ),
            // 8.22 x 0.62 x 0.77 x 0.85 x 0.85 = 2.835
            (
                "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                2.84,
                FeasibilityRating::Medium,
            ),
            // 8.22 x 0.55 x 0.77 x 0.62 x 0.85 = 1.834
            (
                "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
                1.83,
                FeasibilityRating::Low,
            ),
            // 8.22 x 0.2 x 0.77 x 0.85 x 0.85 = 0.915
            (
                "CVSS:3.0/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                0.91,
                FeasibilityRating::VeryLow,
            ),
            // 8.22 x 0.2 x 0.44 x 0.27 x 0.62 = 0.121: the bottom of the scale
            (
                "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:H/I:H/A:H",
                0.12,
                FeasibilityRating::VeryLow,
            ),
            // scope changed: PR:L weighs 0.68; 8.22 x 0.85 x 0.77 x 0.68 x 0.85 = 3.110
            (
                "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H",
                3.11,
                FeasibilityRating::High,
            ),
        ];
        for (vector, value, rating) in cases {
            let metrics = cvss(vector);
            assert!(
                (metrics.value() - value).abs() < 0.005,
                "{vector}: {}",
                metrics.value()
            );
            assert_eq!(metrics.rating(), rating, "{vector}");
        }
    }

    #[test]
    fn a_vector_without_v3_exploitability_metrics_is_refused_with_the_reason() {
        let v4 = CvssExploitability::from_vector("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N");
        assert!(v4.is_err_and(|e| e.reason.contains("v3.0 or v3.1")));
        let missing = CvssExploitability::from_vector("CVSS:3.1/AV:N/AC:L/PR:N/S:U");
        assert_eq!(
            missing.map_err(|e| e.reason),
            Err("metric UI is missing".to_owned())
        );
        let bad = CvssExploitability::from_vector("CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U");
        assert_eq!(
            bad.map_err(|e| e.reason),
            Err("AV:Q is not a value".to_owned())
        );
    }

    /// ISO/SAE 21434:2021 Annex H, the example risk matrix: rows severe,
    /// major, moderate, negligible; columns very low, low, medium, high.
    const ANNEX_H: [(ImpactRating, [u8; 4]); 4] = [
        (ImpactRating::Severe, [2, 3, 4, 5]),
        (ImpactRating::Major, [1, 2, 3, 4]),
        (ImpactRating::Moderate, [1, 2, 2, 3]),
        (ImpactRating::Negligible, [1, 1, 1, 1]),
    ];

    #[test]
    fn the_default_matrix_is_the_annex_h_example() {
        let columns = [
            FeasibilityRating::VeryLow,
            FeasibilityRating::Low,
            FeasibilityRating::Medium,
            FeasibilityRating::High,
        ];
        let matrix = RiskMatrix::default();
        for (impact, row) in ANNEX_H {
            for (feasibility, expected) in columns.iter().zip(row) {
                assert_eq!(
                    matrix.value(impact, *feasibility),
                    expected,
                    "{impact} {feasibility}"
                );
            }
        }
    }

    #[test]
    fn the_highest_category_sets_the_risk_value() {
        let impacts = Impacts {
            safety: ImpactRating::Moderate,
            financial: ImpactRating::Major,
            operational: ImpactRating::Negligible,
            privacy: ImpactRating::Negligible,
        };
        // AV:L/AC:L/PR:L/UI:N is low feasibility (see the G.3 test above);
        // Annex H gives major at low 2 and moderate at low 2 ...
        let low = Feasibility::Cvss(cvss("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"));
        let found = determine(impacts, low, &RiskMatrix::default());
        assert_eq!(found.feasibility_rating, FeasibilityRating::Low);
        assert_eq!(found.risk_value, 2);
        // ... and at high feasibility major 4, moderate 3, negligible 1.
        let high = Feasibility::Cvss(cvss("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"));
        let found = determine(impacts, high, &RiskMatrix::default());
        let values: Vec<u8> = found.categories.iter().map(|c| c.risk_value).collect();
        assert_eq!(values, [3, 4, 1, 1]);
        assert_eq!(found.risk_value, 4);
        assert_eq!(found.exploitability, Some(3.89));
    }

    #[test]
    fn a_matrix_of_the_wrong_shape_or_range_is_refused_naming_the_row() {
        let raw = |moderate: Vec<u8>| RawRiskMatrix {
            severe: vec![2, 3, 4, 5],
            major: vec![1, 2, 3, 4],
            moderate,
            negligible: vec![1, 1, 1, 1],
        };
        let short = RiskMatrix::try_from(raw(vec![1, 2, 2])).map_err(|e| e.to_string());
        assert_eq!(
            short,
            Err(
                "risk matrix row moderate: has 3 values; it needs 4 (very low, low, \
                 medium, high feasibility)"
                    .to_owned()
            )
        );
        let zero = RiskMatrix::try_from(raw(vec![0, 2, 2, 3])).map_err(|e| e.to_string());
        assert_eq!(
            zero,
            Err("risk matrix row moderate: value 0 is outside 1 to 5".to_owned())
        );
        let six = RiskMatrix::try_from(raw(vec![1, 2, 2, 6]));
        assert!(six.is_err());
        let own = RiskMatrix::try_from(raw(vec![1, 1, 2, 2]));
        let own = own.map(|m| m.value(ImpactRating::Moderate, FeasibilityRating::High));
        assert_eq!(own, Ok(2));
    }

    #[test]
    fn feasibility_reads_from_json_with_its_method() {
        let text = r#"{"method": "attack_potential", "elapsed_time": "up_to_one_week",
            "specialist_expertise": "proficient", "item_knowledge": "restricted",
            "window_of_opportunity": "easy", "equipment": "specialized"}"#;
        let read: Result<Feasibility, _> = serde_json::from_str(text);
        // 1 + 3 + 3 + 1 + 4 = 12 (Annex G.2): high.
        assert_eq!(read.map(|f| f.rating()).ok(), Some(FeasibilityRating::High));
        let typo = text.replace("equipment\"", "equipmnt\"");
        assert!(serde_json::from_str::<Feasibility>(&typo).is_err());
    }
}
