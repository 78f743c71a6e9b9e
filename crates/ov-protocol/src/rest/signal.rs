//! Signals (`POST /signal`) and the legacy token object (`POST /tokens`).

use serde::{Deserialize, Serialize};

use crate::ids::{ConnectionId, SessionId};

use super::{ConnectionProperties, KurentoOptions, Role};

/// Body of `POST /openvidu/api/signal`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignalRequest {
    /// Session to signal (mandatory).
    #[serde(default)]
    pub session: Option<String>,
    /// Recipient connection ids; absent or empty means everyone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Vec<ConnectionId>>,
    /// Signal type, relayed verbatim.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub signal_type: Option<String>,
    /// Payload, relayed verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

/// Body of the legacy `POST /openvidu/api/tokens`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TokenRequest {
    /// Session of the new connection (mandatory).
    #[serde(default)]
    pub session: Option<String>,
    /// The connection properties (`record` is ignored, as in OpenVidu).
    #[serde(flatten)]
    pub properties: ConnectionProperties,
}

/// The legacy Token object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Token {
    /// The token URL (same as `token`).
    pub id: String,
    /// The token URL.
    pub token: String,
    /// Creation time, epoch milliseconds.
    pub created_at: u64,
    /// Connection id reserved for this token.
    pub connection_id: ConnectionId,
    /// Session id.
    pub session: SessionId,
    /// Server data.
    pub data: String,
    /// Role.
    pub role: Role,
    /// Kurento options, only when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kurento_options: Option<KurentoOptions>,
}
