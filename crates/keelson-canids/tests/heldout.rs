//! Held-out clean traffic: learn on the first 70% of each clean capture, run the detector
//! over the remaining 30%, and expect no alert.

mod common;

use std::collections::HashSet;

use common::{DATASETS, load};
use keelson_canids::{Check, Detector, Profile};
use keelson_telemetry::CanFrame;

fn alerts_on_last_30_percent(frames: &[CanFrame]) -> Vec<keelson_canids::Alert> {
    let cut = frames.len() * 7 / 10;
    let profile = Profile::learn("held-out", "first 70%", &frames[..cut]);
    let mut detector = Detector::new(&profile);
    let mut alerts: Vec<_> = frames[cut..]
        .iter()
        .flat_map(|f| detector.observe(f))
        .collect();
    let end = frames.last().map_or(0, |frame| frame.timestamp_us);
    alerts.extend(detector.finish(end));
    alerts
}

#[test]
fn held_out_clean_volvo_and_road_traffic_raises_no_alert() {
    for dataset in DATASETS.iter().filter(|d| d.name != "j1939-truck") {
        let (clean, format) = dataset.clean;
        let Some(frames) = load(clean, format) else {
            return;
        };
        let alerts = alerts_on_last_30_percent(&frames);
        assert!(alerts.is_empty(), "{}: {:?}", dataset.name, alerts.first());
    }
}

#[test]
fn held_out_j1939_alerts_only_on_ids_absent_from_the_first_70_percent() {
    let Some(dataset) = DATASETS.iter().find(|d| d.name == "j1939-truck") else {
        panic!("dataset list changed");
    };
    let (clean, format) = dataset.clean;
    let Some(frames) = load(clean, format) else {
        return;
    };
    let cut = frames.len() * 7 / 10;
    let learned: HashSet<u32> = frames[..cut].iter().map(|f| f.id).collect();
    let late: HashSet<u32> = frames[cut..].iter().map(|f| f.id).collect();
    let new_ids: HashSet<u32> = late.difference(&learned).copied().collect();

    let alerts = alerts_on_last_30_percent(&frames);
    for alert in &alerts {
        println!("j1939 held-out: {} {:08X}", alert.check.as_str(), alert.id);
    }
    // Only identifiers first seen after the cut may alert, and each only on its frames.
    assert!(
        alerts
            .iter()
            .all(|a| a.check == Check::UnknownId && new_ids.contains(&a.id))
    );
    let new_id_frames = frames[cut..]
        .iter()
        .filter(|f| new_ids.contains(&f.id))
        .count();
    assert_eq!(alerts.len(), new_id_frames);
}
