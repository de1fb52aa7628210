//! Custom dashboards: each user keeps their own, a title and an ordered
//! list of widgets, each a chart or a table over a saved query (alerts or
//! incidents with filters). The store keeps the query, never its answer:
//! a widget is worked out from the records when it is shown, through the
//! reader's clearance, so a dashboard cannot keep what its owner may no
//! longer see. Every change is audited on object type `dashboard`.

use keelson_core::Severity;
use sea_orm::{
    ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, TransactionTrait,
};
use serde::{Deserialize, Serialize};

use crate::audit::{self, AuditEvent};
use crate::entity::dashboard;
use crate::{Store, StoreError, format_us, new_id, now_us};

/// The most widgets one dashboard holds.
pub const MAX_WIDGETS: usize = 24;

/// A stored dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dashboard {
    pub id: String,
    /// The user name of the one user who sees and changes it.
    pub owner: String,
    pub title: String,
    pub widgets: Vec<Widget>,
    pub created_at: String,
    pub updated_at: String,
}

/// One widget: a titled chart or table over a saved query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Widget {
    pub title: String,
    pub kind: WidgetKind,
    pub query: SavedQuery,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WidgetKind {
    /// Bars: how many matching records fall in each group.
    Chart,
    /// The newest matching records.
    Table,
}

/// Which records a widget shows; `None` matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedQuery {
    pub source: QuerySource,
    #[serde(default)]
    pub severity: Option<Severity>,
    /// Incidents only: a response state, or `open`.
    #[serde(default)]
    pub state: Option<String>,
    /// The Sigma rule (incidents) or stored rule ID (alerts).
    #[serde(default)]
    pub rule: Option<String>,
    /// Only records seen within this many days.
    #[serde(default)]
    pub days: Option<u32>,
    /// What a chart counts per.
    #[serde(default)]
    pub group_by: GroupBy,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuerySource {
    #[default]
    Alerts,
    Incidents,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    #[default]
    Severity,
    Day,
    Rule,
    Vehicle,
    Technique,
    State,
}

impl Store {
    /// Opens an empty dashboard for `owner`.
    pub async fn create_dashboard(
        &self,
        owner: &str,
        title: &str,
    ) -> Result<Dashboard, StoreError> {
        let title = checked_title(title)?;
        let now = now_us();
        let row = dashboard::Model {
            id: new_id(),
            owner: owner.to_owned(),
            title,
            widgets: "[]".to_owned(),
            created_at_us: now,
            updated_at_us: now,
        };
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        dashboard::Entity::insert(row.clone().into_active_model())
            .exec_without_returning(&txn)
            .await?;
        let created = from_row(row)?;
        let entry = AuditEvent::new(owner, "dashboard.create", "dashboard", &created.id)
            .after(serde_json::to_value(&created).unwrap_or_default());
        audit::append(&txn, entry).await?;
        txn.commit().await?;
        Ok(created)
    }

    pub async fn dashboard(&self, id: &str) -> Result<Option<Dashboard>, StoreError> {
        let row = dashboard::Entity::find_by_id(id.to_owned())
            .one(self.connection())
            .await?;
        row.map(from_row).transpose()
    }

    /// The dashboards of one user, oldest first.
    pub async fn dashboards_of(&self, owner: &str) -> Result<Vec<Dashboard>, StoreError> {
        let rows = dashboard::Entity::find()
            .filter(dashboard::Column::Owner.eq(owner))
            .order_by_asc(dashboard::Column::CreatedAtUs)
            .order_by_asc(dashboard::Column::Id)
            .all(self.connection())
            .await?;
        rows.into_iter().map(from_row).collect()
    }

    /// Appends a widget (at most [`MAX_WIDGETS`]).
    pub async fn add_widget(
        &self,
        actor: &str,
        id: &str,
        widget: Widget,
    ) -> Result<Dashboard, StoreError> {
        if widget.title.trim().is_empty() {
            return Err(StoreError::invalid("title", "a widget needs a title"));
        }
        self.change_widgets(actor, id, "dashboard.add_widget", |widgets| {
            if widgets.len() >= MAX_WIDGETS {
                return Err(StoreError::invalid(
                    "widgets",
                    format!("a dashboard holds at most {MAX_WIDGETS}"),
                ));
            }
            widgets.push(widget);
            Ok(())
        })
        .await
    }

    /// Removes the widget at `position` (0 is the first).
    pub async fn remove_widget(
        &self,
        actor: &str,
        id: &str,
        position: usize,
    ) -> Result<Dashboard, StoreError> {
        self.change_widgets(actor, id, "dashboard.remove_widget", |widgets| {
            if position >= widgets.len() {
                return Err(StoreError::not_found(format!("widget {position}")));
            }
            widgets.remove(position);
            Ok(())
        })
        .await
    }

    async fn change_widgets(
        &self,
        actor: &str,
        id: &str,
        action: &str,
        change: impl FnOnce(&mut Vec<Widget>) -> Result<(), StoreError>,
    ) -> Result<Dashboard, StoreError> {
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        let row = dashboard::Entity::find_by_id(id.to_owned())
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::not_found(format!("dashboard {id}")))?;
        let before = from_row(row.clone())?;
        let mut widgets = before.widgets.clone();
        change(&mut widgets)?;

        let mut active = row.into_active_model();
        active.widgets = sea_orm::ActiveValue::Set(widgets_text(&widgets));
        active.updated_at_us = sea_orm::ActiveValue::Set(now_us());
        let after = from_row(dashboard::Entity::update(active).exec(&txn).await?)?;
        let entry = AuditEvent::new(actor, action, "dashboard", id)
            .before(serde_json::to_value(&before).unwrap_or_default())
            .after(serde_json::to_value(&after).unwrap_or_default());
        audit::append(&txn, entry).await?;
        txn.commit().await?;
        Ok(after)
    }
}

fn checked_title(title: &str) -> Result<String, StoreError> {
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(StoreError::invalid("title", "1 to 200 characters"));
    }
    Ok(title.to_owned())
}

fn widgets_text(widgets: &[Widget]) -> String {
    serde_json::to_string(widgets).unwrap_or_else(|_| "[]".to_owned())
}

fn from_row(row: dashboard::Model) -> Result<Dashboard, StoreError> {
    let widgets = serde_json::from_str(&row.widgets)
        .map_err(|error| StoreError::Corrupt(format!("dashboard {} widgets: {error}", row.id)))?;
    Ok(Dashboard {
        id: row.id,
        owner: row.owner,
        title: row.title,
        widgets,
        created_at: format_us(row.created_at_us),
        updated_at: format_us(row.updated_at_us),
    })
}
