//! `/recordings`: start, stop, get, list and delete, with OpenVidu's status codes (the
//! checks themselves are the recording service's, `crate::recording`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ov_protocol::ids::SessionId;
use serde_json::Value;

use super::AppState;
use super::error::ApiError;
use crate::recording::RecordingError;

const START_PATH: &str = "/openvidu/api/recordings/start";

/// The answer OpenVidu gives for each failure: empty bodies where it sends none, its JSON
/// error body (with a message saying what to change) where it sends one or where we can
/// say more.
fn error(e: RecordingError) -> ApiError {
    use RecordingError::*;
    match e {
        Disabled => ApiError::empty(StatusCode::NOT_IMPLEMENTED),
        SessionNotFound(_) | NotFound(_) => ApiError::empty(StatusCode::NOT_FOUND),
        Conflict(_) | InProgress(_) => ApiError::empty(StatusCode::CONFLICT),
        NoParticipants(_) | Starting(_) => ApiError::empty(StatusCode::NOT_ACCEPTABLE),
        // OpenVidu names /sessions as the path of these (a quirk clients never read).
        Properties(p) if p.is_unprocessable() => ApiError::with_body(
            StatusCode::UNPROCESSABLE_ENTITY,
            p.to_string(),
            "/openvidu/api/sessions",
        ),
        Properties(p) => ApiError::bad_request(p.to_string(), "/openvidu/api/sessions"),
        PropertyType(m) => ApiError::bad_request(m, "/openvidu/api/sessions"),
        StartFailed(m) => ApiError::with_body(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("Error starting recording: {m}"),
            START_PATH,
        ),
        Internal(m) => ApiError::with_body(
            StatusCode::INTERNAL_SERVER_ERROR,
            m,
            "/openvidu/api/recordings",
        ),
    }
}

fn service(state: &AppState) -> &crate::recording::Recordings {
    &state.registry.services().recordings
}

/// `POST /recordings/start`.
pub async fn start(State(state): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    let value: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Null
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::bad_request(format!("Body is not valid JSON: {e}"), START_PATH)
        })?
    };
    if value.is_null() {
        return Err(ApiError::bad_request(
            "Error in body parameters. Cannot be empty",
            START_PATH,
        ));
    }
    let recordings = service(&state);
    if !recordings.enabled() {
        return Err(error(RecordingError::Disabled));
    }
    let session = match value.get("session") {
        None | Some(Value::Null) => {
            return Err(ApiError::bad_request(
                "\"session\" parameter is mandatory",
                START_PATH,
            ));
        }
        Some(Value::String(s)) => SessionId::new(s.clone()),
        Some(_) => {
            return Err(ApiError::bad_request(
                "Type error in parameter \"session\"",
                START_PATH,
            ));
        }
    };
    let handle = state
        .registry
        .session(&session)
        .ok_or_else(|| error(RecordingError::SessionNotFound(session.clone())))?;
    recordings
        .start(&handle, &value)
        .await
        .map(|r| Json(r).into_response())
        .map_err(error)
}

/// `POST /recordings/stop/{id}`: the final recording (`ready`, or `failed`).
pub async fn stop(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    service(&state)
        .stop(&id)
        .await
        .map(|r| Json(r).into_response())
        .map_err(error)
}

/// `GET /recordings/{id}`.
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    service(&state)
        .get(&id)
        .map(|r| Json(r).into_response())
        .map_err(error)
}

/// `GET /recordings`: `{count, items}`.
pub async fn list(State(state): State<AppState>) -> Result<Response, ApiError> {
    let items = service(&state).list().map_err(error)?;
    Ok(Json(serde_json::json!({"count": items.len(), "items": items})).into_response())
}

/// `DELETE /recordings/{id}`: 204.
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    service(&state)
        .delete(&id)
        .map(|()| StatusCode::NO_CONTENT)
        .map_err(error)
}
