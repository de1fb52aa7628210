//! The effective configuration: defaults, then a TOML file, then
//! `KEELSON_*` environment variables, then command-line flags, each layer
//! overriding the ones before it. `keelson config show` prints the result
//! with secrets masked.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use keelson_core::risk::RiskMatrix;
use keelson_core::{SlaPolicy, Tlp};
use serde::{Deserialize, Serialize};

use crate::security_txt::SecurityTxt;
use crate::webhooks::WebhookSubscription;
use keelson_sbom::origin::OriginPolicy;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Human,
    Json,
}

impl FromStr for LogFormat {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "human" => Ok(LogFormat::Human),
            "json" => Ok(LogFormat::Json),
            other => Err(format!(
                "unknown log format {other:?}: expected human or json"
            )),
        }
    }
}

/// The configuration Keelson runs with.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Config {
    /// Where `serve` listens.
    pub listen: SocketAddr,
    /// The embedded store's folder (SQLite, evidence files).
    pub data_dir: PathBuf,
    /// A PostgreSQL URL; when set, records go there instead of SQLite.
    pub database: Option<String>,
    /// The largest API request body, in bytes.
    pub api_body_limit: usize,
    pub log_format: LogFormat,
    /// A tracing filter such as `info` or `keelson_server=debug,info`.
    pub log_level: String,
    /// How long a browser session lives.
    pub session_ttl_hours: u32,
    /// Whether session cookies carry `Secure` (browsers accept it on
    /// localhost; turn off only behind a TLS-terminating proxy that
    /// forwards plain HTTP from another host).
    pub cookie_secure: bool,
    /// Telemetry batches processed at once; more are answered 429.
    pub ingest_concurrency: usize,
    /// The secret key VINs are hashed with (`fleet import`); a VIN is
    /// refused while none is set. Masked by `config show`.
    pub vin_hash_key: Option<String>,
    /// A rule firing again for the same vehicle within this many minutes of
    /// the alert's last sighting raises its count instead of a new alert.
    pub alert_dedup_window_minutes: u32,
    /// Minutes after an incident's last alert within which a new alert of
    /// the same rule, scope and marking joins it.
    pub incident_window_minutes: u32,
    /// The folder vehicle models' `dbc_files` are named relative to.
    pub dbc_dir: Option<PathBuf>,
    /// The largest log upload, in bytes.
    pub upload_limit: usize,
    /// Log uploads waiting for decoding at most; more are answered 429.
    pub upload_queue: usize,
    /// Days events of each source are kept (`[retention] can = 30`); a
    /// source not named is kept for ever.
    pub retention: BTreeMap<String, u32>,
    /// The MQTT broker `serve` subscribes to, such as `mqtt://127.0.0.1:1883`
    /// (credentials as `mqtt://user:password@host`); none: no MQTT source.
    pub mqtt_url: Option<String>,
    /// The topic filter vehicles publish on; its first `+` segment names
    /// the vehicle for events that name none.
    pub mqtt_topic: String,
    /// The shared-subscription group nodes split the messages within.
    pub mqtt_group: String,
    /// The client ID of this node's persistent session: stable across
    /// restarts, distinct per node.
    pub mqtt_client_id: String,
    /// How long the broker keeps this node's session (and queues messages
    /// for it) while the node is down.
    pub mqtt_session_expiry_secs: u32,
    /// Messages the broker may have in flight to this node unacknowledged;
    /// past it the broker holds the rest back.
    pub mqtt_receive_maximum: u16,
    /// Where to run the in-process MQTT broker (needs the `mqtt-embedded`
    /// build feature); the MQTT source connects to it when `mqtt_url` is unset.
    pub mqtt_embedded_listen: Option<SocketAddr>,
    /// Days from receipt to a case's due date, per severity (`[case_sla_days]`).
    pub case_sla_days: SlaPolicy,
    /// The largest public disclosure report, in bytes.
    pub disclosure_body_limit: usize,
    /// Reports one client address may send per hour once its burst is used.
    pub disclosure_rate_per_hour: u32,
    /// Reports one client address may send at once.
    pub disclosure_burst: u32,
    /// The TLP label of the case a public report opens.
    pub disclosure_tlp: Tlp,
    /// What `/.well-known/security.txt` says (`[security_txt]`); none: 404.
    pub security_txt: Option<SecurityTxt>,
    /// Countries of origin a component's supplier must not be in.
    pub prohibited_supplier_countries: ProhibitedCountries,
    /// The publisher name of the CSAF documents Keelson writes (VEX, advisories).
    pub csaf_publisher: String,
    /// The publisher's namespace URL CSAF requires (`document.publisher.namespace`).
    pub csaf_namespace: String,
    /// The ISO/SAE 21434 risk value of each impact rating at each attack
    /// feasibility rating (`[risk_matrix]`); default the standard's example.
    pub risk_matrix: RiskMatrix,
    /// Webhook subscribers (`[[webhooks]]`); secrets masked by `config show`.
    pub webhooks: Vec<WebhookSubscription>,
    /// Seconds to wait before each retry of a failed webhook delivery; one
    /// retry per entry.
    pub webhook_retry_secs: Vec<u64>,
    /// The share (above 0, at most 1) of a case's affected fleet (vehicles
    /// that ran an affected build) that must run a fixed build, after the
    /// `full` roll-out milestone, before the case's rules get a retirement date.
    pub rule_retirement_coverage: f64,
    /// Days a case's rules keep firing after the day their coverage was
    /// reached (`valid_until` = that day + this); 0 retires them at once.
    pub rule_retirement_grace_days: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./keelson-data"),
            database: None,
            api_body_limit: 16 * 1024 * 1024,
            log_format: LogFormat::Human,
            log_level: "info".to_owned(),
            session_ttl_hours: 12,
            cookie_secure: true,
            ingest_concurrency: 4,
            vin_hash_key: None,
            alert_dedup_window_minutes: 10,
            incident_window_minutes: 60,
            dbc_dir: None,
            upload_limit: 256 * 1024 * 1024,
            upload_queue: 16,
            retention: BTreeMap::new(),
            mqtt_url: None,
            mqtt_topic: "vehicles/+/events".to_owned(),
            mqtt_group: "keelson".to_owned(),
            mqtt_client_id: "keelson".to_owned(),
            mqtt_session_expiry_secs: 86_400,
            mqtt_receive_maximum: 64,
            mqtt_embedded_listen: None,
            case_sla_days: SlaPolicy::default(),
            disclosure_body_limit: 64 * 1024,
            disclosure_rate_per_hour: 10,
            disclosure_burst: 3,
            disclosure_tlp: Tlp::Amber,
            security_txt: None,
            prohibited_supplier_countries: ProhibitedCountries::default(),
            csaf_publisher: "Keelson PSIRT".to_owned(),
            csaf_namespace: "urn:keelson:psirt".to_owned(),
            risk_matrix: RiskMatrix::default(),
            webhooks: Vec::new(),
            webhook_retry_secs: vec![1, 2, 4, 8, 16],
            rule_retirement_coverage: 0.95,
            rule_retirement_grace_days: 7,
        }
    }
}

/// The `prohibited_supplier_countries` policy: ISO 3166-1 countries, given
/// as alpha-2 or alpha-3 codes or English short names and kept as alpha-2
/// codes; an entry that is none of these is refused when the file is read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<String>", into = "Vec<String>")]
pub struct ProhibitedCountries(Vec<String>);

impl TryFrom<Vec<String>> for ProhibitedCountries {
    type Error = String;

    fn try_from(given: Vec<String>) -> Result<Self, Self::Error> {
        let policy = OriginPolicy::new(given.iter().map(String::as_str))?;
        Ok(ProhibitedCountries(
            policy.countries().map(str::to_owned).collect(),
        ))
    }
}

impl From<ProhibitedCountries> for Vec<String> {
    fn from(countries: ProhibitedCountries) -> Self {
        countries.0
    }
}

impl ProhibitedCountries {
    /// The policy that flags these countries.
    pub fn policy(&self) -> OriginPolicy {
        OriginPolicy::new(self.0.iter().map(String::as_str)).unwrap_or_default()
    }
}

/// One layer of configuration: every field optional, unknown keys refused.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub database: Option<String>,
    pub api_body_limit: Option<usize>,
    pub log_format: Option<LogFormat>,
    pub log_level: Option<String>,
    pub session_ttl_hours: Option<u32>,
    pub cookie_secure: Option<bool>,
    pub ingest_concurrency: Option<usize>,
    pub vin_hash_key: Option<String>,
    pub alert_dedup_window_minutes: Option<u32>,
    pub incident_window_minutes: Option<u32>,
    pub dbc_dir: Option<PathBuf>,
    pub upload_limit: Option<usize>,
    pub upload_queue: Option<usize>,
    /// Replaces the whole table (set in a file; no environment variable).
    pub retention: Option<BTreeMap<String, u32>>,
    pub mqtt_url: Option<String>,
    pub mqtt_topic: Option<String>,
    pub mqtt_group: Option<String>,
    pub mqtt_client_id: Option<String>,
    pub mqtt_session_expiry_secs: Option<u32>,
    pub mqtt_receive_maximum: Option<u16>,
    pub mqtt_embedded_listen: Option<SocketAddr>,
    /// Replaces the defaults of the severities it names (file only).
    pub case_sla_days: Option<SlaPolicy>,
    pub disclosure_body_limit: Option<usize>,
    pub disclosure_rate_per_hour: Option<u32>,
    pub disclosure_burst: Option<u32>,
    pub disclosure_tlp: Option<Tlp>,
    /// The whole `[security_txt]` table (file only).
    pub security_txt: Option<SecurityTxt>,
    pub prohibited_supplier_countries: Option<ProhibitedCountries>,
    pub csaf_publisher: Option<String>,
    pub csaf_namespace: Option<String>,
    /// The whole `[risk_matrix]` table, all four rows (file only).
    pub risk_matrix: Option<RiskMatrix>,
    /// Replaces the whole list (file only).
    pub webhooks: Option<Vec<WebhookSubscription>>,
    /// Replaces the whole schedule (file only).
    pub webhook_retry_secs: Option<Vec<u64>>,
    pub rule_retirement_coverage: Option<f64>,
    pub rule_retirement_grace_days: Option<u32>,
}

/// A configuration value that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    // The source is not repeated here: callers print the whole error chain.
    #[error("cannot read config file {path}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("environment variable {name}: {message}")]
    Env { name: String, message: String },
}

impl Layer {
    /// The layer a TOML file sets.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let layer: Layer = toml::from_str(&text).map_err(|error| ConfigError::File {
            path: path.to_owned(),
            message: error.to_string(),
        })?;
        let problem = layer
            .webhooks
            .iter()
            .flatten()
            .find_map(WebhookSubscription::problem)
            .or_else(|| coverage_problem(layer.rule_retirement_coverage));
        match problem {
            Some(message) => Err(ConfigError::File {
                path: path.to_owned(),
                message,
            }),
            None => Ok(layer),
        }
    }

    /// The layer `KEELSON_*` variables set; `vars` is usually `std::env::vars()`.
    pub fn from_env(vars: impl IntoIterator<Item = (String, String)>) -> Result<Self, ConfigError> {
        let mut layer = Layer::default();
        for (name, value) in vars {
            let Some(key) = name.strip_prefix("KEELSON_") else {
                continue;
            };
            layer
                .set_from_env(key, &value)
                .map_err(|message| ConfigError::Env { name, message })?;
        }
        Ok(layer)
    }

    fn set_from_env(&mut self, key: &str, value: &str) -> Result<(), String> {
        match key {
            "LISTEN" => self.listen = Some(parse(value)?),
            "DATA_DIR" => self.data_dir = Some(PathBuf::from(value)),
            "DATABASE" => self.database = Some(value.to_owned()),
            "API_BODY_LIMIT" => self.api_body_limit = Some(parse(value)?),
            "LOG_FORMAT" => self.log_format = Some(parse(value)?),
            "LOG_LEVEL" => self.log_level = Some(value.to_owned()),
            "SESSION_TTL_HOURS" => self.session_ttl_hours = Some(parse(value)?),
            "COOKIE_SECURE" => self.cookie_secure = Some(parse(value)?),
            "INGEST_CONCURRENCY" => self.ingest_concurrency = Some(parse(value)?),
            "VIN_HASH_KEY" => self.vin_hash_key = Some(value.to_owned()),
            "ALERT_DEDUP_WINDOW_MINUTES" => self.alert_dedup_window_minutes = Some(parse(value)?),
            "INCIDENT_WINDOW_MINUTES" => self.incident_window_minutes = Some(parse(value)?),
            "DBC_DIR" => self.dbc_dir = Some(PathBuf::from(value)),
            "UPLOAD_LIMIT" => self.upload_limit = Some(parse(value)?),
            "UPLOAD_QUEUE" => self.upload_queue = Some(parse(value)?),
            "MQTT_URL" => self.mqtt_url = Some(value.to_owned()),
            "MQTT_TOPIC" => self.mqtt_topic = Some(value.to_owned()),
            "MQTT_GROUP" => self.mqtt_group = Some(value.to_owned()),
            "MQTT_CLIENT_ID" => self.mqtt_client_id = Some(value.to_owned()),
            "MQTT_SESSION_EXPIRY_SECS" => self.mqtt_session_expiry_secs = Some(parse(value)?),
            "MQTT_RECEIVE_MAXIMUM" => self.mqtt_receive_maximum = Some(parse(value)?),
            "MQTT_EMBEDDED_LISTEN" => self.mqtt_embedded_listen = Some(parse(value)?),
            "DISCLOSURE_BODY_LIMIT" => self.disclosure_body_limit = Some(parse(value)?),
            "DISCLOSURE_RATE_PER_HOUR" => self.disclosure_rate_per_hour = Some(parse(value)?),
            "DISCLOSURE_BURST" => self.disclosure_burst = Some(parse(value)?),
            "DISCLOSURE_TLP" => self.disclosure_tlp = Some(parse(value)?),
            "PROHIBITED_SUPPLIER_COUNTRIES" => {
                let given = value.split(',').map(str::trim).filter(|c| !c.is_empty());
                let countries = given.map(str::to_owned).collect::<Vec<_>>().try_into()?;
                self.prohibited_supplier_countries = Some(countries);
            }
            "CSAF_PUBLISHER" => self.csaf_publisher = Some(value.to_owned()),
            "CSAF_NAMESPACE" => self.csaf_namespace = Some(value.to_owned()),
            "RULE_RETIREMENT_COVERAGE" => {
                let share = parse(value)?;
                if let Some(problem) = coverage_problem(Some(share)) {
                    return Err(problem);
                }
                self.rule_retirement_coverage = Some(share);
            }
            "RULE_RETIREMENT_GRACE_DAYS" => self.rule_retirement_grace_days = Some(parse(value)?),
            // Other KEELSON_* variables belong to tests and tools, not here.
            _ => {}
        }
        Ok(())
    }
}

/// Why a retirement coverage cannot be used: a share must lie above 0 and
/// at most 1 (0 would retire rules while no vehicle is fixed).
fn coverage_problem(share: Option<f64>) -> Option<String> {
    let share = share?;
    if share > 0.0 && share <= 1.0 {
        return None;
    }
    Some(format!(
        "rule_retirement_coverage {share}: a share above 0 and at most 1, such as 0.95"
    ))
}

fn parse<T: FromStr>(value: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    value
        .parse()
        .map_err(|error: T::Err| format!("{value:?}: {error}"))
}

impl Config {
    /// Defaults overridden by each layer in turn.
    pub fn from_layers(layers: impl IntoIterator<Item = Layer>) -> Self {
        let mut config = Config::default();
        for layer in layers {
            config.apply(layer);
        }
        config
    }

    fn apply(&mut self, layer: Layer) {
        let Layer {
            listen,
            data_dir,
            database,
            api_body_limit,
            log_format,
            log_level,
            session_ttl_hours,
            cookie_secure,
            ingest_concurrency,
            vin_hash_key,
            alert_dedup_window_minutes,
            incident_window_minutes,
            dbc_dir,
            upload_limit,
            upload_queue,
            retention,
            mqtt_url,
            mqtt_topic,
            mqtt_group,
            mqtt_client_id,
            mqtt_session_expiry_secs,
            mqtt_receive_maximum,
            mqtt_embedded_listen,
            case_sla_days,
            disclosure_body_limit,
            disclosure_rate_per_hour,
            disclosure_burst,
            disclosure_tlp,
            security_txt,
            prohibited_supplier_countries,
            csaf_publisher,
            csaf_namespace,
            risk_matrix,
            webhooks,
            webhook_retry_secs,
            rule_retirement_coverage,
            rule_retirement_grace_days,
        } = layer;
        self.listen = listen.unwrap_or(self.listen);
        self.data_dir = data_dir.unwrap_or_else(|| self.data_dir.clone());
        self.database = database.or_else(|| self.database.take());
        self.api_body_limit = api_body_limit.unwrap_or(self.api_body_limit);
        self.log_format = log_format.unwrap_or(self.log_format);
        self.log_level = log_level.unwrap_or_else(|| self.log_level.clone());
        self.session_ttl_hours = session_ttl_hours.unwrap_or(self.session_ttl_hours);
        self.cookie_secure = cookie_secure.unwrap_or(self.cookie_secure);
        self.ingest_concurrency = ingest_concurrency.unwrap_or(self.ingest_concurrency);
        self.vin_hash_key = vin_hash_key.or_else(|| self.vin_hash_key.take());
        self.alert_dedup_window_minutes =
            alert_dedup_window_minutes.unwrap_or(self.alert_dedup_window_minutes);
        self.incident_window_minutes =
            incident_window_minutes.unwrap_or(self.incident_window_minutes);
        self.dbc_dir = dbc_dir.or_else(|| self.dbc_dir.take());
        self.upload_limit = upload_limit.unwrap_or(self.upload_limit);
        self.upload_queue = upload_queue.unwrap_or(self.upload_queue);
        if let Some(retention) = retention {
            self.retention = retention;
        }
        if let Some(countries) = prohibited_supplier_countries {
            self.prohibited_supplier_countries = countries;
        }
        self.csaf_publisher = csaf_publisher.unwrap_or_else(|| self.csaf_publisher.clone());
        self.csaf_namespace = csaf_namespace.unwrap_or_else(|| self.csaf_namespace.clone());
        self.risk_matrix = risk_matrix.unwrap_or(self.risk_matrix);
        if let Some(webhooks) = webhooks {
            self.webhooks = webhooks;
        }
        if let Some(schedule) = webhook_retry_secs {
            self.webhook_retry_secs = schedule;
        }
        self.rule_retirement_coverage =
            rule_retirement_coverage.unwrap_or(self.rule_retirement_coverage);
        self.rule_retirement_grace_days =
            rule_retirement_grace_days.unwrap_or(self.rule_retirement_grace_days);
        self.apply_cases(Layer {
            case_sla_days,
            disclosure_body_limit,
            disclosure_rate_per_hour,
            disclosure_burst,
            disclosure_tlp,
            security_txt,
            ..Layer::default()
        });
        self.apply_mqtt(Layer {
            mqtt_url,
            mqtt_topic,
            mqtt_group,
            mqtt_client_id,
            mqtt_session_expiry_secs,
            mqtt_receive_maximum,
            mqtt_embedded_listen,
            ..Layer::default()
        });
    }

    fn apply_cases(&mut self, layer: Layer) {
        self.case_sla_days = layer.case_sla_days.unwrap_or(self.case_sla_days);
        self.disclosure_body_limit = layer
            .disclosure_body_limit
            .unwrap_or(self.disclosure_body_limit);
        self.disclosure_rate_per_hour = layer
            .disclosure_rate_per_hour
            .unwrap_or(self.disclosure_rate_per_hour);
        self.disclosure_burst = layer.disclosure_burst.unwrap_or(self.disclosure_burst);
        self.disclosure_tlp = layer.disclosure_tlp.unwrap_or(self.disclosure_tlp);
        self.security_txt = layer.security_txt.or_else(|| self.security_txt.take());
    }

    fn apply_mqtt(&mut self, layer: Layer) {
        self.mqtt_url = layer.mqtt_url.or_else(|| self.mqtt_url.take());
        self.mqtt_topic = layer.mqtt_topic.unwrap_or_else(|| self.mqtt_topic.clone());
        self.mqtt_group = layer.mqtt_group.unwrap_or_else(|| self.mqtt_group.clone());
        self.mqtt_client_id = layer
            .mqtt_client_id
            .unwrap_or_else(|| self.mqtt_client_id.clone());
        self.mqtt_session_expiry_secs = layer
            .mqtt_session_expiry_secs
            .unwrap_or(self.mqtt_session_expiry_secs);
        self.mqtt_receive_maximum = layer
            .mqtt_receive_maximum
            .unwrap_or(self.mqtt_receive_maximum);
        self.mqtt_embedded_listen = layer.mqtt_embedded_listen.or(self.mqtt_embedded_listen);
    }

    /// The configuration as TOML with secrets (database password, VIN
    /// hash key) masked.
    pub fn to_masked_toml(&self) -> String {
        let mut shown = self.clone();
        shown.vin_hash_key = self.vin_hash_key.as_ref().map(|_| "****".to_owned());
        for webhook in &mut shown.webhooks {
            webhook.secret = "****".to_owned();
        }
        shown.database = self
            .database
            .as_deref()
            .map(|url| keelson_store::StoreLocation::Postgres(url.to_owned()).describe());
        shown.mqtt_url = self
            .mqtt_url
            .as_deref()
            .map(keelson_store::mask_url_password);
        toml::to_string_pretty(&shown).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn later_layers_override_earlier_ones() {
        let file: Layer =
            toml::from_str("listen = \"0.0.0.0:9000\"\nlog_level = \"debug\"").unwrap_or_default();
        let from_env = Layer::from_env(env(&[("KEELSON_LISTEN", "127.0.0.1:9001")]));
        let flags = Layer {
            log_level: Some("warn".to_owned()),
            ..Layer::default()
        };
        let config = Config::from_layers([file, from_env.unwrap_or_default(), flags]);
        assert_eq!(config.listen.to_string(), "127.0.0.1:9001");
        assert_eq!(config.log_level, "warn");
        assert_eq!(config.api_body_limit, 16 * 1024 * 1024);
    }

    #[test]
    fn unknown_file_keys_and_bad_env_values_are_errors() {
        assert!(toml::from_str::<Layer>("lisen = \"x\"").is_err());
        let bad = Layer::from_env(env(&[("KEELSON_API_BODY_LIMIT", "lots")]));
        let message = bad.map(|_| String::new()).unwrap_or_else(|e| e.to_string());
        assert!(message.contains("KEELSON_API_BODY_LIMIT"), "{message}");
    }

    #[test]
    fn prohibited_countries_are_read_as_iso_codes_and_a_misspelt_one_is_refused() {
        let file: Layer = toml::from_str("prohibited_supplier_countries = [\"CHN\", \"ru\"]")
            .expect("a code and a lower-case code");
        let config = Config::from_layers([file]);
        let policy = config.prohibited_supplier_countries.policy();
        let codes: Vec<&str> = policy.countries().collect();
        assert_eq!(codes, ["CN", "RU"]);

        let bad = toml::from_str::<Layer>("prohibited_supplier_countries = [\"Russia\"]");
        let message = bad.map(|_| String::new()).unwrap_or_else(|e| e.to_string());
        assert!(message.contains("Russia"), "{message}");
        let from_env = Layer::from_env(env(&[("KEELSON_PROHIBITED_SUPPLIER_COUNTRIES", "CN, XX")]));
        assert!(from_env.is_err());
    }

    #[test]
    fn rule_retirement_settings_layer_and_a_share_outside_zero_to_one_is_refused() {
        let file: Layer =
            toml::from_str("rule_retirement_coverage = 0.8\nrule_retirement_grace_days = 3\n")
                .expect("retirement settings");
        let from_env = Layer::from_env(env(&[("KEELSON_RULE_RETIREMENT_GRACE_DAYS", "0")]));
        let config = Config::from_layers([file, from_env.expect("grace")]);
        assert_eq!(config.rule_retirement_coverage, 0.8);
        assert_eq!(config.rule_retirement_grace_days, 0);
        assert_eq!(Config::default().rule_retirement_coverage, 0.95);

        let over = Layer::from_env(env(&[("KEELSON_RULE_RETIREMENT_COVERAGE", "1.5")]));
        let message = over
            .map(|_| String::new())
            .unwrap_or_else(|e| e.to_string());
        assert!(message.contains("at most 1"), "{message}");
        let zero = Layer::from_env(env(&[("KEELSON_RULE_RETIREMENT_COVERAGE", "0")]));
        assert!(zero.is_err());
    }

    #[test]
    fn retention_days_are_read_per_source() {
        let file: Result<Layer, _> = toml::from_str("[retention]\ncan = 30\nids = 365\n");
        let config = Config::from_layers([file.unwrap_or_default()]);
        assert_eq!(config.retention.get("can"), Some(&30));
        assert_eq!(config.retention.get("ids"), Some(&365));
        assert!(config.to_masked_toml().contains("[retention]"));
    }

    #[test]
    fn masked_toml_hides_the_database_password() {
        let config = Config {
            database: Some("postgres://k:hunter2@db/k".to_owned()),
            ..Config::default()
        };
        let shown = config.to_masked_toml();
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("postgres://k:****@db/k"), "{shown}");
    }

    #[test]
    fn vin_hash_key_comes_from_the_environment_and_is_masked() {
        let layer = Layer::from_env(env(&[("KEELSON_VIN_HASH_KEY", "s3cret-key")]));
        let config = Config::from_layers([layer.unwrap_or_default()]);
        assert_eq!(config.vin_hash_key.as_deref(), Some("s3cret-key"));
        let shown = config.to_masked_toml();
        assert!(!shown.contains("s3cret-key"), "{shown}");
    }

    #[test]
    fn case_and_disclosure_settings_come_from_file_and_environment() {
        let file: Result<Layer, _> = toml::from_str(
            "[case_sla_days]\ncritical = 3\n\n[security_txt]\n\
             contact = \"mailto:psirt@example.com\"\nexpires = \"2027-01-01T00:00:00Z\"\n",
        );
        let from_env = Layer::from_env(env(&[
            ("KEELSON_DISCLOSURE_TLP", "tlp:amber+strict"),
            ("KEELSON_DISCLOSURE_BURST", "5"),
        ]));
        let config = Config::from_layers([file.unwrap_or_default(), from_env.unwrap_or_default()]);
        assert_eq!(config.case_sla_days.critical, Some(3));
        assert_eq!(
            config.case_sla_days.low,
            Some(90),
            "the other defaults stay"
        );
        assert_eq!(config.disclosure_tlp, Tlp::AmberStrict);
        assert_eq!(config.disclosure_burst, 5);
        assert_eq!(config.disclosure_rate_per_hour, 10);
        assert!(config.security_txt.is_some());
        assert!(config.to_masked_toml().contains("[security_txt]"));
    }

    #[test]
    fn a_risk_matrix_is_read_whole_and_checked_for_shape_and_range() {
        let own = "[risk_matrix]\nsevere = [3, 4, 5, 5]\nmajor = [2, 3, 4, 5]\n\
                   moderate = [1, 2, 3, 4]\nnegligible = [1, 1, 1, 1]\n";
        let layer: Result<Layer, _> = toml::from_str(own);
        let config = Config::from_layers([layer.unwrap_or_default()]);
        let severe_very_low = config.risk_matrix.value(
            keelson_core::risk::ImpactRating::Severe,
            keelson_core::risk::FeasibilityRating::VeryLow,
        );
        assert_eq!(severe_very_low, 3);
        assert!(config.to_masked_toml().contains("[risk_matrix]"));

        let missing_row = "[risk_matrix]\nsevere = [3, 4, 5, 5]\nmajor = [2, 3, 4, 5]\n\
                           moderate = [1, 2, 3, 4]\n";
        let error = toml::from_str::<Layer>(missing_row)
            .err()
            .map(|e| e.to_string());
        assert!(error.is_some_and(|e| e.contains("negligible")));
        let out_of_range = own.replace("[1, 1, 1, 1]", "[1, 1, 1, 9]");
        let error = toml::from_str::<Layer>(&out_of_range)
            .err()
            .map(|e| e.to_string());
        assert!(
            error
                .as_deref()
                .is_some_and(|e| e.contains("negligible: value 9 is outside 1 to 5")),
            "{error:?}"
        );
    }

    #[test]
    fn webhooks_are_checked_when_read_and_their_secrets_masked() {
        let dir = keelson_store::testing::TempDir::new().expect("dir");
        let path = dir.path.join("keelson.toml");
        let good = "webhook_retry_secs = [0, 5]\n[[webhooks]]\nurl = \"http://127.0.0.1:9/hook\"\n\
                    secret = \"s3cret-hook\"\nevents = [\"case.transition\", \"finding.kev\"]\n";
        std::fs::write(&path, good).expect("write");
        let layer = Layer::from_file(&path).expect("good file");
        let config = Config::from_layers([layer]);
        assert_eq!(config.webhook_retry_secs, [0, 5]);
        assert_eq!(config.webhooks[0].max_tlp, Tlp::Green);
        let shown = config.to_masked_toml();
        assert!(
            !shown.contains("s3cret-hook") && shown.contains("[[webhooks]]"),
            "{shown}"
        );

        for (bad, expected) in [
            (
                good.replace("http://", "ftp://"),
                "must be http:// or https://",
            ),
            (
                good.replace("events = [", "max_tlp = \"RED\"\nevents = ["),
                "TLP:RED never leaves",
            ),
            (
                good.replace("\"finding.kev\"", "\"finding.maybe\""),
                "finding.maybe",
            ),
        ] {
            std::fs::write(&path, bad).expect("write");
            let error = Layer::from_file(&path)
                .map(|_| ())
                .map_err(|e| e.to_string());
            assert!(
                error.as_ref().is_err_and(|e| e.contains(expected)),
                "{error:?}"
            );
        }
    }

    #[test]
    fn mqtt_settings_layer_like_the_others() {
        let file: Layer = toml::from_str("mqtt_url = \"mqtt://broker:1883\"\nmqtt_group = \"g1\"")
            .unwrap_or_default();
        let from_env = Layer::from_env(env(&[
            ("KEELSON_MQTT_URL", "mqtt://ops:s3cret@127.0.0.1:1883"),
            ("KEELSON_MQTT_RECEIVE_MAXIMUM", "8"),
        ]));
        let config = Config::from_layers([file, from_env.unwrap_or_default()]);
        assert_eq!(
            config.mqtt_url.as_deref(),
            Some("mqtt://ops:s3cret@127.0.0.1:1883")
        );
        assert_eq!(config.mqtt_group, "g1");
        assert_eq!(config.mqtt_receive_maximum, 8);
        assert_eq!(config.mqtt_topic, "vehicles/+/events");
        let shown = config.to_masked_toml();
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("mqtt://ops:****@127.0.0.1:1883"), "{shown}");
    }
}
