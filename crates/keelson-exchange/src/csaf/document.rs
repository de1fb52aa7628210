//! Mandatory tests about the document section: CWE, language tags, translator rules
//! and the reserved category names (6.1.11, 6.1.12, 6.1.15, 6.1.26, 6.1.28).

use serde_json::Value;

use super::Violation;
use crate::json::{items, text};

/// The categories of the profiles the specification defines.
pub(crate) const PROFILES: [&str; 5] = [
    "csaf_base",
    "csaf_security_incident_response",
    "csaf_informational_advisory",
    "csaf_security_advisory",
    "csaf_vex",
];

/// 6.1.12 Language: `lang` and `source_lang` are valid BCP 47 tags (well-formed, and
/// every subtag in the IANA registry).
pub(crate) fn language(document: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    let Some(section) = document.get("document") else {
        return out;
    };
    for key in ["lang", "source_lang"] {
        let Some(tag) = text(section, key) else {
            continue;
        };
        let verdict = language_tags::LanguageTag::parse(tag)
            .map_err(|e| e.to_string())
            .and_then(|parsed| parsed.validate().map_err(|e| e.to_string()));
        if let Err(reason) = verdict {
            let message = format!("{tag:?} is not a valid language tag: {reason}");
            out.push(Violation::new(
                "6.1.12",
                format!("/document/{key}"),
                message,
            ));
        }
    }
    out
}

fn publisher_is_translator(section: &Value) -> bool {
    section
        .get("publisher")
        .and_then(|p| text(p, "category"))
        .is_some_and(|category| category == "translator")
}

/// 6.1.15 Translator: a translator's document names its source language.
pub(crate) fn translator(document: &Value) -> Vec<Violation> {
    let Some(section) = document.get("document") else {
        return Vec::new();
    };
    if publisher_is_translator(section) && section.get("source_lang").is_none() {
        let message = "the publisher is a translator but source_lang is missing";
        return vec![Violation::new("6.1.15", "/document", message)];
    }
    Vec::new()
}

/// 6.1.28 Translation: a translation is in another language than its source.
pub(crate) fn translation(document: &Value) -> Vec<Violation> {
    let Some(section) = document.get("document") else {
        return Vec::new();
    };
    match (text(section, "lang"), text(section, "source_lang")) {
        (Some(lang), Some(source)) if lang.eq_ignore_ascii_case(source) => {
            let message = format!("lang and source_lang are both {lang:?}");
            vec![Violation::new("6.1.28", "/document/source_lang", message)]
        }
        _ => Vec::new(),
    }
}

/// The names and values of the profiles other than CSAF Base, compared with
/// whitespace, dashes and underscores removed and case ignored.
const RESERVED: [&str; 4] = [
    "securityincidentresponse",
    "informationaladvisory",
    "securityadvisory",
    "vex",
];

fn squeeze(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// 6.1.26 Prohibited Document Category Name: a CSAF Base document must not take a
/// name that reads as another profile's, nor claim the `csaf_` prefix in another
/// spelling than a profile's exact value.
pub(crate) fn prohibited_category(document: &Value) -> Vec<Violation> {
    let Some(category) = document.get("document").and_then(|d| text(d, "category")) else {
        return Vec::new();
    };
    if PROFILES.contains(&category) {
        return Vec::new();
    }
    let squeezed = squeeze(category);
    let unprefixed = squeezed.strip_prefix("csaf").unwrap_or(&squeezed);
    let reads_as_profile = RESERVED.contains(&unprefixed);
    let claims_prefix = category.to_lowercase().starts_with("csaf_");
    if reads_as_profile || claims_prefix {
        let message = format!("category {category:?} is reserved for a CSAF profile");
        return vec![Violation::new("6.1.26", "/document/category", message)];
    }
    Vec::new()
}

/// 6.1.11 CWE: the ID must be a weakness of the MITRE catalogue (the
/// version `crate::cwe` ships) and the name the catalogue's name for it.
pub(crate) fn cwe(document: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    for (v, vulnerability) in items(document, "vulnerabilities").iter().enumerate() {
        let Some(cwe) = vulnerability.get("cwe") else {
            continue;
        };
        let (id, name) = (text(cwe, "id"), text(cwe, "name"));
        let Some(id) = id else { continue };
        let path = format!("/vulnerabilities/{v}/cwe");
        match crate::cwe::weakness(id) {
            None => {
                let version = crate::cwe::catalogue_version();
                let message = format!("{id} is not a weakness of the CWE catalogue {version}");
                out.push(Violation::new("6.1.11", format!("{path}/id"), message));
            }
            Some(weakness) if name.is_some_and(|name| name != weakness.name) => {
                let message = format!("the name of {id} is {:?}", weakness.name);
                out.push(Violation::new("6.1.11", format!("{path}/name"), message));
            }
            Some(_) => {}
        }
    }
    out
}
