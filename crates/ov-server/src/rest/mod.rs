//! The REST API under `/openvidu/api` (and its deprecated alias `/api`).

mod auth;
pub(crate) mod body_limit;
mod connections;
mod error;
pub mod extract;
mod misc;
pub(crate) mod rate_limit;
mod recordings;
mod sessions;

use std::sync::Arc;

use axum::Router;
use axum::middleware;
use axum::routing::{delete, get, post};
use tower_http::cors::{AllowHeaders, AllowMethods, Any, CorsLayer};

pub use auth::{API_USER, require_basic_auth};
pub use error::ApiError;

use crate::domain::Registry;

/// What REST handlers share.
#[derive(Clone)]
pub struct AppState {
    /// Sessions.
    pub registry: Arc<Registry>,
    /// `OPENVIDUAPP:<secret>`.
    pub expected_credentials: Arc<str>,
    /// `http(s)://host[:port]`, as OpenVidu's `OPENVIDU_PUBLICURL`.
    pub public_url: String,
    /// Port the HTTP listener is bound to.
    pub bound_port: u16,
}

impl AppState {
    /// State for a registry, answering on `public_url`.
    pub fn new(registry: Arc<Registry>, public_url: String, bound_port: u16) -> Self {
        let expected_credentials = auth::expected_credentials(&registry.config().secret).into();
        AppState {
            registry,
            expected_credentials,
            public_url,
            bound_port,
        }
    }
}

/// The routes of the API, relative to `/openvidu/api`.
fn api_routes(state: AppState) -> Router {
    let public = Router::new().route("/config/openvidu-publicurl", get(misc::config_public_url));
    let protected = Router::new()
        .route("/sessions", post(sessions::create).get(sessions::list))
        .route("/sessions/{id}", get(sessions::get).delete(sessions::close))
        .route(
            "/sessions/{id}/connection",
            post(connections::create).get(connections::list),
        )
        .route(
            "/sessions/{id}/connection/{cid}",
            get(connections::get)
                .patch(connections::update)
                .delete(connections::delete),
        )
        .route(
            "/sessions/{id}/stream/{stream_id}",
            delete(connections::unpublish),
        )
        .route("/tokens", post(misc::create_token))
        .route("/signal", post(misc::signal))
        .route("/config", get(misc::config))
        .route("/config/openvidu-version", get(misc::config_version))
        .route("/config/openvidu-recording", get(misc::config_recording))
        .route(
            "/config/openvidu-recording-path",
            get(misc::config_recording_path),
        )
        .route("/config/openvidu-cdr", get(misc::config_cdr))
        .route("/health", get(misc::health))
        .route("/recordings/start", post(recordings::start))
        .route("/recordings/stop/{id}", post(recordings::stop))
        .route("/recordings", get(recordings::list))
        .route(
            "/recordings/{id}",
            get(recordings::get).delete(recordings::delete),
        )
        .route("/broadcast/start", post(misc::broadcast_unavailable))
        .route("/broadcast/stop", post(misc::broadcast_unavailable))
        .fallback(misc::not_found)
        .layer(middleware::from_fn(body_limit::limit_body))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_basic_auth,
        ));
    let rate = rate_limit::RestRate::new(state.registry.config().limits.rest_rate());
    // Bodies are bounded by `body_limit` (protected routes; the public one reads none).
    let api = public.merge(protected).with_state(state);
    match rate {
        Some(rate) => api.layer(middleware::from_fn_with_state(rate, rate_limit::limit_rate)),
        None => api,
    }
}

/// The REST router, mounted at `/openvidu/api` and `/api`, with permissive CORS (as
/// OpenVidu: any origin, method and header; preflights need no credentials). Methods and
/// headers are mirrored from the preflight rather than answered with `*`, because a
/// wildcard does not cover `Authorization` and browsers would block Basic-auth calls.
pub fn router(state: AppState) -> Router {
    let api = api_routes(state);
    Router::new()
        .nest("/openvidu/api", api.clone())
        .nest("/api", api)
        .layer(
            CorsLayer::new()
                .allow_origin(Any)
                .allow_methods(AllowMethods::mirror_request())
                .allow_headers(AllowHeaders::mirror_request()),
        )
}
