//! The UN R155 monitoring report of a period: what a vehicle manufacturer
//! tells its approval authority about the monitoring, detection and
//! response its cyber security management system ran (R155 paragraph
//! 7.2.2.2 (g) asks for those processes, 7.3.7 for detection, monitoring
//! support and forensic capability per vehicle type, and 7.4 for reporting
//! their outcome, including new attacks, at least once a year).
//!
//! The report holds the fleet monitored (vehicles per model and region),
//! the alerts detected per Automotive Threat Matrix technique and severity,
//! the incidents with their outcomes and response times, the containment
//! actions recorded, the escalations to the PSIRT, the cases and advisories
//! of the period and the vulnerabilities handled. Annex 5 of R155 lists the
//! threats by area (back-end, communication channels, updates, human
//! action, external connectivity, data, vulnerabilities); the ATM technique
//! is the finer name the detection rules carry for them.
//!
//! Only records the reader may see are counted. An escalation is counted
//! when the reader may see both its incident and its case; a containment
//! action or an advisory when the reader may see its incident or case. The
//! report's TLP is the strictest marking of every record it counts.

use std::collections::{BTreeMap, BTreeSet};

use keelson_core::{Marked, Principal, Severity, Tlp};
use keelson_store::Store;
use keelson_store::cases::Case;
use keelson_store::incidents::IncidentRecord;
use keelson_store::reports::{CaseFacts, RaisedAlerts, Range};
use serde::Serialize;
use time::OffsetDateTime;

use super::ReportError;
use super::metrics::{Observed, PeriodMetrics, count_by, strictest};
use super::period::{Period, rfc3339};
use crate::clearance::visible_to;

/// The label for alerts whose rule names no ATM technique.
pub const NO_TECHNIQUE: &str = "(no technique)";

/// The monitoring report of one period.
#[derive(Debug, Clone, Serialize)]
pub struct R155Report {
    pub from: String,
    pub to: String,
    pub generated_at: String,
    /// Whose clearance the counts follow.
    pub reader: String,
    /// The strictest marking among the records counted.
    pub tlp: Tlp,
    pub fleet: Fleet,
    /// Per ATM technique (or [`NO_TECHNIQUE`]), alerts per severity.
    pub alerts_by_technique: BTreeMap<String, BTreeMap<Severity, u64>>,
    /// Incidents, response times and containment effectiveness.
    pub metrics: PeriodMetrics,
    /// Incidents per severity.
    pub incidents_by_severity: BTreeMap<String, u64>,
    pub containment_actions: Vec<ContainmentLine>,
    pub escalations: Vec<EscalationLine>,
    pub psirt: Psirt,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Fleet {
    pub vehicles: u64,
    pub vehicles_reporting: u64,
    /// Vehicles per model ID (`(no model)` when the inventory names none).
    pub by_model: BTreeMap<String, u64>,
    /// Vehicles per region (`(no region)` when none is recorded).
    pub by_region: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ContainmentLine {
    pub incident_id: String,
    pub action: String,
    pub scope: String,
    pub recorded_at: String,
    pub expires_at: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EscalationLine {
    pub incident_id: String,
    pub case_id: String,
    pub escalated_at: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Psirt {
    /// Cases received in the period.
    pub cases_opened: u64,
    pub cases_opened_by_intake: BTreeMap<String, u64>,
    /// Cases that reached a final state in the period, per state.
    pub cases_finished_by_state: BTreeMap<String, u64>,
    /// Cases open at any time in the period.
    pub cases_active: u64,
    pub advisories: Vec<AdvisoryLine>,
    /// Distinct vulnerabilities tracked by the active cases.
    pub vulnerabilities_handled: u64,
    /// Of those, the ones whose case finished in the period.
    pub vulnerabilities_finished: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct AdvisoryLine {
    pub case_id: String,
    pub tracking_id: String,
    pub revision: i64,
    pub published_at: String,
}

/// The reader's monitoring report of `period`.
pub async fn r155_report(
    store: &Store,
    reader: &Principal,
    period: &Period,
) -> Result<R155Report, ReportError> {
    let range = period.range();
    let observed = Observed::load(store, reader, period).await?;
    let reporting = Observed::reporting(store, reader, range).await?;
    let metrics = observed.metrics(period, &reporting);
    let mut records = Lookups::new(store, reader);
    let mut tlp = observed.tlp;

    let (containment_actions, containment_tlp) = containments(store, &mut records, range).await?;
    let (escalations, escalation_tlp) = escalations(store, &mut records, range).await?;
    let (psirt, psirt_tlp) = psirt(store, &mut records, reader, range).await?;
    tlp = tlp.max(containment_tlp).max(escalation_tlp).max(psirt_tlp);

    Ok(R155Report {
        from: rfc3339(period.start),
        to: rfc3339(period.end),
        generated_at: rfc3339(now_utc()),
        reader: reader.user.clone(),
        tlp,
        fleet: fleet(&observed, metrics.vehicles_reporting),
        alerts_by_technique: alerts_by_technique(&observed.alerts),
        incidents_by_severity: count_by(&observed.incidents, |i| i.severity.to_string()),
        metrics,
        containment_actions,
        escalations,
        psirt,
    })
}

fn now_utc() -> OffsetDateTime {
    OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn fleet(observed: &Observed, vehicles_reporting: u64) -> Fleet {
    let mut fleet = Fleet {
        vehicles_reporting,
        ..Fleet::default()
    };
    for group in &observed.vehicles {
        let model = group.model_id.as_deref().unwrap_or("(no model)");
        let region = group.region.as_deref().unwrap_or("(no region)");
        fleet.vehicles += group.vehicles;
        *fleet.by_model.entry(model.to_owned()).or_default() += group.vehicles;
        *fleet.by_region.entry(region.to_owned()).or_default() += group.vehicles;
    }
    fleet
}

/// Alerts of rules not in `test` status, per technique and severity; an
/// alert with several techniques counts under each.
fn alerts_by_technique(alerts: &[RaisedAlerts]) -> BTreeMap<String, BTreeMap<Severity, u64>> {
    let mut table: BTreeMap<String, BTreeMap<Severity, u64>> = BTreeMap::new();
    for group in alerts.iter().filter(|group| !group.test) {
        let techniques: BTreeSet<&str> = group.atm_tags.iter().map(String::as_str).collect();
        let names = if techniques.is_empty() {
            vec![NO_TECHNIQUE]
        } else {
            techniques.into_iter().collect()
        };
        for name in names {
            let row = table.entry(name.to_owned()).or_default();
            *row.entry(group.severity).or_default() += group.alerts;
        }
    }
    table
}

/// Incidents and cases read once each, as the reader may see them.
struct Lookups<'a> {
    store: &'a Store,
    reader: &'a Principal,
    incidents: BTreeMap<String, Option<IncidentRecord>>,
    cases: BTreeMap<String, Option<Case>>,
}

impl<'a> Lookups<'a> {
    fn new(store: &'a Store, reader: &'a Principal) -> Self {
        Self {
            store,
            reader,
            incidents: BTreeMap::new(),
            cases: BTreeMap::new(),
        }
    }

    /// The incident's TLP when the reader may see it.
    async fn incident(&mut self, id: &str) -> Result<Option<Tlp>, ReportError> {
        if !self.incidents.contains_key(id) {
            let record = self.store.incident(id).await?;
            let record = record.filter(|r| self.reader.may_read(r.marking()));
            self.incidents.insert(id.to_owned(), record);
        }
        Ok(self.incidents[id].as_ref().map(|r| r.marking.tlp))
    }

    /// The case's TLP when the reader may see it.
    async fn case(&mut self, id: &str) -> Result<Option<Tlp>, ReportError> {
        if !self.cases.contains_key(id) {
            let record = self.store.case(id).await?;
            let record = record.filter(|r| self.reader.may_read(r.marking()));
            self.cases.insert(id.to_owned(), record);
        }
        Ok(self.cases[id].as_ref().map(|r| r.marking.tlp))
    }
}

async fn containments(
    store: &Store,
    records: &mut Lookups<'_>,
    range: Range,
) -> Result<(Vec<ContainmentLine>, Tlp), ReportError> {
    let mut lines = Vec::new();
    let mut tlp = Tlp::Clear;
    for action in store.containments_recorded_in(range).await? {
        let Some(marking) = records.incident(&action.incident_id).await? else {
            continue;
        };
        tlp = tlp.max(marking);
        lines.push(ContainmentLine {
            incident_id: action.incident_id,
            action: action.action,
            scope: action.scope,
            recorded_at: action.recorded_at,
            expires_at: action.expires_at,
        });
    }
    Ok((lines, tlp))
}

async fn escalations(
    store: &Store,
    records: &mut Lookups<'_>,
    range: Range,
) -> Result<(Vec<EscalationLine>, Tlp), ReportError> {
    let mut lines = Vec::new();
    let mut tlp = Tlp::Clear;
    for escalation in store.escalations_made_in(range).await? {
        let incident = records.incident(&escalation.incident_id).await?;
        let case = records.case(&escalation.case_id).await?;
        let (Some(incident), Some(case)) = (incident, case) else {
            continue;
        };
        tlp = tlp.max(incident).max(case);
        lines.push(EscalationLine {
            incident_id: escalation.incident_id,
            case_id: escalation.case_id,
            escalated_at: escalation.escalated_at,
        });
    }
    Ok((lines, tlp))
}

async fn psirt(
    store: &Store,
    records: &mut Lookups<'_>,
    reader: &Principal,
    range: Range,
) -> Result<(Psirt, Tlp), ReportError> {
    let active: Vec<CaseFacts> = visible_to(reader, store.cases_active_in(range).await?);
    let opened: Vec<&CaseFacts> = active
        .iter()
        .filter(|c| range.contains(c.received_us))
        .collect();
    let finished: Vec<&CaseFacts> = active
        .iter()
        .filter(|c| c.finished_us.is_some_and(|at| range.contains(at)))
        .collect();
    let mut tlp = strictest(&active);
    let mut advisories = Vec::new();
    for advisory in store.advisories_published_in(range).await? {
        let Some(marking) = records.case(&advisory.case_id).await? else {
            continue;
        };
        tlp = tlp.max(marking);
        advisories.push(AdvisoryLine {
            published_at: keelson_store::format_us(advisory.published_us),
            case_id: advisory.case_id,
            tracking_id: advisory.tracking_id,
            revision: advisory.revision,
        });
    }

    let psirt = Psirt {
        cases_opened: opened.len() as u64,
        cases_opened_by_intake: count_by(&opened, |c| c.case.intake.kind.to_string()),
        cases_finished_by_state: count_by(&finished, |c| c.case.state.to_string()),
        cases_active: active.len() as u64,
        advisories,
        vulnerabilities_handled: distinct_vulnerabilities(active.iter()),
        vulnerabilities_finished: distinct_vulnerabilities(finished.iter().copied()),
    };
    Ok((psirt, tlp))
}

/// How many distinct vulnerabilities these cases track.
fn distinct_vulnerabilities<'a>(cases: impl Iterator<Item = &'a CaseFacts>) -> u64 {
    cases
        .flat_map(|c| {
            c.case
                .vulnerability_ids
                .iter()
                .map(|v| v.as_str().to_owned())
        })
        .collect::<BTreeSet<String>>()
        .len() as u64
}
