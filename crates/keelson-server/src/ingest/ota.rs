//! OTA events move the inventory: an accepted `ota.install_completed`
//! event from the `ota` source (with `vehicle_id`, `ecu` and `build_id`)
//! installs that build on the vehicle's ECU slot, at the event's vehicle
//! time (else its receive time), with source `ota`.
//!
//! The event itself is stored whatever happens here; an installation that
//! cannot be applied (an unknown vehicle, ECU or build, or one older than
//! the slot's current build) is logged as a warning and the event stays in
//! the store to be applied again. A duplicate event changes nothing. An
//! installation that moved a slot levels the PSIRT cases' rules again.

use keelson_store::Store;
use keelson_store::installations::{Installed, NewInstallation};
use keelson_store::telemetry::{NewEvent, Stored};

use crate::detection::Detector;
use crate::monitoring::{self, MONITORING_ACTOR};

/// The kind of event that reports a finished installation.
pub const KIND_INSTALL_COMPLETED: &str = "ota.install_completed";

/// The installations a batch's events report, by their place in the batch.
pub fn installations_in(events: &[NewEvent]) -> Vec<(usize, NewInstallation)> {
    events
        .iter()
        .enumerate()
        .filter_map(|(place, event)| Some((place, installation_of(event)?)))
        .collect()
}

fn installation_of(event: &NewEvent) -> Option<NewInstallation> {
    if event.source != "ota" || event.kind != KIND_INSTALL_COMPLETED {
        return None;
    }
    Some(NewInstallation {
        vehicle_id: event.vehicle_id.clone()?,
        ecu_id: event.ecu.clone()?,
        build_id: event.build_id.clone()?,
        installed_at_us: event.vehicle_time_us.unwrap_or(event.received_time_us),
        source: "ota".to_owned(),
        marking: keelson_core::tlp::default_marking(),
    })
}

/// Applies the installations of the events that were newly accepted; when
/// one changed a slot, the rules of PSIRT cases are levelled again (their
/// retirement follows the affected fleet's move to fixed builds).
pub async fn apply(
    store: &Store,
    detector: &Detector,
    actor: &str,
    installations: Vec<(usize, NewInstallation)>,
    stored: &[Stored],
) {
    let mut moved = 0;
    for (place, installation) in installations {
        if stored.get(place) != Some(&Stored::Accepted) {
            continue;
        }
        let (vehicle_id, ecu, build_id) = (
            installation.vehicle_id.clone(),
            installation.ecu_id.clone(),
            installation.build_id.clone(),
        );
        match store.install_build(actor, installation).await {
            Ok(Installed::New { .. }) => moved += 1,
            Ok(Installed::Unchanged { .. }) => {}
            Err(error) => {
                tracing::warn!(%vehicle_id, %ecu, %build_id, %error, "ota installation not applied");
            }
        }
    }
    if moved > 0 {
        let trigger = format!("{moved} OTA installation(s)");
        monitoring::follow_fleet(store, detector, MONITORING_ACTOR, &trigger).await;
    }
}
