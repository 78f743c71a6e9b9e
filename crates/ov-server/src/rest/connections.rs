//! `/sessions/{id}/connection[/{cid}]` and `/sessions/{id}/stream/{streamId}`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use ov_protocol::ids::{ConnectionId, SessionId, StreamId};
use ov_protocol::rest::ConnectionProperties;

use super::AppState;
use super::error::ApiError;
use super::extract::{JsonBody, ListFlags};
use crate::domain::DomainError;

fn connection_path(session_id: &str) -> String {
    format!("/openvidu/api/sessions/{session_id}/connection")
}

/// `POST /sessions/{id}/connection`: 200 Connection (pending), 404, 400.
pub async fn create(
    State(state): State<AppState>,
    Path(session_id): Path<SessionId>,
    JsonBody(props): JsonBody<ConnectionProperties>,
) -> Result<Response, ApiError> {
    match state.registry.create_connection(&session_id, &props) {
        Ok(connection) => Ok(Json(connection).into_response()),
        Err(DomainError::SessionNotFound(_)) => Err(ApiError::empty(StatusCode::NOT_FOUND)),
        Err(e) => Err(ApiError::refused(e, &connection_path(&session_id))),
    }
}

/// `GET /sessions/{id}/connection/{cid}`: 200, 400 unknown session, 404 unknown connection.
pub async fn get(
    State(state): State<AppState>,
    Path((session_id, connection_id)): Path<(SessionId, ConnectionId)>,
) -> Result<Response, ApiError> {
    state
        .registry
        .get_connection(&session_id, &connection_id)
        .map(|c| Json(c).into_response())
        .map_err(session_400_else_404)
}

/// `GET /sessions/{id}/connection`: 200 page (pending included by default), 404.
pub async fn list(
    State(state): State<AppState>,
    Path(session_id): Path<SessionId>,
    flags: ListFlags,
) -> Result<Response, ApiError> {
    let pending = flags.pending.unwrap_or(true);
    state
        .registry
        .list_connections(&session_id, pending, flags.webrtc_stats)
        .map(|page| Json(page).into_response())
        .map_err(|_| ApiError::empty(StatusCode::NOT_FOUND))
}

/// `PATCH /sessions/{id}/connection/{cid}`: change `role` / `record` (a Pro feature in
/// OpenVidu, offered to everyone here). 200, 400, 404.
pub async fn update(
    State(state): State<AppState>,
    Path((session_id, connection_id)): Path<(SessionId, ConnectionId)>,
    JsonBody(props): JsonBody<ConnectionProperties>,
) -> Result<Response, ApiError> {
    state
        .registry
        .update_connection(&session_id, &connection_id, &props)
        .map(|c| Json(c).into_response())
        .map_err(|e| match e {
            DomainError::InvalidParameter(m) => {
                ApiError::bad_request(m, &connection_path(&session_id))
            }
            _ => ApiError::empty(StatusCode::NOT_FOUND),
        })
}

/// `DELETE /sessions/{id}/connection/{cid}`: 204, 400 unknown session, 404.
pub async fn delete(
    State(state): State<AppState>,
    Path((session_id, connection_id)): Path<(SessionId, ConnectionId)>,
) -> Result<StatusCode, ApiError> {
    state
        .registry
        .delete_connection(&session_id, &connection_id)
        .map(|()| StatusCode::NO_CONTENT)
        .map_err(session_400_else_404)
}

/// `DELETE /sessions/{id}/stream/{streamId}`: 204, 400 unknown session, 404 unknown
/// stream or session not active.
pub async fn unpublish(
    State(state): State<AppState>,
    Path((session_id, stream_id)): Path<(SessionId, StreamId)>,
) -> Result<StatusCode, ApiError> {
    state
        .registry
        .force_unpublish_by_server(&session_id, &stream_id)
        .map(|()| StatusCode::NO_CONTENT)
        .map_err(session_400_else_404)
}

/// OpenVidu answers 400 (not 404) when the *session* of a connection/stream path is
/// unknown, and 404 when the session exists but the connection or stream does not.
fn session_400_else_404(e: DomainError) -> ApiError {
    match e {
        DomainError::SessionNotFound(_) => ApiError::empty(StatusCode::BAD_REQUEST),
        _ => ApiError::empty(StatusCode::NOT_FOUND),
    }
}
