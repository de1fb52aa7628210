//! Vector string parsing: prefix, `METRIC:VALUE` components, validation
//! against the catalogue, and the canonical (specification-ordered) form.

use crate::Version;
use crate::catalogue::{self, Group, MetricDef};
use crate::error::CvssError;

/// The validated metric values of one vector, indexed like the catalogue.
///
/// Invariant: every `Some` value is one of the catalogue's allowed values,
/// "not defined" values (`X`, `ND`) are stored as `None`, and every base
/// metric is `Some`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Metrics {
    pub(crate) version: Version,
    values: Vec<Option<&'static str>>,
}

impl Metrics {
    /// The defined value of metric `name`, if given.
    pub(crate) fn get(&self, name: &str) -> Option<&'static str> {
        let index = catalogue::position(self.version, name)?;
        self.values.get(index).copied().flatten()
    }

    /// Whether any metric of `group` has a defined value.
    pub(crate) fn any_given(&self, group: Group) -> bool {
        catalogue::metrics(self.version)
            .iter()
            .zip(&self.values)
            .any(|(def, value)| def.group == group && value.is_some())
    }

    /// The vector string of the defined metrics in `groups`, in specification order.
    pub(crate) fn canonical(&self, groups: &[Group]) -> String {
        let mut out = String::from(self.version.prefix());
        let defs = catalogue::metrics(self.version);

        for (def, value) in defs.iter().zip(&self.values) {
            let Some(value) = value else { continue };
            if !groups.contains(&def.group) {
                continue;
            }
            if !out.is_empty() {
                out.push('/');
            }
            out.push_str(def.name);
            out.push(':');
            out.push_str(value);
        }

        out
    }
}

/// Parse and validate a vector string (surrounding whitespace is ignored).
pub(crate) fn parse(text: &str) -> Result<Metrics, CvssError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(CvssError::Empty);
    }

    let (version, body_offset) = split_prefix(text)?;
    let body = text.get(body_offset..).unwrap_or_default();
    let mut metrics = Metrics {
        version,
        values: vec![None; catalogue::metrics(version).len()],
    };
    let mut seen = vec![false; metrics.values.len()];

    let mut offset = body_offset;
    for component in body.split('/') {
        apply_component(&mut metrics, &mut seen, component, offset)?;
        offset += component.len() + 1;
    }

    check_mandatory(&metrics)?;
    Ok(metrics)
}

/// Decide the version from the prefix; returns it and where the metrics start.
fn split_prefix(text: &str) -> Result<(Version, usize), CvssError> {
    let looks_prefixed = text
        .get(..5)
        .is_some_and(|head| head.eq_ignore_ascii_case("CVSS:"));
    if !looks_prefixed {
        // v2.0 vectors carry no prefix.
        return Ok((Version::V2, 0));
    }

    let prefix = text.split('/').next().unwrap_or(text);
    let version = match prefix {
        "CVSS:3.0" => Version::V3_0,
        "CVSS:3.1" => Version::V3_1,
        "CVSS:4.0" => Version::V4_0,
        _ => {
            return Err(CvssError::UnknownPrefix {
                prefix: prefix.to_owned(),
            });
        }
    };

    if prefix.len() == text.len() {
        // A bare prefix: report the first thing a scorer would miss.
        return Err(missing(version, "AV"));
    }
    Ok((version, prefix.len() + 1))
}

/// Validate one `METRIC:VALUE` component and record it.
fn apply_component(
    metrics: &mut Metrics,
    seen: &mut [bool],
    component: &str,
    offset: usize,
) -> Result<(), CvssError> {
    if component.is_empty() {
        return Err(CvssError::EmptyComponent { offset });
    }
    let Some((name, value)) = component.split_once(':') else {
        return Err(CvssError::MalformedComponent {
            offset,
            component: component.to_owned(),
        });
    };

    let (index, def) = lookup(metrics.version, name, offset)?;

    // A duplicate is an error even when both values agree: the producer is confused.
    match seen.get_mut(index) {
        Some(true) => {
            return Err(CvssError::DuplicateMetric {
                offset,
                metric: name.to_owned(),
            });
        }
        Some(flag) => *flag = true,
        None => return Err(internal(component, "seen index out of range")),
    }

    let allowed = allowed_value(def, value, offset)?;
    if allowed != catalogue::not_defined(metrics.version)
        && let Some(slot) = metrics.values.get_mut(index)
    {
        *slot = Some(allowed);
    }
    Ok(())
}

/// The catalogue entry of metric `name` (case-sensitive) and its index.
fn lookup(
    version: Version,
    name: &str,
    offset: usize,
) -> Result<(usize, &'static MetricDef), CvssError> {
    let unknown = || CvssError::UnknownMetric {
        offset,
        metric: name.to_owned(),
        version: version.to_string(),
    };
    let index = catalogue::position(version, name).ok_or_else(unknown)?;
    let def = catalogue::metrics(version).get(index).ok_or_else(unknown)?;
    Ok((index, def))
}

/// The catalogue's spelling of `value`, if the metric allows it (case-sensitive).
fn allowed_value(def: &MetricDef, value: &str, offset: usize) -> Result<&'static str, CvssError> {
    def.values
        .iter()
        .find(|allowed| **allowed == value)
        .copied()
        .ok_or_else(|| CvssError::BadValue {
            offset,
            metric: def.name.to_owned(),
            value: value.to_owned(),
            allowed: format!("[{}]", def.values.join(",")),
        })
}

/// Every base metric must be present.
fn check_mandatory(metrics: &Metrics) -> Result<(), CvssError> {
    let defs = catalogue::metrics(metrics.version);
    let absent = defs
        .iter()
        .zip(&metrics.values)
        .find(|(def, value)| def.group == Group::Base && value.is_none());

    match absent {
        Some((def, _)) => Err(missing(metrics.version, def.name)),
        None => Ok(()),
    }
}

fn missing(version: Version, metric: &str) -> CvssError {
    CvssError::MissingMetric {
        metric: metric.to_owned(),
        version: version.to_string(),
    }
}

fn internal(vector: &str, reason: &str) -> CvssError {
    CvssError::Internal {
        vector: vector.to_owned(),
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn kind(text: &str) -> ErrorKind {
        match parse(text) {
            Ok(metrics) => panic!("accepted {text:?} as {metrics:?}"),
            Err(error) => error.kind(),
        }
    }

    #[test]
    fn metrics_in_any_order_come_out_in_specification_order() {
        let parsed = parse("CVSS:3.0/S:U/AV:N/AC:L/PR:H/UI:N/C:L/I:L/A:N/E:F/RL:X");
        let canonical = parsed.map(|m| m.canonical(&[Group::Base, Group::Temporal]));
        assert_eq!(
            canonical.as_deref(),
            Ok("CVSS:3.0/AV:N/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:N/E:F")
        );
    }

    #[test]
    fn not_defined_values_count_as_absent() {
        let parsed = parse("AV:N/AC:L/Au:N/C:P/I:P/A:P/E:ND/RL:ND/RC:ND");
        assert_eq!(parsed.map(|m| m.any_given(Group::Temporal)), Ok(false));
    }

    #[test]
    fn bare_prefix_reports_the_first_missing_metric() {
        assert_eq!(kind("CVSS:3.1"), ErrorKind::MissingMetric);
    }

    #[test]
    fn lowercase_prefix_is_an_unknown_prefix() {
        assert_eq!(kind("cvss:3.1/AV:N"), ErrorKind::UnknownPrefix);
    }
}
