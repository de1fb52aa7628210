//! The generator: seed and clock in, events out. Each call to
//! [`Generator::advance_to`] moves the simulated clock forward and returns
//! the events that happened in between, in time order: background traffic
//! at the configured rate (CAN frames encoded from each model's DBC
//! signals, telematics, diagnostics, the owners' remote commands), an OTA
//! campaign, and the attack scenarios, replayed every cycle on new victims.
//!
//! The generator reads no clock and does no I/O, so the same settings and
//! the same sequence of clock values always give the same events.

use keelson_telemetry::{Event, Source};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use serde_json::json;
use time::{Duration, OffsetDateTime};

use crate::catalogue::ModelSpec;
use crate::fleet::{Fleet, SimVehicle};
use crate::random::Draw;
use crate::scenarios::{self, Attack, Target, attributes};

/// How long one round of attack scenarios lasts before the next begins.
pub const CYCLE_SECS: i64 = 300;

/// Seconds after the start at which the OTA campaign begins, and over how
/// many seconds its vehicles are spread.
const OTA_START_SECS: i64 = 30;
const OTA_SPREAD_SECS: i64 = 120;

/// What to simulate.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub seed: u64,
    pub vehicles: usize,
    /// Background events per second over the whole fleet.
    pub rate: f64,
    /// The simulated clock's starting time.
    pub start: OffsetDateTime,
    /// Whether attack scenarios are played.
    pub attacks: bool,
}

/// What one vehicle is doing now.
#[derive(Debug, Clone)]
struct VehicleState {
    speed_kmh: f64,
    odometer_km: f64,
    latitude: f64,
    longitude: f64,
    charge_percent: f64,
    /// (ECU ID, build ID) per slot, as installed now.
    builds: Vec<(&'static str, &'static str)>,
}

/// The simulator.
pub struct Generator {
    settings: Settings,
    fleet: Fleet,
    states: Vec<VehicleState>,
    traffic: ChaCha8Rng,
    plans: ChaCha8Rng,
    clock: OffsetDateTime,
    /// Background events owed but not yet produced (a fraction carried over).
    owed: f64,
    /// Planned events, not yet due, with the place of their vehicle.
    pending: Vec<Event>,
    cycles_planned: i64,
    sequence: u64,
}

impl Generator {
    pub fn new(settings: Settings) -> Generator {
        let fleet = Fleet::new(settings.seed, settings.vehicles);
        let mut traffic = ChaCha8Rng::seed_from_u64(settings.seed);
        let states = fleet
            .vehicles
            .iter()
            .map(|vehicle| initial_state(vehicle, &mut traffic))
            .collect();
        let plans = ChaCha8Rng::seed_from_u64(settings.seed ^ PLAN_STREAM);
        let mut generator = Generator {
            clock: settings.start,
            settings,
            fleet,
            states,
            traffic,
            plans,
            owed: 0.0,
            pending: Vec::new(),
            cycles_planned: 0,
            sequence: 0,
        };
        generator.plan_ota_campaign();
        generator
    }

    pub fn fleet(&self) -> &Fleet {
        &self.fleet
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The simulated time reached so far.
    pub fn now(&self) -> OffsetDateTime {
        self.clock
    }

    /// The events between the last call (or the start) and `now`, oldest
    /// first; a time not after the clock returns nothing.
    pub fn advance_to(&mut self, now: OffsetDateTime) -> Vec<Event> {
        if now <= self.clock {
            return Vec::new();
        }
        let from = self.clock;
        self.plan_cycles_until(now);
        let mut events = self.background(from, now);
        events.extend(self.due(now));
        events.sort_by_key(|event| event.vehicle_time);
        for event in &mut events {
            self.apply(event);
            self.sequence += 1;
            event.event_id = Some(format!("sim-{:x}-{}", self.settings.seed, self.sequence));
        }
        self.clock = now;
        events
    }

    /// Planned events due by `now`, removed from the plan.
    fn due(&mut self, now: OffsetDateTime) -> Vec<Event> {
        let (due, later) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|event| event.vehicle_time.is_some_and(|at| at <= now));
        self.pending = later;
        due
    }

    /// What an event does to its vehicle (an installation moves the slot).
    fn apply(&mut self, event: &Event) {
        if event.kind != "ota.install_completed" {
            return;
        }
        let Some(place) = self.place_of(event.vehicle_id.as_deref()) else {
            return;
        };
        let (Some(ecu), Some(build)) = (&event.ecu, &event.build_id) else {
            return;
        };
        let slots = &mut self.states[place].builds;
        for slot in slots.iter_mut().filter(|(id, _)| id == ecu) {
            if let Some((_, update)) = update_for(self.fleet.vehicles[place].model, build) {
                slot.1 = update;
            }
        }
    }

    fn place_of(&self, vehicle_id: Option<&str>) -> Option<usize> {
        let id = vehicle_id?;
        self.fleet.vehicles.iter().position(|v| v.id == id)
    }

    fn target(&self, place: usize) -> Target<'_> {
        let vehicle = &self.fleet.vehicles[place];
        let state = &self.states[place];
        Target {
            vehicle_id: &vehicle.id,
            model: vehicle.model,
            builds: &state.builds,
            speed_kmh: state.speed_kmh,
        }
    }

    /// Plans the attack cycles that start by `now`, each on victims drawn
    /// for that cycle.
    fn plan_cycles_until(&mut self, now: OffsetDateTime) {
        if !self.settings.attacks || self.fleet.is_empty() {
            return;
        }
        loop {
            let cycle_start =
                self.settings.start + Duration::seconds(self.cycles_planned * CYCLE_SECS);
            if cycle_start > now {
                return;
            }
            self.plan_cycle(cycle_start);
            self.cycles_planned += 1;
        }
    }

    fn plan_cycle(&mut self, cycle_start: OffsetDateTime) {
        let mut planned = Vec::new();
        for attack in Attack::ALL {
            let start = cycle_start + Duration::seconds(attack.offset_secs());
            let victim = self.plans.below(self.fleet.len());
            let events = match attack {
                Attack::UdsBruteForce => scenarios::uds_brute_force(&self.target(victim), start),
                Attack::KeyFobRelay => scenarios::key_fob_relay(&self.target(victim), start),
                Attack::CanInjection => scenarios::can_injection(&self.target(victim), start),
                Attack::CanFuzzing => {
                    let mut rng = self.plans.clone();
                    let events = scenarios::can_fuzzing(&self.target(victim), start, &mut rng);
                    self.plans = rng;
                    events
                }
                Attack::RemoteCommandAbuse => {
                    let order = self.rotation(victim);
                    let targets: Vec<Target<'_>> =
                        order.iter().map(|place| self.target(*place)).collect();
                    scenarios::remote_command_abuse(&targets, start)
                }
            };
            planned.extend(events);
        }
        self.pending.extend(planned);
    }

    /// Every vehicle's place, starting at `first`.
    fn rotation(&self, first: usize) -> Vec<usize> {
        let size = self.fleet.len();
        (0..size).map(|step| (first + step) % size).collect()
    }

    /// Half the vehicles whose model has an update get it, spread over the
    /// campaign: download, install, completed.
    fn plan_ota_campaign(&mut self) {
        let mut planned = Vec::new();
        for place in 0..self.fleet.len() {
            let model = self.fleet.vehicles[place].model;
            let Some(ecu) = model.ecus.iter().find(|ecu| ecu.update.is_some()) else {
                continue;
            };
            if !self.plans.chance(0.5) {
                continue;
            }
            let Some(update) = ecu.update else {
                continue;
            };
            let offset = OTA_START_SECS + self.plans.below(OTA_SPREAD_SECS as usize) as i64;
            let start = self.settings.start + Duration::seconds(offset);
            let target = self.target(place);
            planned.extend(ota_install(
                &target,
                ecu.id,
                ecu.factory_build.id,
                update.id,
                start,
            ));
        }
        self.pending.extend(planned);
    }

    /// Background traffic between `from` and `to` at the configured rate.
    fn background(&mut self, from: OffsetDateTime, to: OffsetDateTime) -> Vec<Event> {
        // A NaN rate makes no traffic, like a zero one.
        let positive = self.settings.rate.partial_cmp(&0.0) == Some(std::cmp::Ordering::Greater);
        if self.fleet.is_empty() || !positive {
            return Vec::new();
        }
        let span_ms = (to - from).whole_milliseconds().max(1) as f64;
        self.owed += self.settings.rate.min(MAX_RATE) * span_ms / 1_000.0;
        let count = self.owed.floor() as usize;
        self.owed -= count as f64;
        self.drive(span_ms / 1_000.0);
        (0..count)
            .map(|_| {
                let at = from + Duration::milliseconds(self.traffic.between(0.0, span_ms) as i64);
                let place = self.traffic.below(self.fleet.len());
                self.background_event(place, at)
            })
            .collect()
    }

    /// Moves every vehicle on: speed drifts, distance and position follow.
    fn drive(&mut self, seconds: f64) {
        for state in &mut self.states {
            let change = self.traffic.between(-6.0, 6.0);
            state.speed_kmh = (state.speed_kmh + change).clamp(0.0, 130.0);
            let km = state.speed_kmh * seconds / 3_600.0;
            state.odometer_km += km;
            state.latitude += km / 111.0 * self.traffic.between(-1.0, 1.0);
            state.longitude += km / 74.0 * self.traffic.between(-1.0, 1.0);
            state.charge_percent = (state.charge_percent - km * 0.15).max(5.0);
        }
    }

    fn background_event(&mut self, place: usize, at: OffsetDateTime) -> Event {
        let roll = self.traffic.unit();
        match roll {
            r if r < 0.60 => self.can_traffic(place, at),
            r if r < 0.75 => self.position(place, at),
            r if r < 0.82 => self.odometer(place, at),
            r if r < 0.90 => self.owner_access(place, at),
            r if r < 0.97 => self.workshop_diagnostics(place, at),
            r if r < 0.998 => self.link_status(place, at),
            _ => {
                let owner = format!("owner-app:{}", self.fleet.vehicles[place].id);
                let command = self.traffic.pick(&["climate_on", "lock", "horn"]);
                scenarios::remote_command(&self.target(place), at, &owner, command)
            }
        }
    }

    /// One frame of one of the model's messages, its signals set from the
    /// vehicle's state.
    fn can_traffic(&mut self, place: usize, at: OffsetDateTime) -> Event {
        let model = self.fleet.vehicles[place].model;
        let message = &model.messages[self.traffic.below(model.messages.len())];
        let values = signal_values(&self.states[place], &mut self.traffic);
        let data = crate::can::encode(message, &values);
        scenarios::can_frame(&self.target(place), at, message.id, &data)
    }

    fn position(&mut self, place: usize, at: OffsetDateTime) -> Event {
        let state = &self.states[place];
        let mut event = telematics(&self.target(place), "telematics.position", at);
        attributes(
            &mut event,
            json!({"latitude": round(state.latitude, 5), "longitude": round(state.longitude, 5),
                   "speed_kmh": round(state.speed_kmh, 1)}),
        );
        event
    }

    fn odometer(&mut self, place: usize, at: OffsetDateTime) -> Event {
        let state = &self.states[place];
        let mut event = telematics(&self.target(place), "telematics.odometer", at);
        let delta = self.traffic.between(0.0, 2.0);
        attributes(
            &mut event,
            json!({"odometer_km": round(state.odometer_km, 1),
                   "odometer_delta_km": round(delta, 1)}),
        );
        event
    }

    /// The owner locks or unlocks with the key in hand, or starts the car.
    fn owner_access(&mut self, place: usize, at: OffsetDateTime) -> Event {
        let kind = self.traffic.pick(&[
            "telematics.unlock",
            "telematics.lock",
            "telematics.ignition",
        ]);
        let mut event = telematics(&self.target(place), kind, at);
        let distance = self.traffic.below(40);
        attributes(
            &mut event,
            json!({"method": "key_fob", "key_in_proximity": true,
                   "distance_from_last_position_m": distance}),
        );
        event
    }

    /// A workshop or the TCU reading data by identifier, at standstill.
    fn workshop_diagnostics(&mut self, place: usize, at: OffsetDateTime) -> Event {
        let role = self.traffic.pick(&["gateway", "tcu"]);
        let did = self.traffic.pick(&[0xF190_u32, 0xF189, 0xF18C, 0xF40D]);
        let target = self.target(place);
        let (ecu, build) = (target.model.ecu(role), &target.builds);
        let mut event = Event::new(Source::Uds, "uds.request");
        event.vehicle_id = Some(target.vehicle_id.to_owned());
        event.vehicle_time = Some(at);
        if let Some(ecu) = ecu {
            event.ecu = Some(ecu.id.to_owned());
            event.build_id = build
                .iter()
                .find(|(slot, _)| *slot == ecu.id)
                .map(|(_, id)| (*id).to_owned());
        }
        attributes(
            &mut event,
            json!({"service": 0x22, "data_identifier": did, "vehicle_speed_kmh": 0}),
        );
        event
    }

    fn link_status(&mut self, place: usize, at: OffsetDateTime) -> Event {
        let mut event = telematics(&self.target(place), "telematics.heartbeat", at);
        let rssi = -(60 + self.traffic.below(45) as i64);
        attributes(&mut event, json!({"rssi_dbm": rssi, "network": "lte"}));
        event
    }
}

/// Above this many events per second the background is capped: a demo is
/// meant to be watched, not to load-test the store.
pub const MAX_RATE: f64 = 10_000.0;

/// Keeps the plan's draws apart from the traffic's for the same seed.
const PLAN_STREAM: u64 = 0x706c_616e_0000_0002;

fn initial_state(vehicle: &SimVehicle, rng: &mut ChaCha8Rng) -> VehicleState {
    let (latitude, longitude) = match vehicle.region {
        "US" => (41.88, -87.63),
        "CA" => (43.65, -79.38),
        "UK" => (51.51, -0.13),
        _ => (59.91, 10.75),
    };
    VehicleState {
        speed_kmh: rng.between(0.0, 90.0),
        odometer_km: rng.between(800.0, 60_000.0),
        latitude: latitude + rng.between(-0.2, 0.2),
        longitude: longitude + rng.between(-0.2, 0.2),
        charge_percent: rng.between(30.0, 95.0),
        builds: vehicle
            .model
            .ecus
            .iter()
            .map(|ecu| (ecu.id, ecu.factory_build.id))
            .collect(),
    }
}

/// The update of the slot whose build an installation names.
fn update_for(model: &ModelSpec, build: &str) -> Option<(&'static str, &'static str)> {
    model
        .ecus
        .iter()
        .filter_map(|ecu| ecu.update.map(|update| (ecu.id, update.id)))
        .find(|(_, update)| *update == build)
}

/// Signal values that follow the vehicle's state (speeds, charge) with a
/// little noise elsewhere.
fn signal_values(state: &VehicleState, rng: &mut ChaCha8Rng) -> Vec<(&'static str, f64)> {
    let speed = state.speed_kmh;
    let moving = f64::from(u8::from(speed > 1.0));
    vec![
        ("VehicleSpeed", speed),
        ("WheelSpeedFL", speed + rng.between(-0.5, 0.5)),
        ("WheelSpeedFR", speed + rng.between(-0.5, 0.5)),
        ("WheelSpeedRL", speed + rng.between(-0.5, 0.5)),
        ("WheelSpeedRR", speed + rng.between(-0.5, 0.5)),
        ("MotorTorque", rng.between(-40.0, 260.0) * moving),
        ("AxleTorque", rng.between(-200.0, 1_800.0) * moving),
        ("AccelPedal", rng.between(0.0, 60.0) * moving),
        ("EngineSpeed", 800.0 + speed * 28.0),
        ("CoolantTemp", rng.between(82.0, 96.0)),
        ("ThrottlePosition", rng.between(0.0, 50.0) * moving),
        ("FuelLevel", state.charge_percent),
        ("StateOfCharge", state.charge_percent),
        ("PackVoltage", 340.0 + state.charge_percent * 0.6),
        ("PackCurrent", rng.between(-20.0, 180.0) * moving),
        ("CellTempMax", rng.between(24.0, 38.0)),
        ("GearSelector", if moving > 0.0 { 3.0 } else { 0.0 }),
        ("DoorsLocked", moving),
        ("KeyFobInRange", 1.0),
        ("CabinTemp", rng.between(19.0, 23.0)),
        ("PayloadMass", rng.between(200.0, 1_400.0)),
        ("CargoLocked", 1.0),
        ("CellularRssi", -rng.between(60.0, 105.0)),
        ("GnssFix", 1.0),
        ("BackendConnected", 1.0),
    ]
}

fn telematics(target: &Target<'_>, kind: &str, at: OffsetDateTime) -> Event {
    let (ecu, build) = target
        .model
        .ecu("tcu")
        .map(|ecu| {
            let build = target
                .builds
                .iter()
                .find(|(slot, _)| *slot == ecu.id)
                .map(|(_, id)| *id);
            (Some(ecu.id), build)
        })
        .unwrap_or((None, None));
    let mut event = Event::new(Source::Telematics, kind);
    event.vehicle_id = Some(target.vehicle_id.to_owned());
    event.vehicle_time = Some(at);
    event.ecu = ecu.map(str::to_owned);
    event.build_id = build.map(str::to_owned);
    event
}

/// Download, install and completion of one update on one slot.
fn ota_install(
    target: &Target<'_>,
    ecu: &str,
    from_build: &str,
    to_build: &str,
    start: OffsetDateTime,
) -> Vec<Event> {
    let steps = [
        ("ota.download_completed", 0, from_build),
        ("ota.install_started", 20, from_build),
        ("ota.install_completed", 50, to_build),
    ];
    steps
        .iter()
        .map(|(kind, after, build)| {
            let mut event = Event::new(Source::Ota, *kind);
            event.vehicle_id = Some(target.vehicle_id.to_owned());
            event.vehicle_time = Some(start + Duration::seconds(*after));
            event.ecu = Some(ecu.to_owned());
            event.build_id = Some((*build).to_owned());
            attributes(
                &mut event,
                json!({"campaign": "demo-tcu-2026-12", "from_build": from_build,
                       "to_build": to_build}),
            );
            event
        })
        .collect()
}

fn round(value: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    (value * scale).round() / scale
}
