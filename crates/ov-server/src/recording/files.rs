//! `GET /openvidu/recordings/<id>/<file>`: the recordings folder over HTTP, with `Range`
//! and `HEAD` (video players seek), behind the API's Basic authentication unless
//! `OPENVIDU_RECORDING_PUBLIC_ACCESS` is on.

use axum::Router;
use axum::middleware;
use tower_http::services::ServeDir;

use crate::rest::{AppState, require_basic_auth};

/// The router of the recording files (empty when recording is off).
pub fn router(state: AppState) -> Router {
    let Some(config) = state.registry.config().recording.clone() else {
        return Router::new();
    };
    let files = Router::new().nest_service("/openvidu/recordings", ServeDir::new(&config.path));
    if config.public_access {
        files
    } else {
        files.layer(middleware::from_fn_with_state(state, require_basic_auth))
    }
}
