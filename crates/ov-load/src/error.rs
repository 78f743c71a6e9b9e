//! Errors of the load tester. A participant's error ends that participant only (it is
//! logged and counted); an error of the setup (arguments, REST) ends the run.

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A command-line argument is out of range or inconsistent.
    #[error("invalid arguments: {0}")]
    Args(String),
    /// The URL's host is not loopback and `--allow-remote` was not given.
    #[error(
        "refusing to load '{0}': its host is not loopback (pass --allow-remote to load another machine)"
    )]
    RemoteRefused(String),
    /// The REST API refused or failed (creating sessions and tokens).
    #[error("REST: {0}")]
    Rest(#[from] openvidu_client::Error),
    /// The WebSocket could not be opened.
    #[error("WebSocket: {0}")]
    WebSocket(#[from] ov_testkit::rpc::ConnectError),
    /// The server answered a JSON-RPC request with an error.
    #[error("JSON-RPC {method} failed: {code} {message}")]
    Rpc {
        /// The request's method.
        method: String,
        /// OpenVidu's error code.
        code: i64,
        /// OpenVidu's message.
        message: String,
    },
    /// A JSON-RPC request got no answer in time, or the socket closed before it did.
    #[error("JSON-RPC {0} got no answer")]
    NoAnswer(String),
    /// A JSON-RPC result lacks a field the protocol promises.
    #[error("unexpected JSON-RPC answer to {method}: {detail}")]
    Protocol {
        /// The request's method.
        method: String,
        /// What was missing or wrong.
        detail: String,
    },
    /// str0m refused an SDP or a configuration.
    #[error("WebRTC: {0}")]
    Rtc(String),
    /// A UDP socket could not be bound or used.
    #[error("UDP: {0}")]
    Io(#[from] std::io::Error),
}

impl From<ov_testkit::rpc::CallError> for LoadError {
    fn from(e: ov_testkit::rpc::CallError) -> LoadError {
        match e {
            ov_testkit::rpc::CallError::Rpc { method, error } => LoadError::Rpc {
                method,
                code: error.code,
                message: error.message,
            },
            ov_testkit::rpc::CallError::NoAnswer(method) => LoadError::NoAnswer(method),
        }
    }
}

impl From<ov_testkit::PeerError> for LoadError {
    fn from(e: ov_testkit::PeerError) -> LoadError {
        LoadError::Rtc(e.to_string())
    }
}
