//! Webhook notifications: the subscriptions from the configuration
//! (`[[webhooks]]`: URL, secret, event kinds, the highest TLP label they
//! may receive), the events Keelson announces, and the delivery of each as
//! a signed JSON POST retried on the configured backoff schedule.
//!
//! The body is fixed when the delivery is created and signed with
//! HMAC-SHA256 under the subscription's secret (`X-Keelson-Signature:
//! sha256=<hex>`), so a retry sends exactly the same bytes. Every attempt
//! is recorded in the store. A record marked above a subscription's
//! `max_tlp` is not sent to it, and TLP:RED is never sent at all. A
//! playbook's `webhook` step is delivered the same way to the subscription
//! configured under its URL, which must list the `playbook.step` event.

use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use keelson_core::{CaseState, Marking, Tlp};
use keelson_store::Store;
use keelson_store::webhooks::{Attempt, Delivery, new_delivery_id};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

/// What a subscriber may be told about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventKind {
    /// A case moved along its workflow.
    #[serde(rename = "case.transition")]
    CaseTransition,
    /// A finding of critical severity appeared in a build.
    #[serde(rename = "finding.critical")]
    CriticalFinding,
    /// A finding of a vulnerability on CISA's KEV list appeared in a build.
    #[serde(rename = "finding.kev")]
    KevFinding,
    /// An advisory was published.
    #[serde(rename = "advisory.published")]
    AdvisoryPublished,
    /// A playbook's `webhook` step called this subscriber.
    #[serde(rename = "playbook.step")]
    PlaybookStep,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::CaseTransition => "case.transition",
            EventKind::CriticalFinding => "finding.critical",
            EventKind::KevFinding => "finding.kev",
            EventKind::AdvisoryPublished => "advisory.published",
            EventKind::PlaybookStep => "playbook.step",
        }
    }
}

/// One subscriber, from `[[webhooks]]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSubscription {
    /// `http://` or `https://`.
    pub url: String,
    /// The HMAC key; masked by `config show`.
    pub secret: String,
    pub events: Vec<EventKind>,
    /// The most restrictive label this subscriber may receive (default
    /// GREEN; RED is refused).
    #[serde(default = "default_max_tlp")]
    pub max_tlp: Tlp,
}

fn default_max_tlp() -> Tlp {
    Tlp::Green
}

impl WebhookSubscription {
    /// The reason the subscription cannot be used, if any.
    pub fn problem(&self) -> Option<String> {
        let url = &self.url;
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Some(format!(
                "webhook {url:?}: the URL must be http:// or https://"
            ));
        }
        if self.secret.trim().is_empty() {
            return Some(format!("webhook {url:?}: a secret is required"));
        }
        if self.events.is_empty() {
            return Some(format!("webhook {url:?}: names no event kind"));
        }
        if self.max_tlp == Tlp::Red {
            return Some(format!(
                "webhook {url:?}: TLP:RED never leaves the instance"
            ));
        }
        None
    }

    fn wants(&self, notification: &Notification) -> bool {
        let marking = notification.marking();
        self.events.contains(&notification.kind())
            && marking.tlp != Tlp::Red
            && marking.tlp <= self.max_tlp
    }
}

/// Something Keelson announces, with the marking of what it is about.
#[derive(Debug, Clone, PartialEq)]
pub enum Notification {
    CaseTransition {
        case_id: String,
        title: String,
        from: CaseState,
        to: CaseState,
        reason: String,
        marking: Marking,
    },
    /// A critical or KEV finding; one notification per kind that applies.
    Finding {
        kind: FindingKind,
        build_id: String,
        vulnerability: String,
        component: String,
        severity: Option<String>,
        marking: Marking,
    },
    /// A new revision of a case's CSAF advisory was published.
    AdvisoryPublished {
        case_id: String,
        /// The CSAF tracking ID.
        advisory_id: String,
        revision: i64,
        title: String,
        marking: Marking,
    },
    /// A playbook step's call about an incident.
    PlaybookStep {
        /// The incident's summary, the run and the step.
        data: Value,
        marking: Marking,
    },
}

/// Which finding event a [`Notification::Finding`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FindingKind {
    Critical,
    Kev,
}

impl Notification {
    pub fn kind(&self) -> EventKind {
        match self {
            Notification::CaseTransition { .. } => EventKind::CaseTransition,
            Notification::Finding {
                kind: FindingKind::Critical,
                ..
            } => EventKind::CriticalFinding,
            Notification::Finding {
                kind: FindingKind::Kev,
                ..
            } => EventKind::KevFinding,
            Notification::AdvisoryPublished { .. } => EventKind::AdvisoryPublished,
            Notification::PlaybookStep { .. } => EventKind::PlaybookStep,
        }
    }

    fn marking(&self) -> &Marking {
        match self {
            Notification::CaseTransition { marking, .. }
            | Notification::Finding { marking, .. }
            | Notification::AdvisoryPublished { marking, .. }
            | Notification::PlaybookStep { marking, .. } => marking,
        }
    }

    /// The event's own fields (the `data` of the payload).
    fn data(&self) -> Value {
        match self {
            Notification::CaseTransition {
                case_id,
                title,
                from,
                to,
                reason,
                marking,
            } => json!({
                "case_id": case_id, "title": title, "from": from, "to": to,
                "reason": reason, "tlp": marking.tlp,
            }),
            Notification::Finding {
                build_id,
                vulnerability,
                component,
                severity,
                marking,
                ..
            } => {
                json!({
                    "build_id": build_id, "vulnerability": vulnerability,
                    "component": component, "severity": severity, "tlp": marking.tlp,
                })
            }
            Notification::AdvisoryPublished {
                case_id,
                advisory_id,
                revision,
                title,
                marking,
            } => json!({
                "case_id": case_id, "advisory_id": advisory_id, "revision": revision,
                "title": title, "tlp": marking.tlp,
            }),
            Notification::PlaybookStep { data, .. } => data.clone(),
        }
    }
}

/// `sha256=` and the hex HMAC-SHA256 of `body` under `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        // HMAC takes keys of any length; this arm is never reached.
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Sends notifications to the subscribers that want them.
#[derive(Clone)]
pub struct Notifier {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    subscriptions: Vec<WebhookSubscription>,
    client: reqwest::Client,
    /// The wait before each retry; its length is the number of retries.
    backoff: Vec<Duration>,
    running: Mutex<Vec<JoinHandle<()>>>,
}

/// How long one attempt may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

impl Notifier {
    /// The subscribers and retry schedule of the configuration.
    pub fn from_config(store: Store, config: &crate::config::Config) -> Self {
        let backoff = config
            .webhook_retry_secs
            .iter()
            .map(|secs| Duration::from_secs(*secs))
            .collect();
        Self::new(store, config.webhooks.clone(), backoff)
    }

    pub fn new(
        store: Store,
        subscriptions: Vec<WebhookSubscription>,
        backoff: Vec<Duration>,
    ) -> Self {
        let client = reqwest::Client::builder()
            .timeout(ATTEMPT_TIMEOUT)
            .build()
            .unwrap_or_default();
        let inner = Inner {
            store,
            subscriptions,
            client,
            backoff,
            running: Mutex::new(Vec::new()),
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Whether any subscriber wants events of `kind` (so callers can skip
    /// costly work nobody would hear of).
    pub fn subscribed_to(&self, kind: EventKind) -> bool {
        let subscriptions = &self.inner.subscriptions;
        subscriptions.iter().any(|s| s.events.contains(&kind))
    }

    /// Starts a delivery to every subscriber that wants the notification;
    /// returns at once.
    pub async fn notify(&self, notification: Notification) {
        let wanted: Vec<WebhookSubscription> = self
            .inner
            .subscriptions
            .iter()
            .filter(|subscription| subscription.wants(&notification))
            .cloned()
            .collect();
        let mut running = self.inner.running.lock().await;
        running.retain(|task| !task.is_finished());
        for subscription in wanted {
            let notifier = self.clone();
            let notification = notification.clone();
            running.push(tokio::spawn(async move {
                if let Err(error) = notifier.deliver(&subscription, &notification).await {
                    tracing::error!(url = %subscription.url, %error, "webhook delivery not recorded");
                }
            }));
        }
    }

    /// Delivers a notification to the one subscriber configured under
    /// `url`, with its retries, and waits for the outcome. The subscriber
    /// must list the notification's event kind and be cleared for its
    /// marking; otherwise nothing is sent and the reason is returned.
    pub async fn deliver_to_url(
        &self,
        url: &str,
        notification: &Notification,
    ) -> Result<Delivery, String> {
        let subscription = self
            .inner
            .subscriptions
            .iter()
            .find(|subscription| subscription.url == url)
            .ok_or_else(|| format!("no [[webhooks]] subscription is configured for {url}"))?;
        if !subscription.wants(notification) {
            let kind = notification.kind().as_str();
            let tlp = notification.marking().tlp;
            return Err(format!(
                "the subscription for {url} does not take {kind} about a record marked {tlp}"
            ));
        }
        self.deliver(subscription, notification)
            .await
            .map_err(|error| format!("the delivery was not recorded: {error}"))
    }

    /// Waits for every delivery started so far to finish its attempts.
    pub async fn flush(&self) {
        let tasks: Vec<JoinHandle<()>> = std::mem::take(&mut *self.inner.running.lock().await);
        for task in tasks {
            let _ = task.await;
        }
    }

    /// One delivery with its retries; the stored record after the last
    /// attempt.
    pub async fn deliver(
        &self,
        subscription: &WebhookSubscription,
        notification: &Notification,
    ) -> Result<Delivery, keelson_store::StoreError> {
        let id = new_delivery_id();
        let event = notification.kind().as_str();
        let body = json!({"id": id, "event": event, "data": notification.data()}).to_string();
        let store = &self.inner.store;
        let mut delivery = store
            .create_delivery(&subscription.url, event, &id, &body)
            .await?;

        let attempts = self.inner.backoff.len() + 1;
        for attempt in 0..attempts {
            let last = attempt + 1 == attempts;
            let outcome = self.attempt(subscription, event, &id, &body, last).await;
            delivery = store.record_attempt(&id, &outcome).await?;
            if outcome.delivered || last {
                break;
            }
            tokio::time::sleep(self.inner.backoff[attempt]).await;
        }
        Ok(delivery)
    }

    async fn attempt(
        &self,
        subscription: &WebhookSubscription,
        event: &str,
        id: &str,
        body: &str,
        last: bool,
    ) -> Attempt {
        let sent = self
            .inner
            .client
            .post(&subscription.url)
            .header("Content-Type", "application/json")
            .header("X-Keelson-Event", event)
            .header("X-Keelson-Delivery", id)
            .header(
                "X-Keelson-Signature",
                signature(&subscription.secret, body.as_bytes()),
            )
            .body(body.to_owned())
            .send()
            .await;
        match sent {
            Ok(response) => {
                let status = response.status();
                Attempt {
                    delivered: status.is_success(),
                    status_code: Some(status.as_u16()),
                    error: (!status.is_success()).then(|| format!("answered {status}")),
                    last,
                }
            }
            Err(error) => Attempt {
                delivered: false,
                status_code: None,
                error: Some(error.to_string()),
                last,
            },
        }
    }
}
