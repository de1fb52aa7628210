//! The in-process MQTT 5 broker (rumqttd) of the embedded default: a
//! simulator or a test vehicle connects to it with nothing else installed,
//! and Keelson's own subscriber connects to it like to any broker.
//!
//! Its sessions live in memory: a message the broker acknowledged to a
//! publisher but Keelson had not stored yet dies with the process. The
//! nothing-lost guarantee across a crash needs an external broker.

use std::collections::HashMap;
use std::net::SocketAddr;

use rumqttd::{Broker, Config, ConnectionSettings, RouterConfig, ServerSettings};

use super::MqttError;

/// Bounds of the broker's per-filter log: memory stays under
/// `SEGMENT_BYTES * SEGMENTS` for each subscribed filter.
const SEGMENT_BYTES: usize = 16 * 1024 * 1024;
const SEGMENTS: usize = 4;

/// The largest payload a publisher may send (matches what the subscriber accepts).
const MAX_PAYLOAD_BYTES: usize = 4 * 1024 * 1024;

/// Starts the broker on its own threads; errors when the address is taken.
pub fn start(listen: SocketAddr) -> Result<(), MqttError> {
    // rumqttd reports a failed bind only in its log, from its own thread:
    // binding once here first turns a taken port into a clear start error.
    std::net::TcpListener::bind(listen).map_err(|error| MqttError::Embedded {
        listen: listen.to_string(),
        reason: error.to_string(),
    })?;

    let mut broker = Broker::new(config(listen));
    std::thread::Builder::new()
        .name("mqtt-broker".to_owned())
        .spawn(move || {
            if let Err(error) = broker.start() {
                tracing::error!(%error, "embedded mqtt broker stopped");
            }
        })
        .map_err(|error| MqttError::Embedded {
            listen: listen.to_string(),
            reason: error.to_string(),
        })?;
    Ok(())
}

fn config(listen: SocketAddr) -> Config {
    let server = ServerSettings {
        name: "keelson-embedded".to_owned(),
        listen,
        tls: None,
        next_connection_delay_ms: 1,
        connections: ConnectionSettings {
            connection_timeout_ms: 60_000,
            max_payload_size: MAX_PAYLOAD_BYTES,
            max_inflight_count: 100,
            auth: None,
            external_auth: None,
            dynamic_filters: true,
        },
    };
    Config {
        router: RouterConfig {
            max_connections: 10_000,
            max_outgoing_packet_count: 200,
            max_segment_size: SEGMENT_BYTES,
            max_segment_count: SEGMENTS,
            ..RouterConfig::default()
        },
        v5: Some(HashMap::from([("1".to_owned(), server)])),
        ..Config::default()
    }
}
