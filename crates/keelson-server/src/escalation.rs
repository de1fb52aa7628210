//! Escalating an incident to the PSIRT, without HTTP: the one function the
//! escalate route and a playbook's `escalate` step both call. It opens a
//! case (intake `vsoc_escalation`, source `incident:ID`) through the same
//! `open_case` as any intake, with the incident's severity and marking, its
//! builds (those in the inventory the reader may see) as under
//! investigation and the provisional CVSS vector, and records the hand-over
//! summary. An incident is escalated once; again is refused naming the case.

use axum::http::StatusCode;
use keelson_core::{BuildStatus, IntakeKind, Principal, SlaPolicy, VulnerabilityId};
use keelson_store::Store;
use keelson_store::cases::{BuildAssessment, Case, Intake, NewCase, Opened};
use keelson_store::incidents::IncidentRecord;
use keelson_store::incidents::response::Escalation;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::ApiError;

/// What the analyst adds to the hand-over.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalationInput {
    /// The case title; default "Escalated: " and the incident's title.
    #[serde(default)]
    pub title: Option<String>,
    /// A provisional CVSS vector (v2, v3.x or v4.0), scored and stored on
    /// the case in canonical form.
    #[serde(default)]
    pub cvss_vector: Option<String>,
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub vulnerability_ids: Vec<VulnerabilityId>,
    /// How the affected vehicles were being used (fleet, rental, private).
    #[serde(default)]
    pub usage_pattern: Option<String>,
    /// What drivers notice, if anything.
    #[serde(default)]
    pub driver_visible_impact: Option<String>,
    /// Free text for the PSIRT.
    #[serde(default)]
    pub notes: Option<String>,
}

/// The case opened (or fed) and the escalation recorded.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EscalationAnswer {
    pub case: Case,
    pub escalation: Escalation,
}

/// Escalates an incident the reader may see (the caller checked that).
pub async fn escalate_incident(
    store: &Store,
    sla: &SlaPolicy,
    actor: &str,
    reader: &Principal,
    incident: &IncidentRecord,
    input: &EscalationInput,
) -> Result<EscalationAnswer, ApiError> {
    let id = &incident.id;
    if let Some(earlier) = store.escalation_of_incident(id).await? {
        return Err(already_escalated(id, &earlier.case_id));
    }
    let cvss = input
        .cvss_vector
        .as_deref()
        .map(|vector| keelson_cvss::assess(vector.trim()))
        .transpose()
        .map_err(|error| ApiError::invalid(format!("cvss_vector: {error}")))?;

    let summary = hand_over(store, reader, incident, input, cvss.as_ref()).await?;
    let builds = inventory_builds(store, reader, &summary).await?;
    let new = NewCase {
        title: input
            .title
            .clone()
            .unwrap_or_else(|| format!("Escalated: {}", incident.title)),
        intake: Intake {
            kind: IntakeKind::VsocEscalation,
            source: Some(format!("incident:{id}")),
        },
        vulnerability_ids: input.vulnerability_ids.clone(),
        severity: incident.severity,
        owner: None,
        team: None,
        marking: incident.marking.clone(),
        builds,
    };
    let opened = store.open_case(actor, reader, &new, sla).await?;
    let mut case = match opened {
        Opened::Created(case) | Opened::Merged(case) => case,
    };
    if let Some(cvss) = &cvss {
        let changes = keelson_store::cases::workflow::CaseChanges {
            cvss_vector: Some(Some(cvss.vector.clone())),
            ..Default::default()
        };
        case = store.update_case(actor, &case.id, &changes, sla).await?;
    }
    let escalation = store
        .record_escalation(actor, id, &case.id, &summary)
        .await?;
    Ok(EscalationAnswer { case, escalation })
}

fn already_escalated(incident: &str, case: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "conflict",
        format!("incident {incident} was already escalated to case {case}"),
    )
}

/// The summary handed to the PSIRT: scope, log references (the events each
/// alert cites), provisional CVSS, TLP, containment and operational
/// context.
async fn hand_over(
    store: &Store,
    reader: &Principal,
    incident: &IncidentRecord,
    input: &EscalationInput,
    cvss: Option<&keelson_cvss::Assessment>,
) -> Result<Value, ApiError> {
    let scope = store.incident_scope(&incident.id).await?;
    let mut alerts = Vec::new();
    for alert_id in store.incident_alert_ids(&incident.id).await? {
        alerts.extend(store.alert(&alert_id).await?);
    }
    let log_references: Vec<Value> = alerts
        .into_iter()
        .filter(|alert| reader.may_read(&alert.marking))
        .map(|alert| {
            json!({"alert_id": alert.id, "vehicle_id": alert.vehicle_id,
                   "first_seen": alert.first_seen, "last_seen": alert.last_seen,
                   "events": alert.evidence})
        })
        .collect();
    let containment = store.incident_containments(&incident.id).await?;
    Ok(json!({
        "incident_id": incident.id,
        "title": incident.title,
        "sigma_rule": incident.sigma_rule,
        "severity": incident.severity,
        "tlp": incident.marking.tlp,
        "first_event": incident.first_event,
        "detected": incident.detected,
        "vehicles_affected": scope.vehicles_affected,
        "build_ids": scope.build_ids,
        "log_references": log_references,
        "provisional_cvss": cvss.map(|c| json!({"vector": c.vector, "score": c.score})),
        "containment": containment,
        "operational_context": {
            "regions": scope.regions,
            "usage_pattern": input.usage_pattern,
            "driver_visible_impact": input.driver_visible_impact,
        },
        "notes": input.notes,
    }))
}

/// The summary's builds that the inventory holds and the reader may read,
/// as under investigation; the others stay in the summary only.
async fn inventory_builds(
    store: &Store,
    reader: &Principal,
    summary: &Value,
) -> Result<Vec<BuildAssessment>, ApiError> {
    let mut builds = Vec::new();
    let named = summary["build_ids"].as_array().into_iter().flatten();
    for build_id in named.filter_map(Value::as_str) {
        let record = store.build(build_id).await?;
        if record.is_some_and(|record| reader.may_read(&record.marking)) {
            builds.push(BuildAssessment {
                build_id: build_id.to_owned(),
                status: BuildStatus::UnderInvestigation,
            });
        }
    }
    Ok(builds)
}
