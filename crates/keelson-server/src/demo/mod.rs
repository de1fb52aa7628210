//! `keelson demo` without the command line: a store seeded with the demo
//! catalogue, fleet, SBOMs, knowledge base and rules ([`seed`]), and a
//! [`Simulation`] that feeds the generator's events through the ingest path
//! every source takes (`ingest::Batch::write`, so detection, alerts,
//! incidents and OTA installations follow as for real traffic) and lets the
//! demo's service accounts respond ([`responder`]).
//!
//! The simulation is stepped by its caller with the time to advance to: the
//! command steps it once a second with the wall clock, tests with a
//! simulated clock, so nothing here sleeps or reads the time itself.

pub mod data;
pub mod responder;
pub mod seed;

use std::collections::HashMap;
use std::path::Path;

use keelson_sim::{Generator, Settings};
use keelson_store::StoreError;
use keelson_telemetry::SignalDecoder;
use keelson_telemetry::decode::ndjson::parse_line;
use time::OffsetDateTime;

use crate::AppState;
use crate::ingest::signals::{annotate, decoder_for_vehicle};
use crate::ingest::{Batch, IngestTotals, event_key, new_event, unit_record_key, unit_sha256};
use keelson_store::telemetry::NewQuarantined;
use responder::{Progress, Responder};

pub use seed::Seeded;

/// The actor the seeding is audited under.
pub const SEED_ACTOR: &str = "demo-seed";

/// The actor the simulated traffic is stored under.
pub const SIMULATOR_ACTOR: &str = "demo-simulator";

/// Why the demo could not be set up or stepped.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("demo file {name}: {reason}")]
    Data { name: String, reason: String },
    #[error("{path}: {reason}")]
    Io { path: String, reason: String },
    #[error("demo request {path} answered {status}: {body}")]
    Api {
        path: String,
        status: u16,
        body: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl DemoError {
    fn data(name: &str, reason: impl std::fmt::Display) -> Self {
        DemoError::Data {
            name: name.to_owned(),
            reason: reason.to_string(),
        }
    }

    fn io(path: &Path, error: std::io::Error) -> Self {
        DemoError::Io {
            path: path.display().to_string(),
            reason: error.to_string(),
        }
    }

    fn api(path: &str, status: axum::http::StatusCode, body: impl std::fmt::Display) -> Self {
        DemoError::Api {
            path: path.to_owned(),
            status: status.as_u16(),
            body: body.to_string(),
        }
    }
}

impl From<crate::error::ApiError> for DemoError {
    fn from(error: crate::error::ApiError) -> Self {
        DemoError::Api {
            path: "(internal)".to_owned(),
            status: error.status.as_u16(),
            body: error.message,
        }
    }
}

/// What one step did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Step {
    pub events: usize,
    pub totals: IngestTotals,
}

/// The seeded demo and its running fleet.
pub struct Simulation {
    state: AppState,
    generator: Generator,
    responder: Responder,
    /// Each model's DBC decoder, loaded on its first frame.
    decoders: HashMap<String, Option<SignalDecoder>>,
}

impl Simulation {
    /// Seeds the state's (empty) store for the settings' fleet, writing the
    /// DBC files into the configured `dbc_dir` (required), and creates the
    /// demo's service accounts.
    pub async fn seed(state: AppState, settings: Settings) -> Result<(Self, Seeded), DemoError> {
        let dbc_dir = state.config.dbc_dir.clone().ok_or_else(|| DemoError::Io {
            path: "dbc_dir".to_owned(),
            reason: "the demo needs a DBC folder to write its DBC files into".to_owned(),
        })?;
        let start_us = time_us(settings.start);
        let generator = Generator::new(settings);
        let store = &state.store;
        let seeded = seed::seed(store, SEED_ACTOR, generator.fleet(), &dbc_dir, start_us).await?;
        state.detector.reload(store).await?;
        let responder = Responder::create(store, SEED_ACTOR, start_us).await?;
        let simulation = Simulation {
            state,
            generator,
            responder,
            decoders: HashMap::new(),
        };
        Ok((simulation, seeded))
    }

    /// Advances the simulated fleet to `now`, stores what it produced
    /// through the ingest path, and lets the responder take its next step.
    pub async fn step(&mut self, now: OffsetDateTime) -> Result<Step, DemoError> {
        let events = self.generator.advance_to(now);
        let count = events.len();
        let mut batch = Batch::default();
        let received_us = time_us(now);
        let lines: Vec<Vec<u8>> = events
            .into_iter()
            .map(|event| serde_json::to_vec(&event).unwrap_or_default())
            .collect();
        let step_sha256 = unit_sha256(&lines.concat());
        for (index, line) in lines.into_iter().enumerate() {
            match parse_line(&line) {
                Ok(mut event) => {
                    self.add_signals(&mut event).await;
                    batch.accept(index, new_event(&event, event_key(&event), received_us));
                }
                Err(reason) => batch.reject(index, quarantined(&step_sha256, index, line, reason)),
            }
        }
        let (totals, _) = batch
            .write(&self.state.store, &self.state.detector, SIMULATOR_ACTOR)
            .await?;
        self.state.metrics.count_ingest("demo", totals);
        self.responder.act(&self.state).await?;
        Ok(Step {
            events: count,
            totals,
        })
    }

    /// How far the demo's response has come.
    pub fn progress(&self) -> &Progress {
        &self.responder.progress
    }

    pub fn generator(&self) -> &Generator {
        &self.generator
    }

    /// Decoded signals on CAN frames, as an uploaded capture of the
    /// vehicle would get them from its model's DBC files.
    async fn add_signals(&mut self, event: &mut keelson_telemetry::Event) {
        if event.kind != keelson_telemetry::event::KIND_CAN_FRAME {
            return;
        }
        let Some(vehicle) = event.vehicle_id.clone() else {
            return;
        };
        let Some(model) = self.model_of(&vehicle) else {
            return;
        };
        if !self.decoders.contains_key(&model) {
            let dbc_dir = self.state.config.dbc_dir.as_deref();
            let loaded = decoder_for_vehicle(&self.state.store, dbc_dir, &vehicle).await;
            let decoder = loaded.unwrap_or_else(|error| {
                tracing::warn!(%error, %model, "demo dbc files not loaded");
                None
            });
            self.decoders.insert(model.clone(), decoder);
        }
        if let Some(Some(decoder)) = self.decoders.get(&model) {
            annotate(decoder, event);
        }
    }

    fn model_of(&self, vehicle: &str) -> Option<String> {
        let fleet = &self.generator.fleet().vehicles;
        let found = fleet.iter().find(|candidate| candidate.id == vehicle)?;
        Some(found.model.id.to_owned())
    }
}

/// A generated event the schema refuses is quarantined like any source's,
/// under the step's digest and its place in the step.
fn quarantined(step_sha256: &str, index: usize, line: Vec<u8>, reason: String) -> NewQuarantined {
    NewQuarantined {
        dedup_key: unit_record_key("demo", SIMULATOR_ACTOR, step_sha256, index),
        source: "demo".to_owned(),
        origin: "keelson demo simulator".to_owned(),
        position: format!("event {}", index + 1),
        reason,
        raw: line,
        format: Some("ndjson".to_owned()),
        vehicle_id: None,
        record_key: None,
    }
}

fn time_us(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX)
}
