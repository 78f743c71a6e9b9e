//! The smaller endpoints: legacy tokens, signals, configuration, health, and the
//! broadcast endpoints OpenVidu CE lacks.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ov_protocol::ids::SessionId;
use serde_json::json;

use ov_protocol::rest::{ConnectionProperties, SignalRequest};

use super::AppState;
use super::error::ApiError;
use super::extract::parse_json;
use crate::domain::DomainError;

/// `POST /tokens` (deprecated): 200 Token, 400 missing `session`, 404 unknown session.
pub async fn create_token(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Response, ApiError> {
    const PATH: &str = "/openvidu/api/tokens";
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "Error in body parameters. Cannot be empty",
            PATH,
        ));
    }
    // `session` is read apart so that errors in the other keys keep their field names.
    let mut object: serde_json::Map<String, serde_json::Value> = parse_json(&body, PATH)?;
    let session_id = match object.remove("session") {
        Some(serde_json::Value::String(s)) => SessionId::from(s),
        None | Some(serde_json::Value::Null) => {
            return Err(ApiError::bad_request(
                "\"session\" parameter is mandatory",
                PATH,
            ));
        }
        Some(_) => {
            return Err(ApiError::bad_request(
                "Invalid value for parameter 'session': must be a string",
                PATH,
            ));
        }
    };
    // OpenVidu ignores `record` here.
    object.remove("record");
    let properties: ConnectionProperties =
        parse_json(&serde_json::to_vec(&object).unwrap_or_default(), PATH)?;
    match state.registry.create_token(&session_id, &properties) {
        Ok(token) => Ok(Json(token).into_response()),
        Err(DomainError::SessionNotFound(_)) => Err(ApiError::with_body(
            StatusCode::NOT_FOUND,
            format!("Session {session_id} not found"),
            PATH,
        )),
        Err(e) => Err(ApiError::refused(e, PATH)),
    }
}

/// `POST /signal`: 200 (empty body), 400, 404 unknown session, 406 nobody connected or
/// unknown recipients.
pub async fn signal(State(state): State<AppState>, body: Bytes) -> Result<StatusCode, ApiError> {
    const PATH: &str = "/openvidu/api/signal";
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "Error in body parameters. Cannot be empty",
            PATH,
        ));
    }
    let request: SignalRequest = parse_json(&body, PATH)?;
    let Some(session_id) = request.session.clone().map(SessionId::from) else {
        return Err(ApiError::bad_request(
            "\"session\" parameter is mandatory",
            PATH,
        ));
    };
    match state.registry.signal_from_server(&session_id, &request) {
        Ok(()) => Ok(StatusCode::OK),
        Err(DomainError::SessionNotFound(_)) => Err(ApiError::empty(StatusCode::NOT_FOUND)),
        Err(DomainError::NoParticipants(_)) => Err(ApiError::empty(StatusCode::NOT_ACCEPTABLE)),
        Err(e @ DomainError::UnknownRecipients(_)) => Err(ApiError::with_body(
            StatusCode::NOT_ACCEPTABLE,
            e.to_string(),
            PATH,
        )),
        Err(e) => Err(ApiError::bad_request(e.to_string(), PATH)),
    }
}

/// `GET /config`: the configuration keys OpenVidu CE reports.
pub async fn config(State(state): State<AppState>) -> Response {
    let c = state.registry.config();
    let mut json = json!({
        "VERSION": ov_protocol::OPENVIDU_VERSION,
        "DOMAIN_OR_PUBLIC_IP": c.domain,
        "HTTPS_PORT": c.public_port.unwrap_or(state.bound_port),
        "OPENVIDU_PUBLICURL": state.public_url,
        "OPENVIDU_CDR": c.cdr_path.is_some(),
    });
    let map = json.as_object_mut().expect("an object");
    if let Some(path) = &c.cdr_path {
        map.insert(
            "OPENVIDU_CDR_PATH".into(),
            json!(path.display().to_string()),
        );
    }
    let s = &c.streams;
    for (key, value) in [
        (
            "OPENVIDU_STREAMS_VIDEO_MAX_RECV_BANDWIDTH",
            json!(s.video_max_recv_bandwidth),
        ),
        (
            "OPENVIDU_STREAMS_VIDEO_MIN_RECV_BANDWIDTH",
            json!(s.video_min_recv_bandwidth),
        ),
        (
            "OPENVIDU_STREAMS_VIDEO_MAX_SEND_BANDWIDTH",
            json!(s.video_max_send_bandwidth),
        ),
        (
            "OPENVIDU_STREAMS_VIDEO_MIN_SEND_BANDWIDTH",
            json!(s.video_min_send_bandwidth),
        ),
        (
            "OPENVIDU_STREAMS_FORCED_VIDEO_CODEC",
            json!(s.forced_video_codec),
        ),
        (
            "OPENVIDU_STREAMS_ALLOW_TRANSCODING",
            json!(s.allow_transcoding),
        ),
        ("OPENVIDU_WEBRTC_SIMULCAST", json!(s.simulcast)),
        (
            "OPENVIDU_SESSIONS_GARBAGE_INTERVAL",
            json!(c.garbage_interval.as_secs()),
        ),
        (
            "OPENVIDU_SESSIONS_GARBAGE_THRESHOLD",
            json!(c.garbage_threshold.as_secs()),
        ),
        ("OPENVIDU_RECORDING", json!(c.recording.is_some())),
        ("OPENVIDU_WEBHOOK", json!(c.webhook.is_some())),
    ] {
        map.insert(key.into(), value);
    }
    if let Some(r) = &c.recording {
        for (key, value) in [
            ("OPENVIDU_RECORDING_VERSION", json!(r.version)),
            ("OPENVIDU_RECORDING_PATH", json!(r.path)),
            ("OPENVIDU_RECORDING_PUBLIC_ACCESS", json!(r.public_access)),
            (
                "OPENVIDU_RECORDING_NOTIFICATION",
                json!(r.notification.as_str()),
            ),
            ("OPENVIDU_RECORDING_CUSTOM_LAYOUT", json!(r.custom_layout)),
            (
                "OPENVIDU_RECORDING_AUTOSTOP_TIMEOUT",
                json!(r.autostop_timeout.as_secs()),
            ),
        ] {
            map.insert(key.into(), value);
        }
        if !r.composed_url.is_empty() {
            map.insert(
                "OPENVIDU_RECORDING_COMPOSED_URL".into(),
                json!(r.composed_url),
            );
        }
    }
    if let Some(w) = &c.webhook {
        let headers: Vec<String> = w.headers.iter().map(|(n, v)| format!("{n}: {v}")).collect();
        map.insert("OPENVIDU_WEBHOOK_ENDPOINT".into(), json!(w.endpoint));
        map.insert("OPENVIDU_WEBHOOK_HEADERS".into(), json!(headers));
        map.insert("OPENVIDU_WEBHOOK_EVENTS".into(), json!(w.events));
    }
    Json(json).into_response()
}

/// `GET /config/openvidu-version`.
pub async fn config_version() -> &'static str {
    ov_protocol::OPENVIDU_VERSION
}

/// `GET /config/openvidu-publicurl` (no authentication, as in OpenVidu).
pub async fn config_public_url(State(state): State<AppState>) -> String {
    // OpenVidu's "final URL" ends with a slash here (not in GET /config).
    format!("{}/", state.public_url)
}

/// `GET /config/openvidu-recording`.
pub async fn config_recording(State(state): State<AppState>) -> Json<bool> {
    Json(state.registry.config().recording.is_some())
}

/// `GET /config/openvidu-recording-path`: the folder, ending in `/` (empty when recording
/// is off).
pub async fn config_recording_path(State(state): State<AppState>) -> String {
    state
        .registry
        .config()
        .recording
        .as_ref()
        .map(|r| r.path.clone())
        .unwrap_or_default()
}

/// `GET /config/openvidu-cdr`.
pub async fn config_cdr(State(state): State<AppState>) -> Json<bool> {
    Json(state.registry.config().cdr_path.is_some())
}

/// `GET /health`: `{"status":"UP"}` (OpenVidu Pro's shape; the CE server has none).
pub async fn health() -> Json<serde_json::Value> {
    Json(json!({"status": "UP", "disconnectedMediaNodes": []}))
}

/// Broadcast endpoints: OpenVidu CE has none (404); the body says why.
pub async fn broadcast_unavailable(uri: axum::http::Uri) -> ApiError {
    ApiError::with_body(
        StatusCode::NOT_FOUND,
        "Broadcasting to RTMP is an OpenVidu Pro feature and is not available in openvidu-rs",
        uri.path(),
    )
}

/// Unknown paths under the API (after authentication, as OpenVidu checks it first).
pub async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::with_body(
        StatusCode::NOT_FOUND,
        format!("No endpoint {} in the OpenVidu REST API", uri.path()),
        uri.path(),
    )
}
