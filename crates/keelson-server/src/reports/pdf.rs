//! A laid-out report as a PDF, written with `pdf-writer` in the standard
//! Helvetica and Helvetica-Bold fonts (no font embedded: every PDF reader
//! has them) on A4 pages. Text is WinAnsi-encoded; a character outside it
//! is written as `?`. Lines are wrapped and tables sized with the fonts'
//! published character widths (Adobe's AFM metrics, the printable ASCII
//! range; other characters count as the width of a digit). Every page
//! carries the report's TLP marking at its top and its number at its foot.

use keelson_core::Tlp;
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use super::document::{Block, Document, Fact, Table};

const PAGE_WIDTH: f32 = 595.28;
const PAGE_HEIGHT: f32 = 841.89;
const MARGIN: f32 = 56.0;
const TOP: f32 = PAGE_HEIGHT - MARGIN;
const BOTTOM: f32 = MARGIN;
const TEXT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;

const BODY: f32 = 9.5;
const HEADING: f32 = 13.0;
const TITLE: f32 = 18.0;
const CELL_PADDING: f32 = 6.0;

const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");

/// The PDF's bytes.
pub fn write(document: &Document) -> Vec<u8> {
    let mut layout = Layout::new();
    layout.title(&document.title);
    layout.facts(&document.facts);
    for section in &document.sections {
        layout.heading(&section.heading);
        for block in &section.blocks {
            match block {
                Block::Text(text) => layout.paragraph(text),
                Block::Facts(facts) => layout.facts(facts),
                Block::Table(table) => layout.table(table),
            }
        }
    }
    assemble(document, layout.pages)
}

/// Text laid out on pages, top to bottom.
struct Layout {
    pages: Vec<Content>,
    y: f32,
}

impl Layout {
    fn new() -> Self {
        Self {
            pages: vec![Content::new()],
            y: TOP - 24.0,
        }
    }

    /// Room for `height` more points on this page, else a new page.
    fn room(&mut self, height: f32) {
        if self.y - height < BOTTOM + 16.0 {
            self.pages.push(Content::new());
            self.y = TOP - 24.0;
        }
    }

    fn page(&mut self) -> &mut Content {
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn text_at(&mut self, x: f32, text: &str, font: Name<'static>, size: f32) {
        let y = self.y;
        let bytes = win_ansi(text);
        let page = self.page();
        page.begin_text();
        page.set_font(font, size);
        page.next_line(x, y);
        page.show(Str(&bytes));
        page.end_text();
    }

    fn title(&mut self, title: &str) {
        self.room(TITLE * 1.6);
        self.y -= TITLE;
        self.text_at(MARGIN, title, BOLD, TITLE);
        self.y -= TITLE * 0.6;
    }

    fn heading(&mut self, heading: &str) {
        self.room(HEADING * 3.0 + BODY * 2.0);
        self.y -= HEADING * 1.2;
        for line in wrap(heading, TEXT_WIDTH, HEADING, Face::Bold) {
            self.y -= HEADING;
            self.text_at(MARGIN, &line, BOLD, HEADING);
        }
        self.y -= HEADING * 0.4;
    }

    fn paragraph(&mut self, text: &str) {
        for line in wrap(text, TEXT_WIDTH, BODY, Face::Regular) {
            self.room(BODY * 1.4);
            self.y -= BODY * 1.4;
            self.text_at(MARGIN, &line, REGULAR, BODY);
        }
        self.y -= BODY * 0.6;
    }

    /// Each fact on its own line: the label in bold, then the value.
    fn facts(&mut self, facts: &[Fact]) {
        for fact in facts {
            let label = format!("{}:", fact.label);
            let indent = width(&label, BODY, Face::Bold) + 4.0;
            let lines = wrap(&fact.value, TEXT_WIDTH - indent, BODY, Face::Regular);
            self.room(BODY * 1.4 * lines.len() as f32);
            self.y -= BODY * 1.4;
            self.text_at(MARGIN, &label, BOLD, BODY);
            for (index, line) in lines.iter().enumerate() {
                if index > 0 {
                    self.y -= BODY * 1.4;
                }
                self.text_at(MARGIN + indent, line, REGULAR, BODY);
            }
        }
        self.y -= BODY * 0.6;
    }

    fn table(&mut self, table: &Table) {
        let widths = column_widths(table);
        self.row(&table.columns, &widths, Face::Bold);
        self.rule();
        for row in &table.rows {
            self.row(row, &widths, Face::Regular);
        }
        self.rule();
        self.y -= BODY * 0.8;
    }

    fn row(&mut self, cells: &[String], widths: &[f32], face: Face) {
        let wrapped: Vec<Vec<String>> = cells
            .iter()
            .zip(widths)
            .map(|(cell, w)| wrap(cell, w - CELL_PADDING, BODY, face))
            .collect();
        let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
        self.room(BODY * 1.35 * lines as f32 + 4.0);
        let top = self.y;
        let font = face.name();
        for line in 0..lines {
            self.y = top - BODY * 1.35 * (line + 1) as f32;
            let mut x = MARGIN;
            for (cell, w) in wrapped.iter().zip(widths) {
                if let Some(text) = cell.get(line) {
                    self.text_at(x, text, font, BODY);
                }
                x += w;
            }
        }
        self.y = top - BODY * 1.35 * lines as f32 - 2.0;
    }

    fn rule(&mut self) {
        let y = self.y;
        let page = self.page();
        page.set_line_width(0.5);
        page.move_to(MARGIN, y);
        page.line_to(MARGIN + TEXT_WIDTH, y);
        page.stroke();
    }
}

/// Natural widths; when they do not fit, every column keeps its heading's
/// width and the rest of the line is shared in proportion to what each
/// column's cells need beyond it.
fn column_widths(table: &Table) -> Vec<f32> {
    let least: Vec<f32> = table
        .columns
        .iter()
        .map(|c| width(c, BODY, Face::Bold) + CELL_PADDING * 2.0)
        .collect();
    let mut natural = least.clone();
    for row in &table.rows {
        for (index, cell) in row.iter().enumerate() {
            if let Some(column) = natural.get_mut(index) {
                *column = column.max(width(cell, BODY, Face::Regular) + CELL_PADDING * 2.0);
            }
        }
    }
    let total: f32 = natural.iter().sum();
    let floor: f32 = least.iter().sum();
    if total <= TEXT_WIDTH {
        return natural;
    }
    if floor >= TEXT_WIDTH {
        return natural.iter().map(|w| w * TEXT_WIDTH / total).collect();
    }
    let share = (TEXT_WIDTH - floor) / (total - floor);
    least
        .iter()
        .zip(&natural)
        .map(|(least, natural)| least + (natural - least) * share)
        .collect()
}

/// The pages with their marking and numbers, the fonts and the catalogue.
fn assemble(document: &Document, pages: Vec<Content>) -> Vec<u8> {
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let info = Ref::new(5);
    let first_page = 6;
    let count = pages.len();
    let page_ref = |index: usize| Ref::new(first_page + 2 * index as i32);
    let content_ref = |index: usize| Ref::new(first_page + 2 * index as i32 + 1);

    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids((0..count).map(page_ref))
        .count(count as i32);
    for (face, id) in [
        (b"Helvetica".as_slice(), regular),
        (b"Helvetica-Bold", bold),
    ] {
        pdf.type1_font(id)
            .base_font(Name(face))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    pdf.document_info(info)
        .title(TextStr(&document.title))
        .producer(TextStr("Keelson"));

    let marking = format!("TLP:{}", document.tlp);
    for (index, mut content) in pages.into_iter().enumerate() {
        frame(&mut content, &marking, document.tlp, index + 1, count);
        let mut page = pdf.page(page_ref(index));
        page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT));
        page.parent(tree);
        page.contents(content_ref(index));
        page.resources()
            .fonts()
            .pair(REGULAR, regular)
            .pair(BOLD, bold);
        page.finish();
        pdf.stream(content_ref(index), &content.finish());
    }
    pdf.finish()
}

/// The marking at the top right (in its TLP colour on black) and the page
/// number with the marking at the foot.
fn frame(content: &mut Content, marking: &str, tlp: Tlp, number: usize, count: usize) {
    let size = 10.0;
    let label_width = width(marking, size, Face::Bold) + 8.0;
    let x = PAGE_WIDTH - MARGIN - label_width;
    let y = PAGE_HEIGHT - MARGIN + 6.0;
    let (r, g, b) = tlp_colour(tlp);
    content.set_fill_rgb(0.0, 0.0, 0.0);
    content.rect(x, y - 3.0, label_width, size + 5.0);
    content.fill_nonzero();
    content.set_fill_rgb(r, g, b);
    write_line(content, x + 4.0, y, marking, BOLD, size);
    content.set_fill_rgb(0.0, 0.0, 0.0);
    let foot = format!("{marking}   page {number} of {count}");
    write_line(content, MARGIN, MARGIN - 20.0, &foot, REGULAR, 8.0);
}

fn write_line(content: &mut Content, x: f32, y: f32, text: &str, font: Name, size: f32) {
    content.begin_text();
    content.set_font(font, size);
    content.next_line(x, y);
    content.show(Str(&win_ansi(text)));
    content.end_text();
}

/// TLP 2.0's label colours.
fn tlp_colour(tlp: Tlp) -> (f32, f32, f32) {
    match tlp {
        Tlp::Clear => (1.0, 1.0, 1.0),
        Tlp::Green => (0.2, 1.0, 0.0),
        Tlp::Amber | Tlp::AmberStrict => (1.0, 0.753, 0.0),
        Tlp::Red => (1.0, 0.169, 0.169),
    }
}

#[derive(Debug, Clone, Copy)]
enum Face {
    Regular,
    Bold,
}

impl Face {
    fn name(self) -> Name<'static> {
        match self {
            Face::Regular => REGULAR,
            Face::Bold => BOLD,
        }
    }

    /// The advance width of a character in thousandths of the font size.
    fn advance(self, c: char) -> f32 {
        let table = match self {
            Face::Regular => &HELVETICA,
            Face::Bold => &HELVETICA_BOLD,
        };
        let code = c as usize;
        let width = if (32..=126).contains(&code) {
            table[code - 32]
        } else {
            556
        };
        f32::from(width)
    }
}

fn width(text: &str, size: f32, face: Face) -> f32 {
    text.chars().map(|c| face.advance(c)).sum::<f32>() * size / 1000.0
}

/// Greedy word wrap; a word longer than a line is cut where it must be.
fn wrap(text: &str, max: f32, size: f32, face: Face) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if width(&candidate, size, face) <= max {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        for c in word.chars() {
            line.push(c);
            if width(&line, size, face) > max && line.chars().count() > 1 {
                let last = line.pop().unwrap_or(' ');
                lines.push(std::mem::take(&mut line));
                line.push(last);
            }
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// The WinAnsi bytes of the text; characters it lacks become `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '\u{a0}'..='\u{ff}' => c as u32 as u8,
            '\u{20ac}' => 0x80,
            '\u{2018}' => 0x91,
            '\u{2019}' => 0x92,
            '\u{201c}' => 0x93,
            '\u{201d}' => 0x94,
            '\u{2022}' => 0x95,
            '\u{2013}' => 0x96,
            '\u{2014}' => 0x97,
            _ => b'?',
        })
        .collect()
}

/// Helvetica's advance widths for the characters 32 to 126.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278,
    278, // space../
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0..?
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // @..O
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // P.._
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // `..o
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // p..~
];

/// Helvetica-Bold's advance widths for the characters 32 to 126.
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278,
    278, // space../
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, // 0..?
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, // @..O
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, // P.._
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, // `..o
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, // p..~
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_lines_fit_and_keep_every_word() {
        let text = "containment effectiveness is the share of contained incidents that stayed \
                    contained after the stamp, measured on the store's clock";
        let lines = wrap(text, 120.0, BODY, Face::Regular);
        assert!(lines.len() > 2, "{lines:?}");
        assert!(lines.iter().all(|l| width(l, BODY, Face::Regular) <= 120.0));
        assert_eq!(
            lines.join(" "),
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        );
        let long = wrap(&"x".repeat(200), 50.0, BODY, Face::Regular);
        assert_eq!(long.concat(), "x".repeat(200));
    }

    #[test]
    fn characters_outside_win_ansi_become_question_marks() {
        assert_eq!(win_ansi("Zürich – 5 €"), b"Z\xfcrich \x96 5 \x80");
        assert_eq!(win_ansi("東京"), b"??");
    }
}
