//! CVSS v3.0 and v3.1 equations (base, temporal, environmental), with each
//! version's Roundup; weights are the constants of the specifications' section 7.

use crate::Version;
use crate::parse::Metrics;
use crate::roundup::{roundup_v30, roundup_v31};

/// Base, temporal and environmental scores of a validated v3.x vector.
///
/// Temporal and environmental are always computed: the specification defines
/// them with "not defined" metrics weighing 1 (or taking the base value).
pub(crate) fn scores(metrics: &Metrics) -> (f64, f64, f64) {
    let round = rounding(metrics.version);
    let base = base_score(metrics, round);
    let temporal = round(base * temporal_factor(metrics));
    let environmental = environmental_score(metrics, round);
    (base, temporal, environmental)
}

fn rounding(version: Version) -> fn(f64) -> f64 {
    match version {
        Version::V3_0 => roundup_v30,
        _ => roundup_v31,
    }
}

fn value(metrics: &Metrics, name: &str) -> &'static str {
    metrics.get(name).unwrap_or("X")
}

/// The modified metric if defined, otherwise its base metric.
fn modified(metrics: &Metrics, name: &str, base: &str) -> &'static str {
    metrics.get(name).unwrap_or_else(|| value(metrics, base))
}

fn base_score(metrics: &Metrics, round: fn(f64) -> f64) -> f64 {
    let changed = value(metrics, "S") == "C";
    let iss = 1.0
        - (1.0 - cia(value(metrics, "C")))
            * (1.0 - cia(value(metrics, "I")))
            * (1.0 - cia(value(metrics, "A")));

    let impact = if changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02).powi(15)
    } else {
        6.42 * iss
    };
    let exploitability = 8.22
        * attack_vector(value(metrics, "AV"))
        * attack_complexity(value(metrics, "AC"))
        * privileges(value(metrics, "PR"), changed)
        * user_interaction(value(metrics, "UI"));

    combine(impact, exploitability, changed, round)
}

/// Shared tail of the base and environmental equations.
fn combine(impact: f64, exploitability: f64, changed: bool, round: fn(f64) -> f64) -> f64 {
    if impact <= 0.0 {
        return 0.0;
    }
    let sum = if changed {
        1.08 * (impact + exploitability)
    } else {
        impact + exploitability
    };
    round(sum.min(10.0))
}

fn temporal_factor(metrics: &Metrics) -> f64 {
    exploit_maturity(value(metrics, "E"))
        * remediation(value(metrics, "RL"))
        * confidence(value(metrics, "RC"))
}

fn environmental_score(metrics: &Metrics, round: fn(f64) -> f64) -> f64 {
    let changed = modified(metrics, "MS", "S") == "C";
    let miss = modified_impact_subscore(metrics);

    let impact = match (changed, metrics.version) {
        (false, _) => 6.42 * miss,
        (true, Version::V3_0) => 7.52 * (miss - 0.029) - 3.25 * (miss - 0.02).powi(15),
        // v3.1 changed the scope-changed modified impact term (section 7.3).
        (true, _) => 7.52 * (miss - 0.029) - 3.25 * (miss * 0.9731 - 0.02).powi(13),
    };
    let exploitability = 8.22
        * attack_vector(modified(metrics, "MAV", "AV"))
        * attack_complexity(modified(metrics, "MAC", "AC"))
        * privileges(modified(metrics, "MPR", "PR"), changed)
        * user_interaction(modified(metrics, "MUI", "UI"));

    let adjusted = combine(impact, exploitability, changed, round);
    if adjusted <= 0.0 {
        return 0.0;
    }
    round(adjusted * temporal_factor(metrics))
}

fn modified_impact_subscore(metrics: &Metrics) -> f64 {
    let part = |requirement: &str, metric: &str, base: &str| {
        1.0 - self::requirement(value(metrics, requirement)) * cia(modified(metrics, metric, base))
    };
    let miss = 1.0 - part("CR", "MC", "C") * part("IR", "MI", "I") * part("AR", "MA", "A");
    miss.min(0.915)
}

fn attack_vector(value: &str) -> f64 {
    match value {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        _ => 0.2,
    }
}

fn attack_complexity(value: &str) -> f64 {
    if value == "L" { 0.77 } else { 0.44 }
}

fn privileges(value: &str, scope_changed: bool) -> f64 {
    match (value, scope_changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        (_, false) => 0.27,
        (_, true) => 0.5,
    }
}

fn user_interaction(value: &str) -> f64 {
    if value == "N" { 0.85 } else { 0.62 }
}

fn cia(value: &str) -> f64 {
    match value {
        "H" => 0.56,
        "L" => 0.22,
        _ => 0.0,
    }
}

fn exploit_maturity(value: &str) -> f64 {
    match value {
        "F" => 0.97,
        "P" => 0.94,
        "U" => 0.91,
        _ => 1.0,
    }
}

fn remediation(value: &str) -> f64 {
    match value {
        "O" => 0.95,
        "T" => 0.96,
        "W" => 0.97,
        _ => 1.0,
    }
}

fn confidence(value: &str) -> f64 {
    match value {
        "R" => 0.96,
        "U" => 0.92,
        _ => 1.0,
    }
}

fn requirement(value: &str) -> f64 {
    match value {
        "H" => 1.5,
        "L" => 0.5,
        _ => 1.0,
    }
}
