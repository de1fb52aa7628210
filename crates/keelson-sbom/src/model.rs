//! The one component graph every SBOM format is read into: a document with its
//! format, identity and subject, a flat list of components (nesting kept as parent
//! links) and the relationships between them.

use serde::Serialize;

/// The document family an SBOM was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// OWASP CycloneDX.
    CycloneDx,
    /// Linux Foundation SPDX.
    Spdx,
}

/// How the document was serialised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    /// JSON.
    Json,
    /// XML.
    Xml,
    /// SPDX tag-value (`Tag: value` lines).
    TagValue,
}

/// Family, specification version and encoding of a document.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Format {
    /// CycloneDX or SPDX.
    pub family: Family,
    /// The specification version as the document states it, such as `1.6` or `2.3`.
    pub spec_version: String,
    /// JSON, XML or tag-value.
    pub encoding: Encoding,
}

/// An imported SBOM (or HBOM): the component graph of one software or hardware build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sbom {
    /// How the document was written.
    pub format: Format,
    /// CycloneDX `serialNumber` or SPDX `documentNamespace`.
    pub serial: Option<String>,
    /// CycloneDX subject component name or SPDX document name.
    pub name: Option<String>,
    /// Reference of the component the document describes (CycloneDX
    /// `metadata.component`, SPDX `DESCRIBES`), when it is one of `components`.
    pub subject: Option<String>,
    /// Every component, nested ones included, in document order (parents first).
    pub components: Vec<Component>,
    /// Relationships between references, in document order.
    pub dependencies: Vec<Dependency>,
}

/// A directed relationship between two references of the document.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Dependency {
    /// The reference the relationship starts at.
    pub from: String,
    /// The reference it points to (for SPDX possibly `NOASSERTION`, `NONE` or an
    /// external `DocumentRef-…:SPDXRef-…`).
    pub to: String,
    /// `DEPENDS_ON` for CycloneDX `dependsOn`, `PROVIDES` for CycloneDX `provides`,
    /// otherwise the SPDX relationship type as written (`CONTAINS`, `DYNAMIC_LINK`, …).
    pub relationship: String,
}

/// What a component is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ComponentKind {
    /// Application or program.
    Application,
    /// Framework.
    Framework,
    /// Library (the usual kind of a package).
    Library,
    /// Container image.
    Container,
    /// Platform (CycloneDX 1.5+).
    Platform,
    /// Operating system.
    OperatingSystem,
    /// Hardware device (an ECU, a chip, a board).
    Device,
    /// Device driver.
    DeviceDriver,
    /// Firmware image.
    Firmware,
    /// A file.
    File,
    /// Source code (SPDX `SOURCE`).
    Source,
    /// Archive (SPDX `ARCHIVE`).
    Archive,
    /// Machine-learning model.
    MachineLearningModel,
    /// Data.
    Data,
    /// Cryptographic asset (CycloneDX 1.6 CBOM).
    CryptographicAsset,
    /// Stated, but none of the above; the original word is kept.
    Other(String),
    /// Not stated (an SPDX package without `primaryPackagePurpose`).
    Unspecified,
}

impl ComponentKind {
    /// Reads a CycloneDX `type` or an SPDX `primaryPackagePurpose`, in any case and with
    /// `-` or `_` as separator.
    pub fn from_word(word: &str) -> Self {
        match word.to_ascii_lowercase().replace('_', "-").as_str() {
            "application" => Self::Application,
            "framework" => Self::Framework,
            "library" => Self::Library,
            "container" => Self::Container,
            "platform" => Self::Platform,
            "operating-system" => Self::OperatingSystem,
            "device" => Self::Device,
            "device-driver" => Self::DeviceDriver,
            "firmware" => Self::Firmware,
            "file" => Self::File,
            "source" => Self::Source,
            "archive" => Self::Archive,
            "machine-learning-model" => Self::MachineLearningModel,
            "data" => Self::Data,
            "cryptographic-asset" => Self::CryptographicAsset,
            _ => Self::Other(word.to_string()),
        }
    }
}

/// The organisation or person that supplied a component.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Supplier {
    /// Name as written (for SPDX without the `Organization:`/`Person:` prefix).
    pub name: String,
    /// Country, when the document gives an address (CycloneDX 1.6 `address.country`).
    pub country: Option<String>,
}

/// A digest of a component.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Hash {
    /// Algorithm in CycloneDX spelling (`SHA-256`, `SHA3-512`, `BLAKE2b-384`, `MD5`).
    pub alg: String,
    /// Hex digest, lower case.
    pub hex: String,
}

/// One component (package, firmware, device, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Component {
    /// CycloneDX `bom-ref` or SPDX `SPDXID`; when the document gives none, the
    /// component's location (`/components/3/components/0`).
    pub bom_ref: String,
    /// What it is.
    pub kind: ComponentKind,
    /// Name.
    pub name: String,
    /// Version, as written.
    pub version: Option<String>,
    /// Package URL, as written.
    pub purl: Option<String>,
    /// CPE names (2.2 URI or 2.3 formatted string), as written.
    pub cpes: Vec<String>,
    /// Digests.
    pub hashes: Vec<Hash>,
    /// Supplier.
    pub supplier: Option<Supplier>,
    /// Licence identifiers, names or expressions (SPDX `NOASSERTION`/`NONE` left out).
    pub licenses: Vec<String>,
    /// The enclosing component's reference, for CycloneDX nested components.
    pub parent: Option<String>,
}

impl Component {
    /// A component with a reference, kind and name and nothing else known yet.
    pub fn new(bom_ref: String, kind: ComponentKind, name: String) -> Self {
        Self {
            bom_ref,
            kind,
            name,
            version: None,
            purl: None,
            cpes: Vec::new(),
            hashes: Vec::new(),
            supplier: None,
            licenses: Vec::new(),
            parent: None,
        }
    }
}

/// Writes a hash algorithm name the way CycloneDX does, so SPDX `SHA256` and CycloneDX
/// `SHA-256` compare equal.
pub fn normalise_hash_alg(alg: &str) -> String {
    let upper = alg.trim().to_ascii_uppercase();
    let spelled = match upper.as_str() {
        "SHA1" => "SHA-1",
        "SHA224" => "SHA-224",
        "SHA256" => "SHA-256",
        "SHA384" => "SHA-384",
        "SHA512" => "SHA-512",
        "SHA3_256" | "SHA3-256" => "SHA3-256",
        "SHA3_384" | "SHA3-384" => "SHA3-384",
        "SHA3_512" | "SHA3-512" => "SHA3-512",
        "BLAKE2B-256" | "BLAKE2B_256" => "BLAKE2b-256",
        "BLAKE2B-384" | "BLAKE2B_384" => "BLAKE2b-384",
        "BLAKE2B-512" | "BLAKE2B_512" => "BLAKE2b-512",
        other => other,
    };
    spelled.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spdx_and_cyclonedx_hash_names_meet() {
        assert_eq!(normalise_hash_alg("SHA256"), normalise_hash_alg("SHA-256"));
        assert_eq!(normalise_hash_alg("BLAKE2b-384"), "BLAKE2b-384");
        assert_eq!(normalise_hash_alg("sha3_512"), "SHA3-512");
    }

    #[test]
    fn kinds_read_from_both_vocabularies() {
        assert_eq!(
            ComponentKind::from_word("OPERATING-SYSTEM"),
            ComponentKind::OperatingSystem
        );
        assert_eq!(
            ComponentKind::from_word("operating-system"),
            ComponentKind::OperatingSystem
        );
        assert_eq!(
            ComponentKind::from_word("INSTALL"),
            ComponentKind::Other("INSTALL".into())
        );
    }
}
