//! CycloneDX 1.x documents, JSON and XML, read into the component graph.

pub(crate) mod json;
pub(crate) mod json_check;
pub(crate) mod xml;
pub(crate) mod xml_check;

/// The XML namespace prefix of every CycloneDX version.
pub(crate) const XML_NAMESPACE_PREFIX: &str = "http://cyclonedx.org/schema/bom/";

#[cfg(test)]
pub(crate) mod test_documents;
