//! Odd inputs: empty profiles and streams, time going backwards, unseen identifiers,
//! remote/error/FD frames and damaged profile JSON. Nothing may panic.

use keelson_canids::{Check, Detector, Error, Learner, Profile, evaluate};
use keelson_telemetry::{CanFrame, FrameKind};

fn frame(id: u32, at_us: i64, data: &[u8]) -> CanFrame {
    let mut frame = CanFrame::default();
    frame.id = id;
    frame.extended = id > 0x7FF;
    frame.timestamp_us = at_us;
    frame.dlc = data.len() as u8;
    frame.set_data(data);
    frame
}

/// ID 0x100 every 10 ms (with ±1 ms jitter) and 8 bytes whose first byte is constant.
fn periodic_profile() -> Profile {
    let mut learner = Learner::new("bench-car");
    learner.begin_capture("synthetic");
    for step in 0..200i64 {
        let jitter = if step % 2 == 0 { 1_000 } else { -1_000 };
        let at = step * 10_000 + jitter;
        learner.learn(&frame(0x100, at, &[0x42, step as u8, 0, 0, 0, 0, 0, 0]));
    }
    let mut profile = learner.finish();
    profile.margins.check_constant_bits = true;
    profile
}

#[test]
fn empty_profile_reports_every_frame_as_unknown() {
    let profile = Profile::empty("nothing");
    let mut detector = Detector::new(&profile);
    let alerts = detector.observe(&frame(0x1FFF_FFFF, 5, &[]));
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].check, Check::UnknownId);
    assert!(detector.finish(i64::MAX).is_empty());
}

#[test]
fn empty_input_gives_an_empty_report() {
    let mut detector = Detector::new(&periodic_profile());
    let report = evaluate(Vec::new(), &mut detector);
    assert_eq!((report.frames, report.tp, report.fp), (0, 0, 0));
    assert_eq!(
        (report.precision, report.recall, report.f1),
        (None, None, None)
    );
    assert_eq!(report.false_alarms_per_hour, None);
    let empty = Learner::new("m").finish();
    assert!(empty.ids.is_empty() && empty.learned_from.is_empty());
}

#[test]
fn time_going_backwards_is_not_an_early_frame() {
    let mut detector = Detector::new(&periodic_profile());
    let payload = [0x42, 0, 0, 0, 0, 0, 0, 0];
    assert!(
        detector
            .observe(&frame(0x100, 1_000_000, &payload))
            .is_empty()
    );
    assert!(detector.observe(&frame(0x100, 5_000, &payload)).is_empty());
    assert!(detector.observe(&frame(0x100, 15_000, &payload)).is_empty());
    assert!(
        detector
            .observe(&frame(0x100, i64::MIN, &payload))
            .is_empty()
    );
    let _ = detector.observe(&frame(0x100, i64::MAX, &payload));
}

#[test]
fn injected_frame_is_early_and_the_genuine_one_after_it_is_not() {
    let profile = periodic_profile();
    let learned_min = profile.ids[0].gaps.map(|g| g.min_us);
    assert_eq!(learned_min, Some(8_000));
    let mut detector = Detector::new(&profile);
    let payload = [0x42, 0, 0, 0, 0, 0, 0, 0];
    assert!(detector.observe(&frame(0x100, 0, &payload)).is_empty());
    let early = detector.observe(&frame(0x100, 3_000, &payload));
    assert_eq!(
        early.iter().map(|a| a.check).collect::<Vec<_>>(),
        [Check::TooEarly]
    );
    assert!(detector.observe(&frame(0x100, 10_000, &payload)).is_empty());
}

#[test]
fn silence_is_reported_once_by_sweep_and_by_finish() {
    let mut detector = Detector::new(&periodic_profile());
    let payload = [0x42, 0, 0, 0, 0, 0, 0, 0];
    assert!(detector.observe(&frame(0x100, 0, &payload)).is_empty());
    // Learned gaps: p50 9 or 11 ms, max 12 ms, so silence beyond about 110 ms is reported.
    let mut silent = Vec::new();
    for step in 1..100 {
        silent.extend(detector.observe(&frame(0x7FF, step * 10_000, &[])));
    }
    let silent: Vec<_> = silent
        .iter()
        .filter(|a| a.check == Check::IdSilent)
        .collect();
    assert_eq!(silent.len(), 1);
    assert_eq!(silent[0].id, 0x100);

    // After a reset, an ID that never shows up is silent from the first frame of the stream.
    detector.reset();
    assert!(detector.observe(&frame(0x7FF, 0, &[])).len() == 1);
    let at_end = detector.finish(10_000_000);
    assert_eq!(
        at_end.iter().map(|a| (a.check, a.id)).collect::<Vec<_>>(),
        [(Check::IdSilent, 0x100)]
    );
    assert!(detector.finish(20_000_000).is_empty(), "reported once");
}

#[test]
fn payload_dlc_remote_error_and_fd_frames() {
    let mut detector = Detector::new(&periodic_profile());
    let flipped = detector.observe(&frame(0x100, 0, &[0x43, 0, 0, 0, 0, 0, 0, 0]));
    assert_eq!(
        flipped.iter().map(|a| a.check).collect::<Vec<_>>(),
        [Check::ConstantBitFlipped]
    );

    let long = detector.observe(&frame(0x100, 20_000, &[0x42; 64]));
    assert!(long.iter().any(|a| a.check == Check::UnexpectedDlc));

    let mut remote = frame(0x100, 40_000, &[]);
    remote.kind = FrameKind::Remote;
    remote.dlc = 8;
    assert!(detector.observe(&remote).is_empty());

    let mut error = frame(0x3, 41_000, &[]);
    error.kind = FrameKind::Error;
    assert!(detector.observe(&error).is_empty());

    let mut odd = frame(0x100, 60_000, &[0x42, 0, 0, 0, 0, 0, 0, 0]);
    odd.dlc = u8::MAX;
    assert!(
        detector
            .observe(&odd)
            .iter()
            .any(|a| a.check == Check::UnexpectedDlc)
    );
}

#[test]
fn profile_json_round_trips_and_rejects_damage() {
    let profile = periodic_profile();
    let text = profile.to_json();
    assert!(matches!(Profile::from_json(&text), Ok(back) if back == profile));

    let newer = text.replacen("\"format_version\": 1", "\"format_version\": 99", 1);
    assert!(matches!(
        Profile::from_json(&newer),
        Err(Error::ProfileVersion {
            found: 99,
            expected: 1
        })
    ));
    assert!(matches!(
        Profile::from_json("{\"ids\": 3"),
        Err(Error::ProfileJson(_))
    ));
    assert!(matches!(Profile::from_json(""), Err(Error::ProfileJson(_))));
}

#[test]
fn alerts_serialise_with_snake_case_check_names() {
    let mut detector = Detector::new(&Profile::empty("m"));
    let alerts = detector.observe(&frame(0x123, 77, &[1]));
    let line = serde_json::to_string(&alerts[0]).unwrap_or_default();
    assert_eq!(
        line,
        r#"{"check":"unknown_id","id":291,"extended":false,"timestamp_us":77,"detail":{"dlc":1}}"#
    );
}

#[test]
fn extreme_timestamps_and_pseudo_random_frames_do_not_panic() {
    let mut learner = Learner::new("extremes");
    for at in [i64::MIN, 0, i64::MAX, i64::MIN, i64::MAX] {
        learner.learn(&frame(0x10, at, &[1, 2]));
    }
    let profile = learner.finish();
    let gaps = profile
        .id(0x10, false)
        .and_then(|p| p.gaps)
        .map(|g| g.max_us);
    assert_eq!(
        gaps,
        Some(i64::MAX),
        "a gap saturates instead of overflowing"
    );

    // A linear congruential generator: IDs, times, lengths and kinds all over the range.
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        state
    };
    let frames: Vec<CanFrame> = (0..20_000)
        .map(|_| {
            let bits = next();
            let mut f = frame((bits >> 40) as u32 & 0x1FFF_FFFF, next() as i64, &[]);
            f.set_data(&next().to_le_bytes()[..(bits % 9) as usize]);
            f.dlc = (bits >> 8) as u8;
            f.kind = [FrameKind::Data, FrameKind::Remote, FrameKind::Error][(bits % 3) as usize];
            f
        })
        .collect();
    let mut learner = Learner::new("noise");
    frames[..10_000].iter().for_each(|f| learner.learn(f));
    let mut profile = learner.finish();
    profile.margins.check_constant_bits = true;
    profile.margins.check_byte_range = true;
    profile.margins.check_value_sets = true;
    let mut detector = Detector::new(&profile);
    let report = evaluate(frames.iter().copied(), &mut detector);
    assert_eq!(report.frames, 20_000);
    let _ = detector.finish(i64::MIN);
    let _ = detector.finish(i64::MAX);
}
