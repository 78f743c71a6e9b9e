//! Development mode's application-server API at `/openvidu/dev/`: exactly the two
//! endpoints of the OpenVidu tutorials' application servers (see `apps/app-server`), so
//! that the call page, our components (`app-server="/openvidu/dev/"`) and any tutorial
//! front end get tokens from the deployment itself with nothing else running.
//!
//! * `POST /openvidu/dev/api/sessions`, body session properties (`{"customSessionId": s}`):
//!   the session id as text; an existing custom id is reused.
//! * `POST /openvidu/dev/api/sessions/{id}/connections`, body connection properties
//!   (`{}`): the token as text; 404 when the session does not exist.
//!
//! They call the domain directly (no HTTP to ourselves). There is no authentication:
//! anyone who reaches the server can join any session, which is why the mode is off as
//! soon as a secret of one's own is set (unless `OPENVIDU_DEV=true`). Bodies and the
//! request rate are limited as on the REST API. Off, every path answers 404 saying how to
//! turn it on.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use ov_protocol::ids::SessionId;
use ov_protocol::rest::{ConnectionProperties, SessionProperties};
use tower_http::cors::CorsLayer;

use crate::domain::{DomainError, Registry};
use crate::rest::{body_limit, rate_limit};

const OFF: &str = "Development mode is off, so /openvidu/dev/ (the application-server API of \
    the tutorials and of the call page) is not served. Turn it on with OPENVIDU_DEV=true \
    (it has no authentication: never in production).";

const PATHS: &str = "The development API has POST /openvidu/dev/api/sessions \
    (body {\"customSessionId\": \"...\"}, answers the session id) and \
    POST /openvidu/dev/api/sessions/{sessionId}/connections (body {}, answers a token).";

/// The routes under `/openvidu/dev/`: the API when `on`, else 404s that say how to enable it.
pub fn router(registry: Arc<Registry>, on: bool) -> Router {
    if !on {
        return Router::new()
            .route(
                "/openvidu/dev",
                any(|| async { text(StatusCode::NOT_FOUND, OFF) }),
            )
            .route(
                "/openvidu/dev/{*rest}",
                any(|| async { text(StatusCode::NOT_FOUND, OFF) }),
            );
    }
    let rate = rate_limit::RestRate::new(registry.config().limits.rest_rate());
    let api = Router::new()
        .route("/openvidu/dev/api/sessions", post(create_session))
        .route(
            "/openvidu/dev/api/sessions/{session_id}/connections",
            post(create_connection),
        )
        .route(
            "/openvidu/dev/{*rest}",
            any(|| async { text(StatusCode::NOT_FOUND, PATHS) }),
        )
        .route(
            "/openvidu/dev",
            any(|| async { text(StatusCode::NOT_FOUND, PATHS) }),
        )
        .layer(middleware::from_fn(body_limit::limit_body))
        .with_state(registry);
    let api = match rate {
        Some(rate) => api.layer(middleware::from_fn_with_state(rate, rate_limit::limit_rate)),
        None => api,
    };
    // Front ends in development are often served from another origin (a dev server on
    // localhost:3000): any origin may call, as with the tutorials' servers.
    api.layer(CorsLayer::very_permissive())
}

fn text(status: StatusCode, body: impl Into<String>) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body.into(),
    )
        .into_response()
}

/// A JSON body of properties; empty means the defaults. A bad one is a 400 saying why.
fn properties<T: serde::de::DeserializeOwned + Default>(bytes: &Bytes) -> Result<T, BadBody> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(bytes).map_err(BadBody)
}

/// A request body that is not the JSON properties expected.
struct BadBody(serde_json::Error);

impl IntoResponse for BadBody {
    fn into_response(self) -> Response {
        text(
            StatusCode::BAD_REQUEST,
            format!("the body is not valid JSON properties: {}", self.0),
        )
    }
}

fn refused(e: DomainError) -> Response {
    let status = match e {
        DomainError::SessionNotFound(_) => StatusCode::NOT_FOUND,
        DomainError::LimitReached(_) => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::BAD_REQUEST,
    };
    text(status, e.to_string())
}

async fn create_session(State(registry): State<Arc<Registry>>, bytes: Bytes) -> Response {
    let props: SessionProperties = match properties(&bytes) {
        Ok(p) => p,
        Err(bad) => return bad.into_response(),
    };
    match registry.create_session(&props) {
        Ok(session) => text(StatusCode::OK, session.id.as_str()),
        // The tutorials' servers reuse the session of an existing custom id.
        Err(DomainError::SessionExists(id)) => text(StatusCode::OK, id.as_str()),
        Err(e) => refused(e),
    }
}

async fn create_connection(
    State(registry): State<Arc<Registry>>,
    Path(session_id): Path<SessionId>,
    bytes: Bytes,
) -> Response {
    let props: ConnectionProperties = match properties(&bytes) {
        Ok(p) => p,
        Err(bad) => return bad.into_response(),
    };
    match registry.create_connection(&session_id, &props) {
        Ok(connection) => match connection.token {
            Some(token) => text(StatusCode::OK, token),
            None => text(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the connection has no token",
            ),
        },
        Err(e) => refused(e),
    }
}
