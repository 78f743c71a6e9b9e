//! A connection of a session: a token issued over REST, and, once somebody joined with it,
//! the participant using it.

use ov_protocol::rest::{self, ConnectionStatus};

use super::properties::ConnectionSettings;

/// A connection: pending until a participant joins with its token.
#[derive(Debug)]
pub struct ConnectionState {
    /// Connection id (`con_…`).
    pub id: String,
    /// Token id (`tok_…`), the key of `joinRoom`.
    pub token_id: String,
    /// Full token URL given to the application.
    pub token: String,
    /// Token creation time, epoch ms.
    pub created_at: u64,
    /// Properties.
    pub settings: ConnectionSettings,
    /// The participant, once joined.
    pub participant: Option<Participant>,
}

/// What a joined participant adds to its connection.
#[derive(Debug, Clone)]
pub struct Participant {
    /// Time of `joinRoom`, epoch ms.
    pub active_at: u64,
    /// Client IP address.
    pub ip: String,
    /// Client platform as the SDK reports it.
    pub platform: String,
    /// Client data (`joinRoom.metadata`).
    pub client_data: String,
}

impl ConnectionState {
    /// Whether a participant joined with this connection's token.
    pub fn is_active(&self) -> bool {
        self.participant.is_some()
    }

    /// The REST Connection object.
    pub fn to_rest(&self, session_id: &str) -> rest::Connection {
        let s = &self.settings;
        let p = self.participant.as_ref();
        rest::Connection {
            id: self.id.clone(),
            object: "connection".into(),
            status: if p.is_some() {
                ConnectionStatus::Active
            } else {
                ConnectionStatus::Pending
            },
            connection_id: self.id.clone(),
            session_id: session_id.to_owned(),
            created_at: self.created_at,
            connection_type: s.connection_type,
            record: s.record,
            role: Some(s.role),
            kurento_options: s.kurento_options.clone(),
            custom_ice_servers: s.custom_ice_servers.clone(),
            rtsp_uri: None,
            adaptative_bitrate: None,
            only_play_with_subscribers: None,
            network_cache: None,
            server_data: Some(s.data.clone()),
            token: Some(self.token.clone()),
            active_at: p.map(|p| p.active_at),
            location: p.map(|_| "unknown".to_owned()),
            ip: p.map(|p| p.ip.clone()),
            platform: p.map(|p| p.platform.clone()),
            client_data: p.map(|p| p.client_data.clone()),
            publishers: p.map(|_| Vec::new()),
            subscribers: p.map(|_| Vec::new()),
        }
    }

    /// The legacy Token object of `POST /tokens`.
    pub fn to_rest_token(&self, session_id: &str) -> rest::Token {
        rest::Token {
            id: self.token.clone(),
            token: self.token.clone(),
            created_at: self.created_at,
            connection_id: self.id.clone(),
            session: session_id.to_owned(),
            data: self.settings.data.clone(),
            role: self.settings.role,
            kurento_options: self.settings.kurento_options.clone(),
        }
    }
}
