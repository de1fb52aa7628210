//! A case's CSAF 2.0 security advisory, without HTTP: the document written from the
//! case (its builds as the product tree, its vulnerability IDs with the case's CVSS
//! score, the build statuses as product statuses, remediations from the fixed builds
//! of the same ECU, the case's TLP) and its revision history, previewed or
//! published.
//!
//! [`publish_case_advisory`] is the one function that publishes: the API and the
//! CLI call it, it creates or updates the detection rules of the case's threat
//! indicators with the revision (see `monitoring`), and it announces each new
//! revision to the webhook subscribers of `advisory.published`.
//!
//! The CWE of each vulnerability comes from the knowledge base the caller
//! holds ([`Weaknesses`]): the server's findings cache, or one built for a
//! command, so that showing a draft does not read every stored feed again.

use std::collections::{BTreeMap, HashMap};

use keelson_core::{BuildStatus, Principal, Tlp};
use keelson_store::cases::Case;
use keelson_store::cases::advisory::{AdvisoryRevision, NewRevision};
use keelson_store::cases::work::CaseBuild;
use keelson_store::fleet::SoftwareBuild;
use keelson_store::rules::{MonitoringLevel, NewRule, RuleStatus};
use keelson_store::{Store, StoreError, format_us, now_us};
use keelson_vulndb::KnowledgeBase;
use serde_json::{Value, json};

use crate::detection::Detector;
use crate::monitoring::{self, generate};
use crate::vex::Publisher;
use crate::webhooks::{Notification, Notifier};

/// The tracking ID of a case's advisory.
pub fn tracking_id(case: &Case) -> String {
    format!("KEELSON-CASE-{}", case.id)
}

/// The CSAF `cwe` of each of a case's vulnerabilities that has one: the first
/// CWE the knowledge base gives it that MITRE's catalogue knows, with the
/// catalogue's name (CSAF 2.0 takes one).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Weaknesses(HashMap<String, Value>);

impl Weaknesses {
    pub fn of(knowledge: &KnowledgeBase, case: &Case) -> Self {
        let found = case.vulnerability_ids.iter().filter_map(|id| {
            let cwe = weakness_of(knowledge, id.as_str())?;
            Some((id.as_str().to_owned(), cwe))
        });
        Weaknesses(found.collect())
    }

    fn get(&self, id: &str) -> Option<&Value> {
        self.0.get(id)
    }
}

/// The advisory as it would be published next: tracking status `draft`, the next
/// revision dated now. Builds the reader may not see are left out.
pub async fn preview_case_advisory(
    store: &Store,
    reader: &Principal,
    publisher: &Publisher,
    case: &Case,
    weaknesses: &Weaknesses,
) -> Result<Value, StoreError> {
    let published = store.case_advisories(&case.id).await?;
    let builds = readable_builds(store, reader, case).await?;
    let next = Next {
        summary: "Draft of the next revision.",
        at_us: now_us(),
        status: "draft",
    };
    write(publisher, case, weaknesses, &builds, &published, &next)
}

/// Publishes a new revision of the case's advisory (revision history grows by
/// one), as `actor` with `reader`'s view of the builds, and tells the webhook
/// subscribers (the deliveries run in the background of `notifier`).
///
/// In the same store transaction, the case's threat indicators become (or
/// update) detection rules scoped to exactly the revision's affected builds,
/// marked as the case and in status `heightened`; then the case's standing
/// (milestones, controls, coverage) sets their level and `detector` reloads.
#[allow(clippy::too_many_arguments)]
pub async fn publish_case_advisory(
    store: &Store,
    notifier: &Notifier,
    detector: &Detector,
    actor: &str,
    reader: &Principal,
    publisher: &Publisher,
    case: &Case,
    weaknesses: &Weaknesses,
    summary: &str,
) -> Result<AdvisoryRevision, StoreError> {
    let published = store.case_advisories(&case.id).await?;
    let builds = readable_builds(store, reader, case).await?;
    let next = Next {
        summary,
        at_us: now_us(),
        status: "final",
    };
    let document = write(publisher, case, weaknesses, &builds, &published, &next)?;
    let affected = affected_builds(&builds);
    let rules = generated_rules(store, publisher, case, &affected).await?;
    let revision = NewRevision {
        revision: published.len() as i64 + 1,
        tracking_id: tracking_id(case),
        summary: summary.to_owned(),
        document,
        published_at_us: next.at_us,
        rules,
    };
    let revision = store
        .publish_case_advisory(actor, &case.id, revision)
        .await?;
    let trigger = format!("advisory revision {}", revision.revision);
    if let Err(error) = follow_up(store, detector, actor, case, &affected, &trigger).await {
        tracing::error!(case_id = %case.id, %error, "rules of a published advisory not levelled");
    }
    let published = Notification::AdvisoryPublished {
        case_id: case.id.clone(),
        advisory_id: revision.tracking_id.clone(),
        revision: revision.revision,
        title: case.title.clone(),
        marking: case.marking.clone(),
    };
    notifier.notify(published).await;
    Ok(revision)
}

/// The build IDs the advisory lists as known affected, in its order.
fn affected_builds(builds: &[(SoftwareBuild, CaseBuild)]) -> Vec<String> {
    builds
        .iter()
        .filter(|(_, status)| status.status == BuildStatus::Affected)
        .map(|(build, _)| build.id.clone())
        .collect()
}

/// One rule per indicator of the case, scoped to `affected`; none when the
/// advisory lists no affected build (a rule without builds would watch the
/// whole fleet).
async fn generated_rules(
    store: &Store,
    publisher: &Publisher,
    case: &Case,
    affected: &[String],
) -> Result<Vec<NewRule>, StoreError> {
    if affected.is_empty() {
        return Ok(Vec::new());
    }
    let context = generate::Context {
        case,
        builds: affected,
        author: &publisher.name,
    };
    let mut rules = Vec::new();
    for indicator in store.case_indicators(&case.id).await? {
        let rule = generate::rule_for(context, &indicator).map_err(|error| {
            StoreError::Refused(format!(
                "indicator {} does not make a loadable rule: {error}",
                indicator.id
            ))
        })?;
        rules.push(rule);
    }
    Ok(rules)
}

/// After publication: a revision without affected builds retires the case's
/// rules (nothing is left for them to watch); otherwise the case's standing
/// levels them.
async fn follow_up(
    store: &Store,
    detector: &Detector,
    actor: &str,
    case: &Case,
    affected: &[String],
    trigger: &str,
) -> Result<(), StoreError> {
    if affected.is_empty() {
        let retired = MonitoringLevel {
            status: RuleStatus::Retired,
            valid_until: None,
        };
        let reason = format!("{trigger}: retired: the advisory lists no affected build");
        for rule in store.case_rules(&case.id).await? {
            let level = MonitoringLevel {
                valid_until: rule.valid_until.clone(),
                ..retired.clone()
            };
            store
                .set_rule_monitoring(actor, &rule.id, &level, &reason)
                .await?;
        }
        detector.reload(store).await?;
        return Ok(());
    }
    monitoring::sync_case(store, detector, actor, &case.id, trigger).await?;
    detector.reload(store).await?;
    Ok(())
}

/// The revision being written.
struct Next<'a> {
    summary: &'a str,
    at_us: i64,
    status: &'a str,
}

/// The case's builds with their statuses, those whose record the reader may see.
async fn readable_builds(
    store: &Store,
    reader: &Principal,
    case: &Case,
) -> Result<Vec<(SoftwareBuild, CaseBuild)>, StoreError> {
    let mut builds = Vec::new();
    for status in store.case_builds(&case.id).await? {
        let build = store.build(&status.build_id).await?;
        if let Some(build) = build.filter(|b| reader.may_read(&b.marking)) {
            builds.push((build, status));
        }
    }
    Ok(builds)
}

fn write(
    publisher: &Publisher,
    case: &Case,
    weaknesses: &Weaknesses,
    builds: &[(SoftwareBuild, CaseBuild)],
    published: &[AdvisoryRevision],
    next: &Next<'_>,
) -> Result<Value, StoreError> {
    if builds.is_empty() || case.vulnerability_ids.is_empty() {
        let why = "an advisory needs at least one build and one vulnerability ID on the case";
        return Err(StoreError::Refused(why.to_owned()));
    }
    let products = Products::of(builds);
    let vulnerabilities: Vec<Value> = case
        .vulnerability_ids
        .iter()
        .map(|id| {
            let mut entry = vulnerability(id.as_str(), case, &products);
            if let Some(cwe) = weaknesses.get(id.as_str()) {
                entry["cwe"] = cwe.clone();
            }
            entry
        })
        .collect();
    Ok(json!({
        "document": document(publisher, case, published, next),
        "product_tree": products.tree(&publisher.namespace),
        "vulnerabilities": vulnerabilities,
    }))
}

/// The CSAF `cwe` of one vulnerability (see [`Weaknesses`]); none when the
/// knowledge base has no CWE that the catalogue knows.
fn weakness_of(knowledge: &keelson_vulndb::KnowledgeBase, id: &str) -> Option<Value> {
    let advisory = knowledge.get(id)?;
    advisory
        .cwes
        .iter()
        .find_map(|cwe| keelson_exchange::cwe::weakness(cwe))
        .map(|weakness| json!({ "id": weakness.id, "name": weakness.name }))
}

/// CSAF 2.0 speaks TLP 1.0: CLEAR is WHITE, AMBER+STRICT becomes RED so a reader
/// who knows only the label never shares more.
fn tlp_label(tlp: Tlp) -> &'static str {
    match tlp {
        Tlp::Clear => "WHITE",
        Tlp::Green => "GREEN",
        Tlp::Amber => "AMBER",
        Tlp::AmberStrict | Tlp::Red => "RED",
    }
}

fn document(
    publisher: &Publisher,
    case: &Case,
    published: &[AdvisoryRevision],
    next: &Next<'_>,
) -> Value {
    let mut history: Vec<Value> = published
        .iter()
        .map(|r| {
            json!({ "number": r.revision.to_string(), "date": r.published_at,
                         "summary": r.summary })
        })
        .collect();
    let now = format_us(next.at_us);
    let number = published.len() + 1;
    history.push(json!({ "number": number.to_string(), "date": now, "summary": next.summary }));
    let initial = published
        .first()
        .map_or(now.clone(), |r| r.published_at.clone());
    json!({
        "category": "csaf_security_advisory",
        "csaf_version": "2.0",
        "lang": "en",
        "title": case.title,
        "publisher": { "category": "vendor", "name": publisher.name,
                       "namespace": publisher.namespace },
        "distribution": {
            "text": format!("TLP:{} (TLP 2.0) as marked in Keelson.", case.marking.tlp.as_str()),
            "tlp": { "label": tlp_label(case.marking.tlp), "url": "https://www.first.org/tlp/" },
        },
        "notes": [{ "category": "summary", "title": "Summary", "text": case.title }],
        "tracking": {
            "id": tracking_id(case),
            "status": next.status,
            "version": number.to_string(),
            "initial_release_date": initial,
            "current_release_date": now,
            "revision_history": history,
            "generator": { "engine": { "name": "Keelson",
                                       "version": env!("CARGO_PKG_VERSION") } },
        },
    })
}

/// The case's builds as CSAF products, each with its status.
struct Products<'a> {
    builds: Vec<(&'a SoftwareBuild, &'a CaseBuild, String)>,
}

impl<'a> Products<'a> {
    fn of(builds: &'a [(SoftwareBuild, CaseBuild)]) -> Self {
        let builds = builds
            .iter()
            .enumerate()
            .map(|(n, (build, status))| (build, status, format!("CSAFPID-{:04}", n + 1)))
            .collect();
        Self { builds }
    }

    fn tree(&self, namespace: &str) -> Value {
        let names: Vec<Value> = self
            .builds
            .iter()
            .map(|(build, _, id)| {
                let uri = json!({ "namespace": namespace,
                                  "uri": format!("urn:keelson:build:{}", build.id) });
                json!({
                    "name": format!("{} firmware {} (build {})", build.ecu,
                                    build.firmware_version, build.id),
                    "product_id": id,
                    "product_identification_helper": { "x_generic_uris": [uri] },
                })
            })
            .collect();
        json!({ "full_product_names": names })
    }

    fn with_status(&self, status: BuildStatus) -> Vec<&str> {
        self.builds
            .iter()
            .filter(|(_, s, _)| s.status == status)
            .map(|(_, _, id)| id.as_str())
            .collect()
    }

    /// For each ECU with an affected build: the fixed builds of the same ECU as a
    /// vendor fix, else no fix available yet.
    fn remediations(&self) -> Vec<Value> {
        let mut per_ecu: BTreeMap<&str, (Vec<&str>, Vec<&str>)> = BTreeMap::new();
        for (build, status, id) in &self.builds {
            let entry = per_ecu.entry(build.ecu.as_str()).or_default();
            match status.status {
                BuildStatus::Affected => entry.0.push(id),
                BuildStatus::Fixed => entry.1.push(build.id.as_str()),
                BuildStatus::NotAffected | BuildStatus::UnderInvestigation => {}
            }
        }
        per_ecu
            .into_iter()
            .filter(|(_, (affected, _))| !affected.is_empty())
            .map(|(ecu, (affected, fixed))| match fixed.as_slice() {
                [] => json!({ "category": "none_available",
                              "details": format!("No fixed {ecu} build is available yet."),
                              "product_ids": affected }),
                fixed => json!({ "category": "vendor_fix",
                                 "details": format!("Install {ecu} build {}.", fixed.join(" or ")),
                                 "product_ids": affected }),
            })
            .collect()
    }
}

fn vulnerability(id: &str, case: &Case, products: &Products<'_>) -> Value {
    let mut out = json!({
        "notes": [{ "category": "description", "title": "Description", "text": case.title }],
        "product_status": {},
    });
    if id.starts_with("CVE-") {
        out["cve"] = json!(id);
    } else {
        let system = id.split('-').next().unwrap_or(id);
        out["ids"] = json!([{ "system_name": system, "text": id }]);
    }
    for (status, list) in [
        (BuildStatus::Affected, "known_affected"),
        (BuildStatus::NotAffected, "known_not_affected"),
        (BuildStatus::Fixed, "fixed"),
        (BuildStatus::UnderInvestigation, "under_investigation"),
    ] {
        let ids = products.with_status(status);
        if !ids.is_empty() {
            out["product_status"][list] = json!(ids);
        }
    }
    let affected = products.with_status(BuildStatus::Affected);
    let score = case.cvss_vector.as_deref().and_then(cvss_score);
    if let Some((kind, score)) = score.filter(|_| !affected.is_empty()) {
        out["scores"] = json!([{ kind: score, "products": affected }]);
    }
    let remediations = products.remediations();
    if !remediations.is_empty() {
        out["remediations"] = json!(remediations);
    }
    out
}

/// The case's vector as a CSAF score (`cvss_v3` or `cvss_v2`); CVSS v4.0 has no
/// place in CSAF 2.0 and is left out.
fn cvss_score(vector: &str) -> Option<(&'static str, Value)> {
    let assessment = keelson_cvss::assess(vector).ok()?;
    let base = assessment.base_score;
    match assessment.version.as_str() {
        "3.0" | "3.1" => Some((
            "cvss_v3",
            json!({ "version": assessment.version, "vectorString": assessment.vector,
                    "baseScore": base, "baseSeverity": severity_v3(base) }),
        )),
        "2.0" => Some((
            "cvss_v2",
            json!({ "version": "2.0", "vectorString": assessment.vector, "baseScore": base }),
        )),
        _ => None,
    }
}

/// The CVSS v3 qualitative rating of a base score.
fn severity_v3(score: f64) -> &'static str {
    match score {
        0.0 => "NONE",
        s if s < 4.0 => "LOW",
        s if s < 7.0 => "MEDIUM",
        s if s < 9.0 => "HIGH",
        _ => "CRITICAL",
    }
}
