//! The `finding.critical` and `finding.kev` webhook events, without HTTP:
//! the builds a change may touch (those a document attached to a build or
//! hardware part feeds, or every build for a knowledge-base update), their
//! critical and KEV findings before it, and an announcement of each such
//! finding the change adds. The API's SBOM and HBOM uploads, `keelson sbom
//! import` and `keelson vulndb import` use it, so a finding is announced
//! once whichever way it arises.

use std::collections::BTreeSet;

use keelson_core::Severity;
use keelson_store::fleet::SoftwareBuild;
use keelson_store::sboms::Subject;
use keelson_store::{Store, StoreError};
use keelson_vulndb::Finding;

use crate::findings::FindingsCache;
use crate::webhooks::{EventKind, FindingKind, Notification, Notifier};

/// A finding event a build's findings raise: the vulnerability, the
/// component and which event.
type Raised = BTreeSet<(String, String, FindingKind)>;

/// What announcing needs: the store, the findings and the subscribers.
pub struct FindingEvents<'a> {
    pub store: &'a Store,
    pub cache: &'a FindingsCache,
    pub notifier: &'a Notifier,
}

/// The builds a change may touch and the finding events each had before
/// it (a document attached, a knowledge-base update).
pub struct BeforeChange {
    builds: Vec<(SoftwareBuild, Raised)>,
}

impl FindingEvents<'_> {
    /// Takes the finding events of the builds `subject`'s documents feed;
    /// nothing is matched when nobody listens.
    pub async fn before_attaching(&self, subject: &Subject) -> Result<BeforeChange, StoreError> {
        let mut builds = Vec::new();
        if self.wanted() {
            for build in builds_fed_by(self.store, subject).await? {
                let raised = self.raised(&build.id).await?;
                builds.push((build, raised));
            }
        }
        Ok(BeforeChange { builds })
    }

    /// Takes the finding events of every build, before a knowledge-base
    /// update (a KEV catalogue that lists a CVE, a record that raises a
    /// severity); nothing is matched when nobody listens.
    pub async fn before_feed_import(&self) -> Result<BeforeChange, StoreError> {
        let mut builds = Vec::new();
        if self.wanted() {
            for build in self.store.list_builds().await? {
                let raised = self.raised(&build.id).await?;
                builds.push((build, raised));
            }
        }
        Ok(BeforeChange { builds })
    }

    /// Announces each critical or KEV finding the builds have now and did
    /// not have `before`.
    pub async fn announce_new(&self, before: &BeforeChange) -> Result<(), StoreError> {
        for (build, known) in &before.builds {
            let report = self.cache.build_report(self.store, &build.id).await?;
            for finding in report.findings {
                for kind in events_of(&finding) {
                    let key = (
                        finding.vulnerability.clone(),
                        finding.component.clone(),
                        kind,
                    );
                    if !known.contains(&key) {
                        self.notifier
                            .notify(notification(build, &finding, kind))
                            .await;
                    }
                }
            }
        }
        Ok(())
    }

    fn wanted(&self) -> bool {
        [EventKind::CriticalFinding, EventKind::KevFinding]
            .into_iter()
            .any(|kind| self.notifier.subscribed_to(kind))
    }

    async fn raised(&self, build_id: &str) -> Result<Raised, StoreError> {
        let report = self.cache.build_report(self.store, build_id).await?;
        let mut raised = Raised::new();
        for finding in &report.findings {
            for kind in events_of(finding) {
                raised.insert((
                    finding.vulnerability.clone(),
                    finding.component.clone(),
                    kind,
                ));
            }
        }
        Ok(raised)
    }
}

/// The builds whose findings a document attached to `subject` feeds: the
/// build itself, or every build of an ECU with that hardware part.
async fn builds_fed_by(store: &Store, subject: &Subject) -> Result<Vec<SoftwareBuild>, StoreError> {
    let builds = match subject {
        Subject::Build(id) => store.build(id).await?.into_iter().collect(),
        Subject::HardwarePart(part) => {
            let ecus: BTreeSet<String> = store
                .list_ecus()
                .await?
                .into_iter()
                .filter(|ecu| ecu.hardware_part_number.as_deref() == Some(part.as_str()))
                .map(|ecu| ecu.id)
                .collect();
            let builds = store.list_builds().await?.into_iter();
            builds.filter(|build| ecus.contains(&build.ecu)).collect()
        }
    };
    Ok(builds)
}

/// The events a finding raises: critical, KEV, both or none.
fn events_of(finding: &Finding) -> impl Iterator<Item = FindingKind> + use<> {
    let critical = finding.severity == Some(Severity::Critical);
    [
        (critical, FindingKind::Critical),
        (finding.kev, FindingKind::Kev),
    ]
    .into_iter()
    .filter_map(|(applies, kind)| applies.then_some(kind))
}

fn notification(build: &SoftwareBuild, finding: &Finding, kind: FindingKind) -> Notification {
    Notification::Finding {
        kind,
        build_id: build.id.clone(),
        vulnerability: finding.vulnerability.clone(),
        component: finding.component.clone(),
        severity: finding.severity.map(|severity| severity.to_string()),
        marking: build.marking.clone(),
    }
}
