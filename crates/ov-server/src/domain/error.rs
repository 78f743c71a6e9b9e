//! Errors of operations on sessions and connections. The REST and RPC layers map them to
//! status codes and JSON-RPC codes, each in one place.

/// What went wrong in a session operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// No session with that id (or it is closing).
    #[error("session '{0}' not found")]
    SessionNotFound(String),
    /// A session with that custom id exists already.
    #[error("session '{0}' already exists")]
    SessionExists(String),
    /// No connection with that id in the session.
    #[error("connection '{connection}' not found in session '{session}'")]
    ConnectionNotFound {
        /// Session id.
        session: String,
        /// Connection id asked for.
        connection: String,
    },
    /// No stream with that id in the session.
    #[error("stream '{stream}' not found in session '{session}'")]
    StreamNotFound {
        /// Session id.
        session: String,
        /// Stream id asked for.
        stream: String,
    },
    /// The session exists but nobody has joined it.
    #[error("session '{0}' has no connected participants")]
    NoParticipants(String),
    /// Some recipients of a signal are not connected to the session.
    #[error("\"to\" array has no valid connection identifiers: {0:?}")]
    UnknownRecipients(Vec<String>),
    /// A request parameter is not acceptable.
    #[error("{0}")]
    InvalidParameter(String),
}

use ov_protocol::rpc::ErrorCode;

/// A signaling (JSON-RPC) failure: OpenVidu's error code and a message for the developer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (code {})", code.code())]
pub struct SignalingError {
    /// The JSON-RPC error code.
    pub code: ErrorCode,
    /// What went wrong.
    pub message: String,
}

impl SignalingError {
    /// An error with `code` and `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        SignalingError {
            code,
            message: message.into(),
        }
    }

    /// The caller's participant is no longer in its session (evicted meanwhile).
    pub fn gone() -> Self {
        Self::new(
            ErrorCode::Generic,
            "This participant is no longer in the session",
        )
    }
}
