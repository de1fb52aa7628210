//! The MITRE CWE weaknesses by ID, for the names CSAF requires beside a CWE
//! ID (`vulnerabilities[].cwe`, mandatory test 6.1.11) and for advisories
//! Keelson writes. The table is generated from MITRE's catalogue by
//! `scripts/make-cwe-table.py` and shipped in `data/` with MITRE's terms of
//! use; its first line names the catalogue version.

use std::collections::HashMap;
use std::sync::OnceLock;

const TABLE: &str = include_str!("../data/cwe-weaknesses.tsv");

/// One weakness of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weakness {
    /// Such as `CWE-79`.
    pub id: &'static str,
    pub name: &'static str,
    /// `Stable`, `Draft`, `Incomplete`, `Deprecated` and so on.
    pub status: &'static str,
}

/// The catalogue version the table was made from, such as `4.14`.
pub fn catalogue_version() -> &'static str {
    let header = TABLE.lines().next().unwrap_or_default();
    header
        .strip_prefix("# MITRE CWE ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or("unknown")
}

/// The weakness with this ID (`CWE-79`), if the catalogue has it.
pub fn weakness(id: &str) -> Option<Weakness> {
    static BY_ID: OnceLock<HashMap<&'static str, Weakness>> = OnceLock::new();
    let table = BY_ID.get_or_init(|| {
        TABLE
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| {
                let mut fields = line.split('\t');
                let weakness = Weakness {
                    id: fields.next()?,
                    name: fields.next()?,
                    status: fields.next()?,
                };
                Some((weakness.id, weakness))
            })
            .collect()
    });
    table.get(id).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_knows_cross_site_scripting_and_not_a_made_up_id() {
        let xss = weakness("CWE-79").expect("CWE-79");
        assert_eq!(
            xss.name,
            "Improper Neutralization of Input During Web Page Generation ('Cross-site Scripting')"
        );
        assert!(weakness("CWE-0").is_none());
        assert!(weakness("79").is_none());
        assert_eq!(catalogue_version(), "4.14");
    }
}
