//! A webhook receiver on a free local port that records each request's
//! signature header and body, and the signature Python's standard library
//! computes for a body, so tests check Keelson's HMAC against code written
//! apart from it.

use std::process::Command;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use tokio::sync::Mutex;

/// What the receiver saw: each request's signature header and body.
#[derive(Default)]
pub struct Receiver {
    pub seen: Vec<(String, String)>,
    /// Requests answered 503 before the receiver starts accepting.
    pub refuse_first: usize,
}

impl Receiver {
    /// A receiver that refuses the first `count` requests.
    pub fn refusing(count: usize) -> Arc<Mutex<Receiver>> {
        Arc::new(Mutex::new(Receiver {
            refuse_first: count,
            ..Receiver::default()
        }))
    }
}

async fn receive(
    State(receiver): State<Arc<Mutex<Receiver>>>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    let mut receiver = receiver.lock().await;
    let signature = headers
        .get("x-keelson-signature")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    receiver.seen.push((signature, body));
    if receiver.seen.len() <= receiver.refuse_first {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::NO_CONTENT
    }
}

/// Serves the receiver at `/hook` on a free local port; its URL.
pub async fn start_receiver(receiver: Arc<Mutex<Receiver>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let router = axum::Router::new()
        .route("/hook", post(receive))
        .with_state(receiver);
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{address}/hook")
}

/// The signature Python's `hmac` module computes for `body` under `secret`.
pub fn python_signature(secret: &str, body: &str) -> String {
    let script = "import hashlib, hmac, sys\n\
                  body = sys.argv[2].encode()\n\
                  print('sha256=' + hmac.new(sys.argv[1].encode(), body, hashlib.sha256).hexdigest())";
    let output = Command::new("python3")
        .args(["-c", script, secret, body])
        .output()
        .expect("python3");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}
