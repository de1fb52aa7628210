//! Accounts: create, find and list users. Password hashing happens in the
//! caller (the server's auth module); the store keeps only the hash.

use keelson_core::{Principal, Role};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};
use serde::Serialize;

use crate::audit::{self, AuditEvent};
use crate::entity::user::{self, Column, Entity as Users};
use crate::{Store, StoreError, format_us, new_id, now_us};

/// A user as the rest of Keelson sees it (never with the password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UserRecord {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub organisation: Option<String>,
    pub created_at: String,
    pub disabled: bool,
}

impl UserRecord {
    /// The principal this user acts as.
    pub fn principal(&self) -> Principal {
        Principal::new(self.name.clone(), self.role, self.organisation.clone())
    }
}

/// What it takes to create a user.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub name: String,
    pub role: Role,
    pub organisation: Option<String>,
    pub password_hash: String,
}

impl Store {
    /// Creates a user; a partner must belong to an organisation.
    pub async fn create_user(&self, actor: &str, new: NewUser) -> Result<UserRecord, StoreError> {
        validate_new_user(&new)?;
        let id = new_id();
        let row = user::ActiveModel {
            id: Set(id.clone()),
            name: Set(new.name.clone()),
            role: Set(new.role.as_str().to_owned()),
            organisation: Set(new.organisation.clone()),
            password_hash: Set(new.password_hash),
            created_at_us: Set(now_us()),
            disabled: Set(false),
        };

        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        Users::insert(row)
            .exec_without_returning(&txn)
            .await
            .map_err(|error| StoreError::from_insert(error, format!("user {:?}", new.name)))?;
        let created = Users::find_by_id(id.clone())
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::not_found("created user"))?;
        let record = user_record(&created)?;
        let state = public_state(&record);
        audit::append(
            &txn,
            AuditEvent::new(actor, "user.create", "user", &id).after(state),
        )
        .await?;
        txn.commit().await?;
        Ok(record)
    }

    /// The user and their password hash, by name (for password login).
    pub async fn user_credentials(
        &self,
        name: &str,
    ) -> Result<Option<(UserRecord, String)>, StoreError> {
        let row = Users::find()
            .filter(Column::Name.eq(name))
            .one(self.connection())
            .await?;
        row.map(|row| Ok((user_record(&row)?, row.password_hash)))
            .transpose()
    }

    pub async fn user_by_id(&self, id: &str) -> Result<Option<UserRecord>, StoreError> {
        let row = Users::find_by_id(id.to_owned())
            .one(self.connection())
            .await?;
        row.as_ref().map(user_record).transpose()
    }

    pub async fn user_by_name(&self, name: &str) -> Result<Option<UserRecord>, StoreError> {
        Ok(self.user_credentials(name).await?.map(|(user, _)| user))
    }

    pub async fn list_users(&self) -> Result<Vec<UserRecord>, StoreError> {
        let rows = Users::find()
            .order_by_asc(Column::Name)
            .all(self.connection())
            .await?;
        rows.iter().map(user_record).collect()
    }

    pub async fn count_users(&self) -> Result<u64, StoreError> {
        Ok(Users::find().count(self.connection()).await?)
    }
}

fn validate_new_user(new: &NewUser) -> Result<(), StoreError> {
    let valid_name = !new.name.is_empty()
        && new.name.len() <= 64
        && new
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._@-".contains(c));
    if !valid_name {
        return Err(StoreError::invalid(
            "name",
            "1 to 64 characters from letters, digits, '.', '_', '@' and '-'",
        ));
    }
    if new.role == Role::Partner && new.organisation.as_deref().is_none_or(str::is_empty) {
        return Err(StoreError::invalid(
            "organisation",
            "a partner must belong to one",
        ));
    }
    Ok(())
}

fn user_record(row: &user::Model) -> Result<UserRecord, StoreError> {
    let role = row
        .role
        .parse()
        .map_err(|error| StoreError::Corrupt(format!("{error}")))?;
    Ok(UserRecord {
        id: row.id.clone(),
        name: row.name.clone(),
        role,
        organisation: row.organisation.clone(),
        created_at: format_us(row.created_at_us),
        disabled: row.disabled,
    })
}

fn public_state(record: &UserRecord) -> serde_json::Value {
    serde_json::to_value(record).unwrap_or_default()
}
