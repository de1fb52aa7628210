//! API tokens: stored only as a SHA-256 hash of the secret, with expiry and
//! revocation. The secret itself is made and shown once by the caller.

use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    TransactionTrait,
};
use serde::Serialize;

use crate::audit::{self, AuditEvent};
use crate::entity::api_token::{self, Column, Entity as Tokens};
use crate::users::UserRecord;
use crate::{Store, StoreError, format_us, new_id, now_us};

/// A token's metadata (never its secret or hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TokenRecord {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
}

impl Store {
    /// Stores a new token for `user_id`, by the hash of its secret.
    pub async fn create_token(
        &self,
        actor: &str,
        user_id: &str,
        name: &str,
        token_hash: &str,
        expires_at_us: Option<i64>,
    ) -> Result<TokenRecord, StoreError> {
        let row = api_token::Model {
            id: new_id(),
            user_id: user_id.to_owned(),
            name: name.to_owned(),
            token_hash: token_hash.to_owned(),
            created_at_us: now_us(),
            expires_at_us,
            revoked_at_us: None,
        };
        let record = token_record(&row);

        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        Tokens::insert(row.clone().into_active_model())
            .exec_without_returning(&txn)
            .await?;
        let event = AuditEvent::new(actor, "token.create", "token", &row.id)
            .after(serde_json::to_value(&record).unwrap_or_default());
        audit::append(&txn, event).await?;
        txn.commit().await?;
        Ok(record)
    }

    /// The live token with this hash and its user: not revoked, not expired,
    /// user not disabled.
    pub async fn authenticate_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<(TokenRecord, UserRecord)>, StoreError> {
        let Some(row) = Tokens::find()
            .filter(Column::TokenHash.eq(token_hash))
            .one(self.connection())
            .await?
        else {
            return Ok(None);
        };
        let live = row.revoked_at_us.is_none() && row.expires_at_us.is_none_or(|at| at > now_us());
        if !live {
            return Ok(None);
        }
        let Some(user) = self.user_by_id(&row.user_id).await? else {
            return Ok(None);
        };
        if user.disabled {
            return Ok(None);
        }
        Ok(Some((token_record(&row), user)))
    }

    /// Tokens, optionally of one user, newest first.
    pub async fn list_tokens(&self, user_id: Option<&str>) -> Result<Vec<TokenRecord>, StoreError> {
        let mut query = Tokens::find().order_by_desc(Column::CreatedAtUs);
        if let Some(user_id) = user_id {
            query = query.filter(Column::UserId.eq(user_id));
        }
        Ok(query
            .all(self.connection())
            .await?
            .iter()
            .map(token_record)
            .collect())
    }

    pub async fn token_by_id(&self, id: &str) -> Result<Option<TokenRecord>, StoreError> {
        let row = Tokens::find_by_id(id.to_owned())
            .one(self.connection())
            .await?;
        Ok(row.as_ref().map(token_record))
    }

    /// Revokes a token; revoking twice keeps the first revocation time.
    pub async fn revoke_token(&self, actor: &str, id: &str) -> Result<TokenRecord, StoreError> {
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        let row = Tokens::find_by_id(id.to_owned())
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::not_found(format!("token {id}")))?;
        let before = token_record(&row);
        if row.revoked_at_us.is_some() {
            return Ok(before);
        }

        let mut change = row.into_active_model();
        change.revoked_at_us = Set(Some(now_us()));
        let updated = Tokens::update(change).exec(&txn).await?;
        let after = token_record(&updated);
        let event = AuditEvent::new(actor, "token.revoke", "token", id)
            .before(serde_json::to_value(&before).unwrap_or_default())
            .after(serde_json::to_value(&after).unwrap_or_default());
        audit::append(&txn, event).await?;
        txn.commit().await?;
        Ok(after)
    }
}

fn token_record(row: &api_token::Model) -> TokenRecord {
    TokenRecord {
        id: row.id.clone(),
        user_id: row.user_id.clone(),
        name: row.name.clone(),
        created_at: format_us(row.created_at_us),
        expires_at: row.expires_at_us.map(format_us),
        revoked_at: row.revoked_at_us.map(format_us),
    }
}
