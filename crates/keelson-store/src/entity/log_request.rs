//! The `log_requests` table: a request to a vehicle to upload its logs,
//! marked like the incident it serves, fulfilled by the vehicle's next
//! upload.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "log_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub vehicle_id: String,
    pub incident_id: String,
    pub run_id: Option<String>,
    pub note: String,
    pub requested_by: String,
    pub requested_at_us: i64,
    pub state: String,
    pub upload_id: Option<String>,
    pub fulfilled_at_us: Option<i64>,
    pub tlp: String,
    pub shared_with_orgs: String,
    pub named_readers: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
