//! The sample application server of the OpenVidu tutorials, on `openvidu-client`.
//!
//! Two endpoints, as every OpenVidu 2 tutorial expects:
//! * `POST /api/sessions` — body: session properties (e.g. `{"customSessionId":"SessionA"}`);
//!   answers the session id as plain text (an existing custom id is reused).
//! * `POST /api/sessions/{sessionId}/connections` — body: connection properties; answers the
//!   token as plain text, or 404 when the session does not exist.
//!
//! CORS is open to any origin (front ends are often served from elsewhere in development)
//! and a folder can be served at `/` (the built front end).

use std::net::SocketAddr;
use std::path::PathBuf;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use openvidu_client::{ConnectionProperties, Error, OpenVidu, SessionProperties};
use serde_json::Value;
use tower_http::cors::CorsLayer;
use tower_http::services::ServeDir;

/// Settings, read from the environment like the tutorials' servers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `SERVER_ADDRESS` (default 127.0.0.1) and `SERVER_PORT` (default 5000).
    pub listen: SocketAddr,
    /// `OPENVIDU_URL` (default `http://localhost:4443`).
    pub openvidu_url: String,
    /// `OPENVIDU_SECRET` (default `MY_SECRET`).
    pub openvidu_secret: String,
    /// `STATIC_DIR`: a folder served at `/` (default `public` if it exists).
    pub static_dir: Option<PathBuf>,
}

impl Settings {
    /// Reads the settings from `env`; a bad value is an error naming the variable.
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Result<Settings, String> {
        let address = env("SERVER_ADDRESS").unwrap_or_else(|| "127.0.0.1".into());
        let port = env("SERVER_PORT").unwrap_or_else(|| "5000".into());
        let listen = format!("{address}:{port}")
            .parse::<SocketAddr>()
            .or_else(|_| format!("[{address}]:{port}").parse())
            .map_err(|_| {
                format!("SERVER_ADDRESS/SERVER_PORT '{address}:{port}' is not an address and port")
            })?;
        let static_dir = env("STATIC_DIR")
            .map(PathBuf::from)
            .or_else(|| Some(PathBuf::from("public")).filter(|p| p.is_dir()));
        Ok(Settings {
            listen,
            openvidu_url: env("OPENVIDU_URL").unwrap_or_else(|| "http://localhost:4443".into()),
            openvidu_secret: env("OPENVIDU_SECRET").unwrap_or_else(|| "MY_SECRET".into()),
            static_dir,
        })
    }
}

/// The application: the two endpoints, CORS, and the static folder.
pub fn router(openvidu: OpenVidu, static_dir: Option<PathBuf>) -> Router {
    let api = Router::new()
        .route("/api/sessions", post(create_session))
        .route(
            "/api/sessions/{session_id}/connections",
            post(create_connection),
        )
        .with_state(openvidu)
        .layer(CorsLayer::very_permissive());
    match static_dir {
        Some(dir) => api.fallback_service(ServeDir::new(dir)),
        None => api,
    }
}

/// An error answer: OpenVidu's status passes through; an unreachable OpenVidu is a 502.
fn failure(e: Error) -> Response {
    tracing::warn!(error = %e, "OpenVidu call failed");
    let status = match e.status() {
        Some(s) => StatusCode::from_u16(s).unwrap_or(StatusCode::BAD_GATEWAY),
        None => StatusCode::BAD_GATEWAY,
    };
    (status, e.to_string()).into_response()
}

/// A request body that is not the JSON expected: 400 with the reason.
struct BadBody(String);

impl IntoResponse for BadBody {
    fn into_response(self) -> Response {
        (StatusCode::BAD_REQUEST, self.0).into_response()
    }
}

/// Parses an optional JSON body (empty means defaults).
fn body<T: serde::de::DeserializeOwned + Default>(bytes: &Bytes) -> Result<T, BadBody> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| BadBody(format!("body is not JSON: {e}")))?;
    serde_json::from_value(value).map_err(|e| BadBody(format!("invalid properties: {e}")))
}

async fn create_session(State(openvidu): State<OpenVidu>, bytes: Bytes) -> Response {
    let properties: SessionProperties = match body(&bytes) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    match openvidu.create_session(properties).await {
        Ok(session) => session.id().to_owned().into_response(),
        Err(e) => failure(e),
    }
}

async fn create_connection(
    State(openvidu): State<OpenVidu>,
    Path(session_id): Path<String>,
    bytes: Bytes,
) -> Response {
    let properties: ConnectionProperties = match body(&bytes) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let session = match openvidu.session(&session_id).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            return (
                StatusCode::NOT_FOUND,
                format!("session {session_id} not found"),
            )
                .into_response();
        }
        Err(e) => return failure(e),
    };
    match session.create_connection(properties).await {
        Ok(connection) => connection.token().to_owned().into_response(),
        Err(e) => failure(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings() {
        let s = Settings::from_env(|_| None).unwrap();
        assert_eq!(s.listen, "127.0.0.1:5000".parse().unwrap());
        assert_eq!(s.openvidu_url, "http://localhost:4443");
        assert_eq!(s.openvidu_secret, "MY_SECRET");
        let s = Settings::from_env(|k| match k {
            "SERVER_PORT" => Some("0".into()),
            "SERVER_ADDRESS" => Some("::1".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(s.listen, "[::1]:0".parse().unwrap());
        assert!(Settings::from_env(|k| (k == "SERVER_PORT").then(|| "http".into())).is_err());
    }
}
