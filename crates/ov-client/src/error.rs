//! Errors of the client.

/// What went wrong with a call to OpenVidu.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// OpenVidu answered with an unexpected status. `message` is OpenVidu's explanation
    /// when its answer had one (400s and a few others carry a JSON error body).
    #[error("OpenVidu answered {status}{}", message.as_ref().map(|m| format!(": {m}")).unwrap_or_default())]
    Status {
        /// HTTP status code, e.g. 404 when the session does not exist.
        status: u16,
        /// OpenVidu's message, if any.
        message: Option<String>,
    },
    /// The request did not get an answer (server down, connection refused, timeout).
    #[error("cannot reach OpenVidu: {0}")]
    Transport(String),
    /// The answer was not the JSON expected.
    #[error("unexpected answer from OpenVidu: {0}")]
    Decode(String),
    /// The URL given to [`OpenVidu::new`](crate::OpenVidu::new) is not `http(s)://host[:port]`.
    #[error("invalid OpenVidu URL '{0}': expected http(s)://host[:port]")]
    InvalidUrl(String),
}

impl Error {
    /// The HTTP status of a [`Error::Status`] error.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}
