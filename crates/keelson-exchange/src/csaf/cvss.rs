//! Mandatory tests about CVSS objects in scores: valid against FIRST's schema (6.1.8),
//! scores and severities as computed from the vector (6.1.9, computed with
//! `keelson-cvss`), and properties that agree with the vector (6.1.10).

use serde_json::Value;

use super::Violation;
use super::schema::{CvssSchema, violations};
use crate::json::{items, text};

/// Every CVSS object with its pointer and which of `cvss_v2` / `cvss_v3` it is.
fn cvss_objects(document: &Value) -> Vec<(String, &'static str, &Value)> {
    let mut found = Vec::new();
    for (v, vulnerability) in items(document, "vulnerabilities").iter().enumerate() {
        for (s, score) in items(vulnerability, "scores").iter().enumerate() {
            for key in ["cvss_v2", "cvss_v3"] {
                if let Some(object) = score.get(key) {
                    found.push((
                        format!("/vulnerabilities/{v}/scores/{s}/{key}"),
                        key,
                        object,
                    ));
                }
            }
        }
    }
    found
}

fn schema_of(key: &str, object: &Value) -> Option<CvssSchema> {
    match (key, text(object, "version")) {
        ("cvss_v2", _) => Some(CvssSchema::V2),
        ("cvss_v3", Some("3.0")) => Some(CvssSchema::V3_0),
        ("cvss_v3", Some("3.1")) => Some(CvssSchema::V3_1),
        _ => None,
    }
}

/// 6.1.8 Invalid CVSS.
pub(crate) fn invalid_cvss(document: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    for (path, key, object) in cvss_objects(document) {
        let Some(schema) = schema_of(key, object) else {
            let message = "cvss_v3 must have version 3.0 or 3.1";
            out.push(Violation::new("6.1.8", format!("{path}/version"), message));
            continue;
        };
        match schema.validator() {
            Ok(validator) => out.extend(violations(validator, object, "6.1.8", &path)),
            Err(reason) => out.push(Violation::new("6.1.8", path, reason)),
        }
    }
    out
}

/// 6.1.9 Invalid CVSS computation.
pub(crate) fn cvss_computation(document: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    for (path, key, object) in cvss_objects(document) {
        let Some(vector_text) = text(object, "vectorString") else {
            continue;
        };
        let Ok(vector) = vector_text.parse::<keelson_cvss::Vector>() else {
            continue;
        };
        let scores = vector.scores();
        let temporal = scores.temporal.unwrap_or(scores.base);
        let environmental = scores.environmental.unwrap_or(temporal);
        let version = vector.version();
        let expected = [
            ("baseScore", scores.base),
            ("temporalScore", temporal),
            ("environmentalScore", environmental),
        ];
        for (property, computed) in expected {
            check_score(&mut out, &path, object, property, computed);
            if key == "cvss_v3" {
                let severity_key = property.replace("Score", "Severity");
                let severity = keelson_cvss::Severity::of(version, computed);
                check_severity(
                    &mut out,
                    &path,
                    object,
                    &severity_key,
                    &severity.to_string(),
                );
            }
        }
    }
    out
}

fn check_score(out: &mut Vec<Violation>, path: &str, object: &Value, key: &str, computed: f64) {
    let Some(given) = object.get(key).and_then(Value::as_f64) else {
        return;
    };
    if (given - computed).abs() > 1e-9 {
        let message = format!("{key} is {given} but the vector gives {computed}");
        out.push(Violation::new("6.1.9", format!("{path}/{key}"), message));
    }
}

fn check_severity(out: &mut Vec<Violation>, path: &str, object: &Value, key: &str, computed: &str) {
    let Some(given) = text(object, key) else {
        return;
    };
    if !given.eq_ignore_ascii_case(computed) {
        let upper = computed.to_uppercase();
        let message = format!("{key} is {given} but the vector gives {upper}");
        out.push(Violation::new("6.1.9", format!("{path}/{key}"), message));
    }
}

/// CVSS v3 metrics: abbreviation, property, and (abbreviated value, property value).
/// A metric: vector abbreviation, JSON property, and its (abbreviated, spelled) values.
type Metric = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

const V3_METRICS: &[Metric] = &[
    ("AV", "attackVector", AV3),
    ("AC", "attackComplexity", LOW_HIGH),
    ("PR", "privilegesRequired", NONE_LOW_HIGH),
    ("UI", "userInteraction", NONE_REQUIRED),
    ("S", "scope", SCOPE),
    ("C", "confidentialityImpact", NONE_LOW_HIGH),
    ("I", "integrityImpact", NONE_LOW_HIGH),
    ("A", "availabilityImpact", NONE_LOW_HIGH),
    ("E", "exploitCodeMaturity", EXPLOIT3),
    ("RL", "remediationLevel", REMEDIATION3),
    ("RC", "reportConfidence", CONFIDENCE3),
    ("CR", "confidentialityRequirement", REQUIREMENT),
    ("IR", "integrityRequirement", REQUIREMENT),
    ("AR", "availabilityRequirement", REQUIREMENT),
    ("MAV", "modifiedAttackVector", AV3),
    ("MAC", "modifiedAttackComplexity", LOW_HIGH),
    ("MPR", "modifiedPrivilegesRequired", NONE_LOW_HIGH),
    ("MUI", "modifiedUserInteraction", NONE_REQUIRED),
    ("MS", "modifiedScope", SCOPE),
    ("MC", "modifiedConfidentialityImpact", NONE_LOW_HIGH),
    ("MI", "modifiedIntegrityImpact", NONE_LOW_HIGH),
    ("MA", "modifiedAvailabilityImpact", NONE_LOW_HIGH),
];

const AV3: &[(&str, &str)] = &[
    ("N", "NETWORK"),
    ("A", "ADJACENT_NETWORK"),
    ("L", "LOCAL"),
    ("P", "PHYSICAL"),
    ("X", "NOT_DEFINED"),
];
const LOW_HIGH: &[(&str, &str)] = &[("L", "LOW"), ("H", "HIGH"), ("X", "NOT_DEFINED")];
const NONE_LOW_HIGH: &[(&str, &str)] = &[
    ("N", "NONE"),
    ("L", "LOW"),
    ("H", "HIGH"),
    ("X", "NOT_DEFINED"),
];
const NONE_REQUIRED: &[(&str, &str)] = &[("N", "NONE"), ("R", "REQUIRED"), ("X", "NOT_DEFINED")];
const SCOPE: &[(&str, &str)] = &[("U", "UNCHANGED"), ("C", "CHANGED"), ("X", "NOT_DEFINED")];
const EXPLOIT3: &[(&str, &str)] = &[
    ("U", "UNPROVEN"),
    ("P", "PROOF_OF_CONCEPT"),
    ("F", "FUNCTIONAL"),
    ("H", "HIGH"),
    ("X", "NOT_DEFINED"),
];
const REMEDIATION3: &[(&str, &str)] = &[
    ("O", "OFFICIAL_FIX"),
    ("T", "TEMPORARY_FIX"),
    ("W", "WORKAROUND"),
    ("U", "UNAVAILABLE"),
    ("X", "NOT_DEFINED"),
];
const CONFIDENCE3: &[(&str, &str)] = &[
    ("U", "UNKNOWN"),
    ("R", "REASONABLE"),
    ("C", "CONFIRMED"),
    ("X", "NOT_DEFINED"),
];
const REQUIREMENT: &[(&str, &str)] = &[
    ("L", "LOW"),
    ("M", "MEDIUM"),
    ("H", "HIGH"),
    ("X", "NOT_DEFINED"),
    ("ND", "NOT_DEFINED"),
];

/// CVSS v2 metrics, as the v2 JSON schema names them.
const V2_METRICS: &[Metric] = &[
    (
        "AV",
        "accessVector",
        &[("L", "LOCAL"), ("A", "ADJACENT_NETWORK"), ("N", "NETWORK")],
    ),
    (
        "AC",
        "accessComplexity",
        &[("H", "HIGH"), ("M", "MEDIUM"), ("L", "LOW")],
    ),
    (
        "Au",
        "authentication",
        &[("M", "MULTIPLE"), ("S", "SINGLE"), ("N", "NONE")],
    ),
    ("C", "confidentialityImpact", IMPACT2),
    ("I", "integrityImpact", IMPACT2),
    ("A", "availabilityImpact", IMPACT2),
    (
        "E",
        "exploitability",
        &[
            ("U", "UNPROVEN"),
            ("POC", "PROOF_OF_CONCEPT"),
            ("F", "FUNCTIONAL"),
            ("H", "HIGH"),
            ("ND", "NOT_DEFINED"),
        ],
    ),
    (
        "RL",
        "remediationLevel",
        &[
            ("OF", "OFFICIAL_FIX"),
            ("TF", "TEMPORARY_FIX"),
            ("W", "WORKAROUND"),
            ("U", "UNAVAILABLE"),
            ("ND", "NOT_DEFINED"),
        ],
    ),
    (
        "RC",
        "reportConfidence",
        &[
            ("UC", "UNCONFIRMED"),
            ("UR", "UNCORROBORATED"),
            ("C", "CONFIRMED"),
            ("ND", "NOT_DEFINED"),
        ],
    ),
    (
        "CDP",
        "collateralDamagePotential",
        &[
            ("N", "NONE"),
            ("L", "LOW"),
            ("LM", "LOW_MEDIUM"),
            ("MH", "MEDIUM_HIGH"),
            ("H", "HIGH"),
            ("ND", "NOT_DEFINED"),
        ],
    ),
    (
        "TD",
        "targetDistribution",
        &[
            ("N", "NONE"),
            ("L", "LOW"),
            ("M", "MEDIUM"),
            ("H", "HIGH"),
            ("ND", "NOT_DEFINED"),
        ],
    ),
    ("CR", "confidentialityRequirement", REQUIREMENT),
    ("IR", "integrityRequirement", REQUIREMENT),
    ("AR", "availabilityRequirement", REQUIREMENT),
];

const IMPACT2: &[(&str, &str)] = &[("N", "NONE"), ("P", "PARTIAL"), ("C", "COMPLETE")];

/// 6.1.10 Inconsistent CVSS: every metric the vector states has the same value in
/// the object's properties, and a v3 object's version matches the vector's prefix.
pub(crate) fn inconsistent_cvss(document: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    for (path, key, object) in cvss_objects(document) {
        let Some(vector) = text(object, "vectorString") else {
            continue;
        };
        // A v3 vector opens with its `CVSS:3.x` prefix; a v2 vector has none.
        let (skip, table) = if key == "cvss_v3" {
            check_v3_version(&mut out, &path, object, vector);
            (1, V3_METRICS)
        } else {
            (0, V2_METRICS)
        };
        let metrics = vector.split('/').skip(skip);
        for part in metrics {
            let Some((abbreviation, value)) = part.split_once(':') else {
                continue;
            };
            let Some((_, property, values)) = table.iter().find(|m| m.0 == abbreviation) else {
                continue;
            };
            let expected = values.iter().find(|v| v.0 == value).map(|v| v.1);
            let given = text(object, property);
            if let (Some(expected), Some(given)) = (expected, given)
                && expected != given
            {
                let message = format!("{property} is {given} but the vector says {part}");
                out.push(Violation::new(
                    "6.1.10",
                    format!("{path}/{property}"),
                    message,
                ));
            }
        }
    }
    out
}

fn check_v3_version(out: &mut Vec<Violation>, path: &str, object: &Value, vector: &str) {
    let prefix = vector.split('/').next().unwrap_or_default();
    let Some(version) = text(object, "version") else {
        return;
    };
    if prefix != format!("CVSS:{version}") {
        let message = format!("version is {version} but the vector starts {prefix}");
        out.push(Violation::new("6.1.10", format!("{path}/version"), message));
    }
}
