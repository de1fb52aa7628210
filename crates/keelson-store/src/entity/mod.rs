//! Table definitions, one module per table, in sea-orm's entity form.

pub mod alert;
pub mod alert_event;
pub mod api_token;
pub mod audit_entry;
pub mod case;
pub mod case_advisory;
pub mod case_build;
pub mod case_comment;
pub mod case_task;
pub mod case_vulnerability;
pub mod detection_rule;
pub mod disclosure;
pub mod ecu;
pub mod event;
pub mod feed_file;
pub mod installation;
pub mod log_upload;
pub mod quarantined;
pub mod sbom_document;
pub mod security_finding;
pub mod session;
pub mod software_build;
pub mod user;
pub mod vehicle;
pub mod vehicle_model;
pub mod vex_statement;
