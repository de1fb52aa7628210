//! Reports from the public disclosure intake. Each report is kept as sent
//! under a tracking ID and opens a case (intake `disclosure`, state
//! `received`) in the same transaction, so an accepted report is never
//! without its case. The reporter's contact enters the audit log only as
//! part of a digest.

use keelson_core::{IntakeKind, Marking, Severity, SlaPolicy};
use sea_orm::{EntityTrait, IntoActiveModel, TransactionTrait};
use serde::Serialize;

use crate::audit::{self, AuditEvent};
use crate::cases::{Case, Intake, NewCase, check_title, create, to_value};
use crate::entity::disclosure;
use crate::{Store, StoreError, format_us, now_us};

/// Who the audit log names for what the public intake writes.
pub const DISCLOSURE_ACTOR: &str = "disclosure-intake";

/// A report as the intake checked it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDisclosure {
    pub title: String,
    pub description: String,
    pub reporter_contact: Option<String>,
    pub affected_product: String,
    /// Canonical form of a vector that parsed.
    pub cvss_vector: Option<String>,
    /// The case's provisional severity.
    pub severity: Severity,
    /// The case's marking.
    pub marking: Marking,
}

/// A stored report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Disclosure {
    /// The tracking ID the reporter was given.
    pub id: String,
    pub case_id: String,
    pub title: String,
    pub description: String,
    pub reporter_contact: Option<String>,
    pub affected_product: String,
    pub cvss_vector: Option<String>,
    pub received_at: String,
}

impl Store {
    /// Stores a report and opens its case; returns both.
    pub async fn receive_disclosure(
        &self,
        new: &NewDisclosure,
        sla: &SlaPolicy,
    ) -> Result<(Disclosure, Case), StoreError> {
        check_title("title", &new.title)?;
        let now = now_us();
        let tracking_id = uuid::Uuid::new_v4().to_string();
        let report = disclosure::Model {
            id: tracking_id.clone(),
            case_id: String::new(),
            title: new.title.clone(),
            description: new.description.clone(),
            reporter_contact: new.reporter_contact.clone(),
            affected_product: new.affected_product.clone(),
            cvss_vector: new.cvss_vector.clone(),
            received_at_us: now,
        };

        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        let opened = create(
            &txn,
            DISCLOSURE_ACTOR,
            &case_of(new, &tracking_id),
            now,
            sla,
        )
        .await?;
        let report = disclosure::Model {
            case_id: opened.id.clone(),
            ..report
        };
        disclosure::Entity::insert(report.clone().into_active_model())
            .exec_without_returning(&txn)
            .await?;
        let report = disclosure_from_row(report);
        let received = AuditEvent::new(
            DISCLOSURE_ACTOR,
            "disclosure.receive",
            "disclosure",
            &report.id,
        )
        .after(to_value(&report));
        audit::append(&txn, received).await?;
        txn.commit().await?;
        Ok((report, opened))
    }

    pub async fn disclosure(&self, id: &str) -> Result<Option<Disclosure>, StoreError> {
        let row = disclosure::Entity::find_by_id(id.to_owned())
            .one(self.connection())
            .await?;
        Ok(row.map(disclosure_from_row))
    }
}

/// The case a report opens: received, unowned, marked as configured.
fn case_of(new: &NewDisclosure, tracking_id: &str) -> NewCase {
    NewCase {
        title: new.title.clone(),
        intake: Intake {
            kind: IntakeKind::Disclosure,
            source: Some(tracking_id.to_owned()),
        },
        vulnerability_ids: Vec::new(),
        severity: new.severity,
        owner: None,
        team: None,
        marking: new.marking.clone(),
        builds: Vec::new(),
    }
}

fn disclosure_from_row(row: disclosure::Model) -> Disclosure {
    Disclosure {
        id: row.id,
        case_id: row.case_id,
        title: row.title,
        description: row.description,
        reporter_contact: row.reporter_contact,
        affected_product: row.affected_product,
        cvss_vector: row.cvss_vector,
        received_at: format_us(row.received_at_us),
    }
}
