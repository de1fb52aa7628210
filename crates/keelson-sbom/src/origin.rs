//! Where components come from: the supplier and country of origin of each
//! component, from the document itself (CycloneDX `supplier.address.country`)
//! or from a supplier register (CSV), and a policy that flags components
//! whose supplier country is on a prohibited list, citing where each country
//! came from.
//!
//! Countries are ISO 3166-1: an alpha-2 or alpha-3 code or the standard's
//! English short name, in any case, all read as the alpha-2 code. A country
//! that is none of these is reported as unresolved, never guessed, so a
//! policy cannot pass a component silently because its country was spelt
//! another way.
//!
//! **Invariant: a component is flagged when any country known for it is
//! prohibited.** When the document and the register disagree, both count.

use std::collections::{BTreeMap, BTreeSet};

use isocountry::CountryCode;
use serde::Serialize;

use crate::Sbom;

/// The ISO 3166-1 alpha-2 code of a country given as an alpha-2 or alpha-3
/// code or as its ISO English short name (case and surrounding space ignored).
pub fn country_code(text: &str) -> Option<&'static str> {
    let text = text.trim();
    let by_code = match text.len() {
        2 => CountryCode::for_alpha2_caseless(text).ok(),
        3 => CountryCode::for_alpha3_caseless(text).ok(),
        _ => None,
    };
    let by_name = || {
        CountryCode::iter()
            .find(|country| country.name().eq_ignore_ascii_case(text))
            .copied()
    };
    by_code.or_else(by_name).map(|country| country.alpha2())
}

/// A supplier name reduced to what identifies it: lower case, letters and
/// digits, single spaces (`"ACME, Inc."` and `"Acme Inc"` are one key).
pub fn supplier_key(name: &str) -> String {
    let kept: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                ' '
            }
        })
        .collect();
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One supplier of the register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegisteredSupplier {
    pub name: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// Other names the supplier appears under in documents.
    pub aliases: Vec<String>,
    /// The line of the register file it was read from (the header is line 1).
    pub line: u64,
}

/// A row of a register file that was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegisterProblem {
    pub line: u64,
    pub message: String,
}

/// The suppliers Keelson knows the country of, found by name or alias.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SupplierRegister {
    suppliers: Vec<RegisteredSupplier>,
    by_key: BTreeMap<String, usize>,
}

/// A register file's columns, by header name.
struct Columns {
    name: usize,
    country: usize,
    aliases: Option<usize>,
}

impl SupplierRegister {
    /// A register of these suppliers; `Err` lists every name or alias that
    /// two of them share.
    pub fn new(suppliers: Vec<RegisteredSupplier>) -> Result<Self, Vec<RegisterProblem>> {
        let mut register = SupplierRegister::default();
        let mut problems = Vec::new();
        for (index, supplier) in suppliers.iter().enumerate() {
            let names = std::iter::once(&supplier.name).chain(&supplier.aliases);
            for key in names.map(|name| supplier_key(name)) {
                match register.by_key.get(&key) {
                    Some(&other) if other != index => problems.push(RegisterProblem {
                        line: supplier.line,
                        message: format!(
                            "the name {key:?} is already the register's supplier on line {}",
                            suppliers[other].line
                        ),
                    }),
                    _ => {
                        register.by_key.insert(key, index);
                    }
                }
            }
        }
        register.suppliers = suppliers;
        if problems.is_empty() {
            Ok(register)
        } else {
            Err(problems)
        }
    }

    /// Reads a register file: CSV with a header naming `name` and `country`
    /// columns and, optionally, `aliases` (separated by `;`). Every refused
    /// row is listed with its line and why; then nothing is read.
    pub fn from_csv(bytes: &[u8]) -> Result<Self, Vec<RegisterProblem>> {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .flexible(true)
            .from_reader(bytes);
        let columns = header_columns(&mut reader)?;
        let mut suppliers = Vec::new();
        let mut problems = Vec::new();
        for (index, row) in reader.records().enumerate() {
            let line = row
                .as_ref()
                .ok()
                .and_then(|row| row.position())
                .map_or(index as u64 + 2, csv::Position::line);
            match row
                .map_err(|error| error.to_string())
                .and_then(|row| supplier_row(&row, &columns, line))
            {
                Ok(supplier) => suppliers.push(supplier),
                Err(message) => problems.push(RegisterProblem { line, message }),
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        SupplierRegister::new(suppliers)
    }

    /// The register's suppliers, in file order.
    pub fn suppliers(&self) -> &[RegisteredSupplier] {
        &self.suppliers
    }

    /// The supplier that a document's supplier name names.
    pub fn find(&self, name: &str) -> Option<&RegisteredSupplier> {
        let index = *self.by_key.get(&supplier_key(name))?;
        self.suppliers.get(index)
    }
}

fn header_columns(reader: &mut csv::Reader<&[u8]>) -> Result<Columns, Vec<RegisterProblem>> {
    let problem = |message: String| vec![RegisterProblem { line: 1, message }];
    let header = reader
        .headers()
        .map_err(|error| problem(format!("no header row: {error}")))?;
    let find = |wanted: &str| {
        header
            .iter()
            .position(|name| name.eq_ignore_ascii_case(wanted))
    };
    let (Some(name), Some(country)) = (find("name"), find("country")) else {
        return Err(problem(
            "the header must name the columns `name` and `country` (and may name `aliases`)"
                .to_owned(),
        ));
    };
    Ok(Columns {
        name,
        country,
        aliases: find("aliases"),
    })
}

fn supplier_row(
    row: &csv::StringRecord,
    columns: &Columns,
    line: u64,
) -> Result<RegisteredSupplier, String> {
    let name = row.get(columns.name).unwrap_or_default();
    if supplier_key(name).is_empty() {
        return Err("the supplier name is empty".to_owned());
    }
    let given = row.get(columns.country).unwrap_or_default();
    let country = country_code(given).ok_or_else(|| {
        format!("country {given:?} is not an ISO 3166-1 code or English short name")
    })?;
    let aliases = columns
        .aliases
        .and_then(|index| row.get(index))
        .unwrap_or_default()
        .split(';')
        .map(str::trim)
        .filter(|alias| !alias.is_empty())
        .map(str::to_owned)
        .collect();
    Ok(RegisteredSupplier {
        name: name.to_owned(),
        country: country.to_owned(),
        aliases,
        line,
    })
}

/// Where a country of a component was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum CountrySource {
    /// The document's own supplier address.
    Document,
    /// The supplier register, with the line of the supplier's row.
    Register { supplier: String, line: u64 },
}

/// One country known for a component, and where it was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KnownCountry {
    /// ISO 3166-1 alpha-2.
    pub country: String,
    #[serde(flatten)]
    pub source: CountrySource,
}

/// The origin of one component that names a supplier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Origin {
    /// The component's reference in the document.
    pub component: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// The supplier as the document names it.
    pub supplier: String,
    /// Every country known for it; empty when neither the document nor the
    /// register gives one.
    pub countries: Vec<KnownCountry>,
    /// A country the document gives that is not ISO 3166-1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unresolved_country: Option<String>,
}

/// The origin of every component of a document that names a supplier, in
/// document order.
pub fn origins(sbom: &Sbom, register: &SupplierRegister) -> Vec<Origin> {
    sbom.components
        .iter()
        .filter_map(|component| {
            let supplier = component.supplier.as_ref()?;
            let mut origin = Origin {
                component: component.bom_ref.clone(),
                name: component.name.clone(),
                purl: component.purl.clone(),
                supplier: supplier.name.clone(),
                countries: Vec::new(),
                unresolved_country: None,
            };
            if let Some(given) = &supplier.country {
                match country_code(given) {
                    Some(code) => origin.countries.push(KnownCountry {
                        country: code.to_owned(),
                        source: CountrySource::Document,
                    }),
                    None => origin.unresolved_country = Some(given.clone()),
                }
            }
            if let Some(registered) = register.find(&supplier.name) {
                origin.countries.push(KnownCountry {
                    country: registered.country.clone(),
                    source: CountrySource::Register {
                        supplier: registered.name.clone(),
                        line: registered.line,
                    },
                });
            }
            Some(origin)
        })
        .collect()
}

/// The prohibited countries of supplier origin.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OriginPolicy {
    prohibited: BTreeSet<String>,
}

/// A component whose supplier country is prohibited, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OriginViolation {
    pub component: String,
    pub name: String,
    pub supplier: String,
    /// The prohibited countries found for it, each with where it was read.
    pub countries: Vec<KnownCountry>,
    /// One sentence naming the supplier, the country and its source.
    pub evidence: String,
}

impl OriginPolicy {
    /// A policy prohibiting these countries (codes or names); `Err` names
    /// the first entry that is not an ISO 3166-1 country.
    pub fn new<'a>(prohibited: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let codes = prohibited.into_iter().map(|given| {
            country_code(given)
                .map(str::to_owned)
                .ok_or_else(|| format!("{given:?} is not an ISO 3166-1 code or English short name"))
        });
        Ok(OriginPolicy {
            prohibited: codes.collect::<Result<_, _>>()?,
        })
    }

    /// Nothing is prohibited.
    pub fn is_empty(&self) -> bool {
        self.prohibited.is_empty()
    }

    /// The prohibited countries as alpha-2 codes, sorted.
    pub fn countries(&self) -> impl Iterator<Item = &str> {
        self.prohibited.iter().map(String::as_str)
    }

    /// The origins this policy flags, in their order.
    pub fn violations(&self, origins: &[Origin]) -> Vec<OriginViolation> {
        origins
            .iter()
            .filter_map(|origin| {
                let countries: Vec<KnownCountry> = origin
                    .countries
                    .iter()
                    .filter(|known| self.prohibited.contains(&known.country))
                    .cloned()
                    .collect();
                let first = countries.first()?;
                let evidence = format!(
                    "supplier {:?} of {} is in {} ({}), a prohibited country of origin",
                    origin.supplier,
                    origin.name,
                    first.country,
                    describe_source(&first.source),
                );
                Some(OriginViolation {
                    component: origin.component.clone(),
                    name: origin.name.clone(),
                    supplier: origin.supplier.clone(),
                    countries,
                    evidence,
                })
            })
            .collect()
    }
}

fn describe_source(source: &CountrySource) -> String {
    match source {
        CountrySource::Document => "the document's supplier address".to_owned(),
        CountrySource::Register { supplier, line } => {
            format!("supplier register line {line}, {supplier:?}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_are_read_as_iso_codes_whatever_the_spelling() {
        assert_eq!(country_code("de"), Some("DE"));
        assert_eq!(country_code("DEU"), Some("DE"));
        assert_eq!(country_code(" germany "), Some("DE"));
        assert_eq!(country_code("Russian Federation"), Some("RU"));
        assert_eq!(country_code("Russia"), None);
        assert_eq!(country_code("XX"), None);
    }

    #[test]
    fn supplier_names_compare_without_case_or_punctuation() {
        assert_eq!(supplier_key("ACME, Inc."), supplier_key("acme inc"));
        assert_ne!(supplier_key("ACME"), supplier_key("ACME Inc"));
    }

    #[test]
    fn every_bad_register_row_is_listed_with_its_line() {
        let csv =
            "name,country,aliases\nSamtec,US,\n,DE,\nMolex,Atlantis,\nBosch,DE,Robert Bosch GmbH\n";

        let problems = SupplierRegister::from_csv(csv.as_bytes()).expect_err("refused");

        let lines: Vec<u64> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [3, 4]);
        assert!(problems[1].message.contains("Atlantis"), "{problems:?}");
    }

    #[test]
    fn a_name_two_suppliers_share_is_refused() {
        let csv = "name,country,aliases\nBosch,DE,\nRobert Bosch,DE,BOSCH\n";

        let problems = SupplierRegister::from_csv(csv.as_bytes()).expect_err("refused");

        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 3);
    }

    #[test]
    fn a_register_without_a_country_column_says_so() {
        let problems = SupplierRegister::from_csv(b"supplier,land\nBosch,DE\n").expect_err("no");

        assert_eq!(problems[0].line, 1);
        assert!(problems[0].message.contains("country"));
    }

    #[test]
    fn a_policy_refuses_a_country_it_cannot_read() {
        assert!(OriginPolicy::new(["CN", "Russian Federation"]).is_ok());
        let error = OriginPolicy::new(["CN", "Ruritania"]).expect_err("refused");
        assert!(error.contains("Ruritania"));
    }
}
