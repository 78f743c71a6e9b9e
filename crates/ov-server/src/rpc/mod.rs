//! The WebSocket JSON-RPC signaling at `/openvidu`, as openvidu-browser 2.32 speaks it.

mod dispatch;
#[cfg(test)]
mod properties;
mod socket;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, State, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;

use crate::domain::Registry;

/// Largest frame accepted. SDPs make frames of 5–20 KB.
pub const MAX_FRAME_BYTES: usize = 1024 * 1024;

/// The `/openvidu` route.
pub fn router(registry: Arc<Registry>) -> Router {
    Router::new()
        .route("/openvidu", get(upgrade))
        .with_state(registry)
}

async fn upgrade(
    ws: WebSocketUpgrade,
    State(registry): State<Arc<Registry>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    // Behind a proxy, the client's address comes in X-Real-IP (as OpenVidu honours it).
    let ip = headers
        .get("x-real-ip")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<std::net::IpAddr>().ok())
        .unwrap_or(peer.ip())
        .to_string();
    ws.max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| socket::serve(socket, registry, ip))
}
