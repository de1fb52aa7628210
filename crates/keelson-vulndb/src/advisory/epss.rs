//! FIRST EPSS daily scores (CSV with a `#model_version` comment line and the columns
//! `cve,epss,percentile`), keyed by CVE ID.

use super::{Parsed, is_cve_id};
use crate::error::Error;

/// One CVE's exploit prediction.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct EpssScore {
    /// Probability of exploitation activity in the next 30 days, 0 to 1.
    pub score: f64,
    /// Rank of the score among all scored CVEs, 0 to 1.
    pub percentile: f64,
}

/// A parsed EPSS file: the model and date from the comment line, and the scores.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EpssFile {
    /// `model_version` from the comment line, e.g. `v2023.03.01`.
    pub model_version: Option<String>,
    /// `score_date` from the comment line.
    pub score_date: Option<String>,
    /// (CVE ID, score) per row read; bad rows are errors naming their line.
    pub scores: Parsed<(String, EpssScore)>,
}

/// Read an EPSS CSV file.
pub fn parse_epss_csv(text: &str) -> EpssFile {
    let mut file = EpssFile::default();
    let mut columns: Option<[usize; 3]> = None;
    for (index, line) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = line.trim();
        if let Some(comment) = line.strip_prefix('#') {
            read_comment(comment, &mut file);
            continue;
        }
        if line.is_empty() {
            continue;
        }
        match columns {
            None => match header(line) {
                Some(found) => columns = Some(found),
                None => {
                    let why = "header must name the cve, epss and percentile columns";
                    file.scores
                        .errors
                        .push(Error::record("epss", format!("line {line_no}"), why));
                    return file;
                }
            },
            Some(columns) => file.scores.push(row(line_no, line, columns)),
        }
    }
    file
}

/// `#model_version:v2023.03.01,score_date:2023-03-20T00:00:00+0000`
fn read_comment(comment: &str, file: &mut EpssFile) {
    for pair in comment.split(',') {
        match pair.split_once(':') {
            Some(("model_version", v)) => file.model_version = Some(v.trim().to_owned()),
            Some(("score_date", v)) => file.score_date = Some(v.trim().to_owned()),
            _ => {}
        }
    }
}

fn header(line: &str) -> Option<[usize; 3]> {
    let names: Vec<&str> = line.split(',').map(str::trim).collect();
    let at = |name: &str| names.iter().position(|n| n.eq_ignore_ascii_case(name));
    Some([at("cve")?, at("epss")?, at("percentile")?])
}

fn row(
    line_no: usize,
    line: &str,
    [cve, epss, pct]: [usize; 3],
) -> Result<(String, EpssScore), Error> {
    let fields: Vec<&str> = line.split(',').map(str::trim).collect();
    let label = format!("line {line_no}");
    let field = |i: usize, name: &str| {
        fields
            .get(i)
            .copied()
            .ok_or_else(|| Error::record("epss", &label, format!("missing {name}")))
    };
    let id = field(cve, "cve")?;
    if !is_cve_id(id) {
        return Err(Error::record(
            "epss",
            &label,
            format!("{id:?} is not a CVE ID"),
        ));
    }
    let score = probability(field(epss, "epss")?)
        .ok_or_else(|| Error::record("epss", &label, "epss is not a number in 0..=1"))?;
    let percentile = probability(field(pct, "percentile")?)
        .ok_or_else(|| Error::record("epss", &label, "percentile is not a number in 0..=1"))?;
    Ok((id.to_owned(), EpssScore { score, percentile }))
}

fn probability(text: &str) -> Option<f64> {
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && (0.0..=1.0).contains(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_comment_header_and_rows() {
        let csv = "#model_version:v2023.03.01,score_date:2023-03-20T00:00:00+0000\n\
                   cve,epss,percentile\n\
                   CVE-1999-0001,0.01167,0.82778\n\
                   CVE-1999-0002,1.5,0.9\n\
                   CVE-1999-0003,0.2\n\
                   bad,0.1,0.1\n";
        let file = parse_epss_csv(csv);
        assert_eq!(file.model_version.as_deref(), Some("v2023.03.01"));
        assert_eq!(file.score_date.as_deref(), Some("2023-03-20T00:00:00+0000"));
        let want = EpssScore {
            score: 0.01167,
            percentile: 0.82778,
        };
        assert_eq!(
            file.scores.records,
            vec![("CVE-1999-0001".to_owned(), want)]
        );
        let errors: Vec<String> = file.scores.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].contains("line 4"));
        assert!(errors[1].contains("missing percentile"));
    }

    #[test]
    fn a_file_without_header_is_one_error() {
        let file = parse_epss_csv("CVE-1999-0001,0.1,0.2\n");
        assert_eq!(file.scores.errors.len(), 1);
        assert!(file.scores.records.is_empty());
    }
}
