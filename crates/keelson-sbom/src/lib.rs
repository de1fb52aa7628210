//! Keelson's SBOM/HBOM import: CycloneDX 1.4-1.6 (JSON, XML) and SPDX 2.2/2.3 (JSON,
//! tag-value) read into one component graph, validation that lists every problem
//! against the official schemas shipped in the crate, and the hand-over of components
//! to the vulnerability matcher, and each component's supplier country of origin
//! checked against a policy (`origin`).
//!
//! The crate is pure: it reads the bytes it is given, fetches nothing, logs nothing and
//! does not panic on any input.
//!
//! ```
//! let text = br#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[
//!     {"type":"firmware","name":"tcu-fw","version":"4.2.0"}]}"#;
//! let sbom = keelson_sbom::import(text).map_err(|e| e.to_string())?;
//! assert_eq!(sbom.components[0].name, "tcu-fw");
//! assert!(keelson_sbom::validate(text).is_empty());
//! # Ok::<(), String>(())
//! ```

mod cyclonedx;
mod detect;
mod error;
mod json_stream;
mod json_walk;
mod matching;
mod model;
pub mod origin;
mod schemas;
mod spdx;
mod unique_items;
mod validate;

pub use detect::detect;
pub use error::{Error, ErrorKind, Location};
pub use matching::to_match_inputs;
pub use model::{
    Component, ComponentKind, Dependency, Encoding, Family, Format, Hash, Sbom, Supplier,
    normalise_hash_alg,
};
pub use schemas::Schema;
pub use validate::{Problem, validate};

use detect::{Decoded, decode};

/// Reads a CycloneDX or SPDX document, whichever it is, into the component graph.
///
/// Import is lenient about what the component graph does not need and strict about
/// what it does: a component without a name, or a member of the wrong type, is an
/// error saying where. It does not validate; call [`validate`] for that.
pub fn import(bytes: &[u8]) -> Result<Sbom, Error> {
    match decode(bytes)? {
        Decoded::CycloneDxJson(doc) => cyclonedx::json::read(doc.text),
        Decoded::SpdxJson(root) => spdx::json::read(&root.value),
        Decoded::CycloneDxXml(doc) => cyclonedx::xml::read(&doc),
        Decoded::SpdxTagValue(text) => spdx::tag_value::read(text),
    }
}
