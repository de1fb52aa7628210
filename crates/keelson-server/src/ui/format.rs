//! Small pieces every page draws the same way: severity, TLP and state
//! badges, times and durations for people, and the hidden CSRF field.

use keelson_core::{Marking, Severity};
use keelson_store::paging::CappedCount;
use maud::{Markup, html};

use super::Viewer;

pub fn severity(severity: Severity) -> Markup {
    let name = severity.as_str();
    html! { span class={ "badge sev-" (name) } { (name) } }
}

pub fn maybe_severity(severity: Option<Severity>) -> Markup {
    match severity {
        Some(severity) => self::severity(severity),
        None => html! { span.muted { "unscored" } },
    }
}

/// The TLP label as TLP 2.0 shows it (black badge, coloured text).
pub fn tlp(marking: &Marking) -> Markup {
    let label = marking.tlp.as_str();
    let class = label.to_ascii_lowercase().replace(['+', ' '], "-");
    html! { span class={ "badge tlp tlp-" (class) } { "TLP:" (label) } }
}

/// A count beside a list: the number, or "more than" it past the cap.
pub fn capped(count: CappedCount) -> String {
    if count.more {
        format!("More than {}", count.count)
    } else {
        count.count.to_string()
    }
}

pub fn state(name: &str) -> Markup {
    html! { span.badge.state { (name.replace('_', " ")) } }
}

/// A stored RFC 3339 time shortened to minutes, with the full time kept
/// in a `<time>` element.
pub fn time(text: &str) -> Markup {
    let short = text.get(..16).unwrap_or(text).replace('T', " ");
    html! { time datetime=(text) { (short) } }
}

pub fn maybe_time(text: Option<&str>) -> Markup {
    match text {
        Some(text) => time(text),
        None => html! { span.muted { "—" } },
    }
}

/// Microseconds as the two largest units that matter ("3 h 20 min").
pub fn duration_us(micros: i64) -> String {
    let seconds = micros.max(0) / 1_000_000;
    let (days, hours, minutes) = (seconds / 86_400, seconds / 3_600 % 24, seconds / 60 % 60);
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{seconds} s"),
        (0, 0, minutes) => format!("{minutes} min"),
        (0, hours, minutes) => format!("{hours} h {minutes} min"),
        (days, hours, _) => format!("{days} d {hours} h"),
    }
}

pub fn maybe_duration(micros: Option<i64>) -> String {
    micros.map(duration_us).unwrap_or_else(|| "—".to_owned())
}

/// The hidden field that carries the session's CSRF token in a form.
pub fn csrf(viewer: &Viewer) -> Markup {
    html! { input type="hidden" name="csrf_token" value=(viewer.csrf_token()); }
}

/// One `<option>` of a filter, selected when it is the current value.
pub fn option(value: &str, label: &str, current: Option<&str>) -> Markup {
    html! {
        @if current == Some(value) {
            option value=(value) selected { (label) }
        } @else {
            option value=(value) { (label) }
        }
    }
}

/// An empty filter value means "any".
pub fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|value| !value.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_keep_the_two_largest_units() {
        assert_eq!(duration_us(42_000_000), "42 s");
        assert_eq!(duration_us(5 * 60 * 1_000_000), "5 min");
        assert_eq!(duration_us((3 * 3_600 + 20 * 60) * 1_000_000), "3 h 20 min");
        assert_eq!(duration_us((2 * 86_400 + 5 * 3_600) * 1_000_000), "2 d 5 h");
    }
}
