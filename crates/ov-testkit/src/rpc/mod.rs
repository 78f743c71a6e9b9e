//! OpenVidu's JSON-RPC over a WebSocket, as openvidu-browser speaks it: requests with
//! numeric ids, answers routed to their caller by id, notifications in between.
//!
//! [`connect`] opens a socket (`ws://` or, with a rustls configuration, `wss://`) and
//! gives its two halves: a [`Requester`] (`&self` calls from any task: the load tester
//! sends pings while it waits for answers) and an [`Inbox`] (notifications, and answers to
//! frames sent raw). [`RpcClient`] holds both for tests, which wait for a notification by
//! name or assert that none arrives.

mod client;
mod frame;
mod socket;

use std::sync::Arc;
use std::time::Duration;

pub use client::{NOTIFICATION_WAIT, RpcClient, SILENCE};
pub use frame::{Incoming, Notification, RpcError, join_params, publish_params, request};
pub use socket::{Inbox, Requester};

/// How long a request may wait for its answer (an SDP negotiation under load included).
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(15);

/// Why a socket could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The WebSocket handshake (or the URL) failed.
    #[error("WebSocket: {0}")]
    WebSocket(#[from] tokio_tungstenite::tungstenite::Error),
    /// The TCP connection or the TLS handshake failed.
    #[error("connection: {0}")]
    Io(#[from] std::io::Error),
    /// A `wss://` URL without a TLS configuration, or a host rustls cannot name.
    #[error("TLS: {0}")]
    Tls(String),
}

/// Why a request got no result.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CallError {
    /// The server answered with a JSON-RPC error.
    #[error("{method} failed: {error}")]
    Rpc {
        /// The request's method.
        method: String,
        /// The server's error.
        error: RpcError,
    },
    /// No answer in time, or the socket closed first.
    #[error("{0} got no answer")]
    NoAnswer(String),
}

/// Opens `url` (`ws://…/openvidu`); `wss://` needs [`connect_tls`].
pub async fn connect(url: &str) -> Result<(Requester, Inbox), ConnectError> {
    socket::open(url, None).await
}

/// Opens `url` (`wss://…/openvidu`) with `tls` (see [`trusting`]).
pub async fn connect_tls(
    url: &str,
    tls: Arc<rustls::ClientConfig>,
) -> Result<(Requester, Inbox), ConnectError> {
    socket::open(url, Some(tls)).await
}

/// A TLS client configuration trusting exactly `certificate` (DER), e.g. a test's
/// self-signed one; its names must include the host of the URL.
pub fn trusting(certificate: &[u8]) -> Result<Arc<rustls::ClientConfig>, ConnectError> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(
            certificate.to_vec(),
        ))
        .map_err(|e| ConnectError::Tls(e.to_string()))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ConnectError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}
