//! Log sources: the vehicle taxonomy (`product: vehicle` with a category per Keelson
//! event `source`) and how a rule's logsource decides which events it may see.

use super::yaml::Node;
use crate::event::{EventFields, FieldValue};

/// The categories of `product: vehicle`, one per Keelson event `source`.
pub const VEHICLE_CATEGORIES: [&str; 7] =
    ["can", "ids", "uds", "telematics", "backend", "ota", "log"];

/// The product name of Keelson's own taxonomy.
pub const VEHICLE_PRODUCT: &str = "vehicle";

/// A rule's `logsource` section (lowercased).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogSource {
    /// `product`.
    pub product: Option<String>,
    /// `category`.
    pub category: Option<String>,
    /// `service`.
    pub service: Option<String>,
}

/// Which events a rule can apply to, derived from its logsource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// No logsource constraint.
    Any,
    /// Keelson vehicle events, optionally of one category (index into `VEHICLE_CATEGORIES`).
    Vehicle(Option<usize>),
    /// Another product (windows, linux, zeek...): only events outside the vehicle
    /// taxonomy, plus `log` events (Linux-based ECUs write ordinary system logs).
    Foreign,
}

impl LogSource {
    /// Reads the `logsource` node.
    pub fn from_node(node: Option<&Node>) -> Self {
        let get = |k: &str| {
            node.and_then(|n| n.get(k))
                .and_then(Node::scalar_text)
                .map(|s| s.to_lowercase())
        };
        Self {
            product: get("product"),
            category: get("category"),
            service: get("service"),
        }
    }

    /// The scope, or the reason the logsource cannot be served.
    pub fn scope(&self) -> Result<Scope, String> {
        match (&self.product, &self.category, &self.service) {
            (None, None, None) => Ok(Scope::Any),
            (Some(p), cat, _) if p == VEHICLE_PRODUCT => match cat {
                None => Ok(Scope::Vehicle(None)),
                Some(c) => category_index(c)
                    .map(|i| Scope::Vehicle(Some(i)))
                    .ok_or_else(|| {
                        format!(
                            "category '{c}' is not in the vehicle taxonomy ({})",
                            VEHICLE_CATEGORIES.join(", ")
                        )
                    }),
            },
            _ => Ok(Scope::Foreign),
        }
    }
}

fn category_index(name: &str) -> Option<usize> {
    VEHICLE_CATEGORIES.iter().position(|c| *c == name)
}

/// The event side of the prefilter: the vehicle category of the event, if any.
pub fn event_category<E: EventFields + ?Sized>(event: &E) -> Option<usize> {
    match event.field("source") {
        Some(FieldValue::Str(s)) => VEHICLE_CATEGORIES
            .iter()
            .position(|c| c.eq_ignore_ascii_case(s.as_ref())),
        _ => None,
    }
}

/// Number of event classes the prefilter distinguishes: each category plus "foreign".
pub const EVENT_CLASSES: usize = VEHICLE_CATEGORIES.len() + 1;

/// The event class index used by the prefilter buckets.
pub fn event_class(category: Option<usize>) -> usize {
    category.unwrap_or(VEHICLE_CATEGORIES.len())
}

/// Whether a rule of `scope` may see an event of class `class`.
pub fn scope_admits(scope: Scope, class: usize) -> bool {
    let foreign = VEHICLE_CATEGORIES.len();
    let log = VEHICLE_CATEGORIES.len() - 1;
    match scope {
        Scope::Any => true,
        Scope::Vehicle(None) => class != foreign,
        Scope::Vehicle(Some(c)) => class == c,
        Scope::Foreign => class == foreign || class == log,
    }
}
