//! Charts drawn on the server as inline SVG: stacked columns (alerts per
//! day by severity), lines (response times per week) and horizontal bars
//! (top techniques, regions). Each chart is an image with a title and a
//! text description for screen readers, and each mark has a tooltip.

use maud::{Markup, html};

const HEIGHT: f64 = 220.0;
const LEFT: f64 = 44.0;
const BOTTOM: f64 = 28.0;
const TOP: f64 = 10.0;

/// One named series of a chart with its colour.
pub struct Series<'a> {
    pub name: &'a str,
    pub colour: &'a str,
}

/// Columns, one per label, each stacked from the series' values.
pub fn stacked_columns(
    width: f64,
    title: &str,
    labels: &[String],
    series: &[Series<'_>],
    values: &[Vec<u64>],
) -> Markup {
    let totals: Vec<u64> = values.iter().map(|column| column.iter().sum()).collect();
    let top = nice_ceiling(totals.iter().copied().max().unwrap_or(0) as f64);
    let slot = (width - LEFT) / labels.len().max(1) as f64;
    let bar = (slot * 0.7).max(1.0);
    let description = format!(
        "{} columns; the largest holds {}.",
        labels.len(),
        totals.iter().max().unwrap_or(&0)
    );
    let mut marks = Vec::new();
    for (index, column) in values.iter().enumerate() {
        let x = LEFT + slot * index as f64 + (slot - bar) / 2.0;
        let mut base = 0_u64;
        for (value, one) in column.iter().zip(series).filter(|(value, _)| **value > 0) {
            let (y0, y1) = (y_of(base as f64, top), y_of((base + value) as f64, top));
            let tip = format!("{}: {value} {}", labels[index], one.name);
            marks.push((x, y1, y0 - y1, one.colour, tip));
            base += value;
        }
    }
    html! {
        figure {
            (frame(width, title, &description, top, html! {
                @for (x, y, height, colour, tip) in &marks {
                    rect x=(fmt(*x)) y=(fmt(*y)) width=(fmt(bar)) height=(fmt(*height)) fill=(colour) {
                        title { (tip) }
                    }
                }
                (x_labels(labels, slot))
            }))
            (legend(series))
        }
    }
}

/// Lines, one per series, through the labels; a missing value breaks the line.
pub fn lines(
    width: f64,
    title: &str,
    labels: &[String],
    series: &[Series<'_>],
    values: &[Vec<Option<f64>>],
    unit: &str,
) -> Markup {
    let highest = values
        .iter()
        .flatten()
        .flatten()
        .copied()
        .fold(0.0, f64::max);
    let top = nice_ceiling(highest);
    let slot = (width - LEFT) / labels.len().max(1) as f64;
    let description = format!("{} points per line, in {unit}.", labels.len());
    html! {
        figure {
            (frame(width, title, &description, top, html! {
                @for (line, one) in values.iter().zip(series) {
                    @for (index, value) in line.iter().enumerate() {
                        @if let Some(value) = value {
                            @let x = LEFT + slot * (index as f64 + 0.5);
                            circle cx=(fmt(x)) cy=(fmt(y_of(*value, top))) r="3.5" fill=(one.colour) {
                                title { (labels[index]) ": " (one.name) " " (format!("{value:.1}")) " " (unit) }
                            }
                        }
                    }
                    path d=(line_path(line, slot, top)) fill="none" stroke=(one.colour) stroke-width="2" {}
                }
                (x_labels(labels, slot))
            }))
            (legend(series))
        }
    }
}

/// Horizontal bars, one per (label, value), largest first as given.
pub fn bars(width: f64, title: &str, items: &[(String, u64)], colour: &str) -> Markup {
    let row = 24.0;
    let label_width = 110.0;
    let height = row * items.len().max(1) as f64 + 8.0;
    let top = items
        .iter()
        .map(|(_, value)| *value)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let room = width - label_width - 40.0;
    html! {
        svg.chart role="img" viewBox={ "0 0 " (width) " " (fmt(height)) } aria-label=(title) {
            title { (title) }
            @if items.is_empty() {
                text x="0" y="18" { "Nothing to show yet." }
            }
            @for (index, (label, value)) in items.iter().enumerate() {
                @let y = 4.0 + row * index as f64;
                @let width = (*value as f64 / top * room).max(1.0);
                text x="0" y=(fmt(y + 15.0)) { (truncate(label, 16)) }
                rect x=(label_width) y=(fmt(y + 3.0)) width=(fmt(width)) height=(fmt(row - 8.0)) fill=(colour) {
                    title { (label) ": " (value) }
                }
                text x=(fmt(label_width + width + 6.0)) y=(fmt(y + 15.0)) { (value) }
            }
        }
    }
}

fn frame(width: f64, title: &str, description: &str, top: f64, marks: Markup) -> Markup {
    let ticks = [0.0, top / 2.0, top];
    html! {
        svg.chart role="img" viewBox={ "0 0 " (width) " " (HEIGHT) } aria-label=(title) {
            title { (title) }
            desc { (description) }
            @for tick in ticks {
                @let y = y_of(tick, top);
                line x1=(LEFT) x2=(width) y1=(fmt(y)) y2=(fmt(y)) stroke="#d5dbe3" {}
                text x=(LEFT - 6.0) y=(fmt(y + 4.0)) text-anchor="end" { (short_number(tick)) }
            }
            (marks)
        }
    }
}

fn x_labels(labels: &[String], slot: f64) -> Markup {
    // At most about eight labels fit under a chart; show every nth.
    let every = labels.len().div_ceil(8).max(1);
    html! {
        @for (index, label) in labels.iter().enumerate() {
            @if index % every == 0 {
                text x=(fmt(LEFT + slot * (index as f64 + 0.5))) y=(HEIGHT - 8.0) text-anchor="middle" {
                    (label)
                }
            }
        }
    }
}

fn legend(series: &[Series<'_>]) -> Markup {
    html! {
        ul.legend {
            @for one in series {
                li { span.swatch style={ "background:" (one.colour) } {} (one.name) }
            }
        }
    }
}

fn line_path(values: &[Option<f64>], slot: f64, top: f64) -> String {
    let mut path = String::new();
    let mut drawing = false;
    for (index, value) in values.iter().enumerate() {
        let Some(value) = value else {
            drawing = false;
            continue;
        };
        let x = LEFT + slot * (index as f64 + 0.5);
        let step = if drawing { 'L' } else { 'M' };
        path.push_str(&format!("{step}{} {} ", fmt(x), fmt(y_of(*value, top))));
        drawing = true;
    }
    path
}

fn y_of(value: f64, top: f64) -> f64 {
    let plot = HEIGHT - BOTTOM - TOP;
    HEIGHT - BOTTOM - value / top * plot
}

/// The axis top: 1, 2 or 5 times a power of ten at or above `value`.
fn nice_ceiling(value: f64) -> f64 {
    if value <= 1.0 {
        return 1.0;
    }
    let power = 10_f64.powf(value.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|step| step * power)
        .find(|candidate| *candidate >= value)
        .unwrap_or(10.0 * power)
}

fn short_number(value: f64) -> String {
    if value >= 1_000_000.0 {
        format!("{:.1}M", value / 1_000_000.0)
    } else if value >= 10_000.0 {
        format!("{:.0}k", value / 1_000.0)
    } else if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

fn fmt(value: f64) -> String {
    format!("{value:.1}")
}

fn truncate(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_owned();
    }
    let kept: String = text.chars().take(chars - 1).collect();
    format!("{kept}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_tops_are_round_numbers_at_or_above_the_largest_value() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(7.0), 10.0);
        assert_eq!(nice_ceiling(13.0), 20.0);
        assert_eq!(nice_ceiling(480.0), 500.0);
        assert_eq!(nice_ceiling(5000.0), 5000.0);
    }

    #[test]
    fn a_missing_value_breaks_the_line() {
        let path = line_path(&[Some(1.0), None, Some(1.0)], 100.0, 1.0);
        assert_eq!(path.matches('M').count(), 2, "{path}");
        assert!(!path.contains('L'), "{path}");
    }

    #[test]
    fn stacked_columns_draw_one_rect_per_non_empty_value() {
        let series = [
            Series {
                name: "high",
                colour: "#c00",
            },
            Series {
                name: "low",
                colour: "#0c0",
            },
        ];
        let labels = vec!["a".to_owned(), "b".to_owned()];
        let svg =
            stacked_columns(640.0, "t", &labels, &series, &[vec![2, 0], vec![1, 3]]).into_string();
        assert_eq!(svg.matches("<rect").count(), 3, "{svg}");
        assert!(svg.contains("b: 3 low"), "{svg}");
    }
}
