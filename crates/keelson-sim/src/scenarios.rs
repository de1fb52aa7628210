//! The attack scenarios the simulator plays, each a list of timed events
//! against one or more vehicles, and the Sigma rules (shipped in `rules/`
//! or the demo's own in `demo/rules/`) that are meant to catch it.
//!
//! Every scenario is a pure function of its victims, its start time and a
//! random stream; the generator decides when each one runs.

use keelson_telemetry::{Event, Source};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::catalogue::{ModelSpec, is_known_can_id};
use crate::random::Draw;

/// The attacks the demo stages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Attack {
    /// Repeated UDS SecurityAccess keys on the gateway after an extended
    /// session opened while driving.
    UdsBruteForce,
    /// Unlock and start without the key near the vehicle.
    KeyFobRelay,
    /// Spoofed speed frames at many times the message's rate.
    CanInjection,
    /// Frames with identifiers no DBC file defines, random payloads.
    CanFuzzing,
    /// A stolen backend account unlocking vehicle after vehicle.
    RemoteCommandAbuse,
}

impl Attack {
    pub const ALL: [Attack; 5] = [
        Attack::UdsBruteForce,
        Attack::KeyFobRelay,
        Attack::CanInjection,
        Attack::CanFuzzing,
        Attack::RemoteCommandAbuse,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Attack::UdsBruteForce => "uds_security_access_brute_force",
            Attack::KeyFobRelay => "key_fob_relay",
            Attack::CanInjection => "can_injection",
            Attack::CanFuzzing => "can_fuzzing",
            Attack::RemoteCommandAbuse => "remote_command_abuse",
        }
    }

    /// The IDs of the rules that must fire on this attack.
    pub fn rule_ids(self) -> &'static [&'static str] {
        match self {
            Attack::UdsBruteForce => &[
                "6f1d2a0e-3c4b-4e8a-9d11-5a0c7b2e4f02",
                "6f1d2a0e-3c4b-4e8a-9d11-5a0c7b2e4f03",
            ],
            Attack::KeyFobRelay => &["6f1d2a0e-3c4b-4e8a-9d11-5a0c7b2e4f05"],
            Attack::CanInjection => &["0d3e5c1a-7b2f-4c11-9a60-2f1d4e8b7a02"],
            Attack::CanFuzzing => &["0d3e5c1a-7b2f-4c11-9a60-2f1d4e8b7a04"],
            Attack::RemoteCommandAbuse => &["0d3e5c1a-7b2f-4c11-9a60-2f1d4e8b7a06"],
        }
    }

    /// Seconds after a cycle's start at which the attack begins.
    pub fn offset_secs(self) -> i64 {
        match self {
            Attack::UdsBruteForce => 5,
            Attack::KeyFobRelay => 10,
            Attack::CanInjection => 15,
            Attack::CanFuzzing => 20,
            Attack::RemoteCommandAbuse => 25,
        }
    }
}

/// The backend account a remote-command attacker has stolen.
pub const STOLEN_ACCOUNT: &str = "fleet-ops-7";

/// A vehicle as a scenario sees it: who it is, its model and the builds
/// its ECUs run when the attack starts.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    pub vehicle_id: &'a str,
    pub model: &'static ModelSpec,
    /// (ECU ID, build ID) per slot.
    pub builds: &'a [(&'static str, &'static str)],
    pub speed_kmh: f64,
}

impl Target<'_> {
    fn build_of(&self, role: &str) -> (Option<&'static str>, Option<&'static str>) {
        let Some(ecu) = self.model.ecu(role) else {
            return (None, None);
        };
        let build = self
            .builds
            .iter()
            .find(|(slot, _)| *slot == ecu.id)
            .map(|(_, build)| *build);
        (Some(ecu.id), build)
    }

    /// An event of this vehicle from the ECU with `role`.
    fn event(&self, role: &str, source: Source, kind: &str, at: OffsetDateTime) -> Event {
        let (ecu, build) = self.build_of(role);
        let mut event = Event::new(source, kind);
        event.vehicle_id = Some(self.vehicle_id.to_owned());
        event.vehicle_time = Some(at);
        event.ecu = ecu.map(str::to_owned);
        event.build_id = build.map(str::to_owned);
        event
    }
}

/// Attributes from a JSON object literal.
pub(crate) fn attributes(event: &mut Event, value: Value) {
    if let Value::Object(map) = value {
        event.attributes = map;
    }
}

fn millis(ms: i64) -> Duration {
    Duration::milliseconds(ms)
}

/// An extended session requested at speed, then eight SecurityAccess
/// rounds whose keys the gateway rejects, the last two as exceeded attempts.
pub fn uds_brute_force(target: &Target<'_>, start: OffsetDateTime) -> Vec<Event> {
    let speed = target.speed_kmh.max(42.0);
    let mut session = target.event("gateway", Source::Uds, "uds.request", start);
    attributes(
        &mut session,
        json!({"service": 0x10, "sub_function": 0x03, "vehicle_speed_kmh": speed,
               "tester_address": "0x0F1"}),
    );
    let mut events = vec![session];
    for attempt in 0..8_i64 {
        let at = start + millis(2_000 + attempt * 1_500);
        let mut seed = target.event("gateway", Source::Uds, "uds.request", at);
        attributes(
            &mut seed,
            json!({"service": 0x27, "sub_function": 0x01, "vehicle_speed_kmh": speed}),
        );
        let mut key = target.event("gateway", Source::Uds, "uds.request", at + millis(300));
        attributes(
            &mut key,
            json!({"service": 0x27, "sub_function": 0x02, "vehicle_speed_kmh": speed}),
        );
        let nrc = if attempt < 6 { 0x35 } else { 0x36 };
        let mut refused = target.event(
            "gateway",
            Source::Uds,
            "uds.negative_response",
            at + millis(320),
        );
        attributes(&mut refused, json!({"service": 0x27, "nrc": nrc}));
        events.extend([seed, key, refused]);
    }
    events
}

/// A relayed unlock with the key nowhere near, then an engine start 4.8 km
/// from where the vehicle was parked.
pub fn key_fob_relay(target: &Target<'_>, start: OffsetDateTime) -> Vec<Event> {
    let mut unlock = target.event("tcu", Source::Telematics, "telematics.unlock", start);
    attributes(
        &mut unlock,
        json!({"method": "passive_entry", "key_in_proximity": false,
               "distance_from_last_position_m": 3}),
    );
    let mut ignition = target.event(
        "tcu",
        Source::Telematics,
        "telematics.ignition",
        start + millis(40_000),
    );
    attributes(
        &mut ignition,
        json!({"key_in_proximity": true, "distance_from_last_position_m": 4_800}),
    );
    vec![unlock, ignition]
}

/// Forty frames of the model's speed message in two seconds, each claiming
/// standstill while the vehicle drives.
pub fn can_injection(target: &Target<'_>, start: OffsetDateTime) -> Vec<Event> {
    let Some(message) = target.model.message(target.model.speed_message) else {
        return Vec::new();
    };
    let zeros: Vec<(&str, f64)> = message.signals.iter().map(|s| (s.name, 0.0)).collect();
    let data = crate::can::encode(message, &zeros);
    (0..40)
        .map(|frame| {
            let at = start + millis(frame * 50);
            can_frame(target, at, message.id, &data)
        })
        .collect()
}

/// Thirty frames over three seconds with identifiers outside every DBC
/// file of the fleet and random payloads.
pub fn can_fuzzing(target: &Target<'_>, start: OffsetDateTime, rng: &mut ChaCha8Rng) -> Vec<Event> {
    let mut events = Vec::new();
    let mut frame = 0;
    while events.len() < 30 {
        let id = rng.below(0x800) as u32;
        if is_known_can_id(id) {
            continue;
        }
        let length = 1 + rng.below(8);
        let data: Vec<u8> = (0..length).map(|_| rng.below(256) as u8).collect();
        events.push(can_frame(target, start + millis(frame * 100), id, &data));
        frame += 1;
    }
    events
}

/// The stolen account unlocks every vehicle of `fleet` once, one a second,
/// and the first five times more, four seconds apart.
pub fn remote_command_abuse(fleet: &[Target<'_>], start: OffsetDateTime) -> Vec<Event> {
    let mut events = Vec::new();
    for (place, target) in fleet.iter().enumerate() {
        let at = start + millis(place as i64 * 1_000);
        events.push(remote_command(target, at, STOLEN_ACCOUNT, "unlock"));
    }
    if let Some(first) = fleet.first() {
        for repeat in 1..=5 {
            let at = start + millis(repeat * 4_000 + 500);
            events.push(remote_command(first, at, STOLEN_ACCOUNT, "unlock"));
        }
    }
    events
}

/// A remote command the telematics backend sent to a vehicle.
pub(crate) fn remote_command(
    target: &Target<'_>,
    at: OffsetDateTime,
    user: &str,
    command: &str,
) -> Event {
    let mut event = Event::new(Source::Backend, "backend.remote_command");
    event.vehicle_id = Some(target.vehicle_id.to_owned());
    event.vehicle_time = Some(at);
    attributes(
        &mut event,
        json!({"user": user, "command": command, "channel": "mobile_api"}),
    );
    event
}

/// A `can.frame` event of the vehicle's bus as its gateway logs it.
pub(crate) fn can_frame(target: &Target<'_>, at: OffsetDateTime, id: u32, data: &[u8]) -> Event {
    let mut event = target.event(
        "gateway",
        Source::Can,
        keelson_telemetry::event::KIND_CAN_FRAME,
        at,
    );
    attributes(
        &mut event,
        json!({"id": id, "extended": false, "fd": false, "dlc": data.len(),
               "data": hex_of(data), "frame_type": "data", "channel": "can0"}),
    );
    event
}

fn hex_of(data: &[u8]) -> String {
    data.iter().map(|byte| format!("{byte:02x}")).collect()
}
