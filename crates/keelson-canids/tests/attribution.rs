//! Which of two frames that came too close together gets the alert: the genuine sender keeps
//! its period and changes its payload little, so the frame that breaks either is blamed,
//! even when that is the earlier one (reported once the later one arrives). The first frame
//! of a rare ID's flood is blamed with the flood's second frame.

use keelson_canids::{Check, Detail, Detector, EvalReport, Learner, Profile, evaluate};
use keelson_telemetry::{AttackClass, CanFrame, Label};

fn frame(id: u32, at_us: i64, data: &[u8]) -> CanFrame {
    let mut frame = CanFrame::default();
    frame.id = id;
    frame.timestamp_us = at_us;
    frame.dlc = data.len() as u8;
    frame.set_data(data);
    frame
}

fn labelled(mut frame: CanFrame, attack: bool) -> CanFrame {
    frame.label = Some(if attack {
        Label::Attack(AttackClass::Unspecified)
    } else {
        Label::Normal
    });
    frame
}

/// ID 0x100 every 10 ms ± 0.2 ms, payload a slow counter in byte 1.
fn genuine(step: i64) -> CanFrame {
    let jitter = if step % 2 == 0 { 200 } else { -200 };
    frame(
        0x100,
        step * 10_000 + jitter,
        &[0x42, (step / 8) as u8, 0, 0, 0, 0, 0, 0],
    )
}

fn profile() -> Profile {
    let mut learner = Learner::new("bench-car");
    learner.begin_capture("synthetic");
    for step in 0..200 {
        learner.learn(&genuine(step));
    }
    // A rare ID, seen twice a second apart.
    learner.learn(&frame(0x001, 100, &[0; 8]));
    learner.learn(&frame(0x001, 1_000_100, &[0; 8]));
    learner.finish()
}

/// Genuine traffic from t = 3 s, with one foreign frame `offset_us` after genuine step 305.
fn with_insertion(offset_us: i64) -> Vec<CanFrame> {
    let mut frames: Vec<CanFrame> = (300..310)
        .map(|step| labelled(genuine(step), false))
        .collect();
    let inserted = frame(0x100, genuine(305).timestamp_us + offset_us, &[0xFF; 8]);
    frames.insert(6, labelled(inserted, true));
    frames
}

fn score(frames: Vec<CanFrame>) -> EvalReport {
    evaluate(frames, &mut Detector::new(&profile()))
}

#[test]
fn a_frame_late_in_the_period_is_blamed_when_the_genuine_one_follows() {
    // 9 ms after a genuine frame: not too early itself (the allowed minimum is about 7.3 ms),
    // but the genuine frame 1 ms later is, and it keeps the 10 ms period.
    let frames = with_insertion(9_000);
    let inserted_at = frames[6].timestamp_us;
    let mut detector = Detector::new(&profile());
    let alerts: Vec<_> = frames.iter().flat_map(|f| detector.observe(f)).collect();

    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].check, Check::InsertedFrame);
    assert_eq!(alerts[0].earlier_frame_us, Some(inserted_at));
    assert_eq!(alerts[0].timestamp_us, frames[7].timestamp_us);
    let Detail::Inserted { period_kept_us, .. } = alerts[0].detail else {
        panic!("{:?}", alerts[0].detail);
    };
    assert_eq!(
        period_kept_us,
        frames[7].timestamp_us - frames[5].timestamp_us
    );
}

#[test]
fn evaluation_credits_the_inserted_frame_not_the_genuine_one() {
    let report = score(with_insertion(9_000));
    assert_eq!((report.tp, report.fp, report.fn_), (1, 0, 0));
    // Detected when the genuine frame arrived, 1 ms (± jitter) after the inserted one.
    let latency = report.median_latency_ms.unwrap_or(f64::NAN);
    assert!((0.5..=1.5).contains(&latency), "latency {latency} ms");
}

#[test]
fn a_frame_early_in_the_period_is_blamed_at_once() {
    let report = score(with_insertion(2_000));
    assert_eq!((report.tp, report.fp, report.fn_), (1, 0, 0));
    assert_eq!(report.median_latency_ms, Some(0.0));
}

#[test]
fn a_rare_ids_flood_is_blamed_from_its_first_frame() {
    let mut frames: Vec<CanFrame> = (300..310)
        .map(|step| labelled(genuine(step), false))
        .collect();
    for burst in 0..5 {
        frames.push(labelled(
            frame(0x001, 3_100_000 + burst * 200, &[0x39; 8]),
            true,
        ));
    }
    frames.sort_by_key(|f| f.timestamp_us);
    let report = score(frames);
    assert_eq!((report.tp, report.fp, report.fn_), (5, 0, 0));
}

#[test]
fn turning_attribution_off_blames_the_later_frame_as_before() {
    let mut profile = profile();
    profile.margins.attribute_inserted = false;
    let report = evaluate(with_insertion(9_000), &mut Detector::new(&profile));
    assert_eq!((report.tp, report.fp, report.fn_), (0, 1, 1));
}

#[test]
fn a_baseline_without_timestamps_turns_timing_checks_off() {
    let untimed = |id: u32| frame(id, 0, &[1, 2, 3]);
    let mut learner = Learner::new("untimed");
    learner.begin_capture("no-time");
    for _ in 0..30 {
        learner.learn(&untimed(0x200));
    }
    learner.learn(&untimed(0x300));
    let mut detector = Detector::new(&learner.finish());

    let alerts: Vec<_> = [untimed(0x300), untimed(0x300), untimed(0x200)]
        .iter()
        .flat_map(|f| detector.observe(f))
        .collect();
    assert!(alerts.is_empty(), "{alerts:?}");
    assert!(detector.finish(0).is_empty());
}

/// ID 0x200 every 10 ms, every tenth frame 5 ms late: gaps of 5 ms are normal for it, but
/// two gaps in a row never span less than 15 ms.
fn jittery(step: i64) -> CanFrame {
    let late = if step % 10 == 5 { 5_000 } else { 0 };
    frame(0x200, step * 10_000 + late, &[0x10, 0, 0, 0, 0, 0, 0, 0])
}

#[test]
fn a_frame_inside_the_jitter_of_both_neighbours_is_blamed_for_their_short_span() {
    let mut learner = Learner::new("jittery-car");
    learner.begin_capture("synthetic");
    (0..300).for_each(|step| learner.learn(&jittery(step)));
    let profile = learner.finish();
    let gaps = profile.id(0x200, false).and_then(|entry| entry.gaps);
    assert_eq!(
        gaps.map(|g| (g.min_us, g.min_two_gaps_us)),
        Some((5_000, Some(15_000)))
    );

    // 5.5 ms after genuine step 402 and 4.5 ms before step 403: each gap alone is above the
    // 3.75 ms allowed minimum, together they span 10 ms, below 0.8 × 15 ms.
    let mut frames: Vec<CanFrame> = (400..410).map(|s| labelled(jittery(s), false)).collect();
    let inserted = frame(
        0x200,
        jittery(402).timestamp_us + 5_500,
        &[0x10, 0xAA, 0, 0, 0, 0, 0, 0],
    );
    frames.insert(3, labelled(inserted, true));
    let mut detector = Detector::new(&profile);
    let alerts: Vec<_> = frames.iter().flat_map(|f| detector.observe(f)).collect();

    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].check, Check::InsertedFrame);
    assert_eq!(alerts[0].earlier_frame_us, Some(frames[3].timestamp_us));
    let Detail::Inserted { min_span_us, .. } = alerts[0].detail else {
        panic!("{:?}", alerts[0].detail);
    };
    assert_eq!(min_span_us, Some(12_000));
    let report = evaluate(frames, &mut Detector::new(&profile));
    assert_eq!((report.tp, report.fp, report.fn_), (1, 0, 0));
}

#[test]
fn the_span_check_is_off_at_factor_zero_and_for_profiles_without_spans() {
    let mut learner = Learner::new("jittery-car");
    (0..300).for_each(|step| learner.learn(&jittery(step)));
    let mut profile = learner.finish();
    let mut frames: Vec<CanFrame> = (400..410).map(|s| labelled(jittery(s), false)).collect();
    let inserted = frame(0x200, jittery(402).timestamp_us + 5_500, &[0x10; 8]);
    frames.insert(3, labelled(inserted, true));

    profile.margins.span_factor = 0.0;
    let off = evaluate(frames.clone(), &mut Detector::new(&profile));
    profile.margins.span_factor = 0.8;
    for entry in &mut profile.ids {
        if let Some(gaps) = &mut entry.gaps {
            gaps.min_two_gaps_us = None;
        }
    }
    let older_profile = evaluate(frames, &mut Detector::new(&profile));
    assert_eq!((off.tp, off.fn_), (0, 1));
    assert_eq!((older_profile.tp, older_profile.fn_), (0, 1));
}
