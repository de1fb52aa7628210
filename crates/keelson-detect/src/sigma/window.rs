//! Correlation state: per correlation and group-by key, the hits inside the timespan,
//! with bounded memory (expired windows evicted, group and hit counts capped).

use std::collections::{HashMap, HashSet, VecDeque};

use super::correlation::{CorrelationRule, CorrelationType};

/// One input to a correlation: a matching event, or the firing of a chained correlation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// Event time in milliseconds since the Unix epoch.
    pub time: i64,
    /// Which of the correlation's `rules` produced it (position in that list).
    pub source_pos: usize,
    /// The events behind the hit.
    pub event_ids: Vec<String>,
    /// The value of `condition.field` (value_count only).
    pub value: Option<String>,
}

/// A correlation that fired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Firing {
    /// Index into `RuleSet::correlations()`.
    pub correlation: usize,
    /// The group-by fields and their values.
    pub group: Vec<(String, String)>,
    /// Time of the first contributing hit.
    pub first: i64,
    /// Time of the last contributing hit.
    pub last: i64,
    /// The measured count (events, distinct values or rules).
    pub count: usize,
    /// Contributing event ids, oldest first (capped).
    pub event_ids: Vec<String>,
}

/// Memory bounds of the correlation state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most group keys kept per correlation; the stalest group goes first.
    pub max_groups: usize,
    /// Most hits kept per group; the oldest goes first.
    pub max_hits: usize,
    /// Most event ids cited by one firing.
    pub max_evidence: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_groups: 100_000,
            max_hits: 10_000,
            max_evidence: 100,
        }
    }
}

#[derive(Debug, Clone)]
struct Group {
    values: Vec<(String, String)>,
    hits: VecDeque<Hit>,
    window_start: i64,
    last: i64,
}

/// The live state of every correlation.
#[derive(Debug, Clone)]
pub struct CorrelationState {
    groups: Vec<HashMap<String, Group>>,
    limits: Limits,
}

impl CorrelationState {
    /// Empty state for `count` correlations.
    pub fn new(count: usize, limits: Limits) -> Self {
        Self {
            groups: (0..count).map(|_| HashMap::new()).collect(),
            limits,
        }
    }

    /// Feeds one hit to correlation `index`; returns the firings it caused (the group's
    /// condition being met, or windows closed to make room).
    pub fn observe(
        &mut self,
        index: usize,
        rule: &CorrelationRule,
        group: Vec<(String, String)>,
        hit: Hit,
    ) -> Vec<Firing> {
        let limits = self.limits;
        let Some(groups) = self.groups.get_mut(index) else {
            return Vec::new();
        };
        let key = group_key(&group);
        let mut out = Vec::new();
        if !groups.contains_key(&key) {
            make_room(groups, index, rule, hit.time, limits, &mut out);
        }
        let g = groups.entry(key.clone()).or_insert_with(|| Group {
            values: group,
            hits: VecDeque::new(),
            window_start: hit.time,
            last: hit.time,
        });
        if rule.condition.judged_at_window_end() {
            out.extend(roll_window(index, rule, g, hit.time, limits.max_evidence));
        } else {
            let horizon = hit.time.saturating_sub(rule.timespan_ms);
            while g.hits.front().is_some_and(|h| h.time < horizon) {
                g.hits.pop_front();
            }
        }
        g.last = g.last.max(hit.time);
        push_capped(&mut g.hits, hit, limits.max_hits);
        if !rule.condition.judged_at_window_end()
            && let Some(f) = judge(index, rule, g, limits.max_evidence)
        {
            groups.remove(&key);
            out.push(f);
        }
        out
    }

    /// Moves time to `now`: closes windows that ended (judging window-end conditions)
    /// and drops groups with nothing left inside their timespan.
    pub fn advance(&mut self, now: i64, rules: &[CorrelationRule]) -> Vec<Firing> {
        let mut out = Vec::new();
        let max_evidence = self.limits.max_evidence;
        for (index, (groups, rule)) in self.groups.iter_mut().zip(rules).enumerate() {
            expire(groups, index, rule, now, max_evidence, &mut out);
        }
        out
    }

    /// Number of live group keys over all correlations.
    pub fn group_count(&self) -> usize {
        self.groups.iter().map(HashMap::len).sum()
    }

    /// Approximate heap and inline bytes held by the state.
    pub fn approx_bytes(&self) -> usize {
        self.groups
            .iter()
            .flat_map(|m| m.iter())
            .map(|(k, g)| group_bytes(k, g))
            .sum()
    }
}

fn group_bytes(key: &str, g: &Group) -> usize {
    let entry = std::mem::size_of::<String>() + std::mem::size_of::<Group>() + 8;
    let values: usize = g.values.iter().map(|(a, b)| 48 + a.len() + b.len()).sum();
    let hits: usize = g
        .hits
        .iter()
        .map(|h| {
            std::mem::size_of::<Hit>()
                + h.event_ids.iter().map(|e| 24 + e.len()).sum::<usize>()
                + h.value.as_ref().map_or(0, String::len)
        })
        .sum();
    entry + key.len() + values + hits
}

fn group_key(group: &[(String, String)]) -> String {
    let mut key = String::new();
    for (_, v) in group {
        key.push_str(v);
        // Unit separator: cannot be confused with text inside a value.
        key.push('\u{1f}');
    }
    key
}

fn push_capped(hits: &mut VecDeque<Hit>, hit: Hit, max: usize) {
    if hits.len() >= max.max(1) {
        hits.pop_front();
    }
    hits.push_back(hit);
}

/// Window-end conditions: a hit after the window closes judges the old window first.
fn roll_window(
    index: usize,
    rule: &CorrelationRule,
    g: &mut Group,
    now: i64,
    max_evidence: usize,
) -> Option<Firing> {
    let mut fired = None;
    if !g.hits.is_empty() && now > g.window_start.saturating_add(rule.timespan_ms) {
        fired = judge(index, rule, g, max_evidence);
        g.hits.clear();
    }
    if g.hits.is_empty() {
        g.window_start = now;
    }
    fired
}

/// Drops groups whose window has passed, judging those that wait for a window end.
fn expire(
    groups: &mut HashMap<String, Group>,
    index: usize,
    rule: &CorrelationRule,
    now: i64,
    max_evidence: usize,
    out: &mut Vec<Firing>,
) {
    let at_end = rule.condition.judged_at_window_end();
    groups.retain(|_, g| {
        if at_end {
            if now <= g.window_start.saturating_add(rule.timespan_ms) {
                return true;
            }
            out.extend(judge(index, rule, g, max_evidence));
            return false;
        }
        g.last >= now.saturating_sub(rule.timespan_ms)
    });
}

// FIXME: when expiry frees no slot, the stalest group is dropped unjudged, so a
// window-end (`lt`/`lte`) correlation can miss a firing while the group cap is full.
fn make_room(
    groups: &mut HashMap<String, Group>,
    index: usize,
    rule: &CorrelationRule,
    now: i64,
    limits: Limits,
    out: &mut Vec<Firing>,
) {
    let max = limits.max_groups.max(1);
    if groups.len() < max {
        return;
    }
    expire(groups, index, rule, now, limits.max_evidence, out);
    if groups.len() >= max {
        let stalest = groups
            .iter()
            .min_by_key(|(_, g)| g.last)
            .map(|(k, _)| k.clone());
        if let Some(k) = stalest {
            groups.remove(&k);
        }
    }
}

fn judge(index: usize, rule: &CorrelationRule, g: &Group, max_evidence: usize) -> Option<Firing> {
    let count = measure(rule, g);
    if count == 0 || !rule.condition.holds(count) {
        return None;
    }
    let event_ids = g
        .hits
        .iter()
        .flat_map(|h| h.event_ids.iter().cloned())
        .take(max_evidence)
        .collect();
    Some(Firing {
        correlation: index,
        group: g.values.clone(),
        first: g.hits.front().map_or(g.window_start, |h| h.time),
        last: g.hits.back().map_or(g.last, |h| h.time),
        count,
        event_ids,
    })
}

fn measure(rule: &CorrelationRule, g: &Group) -> usize {
    match rule.kind {
        CorrelationType::EventCount => g.hits.len(),
        CorrelationType::ValueCount => g
            .hits
            .iter()
            .filter_map(|h| h.value.as_deref())
            .collect::<HashSet<_>>()
            .len(),
        CorrelationType::Temporal => g
            .hits
            .iter()
            .map(|h| h.source_pos)
            .collect::<HashSet<_>>()
            .len(),
        CorrelationType::TemporalOrdered => ordered_length(rule.rules.len(), &g.hits),
    }
}

/// How many referenced rules occurred in order ending with the latest hit: walking back
/// from the last rule, each earlier rule must have a hit no later than the one after it.
/// Choosing the latest such hit at every step keeps the sequence as short as possible.
fn ordered_length(rules: usize, hits: &VecDeque<Hit>) -> usize {
    let Some(last) = hits.back() else { return 0 };
    if last.source_pos + 1 != rules {
        return 0;
    }
    let mut bound = last.time;
    let mut end = hits.len() - 1;
    for pos in (0..last.source_pos).rev() {
        let found = hits
            .iter()
            .take(end)
            .enumerate()
            .rev()
            .find(|(_, h)| h.source_pos == pos && h.time <= bound);
        match found {
            Some((i, h)) => {
                bound = h.time;
                end = i;
            }
            None => return 0,
        }
    }
    rules
}
