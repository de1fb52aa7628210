//! Browser sessions: keyed by the SHA-256 of the cookie value, each with
//! its CSRF token and an absolute expiry.

use sea_orm::{ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, TransactionTrait};

use crate::audit::{self, AuditEvent};
use crate::entity::session::{self, Column, Entity as Sessions};
use crate::users::UserRecord;
use crate::{Store, StoreError, now_us};

/// A live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub user: UserRecord,
    pub csrf_token: String,
    pub expires_at_us: i64,
}

impl Store {
    /// Opens a session for a user who has just proved who they are.
    pub async fn create_session(
        &self,
        user: &UserRecord,
        id_hash: &str,
        csrf_token: &str,
        expires_at_us: i64,
    ) -> Result<(), StoreError> {
        let row = session::Model {
            id_hash: id_hash.to_owned(),
            user_id: user.id.clone(),
            csrf_token: csrf_token.to_owned(),
            created_at_us: now_us(),
            expires_at_us,
        };
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        Sessions::insert(row.into_active_model())
            .exec_without_returning(&txn)
            .await?;
        let event = AuditEvent::new(&user.name, "session.login", "user", &user.id);
        audit::append(&txn, event).await?;
        txn.commit().await?;
        Ok(())
    }

    /// The live session with this cookie hash, if any.
    pub async fn session(&self, id_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        let Some(row) = Sessions::find_by_id(id_hash.to_owned())
            .one(self.connection())
            .await?
        else {
            return Ok(None);
        };
        if row.expires_at_us <= now_us() {
            return Ok(None);
        }
        let Some(user) = self.user_by_id(&row.user_id).await? else {
            return Ok(None);
        };
        if user.disabled {
            return Ok(None);
        }
        Ok(Some(SessionRecord {
            user,
            csrf_token: row.csrf_token,
            expires_at_us: row.expires_at_us,
        }))
    }

    /// Ends a session (logout); ending an unknown one is not an error.
    pub async fn end_session(&self, id_hash: &str) -> Result<(), StoreError> {
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        let Some(row) = Sessions::find_by_id(id_hash.to_owned()).one(&txn).await? else {
            return Ok(());
        };
        Sessions::delete_many()
            .filter(Column::IdHash.eq(id_hash))
            .exec(&txn)
            .await?;
        let event = AuditEvent::new(&row.user_id, "session.logout", "user", &row.user_id);
        audit::append(&txn, event).await?;
        txn.commit().await?;
        Ok(())
    }
}
