//! Prometheus metrics: the registry and the families the server updates,
//! rendered in the text exposition format at `/metrics`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::ingest::IngestTotals;

/// Labels of an answered HTTP request.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    /// `2xx`, `4xx`, ...: the class keeps the series count small.
    pub status: String,
}

/// Labels of an ingested record.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct IngestLabels {
    /// The channel: `http`, `file`, `mqtt`.
    pub source: String,
    /// `received`, `accepted`, `duplicate` or `quarantined`.
    pub outcome: String,
}

/// Labels of a raised alert.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AlertLabels {
    /// The severity from the rule's `level`.
    pub severity: String,
}

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    pub http_requests: Family<RequestLabels, Counter>,
    pub http_in_flight: Gauge,
    pub ingest_records: Family<IngestLabels, Counter>,
    /// Ingest batches being processed (the bounded queue's depth).
    pub ingest_in_flight: Gauge,
    /// New alerts (not merges into an open one) by severity.
    pub alerts_raised: Family<AlertLabels, Counter>,
    /// MQTT messages received and not yet stored and acknowledged.
    pub mqtt_awaiting_storage: Gauge,
    /// 1 while the MQTT subscription is in place, else 0.
    pub mqtt_subscribed: Gauge,
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("keelson");
        let http_requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered",
            http_requests.clone(),
        );
        let http_in_flight = Gauge::default();
        registry.register(
            "http_in_flight",
            "HTTP requests being served",
            http_in_flight.clone(),
        );
        let ingest_records = Family::<IngestLabels, Counter>::default();
        registry.register(
            "ingest_records",
            "Telemetry records by source and outcome",
            ingest_records.clone(),
        );
        let ingest_in_flight = Gauge::default();
        registry.register(
            "ingest_in_flight",
            "Telemetry batches being processed",
            ingest_in_flight.clone(),
        );
        let alerts_raised = Family::<AlertLabels, Counter>::default();
        registry.register(
            "alerts_raised",
            "Alerts opened by detection, by severity",
            alerts_raised.clone(),
        );
        let mqtt_awaiting_storage = Gauge::default();
        registry.register(
            "mqtt_awaiting_storage",
            "MQTT messages received, not yet stored and acknowledged",
            mqtt_awaiting_storage.clone(),
        );
        let mqtt_subscribed = Gauge::default();
        registry.register(
            "mqtt_subscribed",
            "1 while the MQTT subscription is in place",
            mqtt_subscribed.clone(),
        );
        Self {
            registry,
            http_requests,
            http_in_flight,
            ingest_records,
            ingest_in_flight,
            alerts_raised,
            mqtt_awaiting_storage,
            mqtt_subscribed,
        }
    }

    /// Moves the ingest counters of `source` by one batch's totals.
    pub fn count_ingest(&self, source: &str, totals: IngestTotals) {
        let received = totals.accepted + totals.duplicates + totals.quarantined;
        let outcomes = [
            ("received", received),
            ("accepted", totals.accepted),
            ("duplicate", totals.duplicates),
            ("quarantined", totals.quarantined),
        ];
        for (outcome, count) in outcomes {
            let labels = IngestLabels {
                source: source.to_owned(),
                outcome: outcome.to_owned(),
            };
            self.ingest_records.get_or_create(&labels).inc_by(count);
        }
    }

    /// Mutable access for modules that register their own families.
    pub fn registry_mut(&mut self) -> &mut Registry {
        &mut self.registry
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        let mut text = String::new();
        if prometheus_client::encoding::text::encode(&mut text, &self.registry).is_err() {
            text.clear();
        }
        text
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
