//! `/dashboard`: the deployment's own monitoring page, behind the secret (OpenVidu 2 CE had
//! one). It shows the live sessions, connections and streams with bitrate, loss, round-trip
//! time and speaking state, pushed by the server as they change (`feed`), and runs a
//! self-test: a loopback call through the server from the page, timed to the first frame.
//!
//! The page is `sdk/dashboard/` (plain HTML and an ES module on our browser SDK), embedded.

mod feed;
mod snapshot;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde_json::json;

use ov_protocol::ids::SessionId;
use ov_protocol::rest::{ConnectionProperties, Role, SessionProperties};

pub use feed::Feed;

use crate::rest::{ApiError, AppState};

const PAGE: &str = include_str!("../../../../sdk/dashboard/index.html");
const SCRIPT: &str = include_str!("../../../../sdk/dashboard/dashboard.mjs");

/// Sessions made by the self-test have ids with this prefix, and only those may be closed
/// through the self-test's route.
pub const SELF_TEST_PREFIX: &str = "dashboard-selftest-";

#[derive(Clone)]
struct DashboardState {
    app: AppState,
    feed: Feed,
}

/// The dashboard's routes, every one behind the REST API's Basic auth.
pub fn router(app: AppState, feed: Feed) -> Router {
    let state = DashboardState {
        app: app.clone(),
        feed,
    };
    Router::new()
        .route("/dashboard", get(page))
        .route("/dashboard/", get(page))
        .route("/dashboard/dashboard.mjs", get(script))
        .route("/dashboard/events", get(events))
        .route("/dashboard/selftest", post(start_self_test))
        .route("/dashboard/selftest/{id}", delete(end_self_test))
        .with_state(state)
        .layer(middleware::from_fn_with_state(
            app,
            crate::rest::require_basic_auth,
        ))
}

fn no_store(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

async fn page() -> Response {
    no_store("text/html; charset=utf-8", PAGE)
}

async fn script() -> Response {
    no_store("text/javascript; charset=utf-8", SCRIPT)
}

async fn events(State(state): State<DashboardState>) -> Response {
    state.feed.events().into_response()
}

/// A fresh session and two tokens (the page publishes with one and subscribes with the
/// other), so the self-test goes through the same paths as any call.
async fn start_self_test(State(state): State<DashboardState>) -> Result<Response, ApiError> {
    let registry = &state.app.registry;
    let custom_id = format!("{SELF_TEST_PREFIX}{}", crate::ids::random_alphanumeric(10));
    let props = SessionProperties {
        custom_session_id: Some(custom_id),
        ..SessionProperties::default()
    };
    let session = registry
        .create_session(&props)
        .map_err(|e| ApiError::refused(e, "/dashboard/selftest"))?;
    let connection = ConnectionProperties {
        role: Some(Role::Publisher),
        data: Some("dashboard self-test".into()),
        ..ConnectionProperties::default()
    };
    let mut tokens = Vec::new();
    for _ in 0..2 {
        let c = registry
            .create_connection(&session.id, &connection)
            .map_err(|e| ApiError::refused(e, "/dashboard/selftest"))?;
        tokens.push(c.token);
    }
    Ok(Json(json!({"sessionId": session.id, "tokens": tokens})).into_response())
}

/// Closes a self-test's session.
async fn end_self_test(
    State(state): State<DashboardState>,
    Path(id): Path<SessionId>,
) -> StatusCode {
    if !id.as_str().starts_with(SELF_TEST_PREFIX) {
        return StatusCode::FORBIDDEN;
    }
    match state.app.registry.close_session(&id) {
        Ok(()) => StatusCode::NO_CONTENT,
        Err(_) => StatusCode::NOT_FOUND,
    }
}
