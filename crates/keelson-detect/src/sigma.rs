//! The Sigma engine: rule loading, detection matching, correlation rules.

pub mod condition;
pub mod correlation;
pub mod detection;
mod index;
mod linking;
pub mod logsource;
pub mod matcher;
pub mod modifier;
pub mod pattern;
pub mod rule;
pub mod ruleset;
pub mod window;
pub mod yaml;

pub use correlation::{CorrelationRule, CorrelationType, CountCondition, RuleRef};
pub use rule::{RuleMeta, RuleReport, RuleStatus};
pub use ruleset::{DetectionRule, RuleSet, load_rules};
