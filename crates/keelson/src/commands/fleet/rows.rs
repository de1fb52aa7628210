//! Reading an inventory file into rows: CSV with a header line, or JSON
//! Lines (one object per line). Both spell the same fields (see the
//! schema in `docs/fleet-import.md`); every row keeps the line it came
//! from, and a row that cannot be read becomes an error with that line.

use std::path::Path;

use serde::Deserialize;

/// One row of an inventory file: a vehicle and, optionally, one ECU of it
/// with the build installed there.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Row {
    #[serde(default)]
    pub vehicle: Option<String>,
    #[serde(default)]
    pub vin: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub make: Option<String>,
    #[serde(default)]
    pub model_name: Option<String>,
    #[serde(default)]
    pub year: Option<String>,
    #[serde(default)]
    pub ecu: Option<String>,
    #[serde(default)]
    pub ecu_name: Option<String>,
    #[serde(default)]
    pub supplier: Option<String>,
    #[serde(default)]
    pub hardware_part_number: Option<String>,
    #[serde(default)]
    pub build: Option<String>,
    #[serde(default)]
    pub firmware_version: Option<String>,
    #[serde(default)]
    pub digest: Option<String>,
    #[serde(default)]
    pub installed_at: Option<String>,
    #[serde(default)]
    pub tlp: Option<String>,
}

impl Row {
    /// Empty cells are absent values, with surrounding blanks trimmed.
    fn tidy(mut self) -> Self {
        for cell in [
            &mut self.vehicle,
            &mut self.vin,
            &mut self.region,
            &mut self.model,
            &mut self.make,
            &mut self.model_name,
            &mut self.year,
            &mut self.ecu,
            &mut self.ecu_name,
            &mut self.supplier,
            &mut self.hardware_part_number,
            &mut self.build,
            &mut self.firmware_version,
            &mut self.digest,
            &mut self.installed_at,
            &mut self.tlp,
        ] {
            *cell = cell
                .take()
                .map(|text| text.trim().to_owned())
                .filter(|text| !text.is_empty());
        }
        self
    }
}

/// A row, or why its line could not be read.
pub type Read = (u64, Result<Row, String>);

/// Every row of the file with its line number (1-based).
pub fn read(path: &Path, bytes: &[u8]) -> Result<Vec<Read>, String> {
    let is_csv = path
        .extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case("csv"));
    if is_csv {
        read_csv(bytes)
    } else {
        read_json_lines(bytes)
    }
}

fn read_csv(bytes: &[u8]) -> Result<Vec<Read>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|error| format!("line 1: header: {error}"))?
        .clone();
    let mut rows = Vec::new();
    for record in reader.records() {
        let (line, row) = match record {
            Ok(record) => {
                let line = record.position().map_or(0, csv::Position::line);
                let row = record
                    .deserialize::<Row>(Some(&headers))
                    .map(Row::tidy)
                    .map_err(|error| csv_reason(&error));
                (line, row)
            }
            Err(error) => {
                let line = error.position().map_or(0, csv::Position::line);
                (line, Err(csv_reason(&error)))
            }
        };
        rows.push((line, row));
    }
    Ok(rows)
}

/// The csv crate's message without its own position prefix.
fn csv_reason(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::Deserialize { err, .. } => err.to_string(),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} fields where the header has {expected_len}"),
        _ => error.to_string(),
    }
}

fn read_json_lines(bytes: &[u8]) -> Result<Vec<Read>, String> {
    let text = std::str::from_utf8(bytes).map_err(|error| format!("not UTF-8: {error}"))?;
    let rows = text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            let row = serde_json::from_str::<Row>(line)
                .map(Row::tidy)
                .map_err(|error| error.to_string());
            (index as u64 + 1, row)
        })
        .collect();
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_keep_their_line_and_blank_cells_are_absent() {
        let text = "vehicle,region,ecu\nv1, EU ,\n\"v\n2\",,tcu\nv3,EU\n";
        let rows = read(Path::new("f.csv"), text.as_bytes()).unwrap_or_default();
        let lines: Vec<u64> = rows.iter().map(|(line, _)| *line).collect();
        assert_eq!(lines, [2, 3, 5]);
        let first = rows[0].1.clone().unwrap_or_default();
        assert_eq!(first.region.as_deref(), Some("EU"));
        assert_eq!(first.ecu, None);
        assert!(rows[2].1.is_err(), "{:?}", rows[2]);
    }

    #[test]
    fn json_lines_refuse_unknown_fields_with_their_line() {
        let text = "{\"vehicle\": \"v1\"}\n\n{\"vehicel\": \"v2\"}\n";
        let rows = read(Path::new("f.jsonl"), text.as_bytes()).unwrap_or_default();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].0, 3);
        let reason = rows[1].1.clone().err().unwrap_or_default();
        assert!(reason.contains("vehicel"), "{reason}");
    }
}
