//! A remediation package as it is shown, over the API and from the command
//! line alike: the stored package and how many vehicles the reader may see
//! currently run one of its fixed builds (from the inventory's current
//! installations, so the count follows the roll-out as builds are
//! installed).

use std::collections::BTreeSet;

use keelson_core::Principal;
use keelson_store::cases::remediation::RemediationPackage;
use keelson_store::{Store, StoreError};
use serde::Serialize;

/// A package with its roll-out reach.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PackageView {
    #[serde(flatten)]
    pub package: RemediationPackage,
    /// Vehicles (that the reader may see) currently running a build of
    /// the package's software fixes.
    pub vehicles_on_fixed_builds: u64,
}

/// Each package with the count of vehicles on its fixed builds.
pub async fn with_reach(
    store: &Store,
    reader: &Principal,
    packages: Vec<RemediationPackage>,
) -> Result<Vec<PackageView>, StoreError> {
    let visible_vehicles: BTreeSet<String> = store
        .list_vehicles()
        .await?
        .into_iter()
        .filter(|vehicle| reader.may_read(&vehicle.marking))
        .map(|vehicle| vehicle.id)
        .collect();
    let running = store.current_installations().await?;
    let views = packages
        .into_iter()
        .map(|package| {
            let fixed = package.plan.fixed_builds();
            let vehicles: BTreeSet<&str> = running
                .iter()
                .filter(|installation| reader.may_read(&installation.marking))
                .filter(|installation| fixed.contains(&installation.build_id.as_str()))
                .filter(|installation| visible_vehicles.contains(&installation.vehicle_id))
                .map(|installation| installation.vehicle_id.as_str())
                .collect();
            let vehicles_on_fixed_builds = vehicles.len() as u64;
            PackageView {
                package,
                vehicles_on_fixed_builds,
            }
        })
        .collect();
    Ok(views)
}
