//! The hand-over to `keelson-vulndb`: each component becomes one matcher input carrying
//! its reference, name, version, purl and first CPE.

use crate::model::Sbom;

/// The matcher's view of every component, in document order.
///
/// The matcher takes one CPE per component, so a component with several CPEs gives
/// its first; the others stay on [`crate::Component::cpes`]. Components without a
/// version are passed on all the same: the matcher falls back to the purl's or CPE's
/// version and otherwise reports a warning, never a guess.
pub fn to_match_inputs(sbom: &Sbom) -> Vec<keelson_vulndb::Component> {
    sbom.components
        .iter()
        .map(|component| keelson_vulndb::Component {
            reference: component.bom_ref.clone(),
            name: component.name.clone(),
            version: component.version.clone(),
            purl: component.purl.clone(),
            cpe: component.cpes.first().cloned(),
        })
        .collect()
}
