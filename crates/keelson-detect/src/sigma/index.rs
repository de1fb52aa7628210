//! The prefilter index of one event class: which rules an event can possibly match,
//! found by exact field values (hash lookup) or required substrings (one automaton
//! pass per field), with the remaining rules scanned.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::event::{EventFields, FieldValue};

/// Rules whose field must contain one of some literals.
#[derive(Debug, Clone)]
struct SubstringIndex {
    field: String,
    literals: Vec<String>,
    rules_of: Vec<Vec<usize>>,
    finder: Option<AhoCorasick>,
}

/// Candidate rules for one class of events.
#[derive(Debug, Clone, Default)]
pub(crate) struct Bucket {
    by_value: Vec<(String, HashMap<String, Vec<usize>>)>,
    by_substring: Vec<SubstringIndex>,
    scan: Vec<usize>,
}

/// How a rule is reachable in a bucket.
pub(crate) enum Key<'a> {
    /// The field must equal one of the (lower-cased) values.
    Exact(&'a str, &'a [String]),
    /// The field must contain one of the (ASCII) literals, in any case.
    Substring(&'a str, &'a [String]),
    /// No usable key: always tried.
    None,
}

impl Bucket {
    /// Registers a rule under its key.
    pub(crate) fn add(&mut self, rule: usize, key: Key<'_>) {
        match key {
            Key::Exact(field, values) => self.add_exact(rule, field, values),
            Key::Substring(field, literals) => self.add_substring(rule, field, literals),
            Key::None => self.scan.push(rule),
        }
    }

    fn add_exact(&mut self, rule: usize, field: &str, values: &[String]) {
        if !self.by_value.iter().any(|(f, _)| f == field) {
            self.by_value.push((field.to_string(), HashMap::new()));
        }
        let Some((_, map)) = self.by_value.iter_mut().find(|(f, _)| f == field) else {
            return;
        };
        for v in values {
            let ids = map.entry(v.clone()).or_default();
            if ids.last() != Some(&rule) {
                ids.push(rule);
            }
        }
    }

    fn add_substring(&mut self, rule: usize, field: &str, literals: &[String]) {
        if !self.by_substring.iter().any(|s| s.field == field) {
            self.by_substring.push(SubstringIndex {
                field: field.to_string(),
                literals: Vec::new(),
                rules_of: Vec::new(),
                finder: None,
            });
        }
        let Some(index) = self.by_substring.iter_mut().find(|s| s.field == field) else {
            return;
        };
        for lit in literals {
            let lower = lit.to_ascii_lowercase();
            let pos = match index.literals.iter().position(|l| *l == lower) {
                Some(p) => p,
                None => {
                    index.literals.push(lower);
                    index.rules_of.push(Vec::new());
                    index.literals.len() - 1
                }
            };
            if let Some(rules) = index.rules_of.get_mut(pos)
                && rules.last() != Some(&rule)
            {
                rules.push(rule);
            }
        }
    }

    /// Builds the automata once every rule is registered. A field whose automaton
    /// cannot be built has its rules moved to the scan list.
    pub(crate) fn finish(&mut self) {
        for index in &mut self.by_substring {
            index.finder = AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .build(&index.literals)
                .ok();
            if index.finder.is_none() {
                self.scan.extend(index.rules_of.iter().flatten().copied());
            }
        }
        self.scan.sort_unstable();
        self.scan.dedup();
    }

    /// Rules that are always tried.
    pub(crate) fn scan(&self) -> &[usize] {
        &self.scan
    }

    /// Rules whose exact key matches the event (the key matcher is then known true).
    pub(crate) fn exact_candidates<E: EventFields + ?Sized>(
        &self,
        event: &E,
        out: &mut Vec<usize>,
    ) {
        for (field, index) in &self.by_value {
            for_each_text(event.field(field).as_ref(), &mut |text| {
                // Most values are already lower-case ASCII: look them up without a copy.
                let lowered;
                let key = if text
                    .bytes()
                    .any(|b| b.is_ascii_uppercase() || !b.is_ascii())
                {
                    lowered = text.to_lowercase();
                    lowered.as_str()
                } else {
                    text
                };
                out.extend(index.get(key).into_iter().flatten().copied());
            });
        }
    }

    /// Rules one of whose required literals occurs in the event (still to be evaluated).
    pub(crate) fn substring_candidates<E: EventFields + ?Sized>(
        &self,
        event: &E,
        out: &mut Vec<usize>,
    ) {
        for index in &self.by_substring {
            let Some(finder) = &index.finder else {
                continue;
            };
            for_each_text(event.field(&index.field).as_ref(), &mut |text| {
                for m in finder.find_overlapping_iter(text) {
                    out.extend(
                        index
                            .rules_of
                            .get(m.pattern().as_usize())
                            .into_iter()
                            .flatten(),
                    );
                }
            });
        }
        if out.len() > 1 {
            out.sort_unstable();
            out.dedup();
        }
    }
}

fn for_each_text(value: Option<&FieldValue<'_>>, f: &mut dyn FnMut(&str)) {
    match value {
        Some(FieldValue::List(items)) => items.iter().for_each(|i| for_each_text(Some(i), f)),
        Some(v) => {
            if let Some(t) = v.as_text() {
                f(t.as_ref());
            }
        }
        None => {}
    }
}
