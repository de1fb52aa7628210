//! SPDX 2.x tag-value: `Tag: value` lines, `<text>…</text>` values that may span
//! lines, packages opened by `PackageName`, and `Relationship: A TYPE B` lines.

use super::{ExternalId, external_id, meaningful_license, parse_supplier};
use crate::error::{Error, Location};
use crate::model::{
    Component, ComponentKind, Dependency, Encoding, Family, Format, Hash, Sbom, normalise_hash_alg,
};

/// One `Tag: value` pair and the line it starts on.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Entry<'a> {
    pub(crate) line: usize,
    pub(crate) tag: &'a str,
    pub(crate) value: String,
}

/// Whether `text` looks like SPDX tag-value: its first tag line is `SPDXVersion`.
pub(crate) fn looks_like(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .find(|line| !line.is_empty() && !line.starts_with('#'))
        .is_some_and(|line| line.starts_with("SPDXVersion:"))
}

/// Splits a document into entries, joining `<text>` values that span lines.
pub(crate) fn entries(text: &str) -> Result<Vec<Entry<'_>>, Error> {
    let mut found = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((index, raw)) = lines.next() {
        let line = index + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let (tag, rest) = split_tag(trimmed)
            .ok_or_else(|| Error::invalid(Location::line(line), "expected `Tag: value`"))?;

        let Some(opened) = rest.strip_prefix("<text>") else {
            found.push(Entry {
                line,
                tag,
                value: rest.to_string(),
            });
            continue;
        };
        let value = match opened.split_once("</text>") {
            Some((inner, _)) => inner.to_string(),
            None => read_text_block(opened, &mut lines, line)?,
        };
        found.push(Entry { line, tag, value });
    }
    Ok(found)
}

/// `Tag: value` with a tag of letters, digits and `-`/`_`.
fn split_tag(line: &str) -> Option<(&str, &str)> {
    let (tag, rest) = line.split_once(':')?;
    let tag = tag.trim();
    let well_formed = !tag.is_empty()
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    well_formed.then(|| (tag, rest.trim()))
}

/// Gathers the lines of a `<text>` value up to the line holding `</text>`.
fn read_text_block<'a>(
    first: &str,
    lines: &mut impl Iterator<Item = (usize, &'a str)>,
    opened_at: usize,
) -> Result<String, Error> {
    let mut value = first.to_string();
    for (_, raw) in lines.by_ref() {
        value.push('\n');
        if let Some((inner, _)) = raw.split_once("</text>") {
            value.push_str(inner);
            return Ok(value);
        }
        value.push_str(raw);
    }
    Err(Error::invalid(
        Location::line(opened_at),
        "`<text>` is never closed by `</text>`",
    ))
}

/// Which part of the document the current entry belongs to.
enum Section {
    Document,
    /// A package: its index in `components` and the line of its `PackageName`.
    Package(usize, usize),
    /// A file, snippet or extracted licence: not a component.
    Other,
}

/// Reads an SPDX 2.x tag-value document.
pub(crate) fn read(text: &str) -> Result<Sbom, Error> {
    let mut sbom = Sbom {
        format: Format {
            family: Family::Spdx,
            spec_version: String::new(),
            encoding: Encoding::TagValue,
        },
        serial: None,
        name: None,
        subject: None,
        components: Vec::new(),
        dependencies: Vec::new(),
    };

    let mut section = Section::Document;
    for entry in entries(text)? {
        section = apply(&mut sbom, section, &entry)?;
    }
    check_package_ids(&sbom, &section)?;

    if sbom.format.spec_version.is_empty() {
        return Err(Error::invalid(Location::Document, "no `SPDXVersion` tag"));
    }
    super::settle_subject(&mut sbom);
    Ok(sbom)
}

/// Applies one entry and says which section the next one belongs to.
fn apply(sbom: &mut Sbom, section: Section, entry: &Entry<'_>) -> Result<Section, Error> {
    let value = entry.value.trim();
    match entry.tag {
        "PackageName" => {
            check_package_ids(sbom, &section)?;
            let component =
                Component::new(String::new(), ComponentKind::Unspecified, value.to_string());
            sbom.components.push(component);
            return Ok(Section::Package(sbom.components.len() - 1, entry.line));
        }
        "FileName" | "SnippetSPDXID" | "LicenseID" => {
            check_package_ids(sbom, &section)?;
            return Ok(Section::Other);
        }
        "Relationship" => sbom.dependencies.push(relationship(value, entry.line)?),
        "SPDXVersion" => {
            sbom.format.spec_version = value.trim_start_matches("SPDX-").to_string();
        }
        "DocumentName" => sbom.name = Some(value.to_string()),
        "DocumentNamespace" => sbom.serial = Some(value.to_string()),
        _ => {
            if let Section::Package(index, _) = section
                && let Some(component) = sbom.components.get_mut(index)
            {
                package_tag(component, entry)?;
            }
        }
    }
    Ok(section)
}

/// A package's own tags; the others are ignored.
fn package_tag(component: &mut Component, entry: &Entry<'_>) -> Result<(), Error> {
    let value = entry.value.trim();
    match entry.tag {
        "SPDXID" if component.bom_ref.is_empty() => component.bom_ref = value.to_string(),
        "PackageVersion" => component.version = Some(value.to_string()),
        "PackageSupplier" => component.supplier = parse_supplier(value),
        "PrimaryPackagePurpose" => component.kind = ComponentKind::from_word(value),
        "PackageLicenseDeclared" | "PackageLicenseConcluded" => {
            if let Some(license) = meaningful_license(value)
                && !component.licenses.contains(&license)
            {
                component.licenses.push(license);
            }
        }
        "PackageChecksum" => component.hashes.push(checksum(value, entry.line)?),
        "ExternalRef" => external_ref(component, value, entry.line)?,
        _ => {}
    }
    Ok(())
}

/// A package must have received its `SPDXID` before the next section starts.
fn check_package_ids(sbom: &Sbom, section: &Section) -> Result<(), Error> {
    let Section::Package(index, line) = section else {
        return Ok(());
    };
    match sbom.components.get(*index) {
        Some(component) if component.bom_ref.is_empty() => Err(Error::invalid(
            Location::line(*line),
            "package has no `SPDXID`",
        )),
        _ => Ok(()),
    }
}

/// `SHA256: 11b6…`.
fn checksum(value: &str, line: usize) -> Result<Hash, Error> {
    let (alg, hex) = value.split_once(':').ok_or_else(|| {
        Error::invalid(Location::line(line), "checksum is not `ALGORITHM: value`")
    })?;
    Ok(Hash {
        alg: normalise_hash_alg(alg),
        hex: hex.trim().to_ascii_lowercase(),
    })
}

/// `ExternalRef: CATEGORY TYPE LOCATOR`.
fn external_ref(component: &mut Component, value: &str, line: usize) -> Result<(), Error> {
    let words: Vec<&str> = value.split_whitespace().collect();
    let [_category, reference_type, locator] = words.as_slice() else {
        return Err(Error::invalid(
            Location::line(line),
            "external reference is not `CATEGORY TYPE LOCATOR`",
        ));
    };
    match external_id(reference_type) {
        Some(ExternalId::Purl) if component.purl.is_none() => {
            component.purl = Some((*locator).to_string());
        }
        Some(ExternalId::Cpe) => component.cpes.push((*locator).to_string()),
        _ => {}
    }
    Ok(())
}

/// `Relationship: SPDXRef-A DEPENDS_ON SPDXRef-B`.
fn relationship(value: &str, line: usize) -> Result<Dependency, Error> {
    let words: Vec<&str> = value.split_whitespace().collect();
    let [from, relationship, to] = words.as_slice() else {
        return Err(Error::invalid(
            Location::line(line),
            "relationship is not `ELEMENT TYPE ELEMENT`",
        ));
    };
    Ok(Dependency {
        from: (*from).to_string(),
        to: (*to).to_string(),
        relationship: (*relationship).to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_blocks_span_lines_and_keep_their_start_line() {
        let text = "SPDXVersion: SPDX-2.3\nDocumentComment: <text>one\ntwo: x</text>\nA: b\n";
        let found = entries(text).map_err(|e| e.to_string());
        let Ok(found) = found else {
            panic!("{found:?}")
        };
        assert_eq!(found.len(), 3);
        assert_eq!(found[1].value, "one\ntwo: x");
        assert_eq!(found[2].line, 4);
    }

    #[test]
    fn unclosed_text_names_the_opening_line() {
        let error = entries("SPDXVersion: SPDX-2.3\nA: <text>never\nclosed\n").err();
        assert_eq!(error.map(|e| e.location()), Some(Location::line(2)));
    }

    #[test]
    fn package_without_spdxid_is_an_error_at_its_name() {
        let text = "SPDXVersion: SPDX-2.2\nPackageName: a\nPackageVersion: 1\nFileName: x\n";
        let error = read(text).err();
        assert_eq!(error.map(|e| e.location()), Some(Location::line(2)));
    }

    #[test]
    fn malformed_relationship_is_reported_with_its_line() {
        let text = "SPDXVersion: SPDX-2.2\nRelationship: A DEPENDS_ON\n";
        let error = read(text).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("line 2"), "{error}");
    }
}
