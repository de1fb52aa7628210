//! Keelson's server: the HTTP API under `/api/v1/`, its OpenAPI document,
//! the web UI outside `/api/`, authentication, health and metrics, and the serve loop with graceful
//! shutdown. Handlers are thin: they authenticate, check clearance and call
//! the store or a domain library.
//!
//! [`app`] builds the whole router from an [`AppState`], so tests drive the
//! API without a socket.

pub mod advisory;
pub mod api;
pub mod audit_watch;
pub mod auth;
pub mod clearance;
pub mod config;
pub mod demo;
pub mod detection;
pub mod disclosure;
pub mod error;
pub mod escalation;
pub mod evidence;
pub mod finding_events;
pub mod findings;
pub mod forensics;
pub mod ingest;
pub mod intel;
pub mod logging;
pub mod metrics;
pub mod monitoring;
pub mod origin;
pub mod playbooks;
pub mod portfolio;
pub mod remediation;
pub mod reports;
pub mod retention;
pub mod risk;
pub mod security_tests;
pub mod security_txt;
pub mod taxii;
pub mod ui;
pub mod vex;
pub mod webhooks;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use keelson_core::Role;
use keelson_store::users::{NewUser, UserRecord};
use keelson_store::{Store, StoreError};
use tokio::sync::Semaphore;

use crate::config::Config;
use crate::disclosure::IntakeLimiter;
use crate::evidence::EvidenceFiles;
use crate::ingest::uploads::{UploadQueue, UploadWorker};
use crate::metrics::{Metrics, RequestLabels};
use crate::webhooks::Notifier;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
    pub metrics: Arc<Metrics>,
    /// Telemetry batches that may be processed at once; a batch that finds
    /// none free is answered 429 with Retry-After instead of queueing
    /// without bound.
    pub ingest_permits: Arc<Semaphore>,
    /// The live compiled rule set; every ingest path feeds it.
    pub detector: detection::Detector,
    /// Uploaded files, content-addressed in the data folder.
    pub evidence: EvidenceFiles,
    /// The bounded queue of uploads waiting for decoding.
    pub uploads: UploadQueue,
    /// Public disclosure reports per client address.
    pub disclosure_limiter: Arc<IntakeLimiter>,
    /// The knowledge base and each build's findings, kept between requests.
    pub findings: Arc<findings::FindingsCache>,
    /// Webhook deliveries to the configured subscribers.
    pub notifier: Notifier,
    /// Starts and carries out incident playbooks.
    pub playbooks: playbooks::PlaybookRunner,
    /// The audit page's last look at the hash chain.
    pub audit_watch: Arc<audit_watch::AuditWatch>,
    /// Portfolios worked out per reader, kept while their sources are unchanged.
    pub portfolios: Arc<portfolio::PortfolioCache>,
}

impl AppState {
    /// The state, with the upload worker started (needs a Tokio runtime).
    pub fn new(store: Store, config: Config) -> Self {
        let ingest_permits = Arc::new(Semaphore::new(config.ingest_concurrency.max(1)));
        let metrics = Metrics::new();
        let notifier = Notifier::from_config(store.clone(), &config);
        let config = Arc::new(config);
        let playbooks =
            playbooks::PlaybookRunner::new(store.clone(), config.clone(), notifier.clone());
        let detector = detection::Detector::new(
            config.alert_dedup_window_minutes,
            config.incident_window_minutes,
            metrics.alerts_raised.clone(),
        )
        .with_retirement(monitoring::Retirement::from_config(&config))
        .with_playbooks(playbooks.clone());
        let evidence = EvidenceFiles::in_data_dir(&config.data_dir);
        let worker = UploadWorker {
            store: store.clone(),
            detector: detector.clone(),
            evidence: evidence.clone(),
            dbc_dir: config.dbc_dir.clone(),
        };
        let uploads = UploadQueue::start(worker, config.upload_queue);
        let disclosure_limiter = Arc::new(IntakeLimiter::new(
            config.disclosure_rate_per_hour,
            config.disclosure_burst,
        ));
        Self {
            store,
            config,
            metrics: Arc::new(metrics),
            ingest_permits,
            detector,
            evidence,
            uploads,
            disclosure_limiter,
            findings: Arc::default(),
            notifier,
            playbooks,
            audit_watch: Arc::default(),
            portfolios: Arc::default(),
        }
    }

    /// The state with the store's rules compiled into the detector.
    pub async fn with_rules(store: Store, config: Config) -> Result<Self, StoreError> {
        let state = Self::new(store, config);
        let problems = state.detector.reload(&state.store).await?;
        for problem in problems {
            tracing::warn!(%problem, "stored rule does not load; it does not fire");
        }
        Ok(state)
    }
}

/// The whole application: API, OpenAPI document, pages, health and metrics.
pub fn app(state: AppState) -> Router {
    let body_limit = state.config.api_body_limit;
    api::router(state.clone())
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn_with_state(state, count_requests))
}

async fn count_requests(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let method = request.method().as_str().to_owned();
    state.metrics.http_in_flight.inc();
    let response = next.run(request).await;
    state.metrics.http_in_flight.dec();
    let status = format!("{}xx", response.status().as_u16() / 100);
    state
        .metrics
        .http_requests
        .get_or_create(&RequestLabels { method, status })
        .inc();
    response
}

/// On first start with no account at all, creates an admin with a
/// generated password and returns it so the caller can print it once.
pub async fn bootstrap_admin(
    store: &Store,
) -> Result<Option<(UserRecord, String)>, error::ApiError> {
    if store.count_users().await? > 0 {
        return Ok(None);
    }
    let password = auth::new_password();
    let new = NewUser {
        name: "admin".to_owned(),
        role: Role::Admin,
        organisation: None,
        password_hash: auth::hash_password(&password)?,
    };
    let user = store.create_user("system", new).await?;
    Ok(Some((user, password)))
}

/// Serves until SIGTERM or Ctrl-C, then stops accepting and lets in-flight
/// requests finish.
pub async fn serve(state: AppState) -> std::io::Result<()> {
    let listener = bind(&state.config).await?;
    serve_on(listener, state).await
}

/// The listening socket of `listen`, with the address in the error.
pub async fn bind(config: &Config) -> std::io::Result<tokio::net::TcpListener> {
    let listen = config.listen;
    tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|error| std::io::Error::new(error.kind(), format!("listen on {listen}: {error}")))
}

/// Like [`serve`], on a socket the caller bound (so that it can say where
/// the server listens before serving, as `keelson demo` does).
pub async fn serve_on(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    let address = listener.local_addr()?;
    tracing::info!(%address, store = ?state.store.backend(), "listening");
    warn_if_security_txt_expired(&state.config);
    start_jobs(&state).await;
    // The peer address keys the disclosure intake's rate limit.
    let service = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("stopped");
    Ok(())
}

/// RFC 9116 says a file past its `Expires` should not be trusted; the
/// operator must renew it.
fn warn_if_security_txt_expired(config: &Config) {
    let now = time::OffsetDateTime::now_utc();
    if let Some(expires) = config
        .security_txt
        .as_ref()
        .filter(|text| text.is_expired(now))
        .map(|text| text.expires.clone())
    {
        tracing::warn!(%expires, "security.txt has expired; renew security_txt.expires");
    }
}

/// The background jobs of a serving instance: uploads left unfinished by a
/// previous run go back on the queue, playbook runs a stop interrupted are
/// finished, every build's SBOMs are matched against the knowledge base once
/// so that the first portfolio does not wait for it, retention runs hourly,
/// rule changes made outside this instance are picked up, and the rules of
/// PSIRT cases are checked hourly against their cases' standing.
async fn start_jobs(state: &AppState) {
    let findings = state.findings.clone();
    let store = state.store.clone();
    tokio::spawn(async move {
        match match_every_build(&findings, &store).await {
            Ok(builds) => tracing::info!(builds, "findings of every build matched"),
            Err(error) => tracing::warn!(%error, "cannot match the builds' findings ahead"),
        }
    });
    let uploads = state.uploads.clone();
    let store = state.store.clone();
    tokio::spawn(async move {
        match uploads.resume(&store).await {
            Ok(0) => {}
            Ok(count) => tracing::info!(count, "unfinished log uploads queued again"),
            Err(error) => tracing::error!(%error, "cannot queue unfinished log uploads"),
        }
    });
    let playbooks = state.playbooks.clone();
    tokio::spawn(async move {
        match playbooks.resume_unfinished().await {
            Ok(0) => {}
            Ok(count) => tracing::info!(count, "interrupted playbook runs finished"),
            Err(error) => tracing::error!(%error, "cannot finish interrupted playbook runs"),
        }
    });
    retention::spawn(state.store.clone(), state.config.retention.clone());
    detection::spawn_rule_watch(state.detector.clone(), state.store.clone());
    monitoring::spawn(state.store.clone(), state.detector.clone());
}

/// Matches every build's SBOMs into the findings cache; the count of builds.
async fn match_every_build(
    findings: &findings::FindingsCache,
    store: &Store,
) -> Result<usize, StoreError> {
    let builds = store.list_builds().await?;
    Ok(findings.build_matches(store, &builds).await?.len())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}
