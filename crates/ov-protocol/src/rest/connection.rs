//! The Connection object and the properties used to create one.

use serde::{Deserialize, Serialize};

use crate::ids::{ConnectionId, SessionId, StreamId};

/// Role of a connection.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    /// May only subscribe.
    Subscriber,
    /// May publish and subscribe.
    #[default]
    Publisher,
    /// May publish, subscribe, force-disconnect and force-unpublish.
    Moderator,
}

impl Role {
    /// Whether this role may publish streams.
    pub fn can_publish(self) -> bool {
        self != Role::Subscriber
    }

    /// Whether this role may moderate (force disconnect / unpublish).
    pub fn can_moderate(self) -> bool {
        self == Role::Moderator
    }

    /// The wire name (`SUBSCRIBER`, `PUBLISHER`, `MODERATOR`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Subscriber => "SUBSCRIBER",
            Role::Publisher => "PUBLISHER",
            Role::Moderator => "MODERATOR",
        }
    }
}

/// Type of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConnectionType {
    /// A WebRTC participant (browser or app).
    #[default]
    Webrtc,
    /// An IP camera pulled by the server.
    Ipcam,
}

/// Status of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConnectionStatus {
    /// Token issued, not used yet.
    Pending,
    /// The participant joined.
    Active,
}

/// Per-connection media options inherited from Kurento (bandwidths in kbps, filters).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KurentoOptions {
    /// Max bandwidth the server receives from this connection's publishers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_max_recv_bandwidth: Option<i32>,
    /// Min bandwidth the server receives from this connection's publishers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_min_recv_bandwidth: Option<i32>,
    /// Max bandwidth the server sends to this connection's subscribers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_max_send_bandwidth: Option<i32>,
    /// Min bandwidth the server sends to this connection's subscribers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_min_send_bandwidth: Option<i32>,
    /// Filters the connection may apply to its own streams.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_filters: Option<Vec<String>>,
}

/// A STUN/TURN server handed to the browser (in `joinRoom`'s `customIceServers`).
/// The key is `url` (singular), as openvidu-browser 2.32 reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IceServer {
    /// `stun:`, `stuns:`, `turn:` or `turns:` URI.
    pub url: String,
    /// TURN username.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// TURN credential.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
    /// Shared secret to mint ephemeral TURN credentials from (request only; never echoed).
    #[serde(default, skip_serializing)]
    pub static_auth_secret: Option<String>,
}

/// Why an ICE server entry is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IceServerError {
    /// Scheme other than stun/stuns/turn/turns.
    #[error("the protocol of '{0}' is invalid; only stun:, stuns:, turn: and turns: are valid")]
    Scheme(String),
    /// Empty host or bad port.
    #[error("'{0}' has an empty host or a port that is not a number 0-65535")]
    HostPort(String),
    /// A query parameter other than `transport=udp|tcp` on TURN, or any on STUN.
    #[error("'{0}' has a query parameter other than ?transport=udp or ?transport=tcp (TURN only)")]
    Query(String),
    /// TURN without credentials nor a static auth secret.
    #[error("credentials must be defined while using turn ('{0}')")]
    TurnCredentials(String),
    /// STUN with credentials, or both credentials and a static auth secret.
    #[error("credentials can not be defined while using stun or staticAuthSecret ('{0}')")]
    UnexpectedCredentials(String),
}

impl IceServer {
    /// Checks the entry as OpenVidu's `IceServerProperties` does.
    pub fn validate(&self) -> Result<(), IceServerError> {
        let url = &self.url;
        let (scheme, rest) = url
            .split_once(':')
            .ok_or_else(|| IceServerError::Scheme(url.clone()))?;
        let turn = match scheme {
            "turn" | "turns" => true,
            "stun" | "stuns" => false,
            _ => return Err(IceServerError::Scheme(url.clone())),
        };
        let (hostport, query) = rest.split_once('?').unwrap_or((rest, ""));
        if !query.is_empty() && (!turn || !matches!(query, "transport=udp" | "transport=tcp")) {
            return Err(IceServerError::Query(url.clone()));
        }
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            let (h, p) = v6
                .split_once(']')
                .ok_or_else(|| IceServerError::HostPort(url.clone()))?;
            (h, p.strip_prefix(':'))
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (hostport, None),
            }
        };
        if host.is_empty() || port.is_some_and(|p| p.parse::<u16>().is_err()) {
            return Err(IceServerError::HostPort(url.clone()));
        }
        let has_creds = self.username.is_some() || self.credential.is_some();
        if turn {
            if self.static_auth_secret.is_some() && has_creds {
                return Err(IceServerError::UnexpectedCredentials(url.clone()));
            }
            if self.static_auth_secret.is_none()
                && (self.username.is_none() || self.credential.is_none())
            {
                return Err(IceServerError::TurnCredentials(url.clone()));
            }
        } else if has_creds {
            return Err(IceServerError::UnexpectedCredentials(url.clone()));
        }
        Ok(())
    }
}

/// Body of `POST /sessions/{id}/connection` (and, with `session`, of the legacy
/// `POST /tokens`). Every property is optional; `null` means default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionProperties {
    /// `WEBRTC` (default) or `IPCAM`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub connection_type: Option<ConnectionType>,
    /// Server data, given to every participant as part of the connection's `data`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    /// Whether the connection's streams are recorded (default `true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<bool>,
    /// Default `PUBLISHER`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Kurento options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kurento_options: Option<KurentoOptions>,
    /// STUN/TURN servers for this connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_ice_servers: Option<Vec<IceServer>>,
    /// IPCAM: the stream URI (rtsp, rtsps, file, http, https).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rtsp_uri: Option<String>,
    /// IPCAM: adapt the bitrate (default `true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adaptative_bitrate: Option<bool>,
    /// IPCAM: pull only while somebody watches (default `true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only_play_with_subscribers: Option<bool>,
    /// IPCAM: buffer in ms (default 2000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_cache: Option<i64>,
}

/// Media options of a published stream, as REST reports them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaOptions {
    /// Whether the stream carries audio.
    pub has_audio: bool,
    /// Audio not muted (only when `hasAudio`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_active: Option<bool>,
    /// Whether the stream carries video.
    pub has_video: bool,
    /// Video not muted (only when `hasVideo`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_active: Option<bool>,
    /// `CAMERA`, `SCREEN`, `CUSTOM`, `IPCAM` (only when `hasVideo`; may be null).
    #[serde(default, skip_serializing_if = "skip_unless_video")]
    pub type_of_video: Option<Option<String>>,
    /// Frames per second, -1 if unknown (only when `hasVideo`).
    #[serde(default, skip_serializing_if = "skip_unless_video")]
    pub frame_rate: Option<Option<i64>>,
    /// JSON text `{"width":…,"height":…}` (only when `hasVideo`; may be null).
    #[serde(default, skip_serializing_if = "skip_unless_video")]
    pub video_dimensions: Option<Option<String>>,
    /// `{}` or `{type, options, lastExecMethod}`.
    pub filter: serde_json::Value,
}

// `Option<Option<T>>`: outer `None` = key absent (no video), `Some(None)` = explicit null.
fn skip_unless_video<T>(v: &Option<Option<T>>) -> bool {
    v.is_none()
}

/// A stream published by a connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Publisher {
    /// Stream id.
    pub stream_id: StreamId,
    /// Publication time, epoch milliseconds.
    pub created_at: u64,
    /// Media options.
    pub media_options: MediaOptions,
    /// WebRTC statistics, present with `?webRtcStats=true`.
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub webrtc: Option<WebRtcStats>,
}

/// A subscription of a connection to somebody's stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscriber {
    /// The stream id received.
    pub stream_id: StreamId,
    /// Subscription time, epoch milliseconds.
    pub created_at: u64,
    /// WebRTC statistics, present with `?webRtcStats=true`.
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub webrtc: Option<WebRtcStats>,
}

/// WebRTC details of one media endpoint (`?webRtcStats=true`).
///
/// The OpenVidu keys are kept; `serverStats` carries openvidu-rs' own transport numbers
/// (packets, bytes, loss, RTT) and `speaking`/`audioLevel` the server-side voice activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebRtcStats {
    /// Endpoint name as OpenVidu builds it.
    pub webrtc_endpoint_name: String,
    /// SDP of the server side.
    pub local_sdp: Option<String>,
    /// SDP of the client side.
    pub remote_sdp: Option<String>,
    /// Candidates the client trickled.
    pub client_ice_candidates: Vec<serde_json::Value>,
    /// Candidates of the server.
    pub server_ice_candidates: Vec<serde_json::Value>,
    /// Selected local candidate, when connected.
    pub local_candidate: Option<String>,
    /// Selected remote candidate, when connected.
    pub remote_candidate: Option<String>,
    /// Media events of the endpoint.
    pub events: Vec<serde_json::Value>,
    /// Transport statistics measured by the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_stats: Option<serde_json::Value>,
}

/// The Connection object. Every key is always present, `null` where not applicable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Connection {
    /// Connection id.
    pub id: ConnectionId,
    /// Always `"connection"`.
    pub object: String,
    /// `pending` or `active`.
    pub status: ConnectionStatus,
    /// Deprecated duplicate of `id`; openvidu-node-client reads only this one.
    pub connection_id: ConnectionId,
    /// Session of the connection.
    pub session_id: SessionId,
    /// Token creation time, epoch milliseconds.
    pub created_at: u64,
    /// Connection type.
    #[serde(rename = "type")]
    pub connection_type: ConnectionType,
    /// Whether the streams are recorded.
    pub record: bool,
    /// Role (`null` for IPCAM).
    pub role: Option<Role>,
    /// Kurento options, or `null`.
    pub kurento_options: Option<KurentoOptions>,
    /// STUN/TURN servers for this connection.
    pub custom_ice_servers: Vec<IceServer>,
    /// IPCAM only.
    pub rtsp_uri: Option<String>,
    /// IPCAM only.
    pub adaptative_bitrate: Option<bool>,
    /// IPCAM only.
    pub only_play_with_subscribers: Option<bool>,
    /// IPCAM only.
    pub network_cache: Option<i64>,
    /// Data given at creation.
    pub server_data: Option<String>,
    /// Token URL (`null` for IPCAM).
    pub token: Option<String>,
    /// Time of `joinRoom`, `null` while pending.
    pub active_at: Option<u64>,
    /// `"unknown"` without a geo-IP database, `null` while pending.
    pub location: Option<String>,
    /// Client IP address, `null` while pending.
    pub ip: Option<String>,
    /// Client platform, `null` while pending.
    pub platform: Option<String>,
    /// Data given by the client in `connect`, `null` while pending.
    pub client_data: Option<String>,
    /// Published streams, `null` while pending.
    pub publishers: Option<Vec<Publisher>>,
    /// Subscriptions, `null` while pending.
    pub subscribers: Option<Vec<Subscriber>>,
    /// openvidu-rs's own, with `?webRtcStats=true`: the last network quality level of
    /// the connection (`networkQualityLevelChanged`), once it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_quality_level: Option<u8>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_client_null_body_parses() {
        let body = r#"{"type":null,"data":null,"record":null,"role":null,"kurentoOptions":null,
            "rtspUri":null,"adaptativeBitrate":null,"onlyPlayWithSubscribers":null,"networkCache":null,
            "customIceServers":null}"#;
        let p: ConnectionProperties = serde_json::from_str(body).unwrap();
        assert_eq!(p, ConnectionProperties::default());
        assert!(serde_json::from_str::<ConnectionProperties>(r#"{"role":"ADMIN"}"#).is_err());
        assert!(serde_json::from_str::<ConnectionProperties>(r#"{"record":"yes"}"#).is_err());
    }

    fn ice(url: &str, user: Option<&str>, cred: Option<&str>, secret: Option<&str>) -> IceServer {
        IceServer {
            url: url.into(),
            username: user.map(Into::into),
            credential: cred.map(Into::into),
            static_auth_secret: secret.map(Into::into),
        }
    }

    #[test]
    fn ice_server_rules() {
        assert!(
            ice("stun:stun.l.google.com:19302", None, None, None)
                .validate()
                .is_ok()
        );
        assert!(
            ice(
                "turn:1.2.3.4:3478?transport=tcp",
                Some("u"),
                Some("p"),
                None
            )
            .validate()
            .is_ok()
        );
        assert!(
            ice("turns:[::1]:5349", Some("u"), Some("p"), None)
                .validate()
                .is_ok()
        );
        assert!(ice("turn:h", None, None, Some("s")).validate().is_ok());
        assert!(matches!(
            ice("http://h", None, None, None).validate(),
            Err(IceServerError::Scheme(_))
        ));
        assert!(matches!(
            ice("turn:h", None, None, None).validate(),
            Err(IceServerError::TurnCredentials(_))
        ));
        assert!(matches!(
            ice("stun:h", Some("u"), Some("p"), None).validate(),
            Err(IceServerError::UnexpectedCredentials(_))
        ));
        assert!(matches!(
            ice("stun:h?transport=udp", None, None, None).validate(),
            Err(IceServerError::Query(_))
        ));
        assert!(matches!(
            ice("stun::99999", None, None, None).validate(),
            Err(IceServerError::HostPort(_))
        ));
        let json = serde_json::to_value(ice("turn:h", Some("u"), Some("p"), Some("s"))).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"url":"turn:h","username":"u","credential":"p"})
        );
    }

    #[test]
    fn media_options_keys_follow_has_video() {
        let audio_only = MediaOptions {
            has_audio: true,
            audio_active: Some(true),
            has_video: false,
            video_active: None,
            type_of_video: None,
            frame_rate: None,
            video_dimensions: None,
            filter: serde_json::json!({}),
        };
        assert_eq!(
            serde_json::to_value(&audio_only).unwrap(),
            serde_json::json!({"hasAudio":true,"audioActive":true,"hasVideo":false,"filter":{}})
        );
        let video = MediaOptions {
            has_video: true,
            video_active: Some(false),
            type_of_video: Some(None),
            frame_rate: Some(Some(-1)),
            video_dimensions: Some(Some("{\"width\":640,\"height\":480}".into())),
            ..audio_only
        };
        assert_eq!(
            serde_json::to_value(&video).unwrap()["typeOfVideo"],
            serde_json::Value::Null
        );
    }
}
