//! A laid-out report as one self-contained HTML page (styles inline, no
//! script, nothing fetched), every text escaped. Built as a string from the
//! [`Document`]: the layout lives there once for HTML and PDF alike, so a
//! template language would only have repeated it.

use std::fmt::Write;

use super::document::{Block, Document, Fact, Table};

const STYLE: &str = "body{font-family:Helvetica,Arial,sans-serif;margin:2em;color:#111}\
    .tlp{float:right;font-weight:bold;background:#000;padding:.2em .6em}\
    table{border-collapse:collapse;margin:.6em 0}\
    th,td{border:1px solid #999;padding:.2em .6em;text-align:left}\
    table.facts th{background:#eee}";

/// The page.
pub fn write(document: &Document) -> String {
    let mut page = String::new();
    let title = escape(&document.title);
    let tlp = format!("TLP:{}", document.tlp);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <p class=\"tlp\" style=\"color:{colour}\">{tlp}</p>\n<h1>{title}</h1>\n",
        colour = tlp_colour(document),
    );
    facts(&mut page, &document.facts);
    for section in &document.sections {
        let _ = writeln!(page, "<h2>{}</h2>", escape(&section.heading));
        for block in &section.blocks {
            match block {
                Block::Text(text) => {
                    let _ = writeln!(page, "<p>{}</p>", escape(text));
                }
                Block::Facts(list) => facts(&mut page, list),
                Block::Table(table) => rows(&mut page, table),
            }
        }
    }
    let _ = writeln!(
        page,
        "<p class=\"tlp\" style=\"color:{}\">{tlp}</p>\n</body>\n</html>",
        tlp_colour(document)
    );
    page
}

fn facts(page: &mut String, list: &[Fact]) {
    page.push_str("<table class=\"facts\">\n");
    for fact in list {
        let _ = writeln!(
            page,
            "<tr><th>{}</th><td>{}</td></tr>",
            escape(&fact.label),
            escape(&fact.value)
        );
    }
    page.push_str("</table>\n");
}

fn rows(page: &mut String, table: &Table) {
    page.push_str("<table>\n<tr>");
    for column in &table.columns {
        let _ = write!(page, "<th>{}</th>", escape(column));
    }
    page.push_str("</tr>\n");
    for row in &table.rows {
        page.push_str("<tr>");
        for cell in row {
            let _ = write!(page, "<td>{}</td>", escape(cell));
        }
        page.push_str("</tr>\n");
    }
    page.push_str("</table>\n");
}

/// The label colour TLP 2.0 gives each marking, on black.
fn tlp_colour(document: &Document) -> &'static str {
    use keelson_core::Tlp;
    match document.tlp {
        Tlp::Clear => "#FFFFFF",
        Tlp::Green => "#33FF00",
        Tlp::Amber | Tlp::AmberStrict => "#FFC000",
        Tlp::Red => "#FF2B2B",
    }
}

/// Text safe in HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::document::Section;
    use keelson_core::Tlp;

    #[test]
    fn text_from_records_is_escaped() {
        let document = Document {
            title: "t".to_owned(),
            tlp: Tlp::Green,
            facts: Vec::new(),
            sections: vec![Section {
                heading: "h".to_owned(),
                blocks: vec![Block::Table(Table {
                    columns: vec!["Action".to_owned()],
                    rows: vec![vec!["<script>alert('x')</script> & more".to_owned()]],
                })],
            }],
        };
        let page = write(&document);
        assert!(!page.contains("<script>"), "{page}");
        assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more"));
        assert!(page.contains("TLP:GREEN"));
    }
}
