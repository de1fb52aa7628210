//! Maven version order, following the rules of Maven's `ComparableVersion`: items split
//! on `.`, `-` and digit/letter changes, known qualifiers ordered
//! alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release < sp.

use std::cmp::Ordering;

use super::cmp_digits;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Int(String),
    Str(String),
    List(Vec<Item>),
}

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];

/// Rank of a qualifier; unknown qualifiers come after all known ones, alphabetically.
fn qualifier_rank(q: &str) -> (usize, &str) {
    match QUALIFIERS.iter().position(|k| *k == q) {
        Some(i) => (i, ""),
        None => (QUALIFIERS.len(), q),
    }
}

const RELEASE_RANK: (usize, &str) = (5, "");

fn string_item(text: &str, followed_by_digit: bool) -> Item {
    let short = if followed_by_digit && text.len() == 1 {
        match text {
            "a" => "alpha",
            "b" => "beta",
            "m" => "milestone",
            other => other,
        }
    } else {
        text
    };
    let canonical = match short {
        "ga" | "final" | "release" => "",
        "cr" => "rc",
        other => other,
    };
    Item::Str(canonical.to_owned())
}

fn parse_item(text: &str, digit: bool, followed_by_digit: bool) -> Item {
    if digit {
        let trimmed = text.trim_start_matches('0');
        Item::Int(if trimmed.is_empty() {
            "0".into()
        } else {
            trimmed.into()
        })
    } else {
        string_item(text, followed_by_digit)
    }
}

fn is_null(item: &Item) -> bool {
    match item {
        Item::Int(v) => v == "0",
        Item::Str(v) => v.is_empty(),
        Item::List(v) => v.is_empty(),
    }
}

/// Drop trailing null items (`1.0.0` becomes `1`); a non-empty sub-list is stepped over,
/// so `1.0-1` and `1-1` are the same version.
fn normalize(list: &mut Vec<Item>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        match list.get(i) {
            Some(item) if is_null(item) => {
                list.remove(i);
            }
            Some(Item::List(_)) => {}
            _ => break,
        }
    }
}

/// Build the item tree. Once a sub-list is opened nothing more goes into its parent, so
/// the open lists form a stack and each is the last item of the one below it.
struct Builder {
    open: Vec<Vec<Item>>,
}

impl Builder {
    fn push(&mut self, item: Item) {
        if let Some(list) = self.open.last_mut() {
            list.push(item);
        }
    }

    fn open_list(&mut self) {
        self.open.push(Vec::new());
    }

    /// Normalise every open list, innermost first, as Maven does when parsing ends.
    fn finish(mut self) -> Vec<Item> {
        while let Some(mut list) = self.open.pop() {
            normalize(&mut list);
            match self.open.last_mut() {
                Some(parent) => parent.push(Item::List(list)),
                None => return list,
            }
        }
        Vec::new()
    }
}

fn parse(version: &str) -> Vec<Item> {
    let lower = version.trim().to_lowercase();
    let chars: Vec<char> = lower.chars().collect();
    let token =
        |from: usize, to: usize| -> String { chars.get(from..to).unwrap_or(&[]).iter().collect() };
    let mut b = Builder {
        open: vec![Vec::new()],
    };
    let (mut start, mut digit) = (0usize, false);

    for (i, &c) in chars.iter().enumerate() {
        if c == '.' || c == '-' {
            let item = if i == start {
                Item::Int("0".into())
            } else {
                parse_item(&token(start, i), digit, false)
            };
            b.push(item);
            start = i + 1;
            if c == '-' {
                b.open_list();
            }
        } else if c.is_ascii_digit() {
            if !digit && i > start {
                b.push(string_item(&token(start, i), true));
                start = i;
                b.open_list();
            }
            digit = true;
        } else {
            if digit && i > start {
                b.push(parse_item(&token(start, i), true, false));
                start = i;
                b.open_list();
            }
            digit = false;
        }
    }
    if chars.len() > start {
        b.push(parse_item(&token(start, chars.len()), digit, false));
    }
    b.finish()
}

/// How one item compares with nothing (the shorter version ran out).
fn compare_to_nothing(item: &Item) -> Ordering {
    match item {
        Item::Int(v) if v == "0" => Ordering::Equal,
        Item::Int(_) => Ordering::Greater,
        Item::Str(v) => qualifier_rank(v).cmp(&RELEASE_RANK),
        Item::List(items) => items.first().map_or(Ordering::Equal, compare_to_nothing),
    }
}

fn compare_items(a: &Item, b: &Item) -> Ordering {
    match (a, b) {
        (Item::Int(x), Item::Int(y)) => cmp_digits(x, y),
        (Item::Int(_), _) => Ordering::Greater,
        (Item::Str(_), Item::Int(_)) | (Item::Str(_), Item::List(_)) => Ordering::Less,
        (Item::Str(x), Item::Str(y)) => qualifier_rank(x).cmp(&qualifier_rank(y)),
        (Item::List(_), Item::Int(_)) => Ordering::Less,
        (Item::List(_), Item::Str(_)) => Ordering::Greater,
        (Item::List(x), Item::List(y)) => compare_lists(x, y),
    }
}

fn compare_lists(a: &[Item], b: &[Item]) -> Ordering {
    let len = a.len().max(b.len());
    for i in 0..len {
        let order = match (a.get(i), b.get(i)) {
            (Some(x), Some(y)) => compare_items(x, y),
            (Some(x), None) => compare_to_nothing(x),
            (None, Some(y)) => compare_to_nothing(y).reverse(),
            (None, None) => Ordering::Equal,
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    Ordering::Equal
}

/// Every string is a valid Maven version, so this order never fails.
pub(super) fn compare(a: &str, b: &str) -> Ordering {
    compare_lists(&parse(a), &parse(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualifiers_follow_maven_order() {
        let ordered = [
            "1-alpha",
            "1-beta",
            "1-milestone",
            "1-rc",
            "1-snapshot",
            "1",
            "1-sp",
        ];
        for pair in ordered.windows(2) {
            if let [a, b] = pair {
                assert_eq!(compare(a, b), Ordering::Less, "{a} < {b}");
            }
        }
    }

    #[test]
    fn aliases_and_trailing_zeros_are_equal() {
        assert_eq!(compare("1-cr1", "1-rc1"), Ordering::Equal);
        assert_eq!(compare("1.0.0", "1"), Ordering::Equal);
        assert_eq!(compare("1-ga", "1-final"), Ordering::Equal);
        assert_eq!(compare("1a1", "1-alpha-1"), Ordering::Equal);
    }
}
