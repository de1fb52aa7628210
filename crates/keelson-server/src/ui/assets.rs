//! The stylesheet and the enhancing script, compiled into the binary with
//! `include_str!` and served with a content type and a cache lifetime; no
//! front-end build step and no file on disk at run time.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::AppState;

pub const STYLE_PATH: &str = "/ui/static/keelson.css";
pub const SCRIPT_PATH: &str = "/ui/static/keelson.js";

const STYLE: &str = include_str!("assets/keelson.css");
const SCRIPT: &str = include_str!("assets/keelson.js");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            STYLE_PATH,
            get(|| async { asset("text/css; charset=utf-8", STYLE) }),
        )
        .route(
            SCRIPT_PATH,
            get(|| async { asset("text/javascript; charset=utf-8", SCRIPT) }),
        )
}

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
}
