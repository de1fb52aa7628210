//! The metric catalogue of each CVSS version: names, groups and allowed values,
//! listed in specification order (the order of the canonical vector string).

use crate::Version;

/// Which metric group a metric belongs to; decides which score it feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Group {
    Base,
    /// "Temporal" in v2.0 and v3.x, "Threat" in v4.0.
    Temporal,
    Environmental,
    /// v4.0 only; never changes a score.
    Supplemental,
}

/// One metric: its abbreviation, group and allowed values.
#[derive(Debug)]
pub(crate) struct MetricDef {
    pub(crate) name: &'static str,
    pub(crate) group: Group,
    pub(crate) values: &'static [&'static str],
}

const fn m(name: &'static str, group: Group, values: &'static [&'static str]) -> MetricDef {
    MetricDef {
        name,
        group,
        values,
    }
}

use Group::{Base as B, Environmental as N, Supplemental as S, Temporal as T};

// CVSS v2.0 Complete Guide, sections 2.1-2.3 and the vector table in 2.4.
const V2: &[MetricDef] = &[
    m("AV", B, &["L", "A", "N"]),
    m("AC", B, &["H", "M", "L"]),
    m("Au", B, &["M", "S", "N"]),
    m("C", B, &["N", "P", "C"]),
    m("I", B, &["N", "P", "C"]),
    m("A", B, &["N", "P", "C"]),
    m("E", T, &["U", "POC", "F", "H", "ND"]),
    m("RL", T, &["OF", "TF", "W", "U", "ND"]),
    m("RC", T, &["UC", "UR", "C", "ND"]),
    m("CDP", N, &["N", "L", "LM", "MH", "H", "ND"]),
    m("TD", N, &["N", "L", "M", "H", "ND"]),
    m("CR", N, &["L", "M", "H", "ND"]),
    m("IR", N, &["L", "M", "H", "ND"]),
    m("AR", N, &["L", "M", "H", "ND"]),
];

// CVSS v3.0 / v3.1 specification, section 6 (Vector String), table 15.
const V3: &[MetricDef] = &[
    m("AV", B, &["N", "A", "L", "P"]),
    m("AC", B, &["L", "H"]),
    m("PR", B, &["N", "L", "H"]),
    m("UI", B, &["N", "R"]),
    m("S", B, &["U", "C"]),
    m("C", B, &["H", "L", "N"]),
    m("I", B, &["H", "L", "N"]),
    m("A", B, &["H", "L", "N"]),
    m("E", T, &["X", "H", "F", "P", "U"]),
    m("RL", T, &["X", "U", "W", "T", "O"]),
    m("RC", T, &["X", "C", "R", "U"]),
    m("CR", N, &["X", "H", "M", "L"]),
    m("IR", N, &["X", "H", "M", "L"]),
    m("AR", N, &["X", "H", "M", "L"]),
    m("MAV", N, &["X", "N", "A", "L", "P"]),
    m("MAC", N, &["X", "L", "H"]),
    m("MPR", N, &["X", "N", "L", "H"]),
    m("MUI", N, &["X", "N", "R"]),
    m("MS", N, &["X", "U", "C"]),
    m("MC", N, &["X", "H", "L", "N"]),
    m("MI", N, &["X", "H", "L", "N"]),
    m("MA", N, &["X", "H", "L", "N"]),
];

// CVSS v4.0 specification, section 7 (Vector String), table 23.
const V4: &[MetricDef] = &[
    m("AV", B, &["N", "A", "L", "P"]),
    m("AC", B, &["L", "H"]),
    m("AT", B, &["N", "P"]),
    m("PR", B, &["N", "L", "H"]),
    m("UI", B, &["N", "P", "A"]),
    m("VC", B, &["H", "L", "N"]),
    m("VI", B, &["H", "L", "N"]),
    m("VA", B, &["H", "L", "N"]),
    m("SC", B, &["H", "L", "N"]),
    m("SI", B, &["H", "L", "N"]),
    m("SA", B, &["H", "L", "N"]),
    m("E", T, &["X", "A", "P", "U"]),
    m("CR", N, &["X", "H", "M", "L"]),
    m("IR", N, &["X", "H", "M", "L"]),
    m("AR", N, &["X", "H", "M", "L"]),
    m("MAV", N, &["X", "N", "A", "L", "P"]),
    m("MAC", N, &["X", "L", "H"]),
    m("MAT", N, &["X", "N", "P"]),
    m("MPR", N, &["X", "N", "L", "H"]),
    m("MUI", N, &["X", "N", "P", "A"]),
    m("MVC", N, &["X", "H", "L", "N"]),
    m("MVI", N, &["X", "H", "L", "N"]),
    m("MVA", N, &["X", "H", "L", "N"]),
    m("MSC", N, &["X", "H", "L", "N"]),
    m("MSI", N, &["X", "S", "H", "L", "N"]),
    m("MSA", N, &["X", "S", "H", "L", "N"]),
    m("S", S, &["X", "N", "P"]),
    m("AU", S, &["X", "N", "Y"]),
    m("R", S, &["X", "A", "U", "I"]),
    m("V", S, &["X", "D", "C"]),
    m("RE", S, &["X", "L", "M", "H"]),
    m("U", S, &["X", "Clear", "Green", "Amber", "Red"]),
];

/// The metrics of `version`, in specification order.
pub(crate) fn metrics(version: Version) -> &'static [MetricDef] {
    match version {
        Version::V2 => V2,
        Version::V3_0 | Version::V3_1 => V3,
        Version::V4_0 => V4,
    }
}

/// The value meaning "not defined" in `version`; such a value counts as absent.
pub(crate) fn not_defined(version: Version) -> &'static str {
    match version {
        Version::V2 => "ND",
        _ => "X",
    }
}

/// The index of metric `name` in the catalogue of `version`.
pub(crate) fn position(version: Version, name: &str) -> Option<usize> {
    metrics(version).iter().position(|def| def.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_within_each_version() {
        for version in [Version::V2, Version::V3_1, Version::V4_0] {
            let defs = metrics(version);
            for (i, def) in defs.iter().enumerate() {
                assert_eq!(
                    position(version, def.name),
                    Some(i),
                    "{version} {}",
                    def.name
                );
            }
        }
    }

    #[test]
    fn base_metrics_have_no_not_defined_value() {
        for version in [Version::V2, Version::V3_0, Version::V4_0] {
            let nd = not_defined(version);
            for def in metrics(version).iter().filter(|d| d.group == Group::Base) {
                assert!(!def.values.contains(&nd), "{version} {}", def.name);
            }
        }
    }
}
