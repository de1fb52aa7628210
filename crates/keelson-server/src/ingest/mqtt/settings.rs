//! What the MQTT source connects with, checked once from the configuration:
//! the broker address (`mqtt://[user:password@]host[:port]`), the shared
//! subscription and the persistent session.

use std::time::Duration;

use rumqttc::v5::MqttOptions;

use crate::config::Config;

/// The port `mqtt://` means when the URL names none.
const DEFAULT_PORT: u16 = 1883;

/// The largest message accepted; announced to the broker as the maximum
/// packet size so that it never sends a larger one (which would break the
/// connection on every redelivery).
const MAX_PACKET_BYTES: u32 = 4 * 1024 * 1024;

const KEEP_ALIVE: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT_SECS: u64 = 10;

/// A configuration the MQTT source cannot run with.
#[derive(Debug, thiserror::Error)]
pub enum MqttError {
    #[error("mqtt_url {url:?}: {reason}")]
    Url { url: String, reason: String },
    #[error("{key} {value:?}: {reason}")]
    Setting {
        key: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error("embedded mqtt broker on {listen}: {reason}")]
    Embedded { listen: String, reason: String },
}

/// The checked MQTT settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MqttSettings {
    pub host: String,
    pub port: u16,
    pub credentials: Option<(String, String)>,
    pub topic_filter: String,
    pub group: String,
    pub client_id: String,
    pub session_expiry_secs: u32,
    pub receive_maximum: u16,
}

impl MqttSettings {
    /// The settings when MQTT is configured (a URL, or an embedded broker
    /// to connect to), else `None`.
    pub fn from_config(config: &Config) -> Result<Option<Self>, MqttError> {
        let url = match (&config.mqtt_url, config.mqtt_embedded_listen) {
            (Some(url), _) => url.clone(),
            (None, Some(listen)) => format!("mqtt://{listen}"),
            (None, None) => return Ok(None),
        };
        let (host, port, credentials) = parse_url(&url)?;
        check_segment("mqtt_group", &config.mqtt_group)?;
        check_filter(&config.mqtt_topic)?;
        if config.mqtt_client_id.is_empty() {
            return Err(setting(
                "mqtt_client_id",
                "",
                "a persistent session needs a client ID",
            ));
        }
        Ok(Some(Self {
            host,
            port,
            credentials,
            topic_filter: config.mqtt_topic.clone(),
            group: config.mqtt_group.clone(),
            client_id: config.mqtt_client_id.clone(),
            session_expiry_secs: config.mqtt_session_expiry_secs,
            receive_maximum: config.mqtt_receive_maximum.max(1),
        }))
    }

    /// `$share/GROUP/FILTER`: the broker gives each message to one member
    /// of the group, so several nodes split the load.
    pub fn shared_filter(&self) -> String {
        format!("$share/{}/{}", self.group, self.topic_filter)
    }

    /// `host:port` for logs (never the credentials).
    pub fn broker(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// The client's options: a persistent session that outlives a restart,
    /// manual acknowledgements and a bounded receive window.
    pub fn client_options(&self) -> MqttOptions {
        let mut options = MqttOptions::new(&self.client_id, &self.host, self.port);
        options
            .set_clean_start(false)
            .set_session_expiry_interval(Some(self.session_expiry_secs))
            .set_manual_acks(true)
            .set_receive_maximum(Some(self.receive_maximum))
            .set_max_packet_size(Some(MAX_PACKET_BYTES))
            .set_keep_alive(KEEP_ALIVE)
            .set_connection_timeout(CONNECT_TIMEOUT_SECS);
        if let Some((user, password)) = &self.credentials {
            options.set_credentials(user, password);
        }
        options
    }
}

type Address = (String, u16, Option<(String, String)>);

fn parse_url(url: &str) -> Result<Address, MqttError> {
    let fail = |reason: &str| MqttError::Url {
        url: mask(url),
        reason: reason.to_owned(),
    };
    let rest = match url.split_once("://") {
        Some(("mqtt" | "tcp", rest)) => rest,
        Some(("mqtts" | "ssl", _)) => return Err(fail("TLS is not supported yet; use mqtt://")),
        _ => return Err(fail("expected mqtt://host[:port]")),
    };
    let rest = rest.trim_end_matches('/');
    let (credentials, address) = match rest.rsplit_once('@') {
        Some((login, address)) => {
            let (user, password) = login.split_once(':').unwrap_or((login, ""));
            (Some((user.to_owned(), password.to_owned())), address)
        }
        None => (None, rest),
    };
    let (host, port) = match address.rsplit_once(':') {
        Some((host, port)) => {
            let port = port.parse().map_err(|_| fail("the port is not a number"))?;
            (host, port)
        }
        None => (address, DEFAULT_PORT),
    };
    if host.is_empty() || host.contains('/') {
        return Err(fail("no host"));
    }
    Ok((host.to_owned(), port, credentials))
}

fn mask(url: &str) -> String {
    match url.rsplit_once('@') {
        Some((_, address)) => format!("****@{address}"),
        None => url.to_owned(),
    }
}

fn setting(key: &'static str, value: &str, reason: &'static str) -> MqttError {
    MqttError::Setting {
        key,
        value: value.to_owned(),
        reason,
    }
}

/// A share name is one topic level without wildcards.
fn check_segment(key: &'static str, value: &str) -> Result<(), MqttError> {
    if value.is_empty() || value.contains(['/', '+', '#']) {
        return Err(setting(
            key,
            value,
            "must be one topic level without / + or #",
        ));
    }
    Ok(())
}

fn check_filter(filter: &str) -> Result<(), MqttError> {
    let levels: Vec<&str> = filter.split('/').collect();
    let valid = !filter.is_empty()
        && !filter.starts_with('$')
        && levels.iter().enumerate().all(|(index, level)| {
            *level == "+"
                || (*level == "#" && index == levels.len() - 1)
                || !level.contains(['+', '#'])
        });
    if !valid {
        return Err(setting(
            "mqtt_topic",
            filter,
            "not a valid MQTT topic filter",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(url: Option<&str>, topic: &str) -> Config {
        Config {
            mqtt_url: url.map(str::to_owned),
            mqtt_topic: topic.to_owned(),
            ..Config::default()
        }
    }

    #[test]
    fn urls_give_host_port_and_credentials() {
        let parsed = parse_url("mqtt://ops:pw@broker.local:1884").ok();
        let expected = (
            "broker.local".to_owned(),
            1884,
            Some(("ops".into(), "pw".into())),
        );
        assert_eq!(parsed, Some(expected));
        assert_eq!(parse_url("mqtt://10.0.0.5").ok().map(|a| a.1), Some(1883));
        assert!(parse_url("mqtts://broker").is_err());
        assert!(parse_url("http://broker").is_err());
        assert!(parse_url("mqtt://broker:x").is_err());
    }

    #[test]
    fn url_errors_do_not_show_the_password() {
        let error = parse_url("mqtt://ops:hunter2@broker:nope").err();
        let text = error.map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("port") && !text.contains("hunter2"), "{text}");
    }

    #[test]
    fn the_subscription_is_shared_and_filters_are_checked() {
        let settings = MqttSettings::from_config(&with(Some("mqtt://b"), "vehicles/+/events"));
        let filter = settings.ok().flatten().map(|s| s.shared_filter());
        assert_eq!(filter.as_deref(), Some("$share/keelson/vehicles/+/events"));

        for bad in ["vehicles/#/events", "vehicles/ab+/x", "", "$SYS/#"] {
            assert!(
                MqttSettings::from_config(&with(Some("mqtt://b"), bad)).is_err(),
                "{bad}"
            );
        }
        assert_eq!(
            MqttSettings::from_config(&with(None, "a/+")).ok(),
            Some(None)
        );
    }

    #[test]
    fn an_embedded_broker_is_the_default_target() {
        let config = Config {
            mqtt_embedded_listen: "127.0.0.1:1884".parse().ok(),
            ..Config::default()
        };
        let settings = MqttSettings::from_config(&config).ok().flatten();
        assert_eq!(
            settings.map(|s| s.broker()).as_deref(),
            Some("127.0.0.1:1884")
        );
    }
}
