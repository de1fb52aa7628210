//! Reading a VEX document whatever its format: the format is told from the
//! document's own markers, never from a file name.

use serde_json::Value;

use super::model::VexDocument;
use super::{parse_csaf_vex, parse_cyclonedx, parse_openvex};
use crate::Error;

/// The formats Keelson reads VEX from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VexFormat {
    OpenVex,
    CycloneDx,
    Csaf,
}

impl VexFormat {
    /// `openvex`, `cyclonedx` or `csaf`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OpenVex => "openvex",
            Self::CycloneDx => "cyclonedx",
            Self::Csaf => "csaf",
        }
    }
}

/// Reads OpenVEX (an `@context` naming openvex.dev, or `statements`), CycloneDX
/// (`bomFormat`) or CSAF (`document.csaf_version`).
pub fn read(bytes: &[u8]) -> Result<(VexFormat, VexDocument), Error> {
    let root: Value = serde_json::from_slice(bytes).map_err(|e| Error::from_json(&e))?;
    let format = if root.get("bomFormat").is_some() {
        VexFormat::CycloneDx
    } else if root.pointer("/document/csaf_version").is_some() {
        VexFormat::Csaf
    } else if is_openvex(&root) {
        VexFormat::OpenVex
    } else {
        let why = "neither OpenVEX (@context, statements), CycloneDX (bomFormat) nor CSAF \
                   (document.csaf_version)";
        return Err(Error::invalid("", why));
    };
    let document = match format {
        VexFormat::OpenVex => parse_openvex(bytes)?,
        VexFormat::CycloneDx => parse_cyclonedx(bytes)?,
        VexFormat::Csaf => parse_csaf_vex(bytes)?,
    };
    Ok((format, document))
}

fn is_openvex(root: &Value) -> bool {
    let context = root.get("@context").and_then(Value::as_str).unwrap_or("");
    context.contains("openvex") || root.get("statements").is_some_and(Value::is_array)
}
