//! `keelson simulate`: the demo fleet's traffic sent to any deployment,
//! one generator step per second of wall time. Over MQTT each vehicle's
//! events of a step are one NDJSON message on its topic at QoS 1 (the run
//! ends only when the broker has acknowledged every message); over HTTP
//! each step is one NDJSON batch to `/api/v1/telemetry`, retried after a
//! 429. Prints `{"events", "messages", ...}` on stdout at the end.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use keelson_sim::{Generator, Settings};
use keelson_telemetry::Event;
use rumqttc::{AsyncClient, EventLoop, MqttOptions, Packet, QoS};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::cli::FleetOptions;

/// Where the traffic goes.
pub enum Target {
    Mqtt { url: String, topic: String },
    Http { url: String, token: String },
}

impl Target {
    pub fn from_flags(
        mqtt: Option<String>,
        topic: String,
        http: Option<String>,
        token: Option<String>,
    ) -> anyhow::Result<Target> {
        match (mqtt, http, token) {
            (Some(url), None, _) => Ok(Target::Mqtt { url, topic }),
            (None, Some(url), Some(token)) => Ok(Target::Http { url, token }),
            _ => anyhow::bail!("name either --mqtt URL or --http URL with --token TOKEN"),
        }
    }
}

pub struct Request {
    pub fleet: FleetOptions,
    pub target: Target,
    pub duration: u64,
    pub start: Option<String>,
}

/// Totals of a run.
#[derive(Debug, Default)]
struct Sent {
    events: u64,
    messages: u64,
    /// The server's answers, over HTTP.
    answers: BTreeMap<&'static str, u64>,
}

pub async fn run(request: Request) -> anyhow::Result<ExitCode> {
    request.fleet.check()?;
    let start = match &request.start {
        Some(text) => OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .with_context(|| format!("--start {text:?}: not an RFC 3339 time"))?,
        None => OffsetDateTime::now_utc(),
    };
    let settings = Settings {
        seed: request.fleet.seed,
        vehicles: request.fleet.vehicles,
        rate: request.fleet.rate,
        start,
        attacks: true,
    };
    let mut generator = Generator::new(settings);
    let mut sink = Sink::open(&request.target)?;
    let mut sent = Sent::default();
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    ticks.tick().await;
    for second in 1..=request.duration {
        ticks.tick().await;
        let now = start + time::Duration::seconds(second as i64);
        let events = generator.advance_to(now);
        sink.send(&events, &mut sent).await?;
        if second % 10 == 0 {
            eprintln!(
                "simulate: {second}/{} s, {} events sent",
                request.duration, sent.events
            );
        }
    }
    sink.finish(&sent).await?;
    let mut summary = json!({"events": sent.events, "messages": sent.messages});
    for (outcome, count) in &sent.answers {
        summary[*outcome] = json!(count);
    }
    println!("{summary}");
    Ok(ExitCode::SUCCESS)
}

enum Sink {
    Mqtt {
        client: AsyncClient,
        acknowledged: tokio::sync::watch::Receiver<u64>,
        topic: String,
    },
    Http {
        client: reqwest::Client,
        endpoint: String,
        token: String,
    },
}

impl Sink {
    fn open(target: &Target) -> anyhow::Result<Sink> {
        match target {
            Target::Mqtt { url, topic } => {
                let options = mqtt_options(url)?;
                let (client, events) = AsyncClient::new(options, 64);
                let (count, acknowledged) = tokio::sync::watch::channel(0);
                tokio::spawn(drive_connection(events, count));
                Ok(Sink::Mqtt {
                    client,
                    acknowledged,
                    topic: topic.clone(),
                })
            }
            Target::Http { url, token } => {
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(30))
                    .build()
                    .context("cannot build the HTTP client")?;
                let endpoint = format!("{}/api/v1/telemetry", url.trim_end_matches('/'));
                Ok(Sink::Http {
                    client,
                    endpoint,
                    token: token.clone(),
                })
            }
        }
    }

    async fn send(&mut self, events: &[Event], sent: &mut Sent) -> anyhow::Result<()> {
        match self {
            Sink::Mqtt { client, topic, .. } => {
                for (vehicle, lines) in per_vehicle(events)? {
                    let topic = topic.replace("{id}", &vehicle);
                    client
                        .publish(topic, QoS::AtLeastOnce, false, lines.join("\n"))
                        .await
                        .context("cannot queue an MQTT publish")?;
                    sent.messages += 1;
                    sent.events += lines.len() as u64;
                }
                Ok(())
            }
            Sink::Http {
                client,
                endpoint,
                token,
            } => {
                if events.is_empty() {
                    return Ok(());
                }
                let body = ndjson(events)?;
                let answer = post(client, endpoint, token, body).await?;
                sent.messages += 1;
                sent.events += events.len() as u64;
                for outcome in ["accepted", "duplicates", "quarantined"] {
                    let count = answer[outcome].as_u64().unwrap_or(0);
                    *sent.answers.entry(outcome).or_default() += count;
                }
                Ok(())
            }
        }
    }

    /// Over MQTT, waits until the broker acknowledged every message.
    async fn finish(self, sent: &Sent) -> anyhow::Result<()> {
        let Sink::Mqtt {
            client,
            mut acknowledged,
            ..
        } = self
        else {
            return Ok(());
        };
        let all = sent.messages;
        tokio::time::timeout(
            Duration::from_secs(60),
            acknowledged.wait_for(|n| *n >= all),
        )
        .await
        .context("the broker did not acknowledge every message within 60 s")?
        .context("the MQTT connection ended before every acknowledgement")?;
        client.disconnect().await.ok();
        Ok(())
    }
}

/// Client options from `mqtt://HOST[:PORT]`.
fn mqtt_options(url: &str) -> anyhow::Result<MqttOptions> {
    let rest = url
        .strip_prefix("mqtt://")
        .with_context(|| format!("--mqtt {url:?}: only mqtt://HOST[:PORT] is supported"))?;
    let rest = rest.trim_end_matches('/');
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) => {
            let port = port
                .parse()
                .with_context(|| format!("--mqtt {url:?}: port"))?;
            (host, port)
        }
        None => (rest, 1883),
    };
    let client_id = format!("keelson-simulate-{}", std::process::id());
    let mut options = MqttOptions::new(client_id, host, port);
    options.set_keep_alive(Duration::from_secs(30));
    Ok(options)
}

/// Polls the connection, counting PUBACKs; a connection error is retried
/// by polling again (rumqttc reconnects), and re-sends unacknowledged
/// QoS 1 messages itself.
async fn drive_connection(mut events: EventLoop, acknowledged: tokio::sync::watch::Sender<u64>) {
    loop {
        match events.poll().await {
            Ok(rumqttc::Event::Incoming(Packet::PubAck(_))) => {
                acknowledged.send_modify(|count| *count += 1);
            }
            Ok(_) => {}
            Err(error) => {
                eprintln!("simulate: mqtt connection: {error}; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// The events as NDJSON lines per vehicle, in order.
fn per_vehicle(events: &[Event]) -> anyhow::Result<BTreeMap<String, Vec<String>>> {
    let mut lines: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for event in events {
        let vehicle = event
            .vehicle_id
            .clone()
            .unwrap_or_else(|| "unknown".to_owned());
        lines
            .entry(vehicle)
            .or_default()
            .push(serde_json::to_string(event)?);
    }
    Ok(lines)
}

fn ndjson(events: &[Event]) -> anyhow::Result<String> {
    let lines: Vec<String> = events
        .iter()
        .map(serde_json::to_string)
        .collect::<Result<_, _>>()?;
    Ok(lines.join("\n"))
}

/// Posts one batch, waiting out 429 answers as their Retry-After says.
async fn post(
    client: &reqwest::Client,
    endpoint: &str,
    token: &str,
    body: String,
) -> anyhow::Result<Value> {
    loop {
        let response = client
            .post(endpoint)
            .bearer_auth(token)
            .header("content-type", "application/x-ndjson")
            .body(body.clone())
            .send()
            .await
            .with_context(|| format!("POST {endpoint}"))?;
        let status = response.status();
        if status.as_u16() == 429 {
            let wait = retry_after(&response);
            tokio::time::sleep(wait).await;
            continue;
        }
        let text = response
            .text()
            .await
            .with_context(|| format!("POST {endpoint}"))?;
        if !status.is_success() {
            anyhow::bail!("POST {endpoint} answered {status}: {text}");
        }
        return serde_json::from_str(&text).with_context(|| format!("POST {endpoint}: answer"));
    }
}

fn retry_after(response: &reqwest::Response) -> Duration {
    let seconds = response
        .headers()
        .get("retry-after")
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(1);
    Duration::from_secs(seconds)
}
