//! `keelson simulate` and `keelson demo` as a user runs them: the simulator
//! publishes to the machine's real Mosquitto broker (127.0.0.1:1883), where
//! a subscriber in the test counts every event the generator made; it posts
//! to a running `keelson serve`, which stores each event once even when the
//! run is repeated; and `keelson demo` prints where it listens and who may
//! sign in, with the PSIRT portfolio filled before any traffic.
//!
//! Without a broker the MQTT test skips, unless `KEELSON_REQUIRE_MQTT=1`.

mod support;

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use keelson_sim::{Generator, Settings};
use keelson_store::testing::TempDir;
use rumqttc::{Client, Event, MqttOptions, Packet, QoS};
use serde_json::Value;
use support::{keelson, stderr, stdout_json};

const BROKER: (&str, u16) = ("127.0.0.1", 1883);
const START: &str = "2026-06-01T08:00:00Z";
const DEADLINE: Duration = Duration::from_secs(120);

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

fn unique(test: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    format!("ks-{test}-{}-{nanos}", std::process::id())
}

/// The event IDs the generator makes for these settings in `seconds` steps.
fn expected_ids(seed: u64, vehicles: usize, rate: f64, seconds: i64) -> HashSet<String> {
    let start = time::OffsetDateTime::parse(START, &time::format_description::well_known::Rfc3339)
        .expect("start");
    let settings = Settings {
        seed,
        vehicles,
        rate,
        start,
        attacks: true,
    };
    let mut generator = Generator::new(settings);
    (1..=seconds)
        .flat_map(|second| generator.advance_to(start + time::Duration::seconds(second)))
        .filter_map(|event| event.event_id)
        .collect()
}

/// Collects the event IDs of every NDJSON line published under `filter`
/// until `expected` arrived or the deadline passed.
fn subscribe(filter: &str, expected: usize) -> std::thread::JoinHandle<Vec<String>> {
    let mut options = MqttOptions::new(unique("sub"), BROKER.0, BROKER.1);
    options.set_keep_alive(Duration::from_secs(30));
    let (client, mut connection) = Client::new(options, 64);
    client
        .subscribe(filter, QoS::AtLeastOnce)
        .expect("subscribe");
    let (ready, subscribed) = std::sync::mpsc::channel();
    let handle = std::thread::spawn(move || {
        let start = Instant::now();
        let mut ids = Vec::new();
        for notification in connection.iter() {
            match notification {
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    let _ = ready.send(());
                }
                Ok(Event::Incoming(Packet::Publish(publish))) => {
                    let text = String::from_utf8_lossy(&publish.payload).into_owned();
                    for line in text.lines() {
                        let event: Value = serde_json::from_str(line).expect("NDJSON line");
                        ids.push(event["event_id"].as_str().expect("event_id").to_owned());
                    }
                }
                Ok(_) => {}
                Err(error) => panic!("subscriber: {error}"),
            }
            if ids.len() >= expected || start.elapsed() > DEADLINE {
                break;
            }
        }
        let _ = client.disconnect();
        ids
    });
    subscribed
        .recv_timeout(DEADLINE)
        .expect("the subscription was acknowledged");
    handle
}

#[test]
fn simulate_over_mqtt_delivers_every_generated_event() {
    if !broker_up() {
        return;
    }
    let run = unique("mqtt");
    let expected = expected_ids(9, 5, 25.0, 3);
    let subscriber = subscribe(&format!("{run}/vehicles/+/events"), expected.len());
    let dir = TempDir::new().expect("dir");

    let output = keelson(
        &dir.path,
        &[
            "simulate",
            "--mqtt",
            "mqtt://127.0.0.1:1883",
            "--topic",
            &format!("{run}/vehicles/{{id}}/events"),
            "--vehicles",
            "5",
            "--rate",
            "25",
            "--duration",
            "3",
            "--seed",
            "9",
            "--start",
            START,
        ],
    );

    assert!(output.status.success(), "{}", stderr(&output));
    let summary = stdout_json(&output);
    assert_eq!(
        summary["events"].as_u64(),
        Some(expected.len() as u64),
        "{summary}"
    );
    let received = subscriber.join().expect("subscriber thread");
    assert_eq!(received.len(), expected.len());
    let received: HashSet<String> = received.into_iter().collect();
    assert_eq!(received, expected);
}

fn free_port() -> u16 {
    let listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind");
    listener.local_addr().expect("addr").port()
}

/// A GET with a bearer token; the status and the JSON body.
fn get(port: u16, path: &str, token: &str) -> Option<(u16, Value)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: k\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n")?.1;
    Some((status, serde_json::from_str(body).unwrap_or(Value::Null)))
}

fn wait_for<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(data: &std::path::Path, args: &[&str], stdout: Stdio) -> Running {
    let child = Command::new(env!("CARGO_BIN_EXE_keelson"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("KEELSON_DATABASE")
        .env_remove("KEELSON_MQTT_URL")
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn keelson");
    Running(child)
}

#[test]
fn simulate_over_http_is_stored_once_even_when_repeated() {
    let dir = TempDir::new().expect("dir");
    let data = dir.path.join("data");
    let created = keelson(&data, &["admin", "create-user", "sim", "--role", "admin"]);
    assert!(created.status.success(), "{}", stderr(&created));
    let token = keelson(&data, &["admin", "create-token", "sim"]);
    let token = String::from_utf8_lossy(&token.stdout).trim().to_owned();
    let port = free_port();
    let _server = spawn(
        &data,
        &["serve", "--listen", &format!("127.0.0.1:{port}")],
        Stdio::null(),
    );
    wait_for("the server", || get(port, "/healthz", &token));
    let url = format!("http://127.0.0.1:{port}");
    let args = [
        "simulate",
        "--http",
        &url,
        "--token",
        &token,
        "--vehicles",
        "3",
        "--rate",
        "20",
        "--duration",
        "2",
        "--seed",
        "4",
        "--start",
        START,
    ];
    let expected = expected_ids(4, 3, 20.0, 2).len() as u64;

    let first = keelson(&dir.path, &args);
    let again = keelson(&dir.path, &args);

    assert!(first.status.success(), "{}", stderr(&first));
    let first = stdout_json(&first);
    assert_eq!(first["events"].as_u64(), Some(expected), "{first}");
    assert_eq!(first["accepted"].as_u64(), Some(expected), "{first}");
    let again = stdout_json(&again);
    assert_eq!(again["duplicates"].as_u64(), Some(expected), "{again}");
    assert_eq!(again["accepted"].as_u64(), Some(0), "{again}");
}

#[test]
fn demo_prints_url_and_credentials_and_serves_a_filled_portfolio() {
    let dir = TempDir::new().expect("dir");
    let data = dir.path.join("demo");
    let mut demo = spawn(
        &data,
        &["demo", "--listen", "127.0.0.1:0", "--vehicles", "6"],
        Stdio::piped(),
    );
    let stdout = demo.0.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("a line");
    let announced: Value = serde_json::from_str(&line).expect("JSON");

    assert_eq!(announced["user"], "admin", "{announced}");
    assert!(
        announced["password"]
            .as_str()
            .is_some_and(|p| p.len() >= 16),
        "{announced}"
    );
    assert_eq!(announced["data_dir"], data.display().to_string());
    let url = announced["url"].as_str().expect("url");
    let port: u16 = url
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");

    let token = keelson(&data, &["admin", "create-token", "admin"]);
    let token = String::from_utf8_lossy(&token.stdout).trim().to_owned();
    let (status, vehicles) = wait_for("the demo api", || get(port, "/api/v1/vehicles", &token));
    assert_eq!(status, 200, "{vehicles}");
    assert_eq!(vehicles["total"], 6, "{vehicles}");
    let (status, findings) = get(port, "/api/v1/findings", &token).expect("findings");
    assert_eq!(status, 200, "{findings}");
    assert!(findings["total"].as_u64() > Some(5), "{findings}");
}
