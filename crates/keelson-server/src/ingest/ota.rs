//! OTA events move the inventory: an accepted `ota.install_completed`
//! event from the `ota` source (with `vehicle_id`, `ecu` and `build_id`)
//! installs that build on the vehicle's ECU slot, at the event's vehicle
//! time (else its receive time), with source `ota`.
//!
//! The event itself is stored whatever happens here; an installation that
//! cannot be applied (an unknown vehicle, ECU or build, or one older than
//! the slot's current build) is logged as a warning and the event stays in
//! the store to be applied again. A duplicate event changes nothing.

use keelson_store::Store;
use keelson_store::installations::NewInstallation;
use keelson_store::telemetry::{NewEvent, Stored};

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

/// Applies the installations of the events that were newly accepted.
pub async fn apply(
    store: &Store,
    actor: &str,
    installations: Vec<(usize, NewInstallation)>,
    stored: &[Stored],
) {
    for (place, installation) in installations {
        if stored.get(place) != Some(&Stored::Accepted) {
            continue;
        }
        let (vehicle_id, ecu, build_id) = (
            installation.vehicle_id.clone(),
            installation.ecu_id.clone(),
            installation.build_id.clone(),
        );
        if let Err(error) = store.install_build(actor, installation).await {
            tracing::warn!(%vehicle_id, %ecu, %build_id, %error, "ota installation not applied");
        }
    }
}
