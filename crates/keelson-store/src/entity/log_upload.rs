//! The `log_uploads` table: capture files uploaded for a vehicle, kept as
//! content-addressed evidence, with the state and totals of their decoding.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "log_uploads")]
pub struct Model {
    /// The job ID the upload was answered with.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub vehicle_id: String,
    pub sha256: String,
    pub size: i64,
    pub uploaded_by: String,
    pub format: Option<String>,
    pub status: String,
    pub accepted: i64,
    pub duplicates: i64,
    pub quarantined: i64,
    pub error: Option<String>,
    pub uploaded_at_us: i64,
    pub finished_at_us: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
