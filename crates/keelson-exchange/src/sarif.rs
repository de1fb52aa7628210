//! SARIF 2.1.0 results of security tests (scanners, fuzzers, pentest tools) read
//! into flat findings: tool, rule, level, message, first location, the rule's
//! `security-severity` and a fingerprint that recognises the same result again.

use serde_json::Value;

use crate::Error;
use crate::json::{items, text};

/// One result of a SARIF run.
#[derive(Debug, Clone, PartialEq)]
pub struct SarifResult {
    /// The tool's driver name.
    pub tool: String,
    /// `ruleId`, or the rule's `id` through `ruleIndex`.
    pub rule_id: String,
    /// `error`, `warning`, `note` or `none` (the result's, else the rule's default,
    /// else `warning` as SARIF says).
    pub level: String,
    /// `message.text`, else the rule's short description.
    pub message: String,
    /// The first location: the artifact URI, with `:LINE` when a region names one.
    pub location: Option<String>,
    /// The rule's `properties.security-severity` (a CVSS-like score, 0 to 10).
    pub security_severity: Option<f64>,
    /// The first of `partialFingerprints` / `fingerprints`, else tool, rule,
    /// location and message joined: equal for the same result in a later scan.
    pub fingerprint: String,
}

/// Reads every result of every run. A document that is not SARIF 2.1.0, or a result
/// without a rule or message, is an error naming its JSON pointer.
pub fn parse_sarif(bytes: &[u8]) -> Result<Vec<SarifResult>, Error> {
    let root: Value = serde_json::from_slice(bytes).map_err(|e| Error::from_json(&e))?;
    if text(&root, "version") != Some("2.1.0") {
        return Err(Error::invalid("/version", "not SARIF 2.1.0"));
    }
    let Some(runs) = root.get("runs").and_then(Value::as_array) else {
        return Err(Error::invalid("/runs", "missing"));
    };
    let mut results = Vec::new();
    for (r, run) in runs.iter().enumerate() {
        let driver = run.pointer("/tool/driver").unwrap_or(&Value::Null);
        let tool = text(driver, "name").unwrap_or_default().to_owned();
        let rules = items(driver, "rules");
        for (i, result) in items(run, "results").iter().enumerate() {
            let at = format!("/runs/{r}/results/{i}");
            results.push(result_in(result, &at, &tool, rules)?);
        }
    }
    Ok(results)
}

fn result_in(result: &Value, at: &str, tool: &str, rules: &[Value]) -> Result<SarifResult, Error> {
    let by_index = result
        .get("ruleIndex")
        .and_then(Value::as_u64)
        .and_then(|i| rules.get(usize::try_from(i).ok()?));
    let rule_id = text(result, "ruleId")
        .or_else(|| result.pointer("/rule/id").and_then(Value::as_str))
        .or_else(|| by_index.and_then(|rule| text(rule, "id")))
        .ok_or_else(|| Error::invalid(format!("{at}/ruleId"), "the result names no rule"))?;
    let rule = by_index.or_else(|| rules.iter().find(|r| text(r, "id") == Some(rule_id)));
    let rule = rule.unwrap_or(&Value::Null);

    let message = result
        .pointer("/message/text")
        .or_else(|| rule.pointer("/shortDescription/text"))
        .and_then(Value::as_str)
        .ok_or_else(|| Error::invalid(format!("{at}/message"), "the result has no message text"))?;
    let level = text(result, "level")
        .or_else(|| {
            rule.pointer("/defaultConfiguration/level")
                .and_then(Value::as_str)
        })
        .unwrap_or("warning");
    let location = location(result);
    let fingerprint = fingerprint(result).unwrap_or_else(|| {
        let place = location.as_deref().unwrap_or("");
        format!("{tool}|{rule_id}|{place}|{message}")
    });
    Ok(SarifResult {
        tool: tool.to_owned(),
        rule_id: rule_id.to_owned(),
        level: level.to_owned(),
        message: message.to_owned(),
        location,
        security_severity: security_severity(rule),
        fingerprint,
    })
}

fn location(result: &Value) -> Option<String> {
    let physical = result.pointer("/locations/0/physicalLocation")?;
    let uri = physical.pointer("/artifactLocation/uri")?.as_str()?;
    match physical
        .pointer("/region/startLine")
        .and_then(Value::as_u64)
    {
        Some(line) => Some(format!("{uri}:{line}")),
        None => Some(uri.to_owned()),
    }
}

fn fingerprint(result: &Value) -> Option<String> {
    ["partialFingerprints", "fingerprints"]
        .iter()
        .find_map(|key| {
            let map = result.get(*key)?.as_object()?;
            let (name, value) = map.iter().next()?;
            Some(format!("{name}:{}", value.as_str()?))
        })
}

/// GitHub's convention: `security-severity` as a number written as text.
fn security_severity(rule: &Value) -> Option<f64> {
    let value = rule.pointer("/properties/security-severity")?;
    let score = match value {
        Value::String(text) => text.trim().parse().ok()?,
        other => other.as_f64()?,
    };
    (0.0..=10.0).contains(&score).then_some(score)
}
