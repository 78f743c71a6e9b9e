//! Serving HTTP(S) on the listener: the accept loop with its connection caps, TLS, hyper's
//! HTTP/1 and HTTP/2 with upgrades, and the header and idle timeouts. One loop serves both
//! plain and TLS listeners, so both have the same limits.
//!
//! Why not `axum::serve` or `axum_server`: neither closes a connection that never sends a
//! byte (hyper-util's version detection has no timeout, and hyper's header timeout on
//! HTTP/1 starts only after it), neither caps connections, and both would need the same
//! wrapping twice.

pub mod activity;
pub mod fd_limit;
pub mod limiter;
pub mod stats;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower::ServiceExt;

use crate::config::ConnectionConfig;
use activity::{Activity, GuardedBody};
use limiter::{ConnectionLimiter, Permit};

/// How long a stop waits for the requests in progress before dropping their connections.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Pause after a failed `accept` (e.g. no descriptor left), so the loop does not spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// What every connection task shares.
struct Shared {
    app: axum::Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
    builder: auto::Builder<TokioExecutor>,
    limiter: Arc<ConnectionLimiter>,
    header_timeout: Duration,
    idle_timeout: Duration,
}

/// Serves `app` on `listener` (over TLS with `tls`) until `stopped` turns true, then lets
/// the requests in progress finish (up to [`SHUTDOWN_GRACE`]).
pub async fn serve(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    app: axum::Router,
    limiter: Arc<ConnectionLimiter>,
    config: &ConnectionConfig,
    mut stopped: watch::Receiver<bool>,
) {
    let shared = Arc::new(Shared {
        app,
        tls,
        builder: auto::Builder::new(TokioExecutor::new()),
        limiter,
        header_timeout: config.header_timeout,
        idle_timeout: config.idle_timeout,
    });
    // Each connection task holds a receiver; `closed()` resolves when all have ended.
    let (all_ended, alive) = watch::channel(());
    let mut accept_errors = 0u64;
    loop {
        let accepted = tokio::select! {
            biased;
            _ = stop_requested(&mut stopped) => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => match shared.limiter.admit(peer.ip()) {
                Ok(permit) => {
                    tokio::spawn(connection(
                        stream,
                        peer,
                        permit,
                        shared.clone(),
                        stopped.clone(),
                        alive.clone(),
                    ));
                }
                // Refused (counted and logged by the limiter): closed before any read.
                Err(_) => drop(stream),
            },
            Err(e) => {
                accept_errors += 1;
                if accept_errors.is_power_of_two() {
                    tracing::error!(error = %e, count = accept_errors, "cannot accept HTTP connections");
                }
                tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
            }
        }
    }
    // No new connections from here on.
    drop(listener);
    drop(alive);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE * 2, all_ended.closed()).await;
}

/// A socket with its slot: the slot is freed when the socket is dropped, wherever it went
/// (hyper hands an upgraded WebSocket's socket to the signaling task).
struct Admitted {
    stream: TcpStream,
    _permit: Permit,
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    permit: Permit,
    shared: Arc<Shared>,
    mut stopped: watch::Receiver<bool>,
    _alive: watch::Receiver<()>,
) {
    let activity = Activity::new(shared.header_timeout, shared.idle_timeout);
    let io = Admitted {
        stream,
        _permit: permit,
    };
    let Some(acceptor) = shared.tls.clone() else {
        return serve_io(io, peer, &shared, activity, stopped).await;
    };
    // The handshake is part of the header timeout: a silent TLS client is closed too.
    let tls = tokio::select! {
        tls = acceptor.accept(io) => tls,
        _ = activity.expired() => {
            shared.limiter.count_timeout();
            return;
        }
        _ = stop_requested(&mut stopped) => return,
    };
    match tls {
        Ok(tls) => serve_io(tls, peer, &shared, activity, stopped).await,
        Err(e) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
    }
}

async fn serve_io<I>(
    io: I,
    peer: SocketAddr,
    shared: &Shared,
    activity: Arc<Activity>,
    mut stopped: watch::Receiver<bool>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let app = shared.app.clone();
    let requests = activity.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        let guard = requests.begin();
        request.extensions_mut().insert(ConnectInfo(peer));
        let response = app.clone().oneshot(request);
        async move {
            let response = response.await?;
            Ok::<_, std::convert::Infallible>(
                response.map(|body| axum::body::Body::new(GuardedBody::new(body, guard))),
            )
        }
    });
    let conn = shared
        .builder
        .serve_connection_with_upgrades(TokioIo::new(io), service);
    tokio::pin!(conn);
    tokio::select! {
        served = conn.as_mut() => {
            if let Err(e) = served {
                tracing::debug!(%peer, error = %e, "HTTP connection ended with an error");
            }
        }
        _ = activity.expired() => {
            shared.limiter.count_timeout();
            tracing::debug!(%peer, "HTTP connection closed: no request within the header or idle timeout");
        }
        _ = stop_requested(&mut stopped) => {
            if activity.is_idle() {
                return;
            }
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(SHUTDOWN_GRACE, conn).await;
        }
    }
}

/// Resolves when `stopped` turns true (its guard is not held across the caller's awaits).
async fn stop_requested(stopped: &mut watch::Receiver<bool>) {
    let _ = stopped.wait_for(|s| *s).await;
}

impl AsyncRead for Admitted {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Admitted {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
