//! The embedded TURN server (RFC 8656, the subset browsers use): UDP, TCP and TLS
//! listeners, long-term credentials of the TURN REST API scheme derived from the secret,
//! and allocations whose relay sockets may reach this deployment's media sockets only.
//!
//! Why embedded: a browser behind a network that blocks UDP (or all but 443) reaches the
//! SFU through TURN over TCP/TLS, and every participant gets the URLs in `joinRoom`'s
//! `customIceServers` without a separate coturn. The relay socket is an ordinary UDP
//! socket on the media bind address, so the engine sees an ordinary UDP peer.
//!
//! Modules: `wire` (codec, on `stun_codec`), `credentials`, `peers` (what may be reached),
//! `allocation` (state and quotas), `server` (request handling), `relay` (media → client),
//! `listener` (sockets), `sink` (the way back to a client), `tls` (certificates).

mod allocation;
mod credentials;
#[cfg(test)]
mod handler_tests;
mod listener;
mod peers;
mod relay;
mod server;
mod sink;
mod tls;
pub mod wire;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use allocation::{ClientKey, Transport};
pub use credentials::REALM;
pub use peers::MediaPeers;
pub use server::{ServerSettings, TurnServer};
pub use sink::ClientSink;

use crate::config::{StunConfig, TlsFiles, TurnConfig};

/// How often expired allocations are swept.
const SWEEP_INTERVAL: Duration = Duration::from_secs(5);

/// A running TURN server.
#[derive(Debug, Clone)]
pub struct TurnHandle {
    /// UDP listener address.
    pub udp: SocketAddr,
    /// TCP listener address (same port as UDP).
    pub tcp: SocketAddr,
    /// TLS listener address, when TLS is on.
    pub tls: Option<SocketAddr>,
    /// The server state (for tests and metrics).
    pub server: Arc<TurnServer>,
}

/// Why the TURN server could not start.
#[derive(Debug, thiserror::Error)]
pub enum TurnStartError {
    /// A port cannot be bound.
    #[error(
        "cannot bind the TURN port {addr}: {source} (see COTURN_PORT, OPENVIDU_TURN_TLS_PORT, OPENVIDU_TURN)"
    )]
    Bind {
        /// Address asked for.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The TLS certificate cannot be loaded or made.
    #[error("TURN TLS certificate: {0}")]
    Tls(String),
}

/// Starts the listeners. `listen` is the address to bind (the HTTP one), `peers` the
/// media sockets, `relay_public` the address reported for relays when `listen` is a
/// wildcard.
pub async fn start(
    config: &TurnConfig,
    listen: IpAddr,
    certificate: Option<&TlsFiles>,
    peers: MediaPeers,
    relay_public: IpAddr,
    stop: watch::Receiver<bool>,
) -> Result<(TurnHandle, Vec<JoinHandle<()>>), TurnStartError> {
    let bind_error = |port| {
        let addr = SocketAddr::new(listen, port);
        move |source| TurnStartError::Bind { addr, source }
    };
    let (udp, tcp) = listener::bind_pair(listen, config.port)
        .await
        .map_err(bind_error(config.port))?;
    let udp_addr = udp.local_addr().map_err(bind_error(config.port))?;
    let tcp_addr = tcp.local_addr().map_err(bind_error(config.port))?;
    let server = TurnServer::new(ServerSettings {
        secret: config.secret.clone(),
        peers,
        relay_bind: listen,
        relay_public,
        user_quota: config.user_quota,
        max_allocations: config.max_allocations,
    });
    // Stream connections are capped a little above the allocations they may carry, so
    // that idle ones cannot exhaust file descriptors.
    let max_connections = config.max_allocations + 64;
    let mut tasks = vec![
        tokio::spawn(listener::serve_udp(udp, server.clone(), stop.clone())),
        tokio::spawn(listener::serve_stream(
            tcp,
            None,
            server.clone(),
            max_connections,
            stop.clone(),
        )),
    ];
    let mut tls_addr = None;
    if let Some(port) = config.tls_port {
        let acceptor = tls::acceptor(certificate, &config.host).map_err(TurnStartError::Tls)?;
        let listener = tokio::net::TcpListener::bind(SocketAddr::new(listen, port))
            .await
            .map_err(bind_error(port))?;
        tls_addr = Some(listener.local_addr().map_err(bind_error(port))?);
        tasks.push(tokio::spawn(listener::serve_stream(
            listener,
            Some(acceptor),
            server.clone(),
            max_connections,
            stop.clone(),
        )));
    }
    tasks.push(tokio::spawn(sweep(server.clone(), stop)));
    tracing::info!(udp = %udp_addr, tcp = %tcp_addr, tls = ?tls_addr, "TURN server listening");
    Ok((
        TurnHandle {
            udp: udp_addr,
            tcp: tcp_addr,
            tls: tls_addr,
            server,
        },
        tasks,
    ))
}

/// Starts the STUN-only stand-in of a TURN server that is off: the UDP listener alone,
/// answering Binding requests; it holds no allocation (nobody has its credentials, and it
/// may hold none). Resolves the UDP address.
pub async fn start_stun_only(
    config: &StunConfig,
    listen: IpAddr,
    peers: MediaPeers,
    stop: watch::Receiver<bool>,
) -> Result<(SocketAddr, JoinHandle<()>), TurnStartError> {
    let addr = SocketAddr::new(listen, config.port);
    let bind_error = |source| TurnStartError::Bind { addr, source };
    let udp = tokio::net::UdpSocket::bind(addr)
        .await
        .map_err(bind_error)?;
    let udp_addr = udp.local_addr().map_err(bind_error)?;
    let server = TurnServer::new(ServerSettings {
        secret: crate::ids::random_alphanumeric(32),
        peers,
        relay_bind: listen,
        relay_public: listen,
        user_quota: 0,
        max_allocations: 0,
    });
    tracing::info!(udp = %udp_addr, "STUN server listening (the TURN server is off)");
    Ok((
        udp_addr,
        tokio::spawn(listener::serve_udp(udp, server, stop)),
    ))
}

async fn sweep(server: Arc<TurnServer>, mut stop: watch::Receiver<bool>) {
    let mut ticker = tokio::time::interval(SWEEP_INTERVAL);
    loop {
        tokio::select! {
            _ = ticker.tick() => server.sweep(Instant::now()),
            _ = stop.wait_for(|s| *s) => break,
        }
    }
    server.clear();
}

/// The TURN URLs of `handle` as browsers are told: UDP and TCP, and TLS when on.
pub fn urls(host: &str, handle: &TurnHandle) -> Vec<String> {
    let host = url_host(host);
    let mut urls = vec![
        format!("turn:{host}:{}?transport=udp", handle.udp.port()),
        format!("turn:{host}:{}?transport=tcp", handle.tcp.port()),
    ];
    if let Some(tls) = handle.tls {
        urls.push(format!("turns:{host}:{}?transport=tcp", tls.port()));
    }
    urls
}

/// The `stun:` URL of the STUN-only stand-in (`start_stun_only`), as browsers are told.
pub fn stun_url(host: &str, port: u16) -> String {
    format!("stun:{}:{port}", url_host(host))
}

/// A host as URLs write it: IPv6 addresses in brackets.
fn url_host(host: &str) -> String {
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => format!("[{v6}]"),
        _ => host.to_owned(),
    }
}
