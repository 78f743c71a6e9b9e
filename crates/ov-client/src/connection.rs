//! A connection of a session: what the application gives a participant (its token).

use std::ops::Deref;

use ov_protocol::rest::{self, ConnectionStatus};

/// A connection of a session. Dereferences to the full REST object
/// ([`ov_protocol::rest::Connection`]) for every field OpenVidu reports.
#[derive(Debug, Clone, PartialEq)]
pub struct Connection(pub(crate) rest::Connection);

impl Connection {
    /// The connection id (`con_…`).
    pub fn id(&self) -> &str {
        &self.0.id
    }

    /// The token to hand to the client (`ws://…?sessionId=…&token=tok_…`); its single use
    /// is a `Session.connect(token)` in openvidu-browser.
    pub fn token(&self) -> &str {
        self.0.token.as_deref().unwrap_or_default()
    }

    /// Whether a participant joined with the token.
    pub fn is_active(&self) -> bool {
        self.0.status == ConnectionStatus::Active
    }

    /// The REST object.
    pub fn into_inner(self) -> rest::Connection {
        self.0
    }
}

impl Deref for Connection {
    type Target = rest::Connection;

    fn deref(&self) -> &rest::Connection {
        &self.0
    }
}
