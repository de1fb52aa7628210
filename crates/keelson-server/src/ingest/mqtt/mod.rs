//! MQTT as a telemetry source: an MQTT 5 shared subscription at QoS 1 on a
//! persistent session, each message's events stored through the same
//! ingest path as HTTP and files, and a PUBACK sent only once they are
//! durably stored or quarantined.
//!
//! Two tasks and one bounded channel. The connection task polls the client
//! (which also reconnects and pings) and hands each message to the writer;
//! the writer stores messages in batches, then acknowledges them in the
//! order they arrived. The broker sends at most `receive_maximum`
//! unacknowledged messages, so when the store is slow Keelson stops
//! acknowledging and the broker holds the rest back; nothing grows.

pub mod message;
pub mod settings;

#[cfg(feature = "mqtt-embedded")]
pub mod embedded;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{ConnAck, Packet, Publish, SubAck, SubscribeReasonCode};
use rumqttc::v5::{AsyncClient, Event, EventLoop};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::AppState;
use crate::ingest::{Batch, IngestTotals};
pub use message::TopicLayout;
pub use settings::{MqttError, MqttSettings};

/// The most messages written to the store in one batch.
const MAX_MESSAGES_PER_BATCH: usize = 256;

/// The first and the longest wait between reconnection (or store) attempts.
const FIRST_RETRY: Duration = Duration::from_millis(250);
const LONGEST_RETRY: Duration = Duration::from_secs(30);

/// Who the audit log names for what the MQTT source stores.
const ACTOR: &str = "mqtt";

/// A received message and the connection it came on: a PUBACK is only
/// valid on that connection (after a reconnect the broker sends the
/// message again, and that copy is the one to acknowledge).
struct Delivery {
    publish: Publish,
    connection: u64,
}

/// PUBACKs on their way to the client, in arrival order. The writer never
/// waits for room in the client's request channel (the reader, which
/// empties that channel, may itself be waiting for the writer); what does
/// not fit waits here and the reader moves it on before each poll.
#[derive(Default)]
struct AckQueue {
    waiting: Mutex<VecDeque<(u64, Publish)>>,
}

impl AckQueue {
    /// Acknowledges now, or queues behind the acknowledgements already waiting.
    fn push(&self, client: &AsyncClient, connection: u64, publish: Publish) {
        let mut waiting = self
            .waiting
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if waiting.is_empty() && client.try_ack(&publish).is_ok() {
            return;
        }
        waiting.push_back((connection, publish));
    }

    /// Moves waiting acknowledgements into the client while it has room;
    /// those of an earlier connection are dropped (the broker resends
    /// their messages, and those copies are acknowledged).
    fn flush(&self, client: &AsyncClient, live: u64) {
        let mut waiting = self
            .waiting
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        while let Some((connection, publish)) = waiting.front() {
            if *connection == live && client.try_ack(publish).is_err() {
                return;
            }
            waiting.pop_front();
        }
    }
}

/// The running source; dropping it stops both tasks (unacknowledged
/// messages stay with the broker and come back on the next start).
pub struct MqttSource {
    reader: JoinHandle<()>,
    writer: JoinHandle<()>,
}

impl Drop for MqttSource {
    fn drop(&mut self) {
        self.reader.abort();
        self.writer.abort();
    }
}

/// Starts subscribing; must be called inside a tokio runtime.
pub fn start(state: &AppState, settings: MqttSettings) -> MqttSource {
    let inflight = usize::from(settings.receive_maximum.max(1));
    // Room for one connection's messages plus their redelivered copies
    // after a reconnect. A broker may exceed the window when it resumes a
    // session; the reader then waits for the writer, which never waits for
    // the reader (see `AckQueue`), so the wait ends.
    let (client, eventloop) = AsyncClient::new(settings.client_options(), 2 * inflight + 16);
    let (deliveries, received) = mpsc::channel(2 * inflight);
    let connection = Arc::new(AtomicU64::new(0));
    let acks = Arc::new(AckQueue::default());

    let writer = Writer {
        state: state.clone(),
        client: client.clone(),
        connection: connection.clone(),
        acks: acks.clone(),
        layout: TopicLayout::from_filter(&settings.topic_filter),
    };
    let reader = Reader {
        state: state.clone(),
        client,
        connection,
        acks,
        deliveries,
        settings,
    };
    MqttSource {
        reader: tokio::spawn(reader.run(eventloop)),
        writer: tokio::spawn(writer.run(received)),
    }
}

/// The connection side: connect, subscribe, hand messages on, reconnect.
struct Reader {
    state: AppState,
    client: AsyncClient,
    connection: Arc<AtomicU64>,
    acks: Arc<AckQueue>,
    deliveries: mpsc::Sender<Delivery>,
    settings: MqttSettings,
}

impl Reader {
    async fn run(self, mut eventloop: EventLoop) {
        let mut retry = FIRST_RETRY;
        let mut connected = false;
        loop {
            let live = self.connection.load(Ordering::SeqCst);
            self.acks.flush(&self.client, live);
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(connack))) => {
                    connected = true;
                    retry = FIRST_RETRY;
                    self.on_connect(&connack);
                }
                Ok(Event::Incoming(Packet::Publish(publish))) => {
                    if !self.hand_on(publish).await {
                        return;
                    }
                }
                Ok(Event::Incoming(Packet::SubAck(suback))) => self.on_suback(&suback),
                Ok(_) => {}
                Err(error) => {
                    self.on_error(&error, connected);
                    connected = false;
                    tokio::time::sleep(retry).await;
                    retry = (retry * 2).min(LONGEST_RETRY);
                }
            }
        }
    }

    fn on_connect(&self, connack: &ConnAck) {
        let connection = self.connection.fetch_add(1, Ordering::SeqCst) + 1;
        tracing::info!(
            broker = %self.settings.broker(),
            client_id = %self.settings.client_id,
            session_present = connack.session_present,
            connection,
            "mqtt connected"
        );

        // Subscribing again on a resumed session is harmless and covers a
        // session the broker expired while Keelson was down.
        let client = self.client.clone();
        let filter = self.settings.shared_filter();
        tokio::spawn(async move {
            if let Err(error) = client.subscribe(filter, QoS::AtLeastOnce).await {
                tracing::warn!(%error, "mqtt subscribe request not sent");
            }
        });
    }

    fn on_suback(&self, suback: &SubAck) {
        let refused: Vec<&SubscribeReasonCode> = suback
            .return_codes
            .iter()
            .filter(|code| !matches!(code, SubscribeReasonCode::Success(_)))
            .collect();
        if refused.is_empty() {
            self.state.metrics.mqtt_subscribed.set(1);
            tracing::info!(filter = %self.settings.shared_filter(), "mqtt subscribed");
        } else {
            self.state.metrics.mqtt_subscribed.set(0);
            tracing::error!(
                filter = %self.settings.shared_filter(),
                reasons = ?refused,
                "mqtt subscription refused; no telemetry arrives over mqtt"
            );
        }
    }

    /// Queues a message for the writer; false once the writer is gone.
    async fn hand_on(&self, publish: Publish) -> bool {
        tracing::trace!(topic = ?publish.topic, pkid = publish.pkid, "mqtt message");
        self.state.metrics.mqtt_awaiting_storage.inc();
        let delivery = Delivery {
            publish,
            connection: self.connection.load(Ordering::SeqCst),
        };
        self.deliveries.send(delivery).await.is_ok()
    }

    fn on_error(&self, error: &rumqttc::v5::ConnectionError, was_connected: bool) {
        self.state.metrics.mqtt_subscribed.set(0);
        if was_connected {
            tracing::warn!(broker = %self.settings.broker(), %error, "mqtt connection dropped; reconnecting");
        } else {
            tracing::debug!(broker = %self.settings.broker(), %error, "mqtt connect failed; retrying");
        }
    }
}

/// The store side: write a batch of messages, then acknowledge them.
struct Writer {
    state: AppState,
    client: AsyncClient,
    connection: Arc<AtomicU64>,
    acks: Arc<AckQueue>,
    layout: TopicLayout,
}

impl Writer {
    async fn run(self, mut received: mpsc::Receiver<Delivery>) {
        let mut deliveries = Vec::with_capacity(MAX_MESSAGES_PER_BATCH);
        while received
            .recv_many(&mut deliveries, MAX_MESSAGES_PER_BATCH)
            .await
            > 0
        {
            let totals = self.store(&deliveries).await;
            self.state.metrics.count_ingest("mqtt", totals);
            let done = deliveries.len();
            self.acknowledge(&mut deliveries);
            tracing::debug!(messages = done, ?totals, "mqtt batch stored");
            let done = i64::try_from(done).unwrap_or(i64::MAX);
            self.state.metrics.mqtt_awaiting_storage.dec_by(done);
        }
    }

    /// Writes the messages' records, retrying until the store takes them:
    /// an unacknowledged message stays with the broker, so waiting loses
    /// nothing, while giving up would. A message redelivered after a crash
    /// between the commit and the PUBACK finds its events under their keys
    /// and its malformed lines under theirs (topic, payload digest, line),
    /// so it adds no row.
    async fn store(&self, deliveries: &[Delivery]) -> IngestTotals {
        let mut retry = FIRST_RETRY;
        loop {
            match self
                .batch(deliveries)
                .write(&self.state.store, &self.state.detector, ACTOR)
                .await
            {
                Ok((totals, _)) => return totals,
                Err(error) => {
                    tracing::error!(%error, messages = deliveries.len(),
                        "mqtt batch not stored; retrying, messages stay unacknowledged");
                    tokio::time::sleep(retry).await;
                    retry = (retry * 2).min(LONGEST_RETRY);
                }
            }
        }
    }

    fn batch(&self, deliveries: &[Delivery]) -> Batch {
        let received_us = keelson_store::now_us();
        let mut batch = Batch::default();
        for delivery in deliveries {
            let topic = String::from_utf8_lossy(&delivery.publish.topic);
            let payload = &delivery.publish.payload;
            message::add_message(&mut batch, &self.layout, &topic, payload, received_us);
        }
        batch
    }

    /// PUBACKs in arrival order (MQTT requires it), only for messages of
    /// the live connection; the broker resends the others.
    fn acknowledge(&self, deliveries: &mut Vec<Delivery>) {
        let live = self.connection.load(Ordering::SeqCst);
        for delivery in deliveries.drain(..).filter(|d| d.connection == live) {
            self.acks
                .push(&self.client, delivery.connection, delivery.publish);
        }
    }
}
