//! `/sessions` and `/sessions/{id}`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use ov_protocol::ids::SessionId;
use ov_protocol::rest::SessionProperties;

use super::AppState;
use super::error::ApiError;
use super::extract::{JsonBody, ListFlags};
use crate::domain::DomainError;

/// `POST /sessions`: 200 Session, 400 bad property, 409 existing `customSessionId`.
pub async fn create(
    State(state): State<AppState>,
    JsonBody(props): JsonBody<SessionProperties>,
) -> Result<Response, ApiError> {
    match state.registry.create_session(&props) {
        Ok(session) => Ok(Json(session).into_response()),
        Err(DomainError::SessionExists(_)) => Err(ApiError::empty(StatusCode::CONFLICT)),
        Err(e) => Err(ApiError::refused(e, "/openvidu/api/sessions")),
    }
}

/// `GET /sessions/{id}`: 200 Session, 404.
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<SessionId>,
    flags: ListFlags,
) -> Result<Response, ApiError> {
    let pending = flags.pending.unwrap_or(false);
    state
        .registry
        .get_session(&id, pending, flags.webrtc_stats)
        .map(|s| Json(s).into_response())
        .map_err(|_| ApiError::empty(StatusCode::NOT_FOUND))
}

/// `GET /sessions`: 200 `{numberOfElements, content}`.
pub async fn list(State(state): State<AppState>, flags: ListFlags) -> Response {
    Json(
        state
            .registry
            .list_sessions(flags.pending.unwrap_or(false), flags.webrtc_stats),
    )
    .into_response()
}

/// `DELETE /sessions/{id}`: 204, 404.
pub async fn close(
    State(state): State<AppState>,
    Path(id): Path<SessionId>,
) -> Result<StatusCode, ApiError> {
    state
        .registry
        .close_session(&id)
        .map(|()| StatusCode::NO_CONTENT)
        .map_err(|_| ApiError::empty(StatusCode::NOT_FOUND))
}
