//! Recognising a document from its content: JSON with `bomFormat: CycloneDX` or
//! `spdxVersion`, XML whose root is a CycloneDX `bom`, or SPDX tag-value text.

use roxmltree::Document;
use serde_json::Value;

use crate::error::{Error, Location};
use crate::json_stream::{self, TopLevelStrings};
use crate::model::{Encoding, Family, Format};
use crate::schemas::Schema;
use crate::{cyclonedx, spdx};

/// The top-level members that tell the JSON formats apart.
const BOM_FORMAT: &str = "bomFormat";
const SPEC_VERSION: &str = "specVersion";
const SPDX_VERSION: &str = "spdxVersion";

/// A parsed JSON document with its stated version and the schema shipped for it.
pub(crate) struct JsonRoot {
    pub(crate) value: Value,
    pub(crate) version: Option<String>,
    pub(crate) schema: Option<Schema>,
}

/// A CycloneDX JSON document checked to be well-formed but not parsed into a tree (it
/// may be large), with its stated version and the schema shipped for it.
pub(crate) struct CycloneDxText<'a> {
    pub(crate) text: &'a str,
    pub(crate) version: Option<String>,
    pub(crate) schema: Option<Schema>,
}

/// A document parsed far enough to know what it is.
pub(crate) enum Decoded<'a> {
    CycloneDxJson(CycloneDxText<'a>),
    SpdxJson(JsonRoot),
    CycloneDxXml(Document<'a>),
    SpdxTagValue(&'a str),
}

/// Parses the input far enough to know its format.
pub(crate) fn decode(bytes: &[u8]) -> Result<Decoded<'_>, Error> {
    let text = utf8(bytes)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let start = text.trim_start();

    if start.starts_with('{') {
        let wanted = [BOM_FORMAT, SPEC_VERSION, SPDX_VERSION];
        let top = json_stream::check(text, &wanted).map_err(|e| Error::from_json(&e))?;
        return json_kind(text, &top);
    }
    if start.starts_with('<') {
        let doc = cyclonedx::xml::parse(text)?;
        if cyclonedx::xml::spec_version(&doc).is_none() {
            let root = doc.root_element().tag_name().name().to_string();
            return Err(unknown(format!(
                "XML root element `{root}` is not a CycloneDX bom"
            )));
        }
        return Ok(Decoded::CycloneDxXml(doc));
    }
    if spdx::tag_value::looks_like(text) {
        return Ok(Decoded::SpdxTagValue(text));
    }
    Err(unknown(
        "neither JSON, XML nor SPDX tag-value starting with `SPDXVersion:`",
    ))
}

/// The format of a document, read from its content.
pub fn detect(bytes: &[u8]) -> Result<Format, Error> {
    let format = match decode(bytes)? {
        Decoded::CycloneDxJson(doc) => json_format(Family::CycloneDx, doc.version),
        Decoded::SpdxJson(root) => json_format(Family::Spdx, root.version),
        Decoded::CycloneDxXml(doc) => Format {
            family: Family::CycloneDx,
            spec_version: cyclonedx::xml::spec_version(&doc)
                .unwrap_or_default()
                .to_string(),
            encoding: Encoding::Xml,
        },
        Decoded::SpdxTagValue(text) => Format {
            family: Family::Spdx,
            spec_version: tag_value_version(text),
            encoding: Encoding::TagValue,
        },
    };
    Ok(format)
}

/// Tells the JSON formats apart by their top-level strings; only SPDX, whose documents
/// stay small, is parsed into a tree here.
fn json_kind<'a>(text: &'a str, top: &TopLevelStrings) -> Result<Decoded<'a>, Error> {
    if top.get(BOM_FORMAT) == Some("CycloneDX") {
        let version = top.get(SPEC_VERSION).map(str::to_string);
        let schema = version.as_deref().and_then(Schema::cyclonedx);
        return Ok(Decoded::CycloneDxJson(CycloneDxText {
            text,
            version,
            schema,
        }));
    }
    if let Some(version) = top.get(SPDX_VERSION).map(str::to_string) {
        let value: Value = serde_json::from_str(text).map_err(|e| Error::from_json(&e))?;
        let schema = Schema::spdx(&version);
        let version = Some(version);
        return Ok(Decoded::SpdxJson(JsonRoot {
            value,
            version,
            schema,
        }));
    }
    Err(unknown(
        "JSON without `bomFormat: CycloneDX` or `spdxVersion`",
    ))
}

fn json_format(family: Family, version: Option<String>) -> Format {
    let version = version.unwrap_or_default();
    Format {
        family,
        spec_version: version.trim_start_matches("SPDX-").to_string(),
        encoding: Encoding::Json,
    }
}

fn tag_value_version(text: &str) -> String {
    text.lines()
        .find_map(|line| line.trim().strip_prefix("SPDXVersion:"))
        .map(|v| v.trim().trim_start_matches("SPDX-").to_string())
        .unwrap_or_default()
}

fn utf8(bytes: &[u8]) -> Result<&str, Error> {
    std::str::from_utf8(bytes).map_err(|error| {
        let valid = &bytes[..error.valid_up_to()];
        let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
        Error::Syntax {
            at: Location::line(line),
            reason: format!("not UTF-8 after byte {}", error.valid_up_to()),
        }
    })
}

fn unknown(reason: impl Into<String>) -> Error {
    Error::UnknownFormat {
        reason: reason.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_apart_by_content() {
        let cdx = br#"{"bomFormat":"CycloneDX","specVersion":"1.5"}"#;
        assert_eq!(detect(cdx).map(|f| f.family), Ok(Family::CycloneDx));
        let spdx = b"# comment\nSPDXVersion: SPDX-2.2\n";
        let format = detect(spdx).map(|f| (f.family, f.spec_version, f.encoding));
        assert_eq!(
            format,
            Ok((Family::Spdx, "2.2".to_string(), Encoding::TagValue))
        );
        assert!(detect(b"{\"hello\": 1}").is_err());
    }

    #[test]
    fn invalid_utf8_names_its_line() {
        let error = detect(b"{\n\"a\":\n\xff}").err();
        assert_eq!(error.map(|e| e.location()), Some(Location::line(3)));
    }
}
