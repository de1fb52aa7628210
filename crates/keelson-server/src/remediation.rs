//! A remediation package as it is shown, over the API and from the command
//! line alike: the stored package and how many vehicles the reader may see
//! currently run one of its fixed builds (from the inventory's current
//! installations the reader may see, on vehicles the reader may see, so the
//! count follows the roll-out as builds are installed).

use std::collections::BTreeSet;

use keelson_core::Principal;
use keelson_store::cases::remediation::RemediationPackage;
use keelson_store::readable::Readable;
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

/// Each package with the count of vehicles on its fixed builds: one read
/// of the current installations of every package's fixed builds.
pub async fn with_reach(
    store: &Store,
    reader: &Principal,
    packages: Vec<RemediationPackage>,
) -> Result<Vec<PackageView>, StoreError> {
    let fixed: BTreeSet<&str> = packages
        .iter()
        .flat_map(|package| package.plan.fixed_builds())
        .collect();
    let running = if fixed.is_empty() {
        Vec::new()
    } else {
        let builds: Vec<String> = fixed.into_iter().map(str::to_owned).collect();
        let readable = Readable::by(reader);
        store
            .running_installations(&readable, Some(&builds))
            .await?
    };

    let views = packages
        .into_iter()
        .map(|package| {
            let fixed = package.plan.fixed_builds();
            let vehicles: BTreeSet<&str> = running
                .iter()
                .filter(|installation| fixed.contains(&installation.build_id.as_str()))
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
