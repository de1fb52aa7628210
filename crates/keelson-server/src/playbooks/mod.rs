//! Incident playbooks: the file format and its checks (`definition`), the
//! step conditions (`condition`), and the runner that starts a bound
//! playbook when an incident forms or gains an alert and carries out its
//! automated steps (`runner`). The store keeps playbooks and runs; this
//! module decides what they mean.

pub mod condition;
pub mod definition;
pub mod runner;

pub use definition::{Action, Binding, Playbook, Problem, Step, parse};
pub use runner::{PlaybookRunner, RunError, SYSTEM_ACTOR};

use keelson_store::playbooks::NewPlaybook;

/// What the store keeps of a checked playbook: its source as written and
/// its bindings as JSON.
pub fn to_new_playbook(playbook: &Playbook, source: &str) -> NewPlaybook {
    NewPlaybook {
        id: playbook.id.clone(),
        title: playbook.title.clone(),
        version: playbook.version,
        source: source.to_owned(),
        bindings: serde_json::to_value(&playbook.bindings).unwrap_or_default(),
    }
}
