//! HTTP Basic authentication of the REST API: user `OPENVIDUAPP`, password the secret.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use subtle::ConstantTimeEq;

use super::AppState;

/// The user name of OpenVidu's REST API.
pub const API_USER: &str = "OPENVIDUAPP";

/// Rejects requests without the right credentials with 401 and a `WWW-Authenticate`
/// challenge. The comparison takes the same time whatever the credentials.
pub async fn require_basic_auth(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b64| {
            base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .ok()
        })
        .unwrap_or_default();
    if bool::from(given.ct_eq(state.expected_credentials.as_bytes())) {
        return next.run(request).await;
    }
    let mut response = StatusCode::UNAUTHORIZED.into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"openvidu-rs\""),
    );
    response
}

/// `OPENVIDUAPP:<secret>`, the decoded credentials to expect.
pub fn expected_credentials(secret: &str) -> String {
    format!("{API_USER}:{secret}")
}
