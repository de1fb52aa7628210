//! Telemetry over MQTT against the machine's real Mosquitto broker
//! (127.0.0.1:1883), with the real `keelson serve` process: events
//! published at QoS 1 survive a SIGKILL of the server, a malformed message
//! is quarantined and still acknowledged, and a message sent twice is
//! stored once.
//!
//! Each test uses its own topic prefix, share group and client ID, so runs
//! and tests do not see each other's messages. Without a broker the tests
//! skip, unless `KEELSON_REQUIRE_MQTT=1` (CI) makes that a failure.

mod support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use keelson_store::testing::TempDir;
use rumqttc::{Client, Event, MqttOptions, Packet, QoS};
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::json;

const BROKER: (&str, u16) = ("127.0.0.1", 1883);

/// How long any one wait may take before the test fails.
const DEADLINE: Duration = Duration::from_secs(120);

/// Whether the broker answers; panics when it must and does not.
fn broker_up() -> bool {
    let up = TcpStream::connect(BROKER).is_ok();
    if !up {
        assert!(
            std::env::var("KEELSON_REQUIRE_MQTT").as_deref() != Ok("1"),
            "KEELSON_REQUIRE_MQTT=1 but no MQTT broker answers on {BROKER:?}"
        );
        eprintln!("skipping: no MQTT broker on {BROKER:?}");
    }
    up
}

/// A name no other test or run uses.
fn unique(test: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    format!("kt-{test}-{}-{nanos}", std::process::id())
}

/// Polls `check` until it returns `Some`, failing the test at the deadline.
fn wait_for<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One `keelson serve` process on a data folder, subscribed under `run`.
struct Server {
    child: Child,
    http: u16,
    log: std::path::PathBuf,
}

impl Server {
    fn start(data: &Path, run: &str) -> Server {
        let http = free_port();
        let log_path = data.join(format!("serve-{http}.log"));
        let log = std::fs::File::create(&log_path).expect("log");
        let child = Command::new(env!("CARGO_BIN_EXE_keelson"))
            .args(["--data-dir", data.to_str().expect("utf-8 path"), "serve"])
            .args(["--listen", &format!("127.0.0.1:{http}")])
            .args(["--mqtt-url", "mqtt://127.0.0.1:1883"])
            .args(["--mqtt-topic", &format!("{run}/vehicles/+/events")])
            .args(["--mqtt-client-id", &format!("{run}-node")])
            .env("KEELSON_MQTT_GROUP", run)
            .env("KEELSON_MQTT_SESSION_EXPIRY_SECS", "600")
            // A small window, so a batch is a few messages and the kill
            // lands while messages are in flight.
            .env("KEELSON_MQTT_RECEIVE_MAXIMUM", "16")
            .env_remove("KEELSON_DATABASE")
            .env_remove("KEELSON_MQTT_EMBEDDED_LISTEN")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn keelson serve");
        let server = Server {
            child,
            http,
            log: log_path,
        };
        wait_for("the mqtt subscription", || {
            (server.metric("keelson_mqtt_subscribed")? == 1.0).then_some(())
        });
        server
    }

    /// One sample of the server's `/metrics`, if it answers.
    fn metric(&self, name: &str) -> Option<f64> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.http)).ok()?;
        let request = "GET /metrics HTTP/1.1\r\nHost: k\r\nConnection: close\r\n\r\n";
        stream.write_all(request.as_bytes()).ok()?;
        let mut text = String::new();
        stream.read_to_string(&mut text).ok()?;
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
            .and_then(|value| value.trim().parse().ok())
    }

    /// Waits until every received message is stored and acknowledged.
    fn wait_idle(&self) {
        wait_for("no mqtt message awaiting storage", || {
            (self.metric("keelson_mqtt_awaiting_storage")? == 0.0).then_some(())
        });
    }

    /// SIGKILL: no shutdown path runs, as in a crash.
    fn kill(mut self) {
        self.child.kill().expect("SIGKILL keelson serve");
        self.child.wait().expect("reap keelson serve");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // A failing test shows what the server said.
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            eprintln!("--- keelson serve log ---\n{log}");
        }
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

/// Publishes every message at QoS 1 and returns once the broker has
/// acknowledged them all.
fn publish_all(run: &str, messages: Vec<(String, Vec<u8>)>) {
    let total = messages.len();
    let mut options = MqttOptions::new(unique(&format!("{run}-pub")), BROKER.0, BROKER.1);
    options.set_keep_alive(Duration::from_secs(30));
    let (client, mut connection) = Client::new(options, 64);
    let sender = std::thread::spawn(move || {
        for (topic, payload) in messages {
            client
                .publish(topic, QoS::AtLeastOnce, false, payload)
                .expect("queue a publish");
        }
        client
    });

    let start = Instant::now();
    let mut acked = 0;
    while acked < total {
        assert!(
            start.elapsed() < DEADLINE,
            "the broker acknowledged {acked} of {total} publishes"
        );
        match connection.recv_timeout(Duration::from_millis(200)) {
            Ok(Ok(Event::Incoming(Packet::PubAck(_)))) => acked += 1,
            Ok(Err(_)) => std::thread::sleep(Duration::from_millis(100)),
            _ => {}
        }
    }
    let client = sender.join().expect("publisher thread");
    let _ = client.disconnect();
}

fn topic(run: &str, vehicle: &str) -> String {
    format!("{run}/vehicles/{vehicle}/events")
}

/// A counting query on the server's SQLite file (read beside the running
/// server; WAL lets it).
fn count(data: &Path, sql: &str) -> i64 {
    let file = keelson_store::sqlite_file(data);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let db = Database::connect(format!("sqlite://{}?mode=ro", file.display()))
            .await
            .expect("open the store");
        let statement = Statement::from_string(db.get_database_backend(), sql.to_owned());
        let row = db.query_one_raw(statement).await.expect("query");
        let value = row
            .map(|row| row.try_get_by_index::<i64>(0).expect("a count"))
            .unwrap_or(0);
        db.close().await.expect("close");
        value
    })
}

fn event_ids(data: &Path, vehicle_prefix: &str) -> Vec<String> {
    let file = keelson_store::sqlite_file(data);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let db = Database::connect(format!("sqlite://{}?mode=ro", file.display()))
            .await
            .expect("open the store");
        let sql = format!(
            "SELECT event_id FROM events WHERE vehicle_id LIKE '{vehicle_prefix}%' ORDER BY event_id"
        );
        let statement = Statement::from_string(db.get_database_backend(), sql);
        let rows = db.query_all_raw(statement).await.expect("query");
        rows.iter()
            .map(|row| row.try_get_by_index::<String>(0).expect("an event ID"))
            .collect()
    })
}

/// `count` NDJSON events with producer IDs `e{first}`...: one message.
fn ndjson_message(first: usize, count: usize) -> Vec<u8> {
    let lines: Vec<String> = (first..first + count)
        .map(|n| {
            json!({
                "event_id": format!("e{n:05}"),
                "source": "ids",
                "kind": "ids.qsev",
                "attributes": {"sensor_id": 3, "event_id": n, "count": 1}
            })
            .to_string()
        })
        .collect();
    (lines.join("\n") + "\n").into_bytes()
}

/// One qualified security event with a producer ID, as a JSON line.
fn qsev_line(event_id: &str) -> String {
    json!({
        "event_id": event_id,
        "source": "ids",
        "kind": "ids.qsev",
        "attributes": {"sensor_id": 1, "event_id": 7, "count": 1}
    })
    .to_string()
}

/// 500 messages of 20 events; the vehicle comes from the topic.
fn crash_messages(run: &str, messages: std::ops::Range<usize>) -> Vec<(String, Vec<u8>)> {
    messages
        .map(|m| {
            (
                topic(run, &format!("veh-{:03}", m % 50)),
                ndjson_message(m * 20, 20),
            )
        })
        .collect()
}

#[test]
fn events_published_across_a_sigkill_are_stored_exactly_once() {
    if !broker_up() {
        return;
    }
    let run = unique("crash");
    let dir = TempDir::new().expect("dir");
    let server = Server::start(&dir.path, &run);

    // The first half goes out while the server runs; it is killed as soon
    // as part of it is stored, with messages still in flight.
    publish_all(&run, crash_messages(&run, 0..250));
    wait_for("part of the first half stored", || {
        (count(&dir.path, "SELECT COUNT(*) FROM events") >= 1_000).then_some(())
    });
    server.kill();
    let at_kill = count(&dir.path, "SELECT COUNT(*) FROM events");

    // The second half is published while no Keelson runs: the broker
    // queues it on the persistent session.
    publish_all(&run, crash_messages(&run, 250..500));
    let server = Server::start(&dir.path, &run);
    wait_for("all 10,000 events stored", || {
        (count(&dir.path, "SELECT COUNT(*) FROM events") >= 10_000).then_some(())
    });
    server.wait_idle();

    assert!(
        at_kill < 10_000,
        "the kill came after everything: {at_kill}"
    );
    assert_eq!(count(&dir.path, "SELECT COUNT(*) FROM events"), 10_000);
    let distinct = "SELECT COUNT(DISTINCT event_id) FROM events";
    assert_eq!(count(&dir.path, distinct), 10_000);
    let expected: Vec<String> = (0..10_000).map(|n| format!("e{n:05}")).collect();
    assert_eq!(event_ids(&dir.path, "veh-"), expected);
}

#[test]
fn a_malformed_message_is_quarantined_and_acknowledged() {
    if !broker_up() {
        return;
    }
    let run = unique("malformed");
    let dir = TempDir::new().expect("dir");
    let server = Server::start(&dir.path, &run);
    let bad_topic = topic(&run, "veh-bad");
    let good = qsev_line("m1");
    let broken = r#"{"source":"ids","kind": oops"#;
    let payload = format!("{good}\n{broken}\n").into_bytes();

    publish_all(&run, vec![(bad_topic.clone(), payload)]);
    let quarantine = format!("SELECT COUNT(*) FROM quarantine WHERE origin = '{bad_topic}'");
    wait_for("the quarantined line", || {
        (count(&dir.path, &quarantine) == 1).then_some(())
    });
    server.wait_idle();

    let exact = format!(
        "SELECT COUNT(*) FROM quarantine WHERE origin = '{bad_topic}' AND source = 'mqtt' \
         AND position = 'line 2' AND vehicle_id = 'veh-bad' AND reason LIKE 'invalid event:%' \
         AND CAST(raw AS TEXT) = '{broken}'"
    );
    assert_eq!(count(&dir.path, &exact), 1);
    let stored = "SELECT COUNT(*) FROM events WHERE event_id = 'm1' AND vehicle_id = 'veh-bad'";
    assert_eq!(count(&dir.path, stored), 1);

    // Acknowledged: after a crash and restart the broker does not send it
    // again. A marker published after the restart arrives behind anything
    // the session still held, so once it is stored the quarantine is final.
    server.kill();
    let server = Server::start(&dir.path, &run);
    let marker = qsev_line("marker");
    publish_all(&run, vec![(bad_topic, marker.as_bytes().to_vec())]);
    wait_for("the marker", || {
        (count(
            &dir.path,
            "SELECT COUNT(*) FROM events WHERE event_id = 'marker'",
        ) == 1)
            .then_some(())
    });
    server.wait_idle();
    assert_eq!(count(&dir.path, &quarantine), 1);
}

#[test]
fn a_message_published_twice_is_stored_once() {
    if !broker_up() {
        return;
    }
    let run = unique("twice");
    let dir = TempDir::new().expect("dir");
    let server = Server::start(&dir.path, &run);
    // No producer IDs: the events are told apart by content (and the
    // vehicle the topic names).
    let payload: Vec<u8> = (0..3)
        .map(|n| {
            let attributes = json!({"sensor_id": 4, "event_id": n, "count": 1});
            json!({"source": "ids", "kind": "ids.qsev", "attributes": attributes}).to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
        .into_bytes();
    let message = (topic(&run, "veh-twice"), payload);

    publish_all(&run, vec![message.clone(), message]);
    let received = "keelson_ingest_records_total{source=\"mqtt\",outcome=\"received\"}";
    wait_for("both copies processed", || {
        (server.metric(received)? >= 6.0).then_some(())
    });
    server.wait_idle();

    let stored = "SELECT COUNT(*) FROM events WHERE vehicle_id = 'veh-twice'";
    assert_eq!(count(&dir.path, stored), 3);
    let duplicates = "keelson_ingest_records_total{source=\"mqtt\",outcome=\"duplicate\"}";
    assert_eq!(server.metric(duplicates), Some(3.0));
}
