//! Resolving the optional request properties of sessions and connections into complete,
//! validated settings, applying the server's defaults as OpenVidu does.

use ov_protocol::rest::{
    ConnectionProperties, ConnectionType, IceServer, KurentoOptions, MediaMode, MediaNode,
    RecordingMode, RecordingProperties, Role, SessionProperties, VideoCodec,
};

use super::DomainError;
use crate::config::Config;

/// Complete properties of a session.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionSettings {
    /// Media mode.
    pub media_mode: MediaMode,
    /// Recording mode.
    pub recording_mode: RecordingMode,
    /// Custom id, `""` when generated.
    pub custom_session_id: String,
    /// Forced codec as configured.
    pub forced_video_codec: VideoCodec,
    /// Transcoding allowed.
    pub allow_transcoding: bool,
    /// Resolved default recording properties.
    pub default_recording_properties: RecordingProperties,
    /// Pro media node, echoed.
    pub media_node: Option<MediaNode>,
}

impl SessionSettings {
    /// Resolves `props` against the server configuration.
    pub fn resolve(props: &SessionProperties, config: &Config) -> Result<Self, DomainError> {
        let custom_session_id = props.custom_session_id.clone().unwrap_or_default();
        if !custom_session_id.is_empty()
            && !ov_protocol::ids::is_valid_custom_session_id(&custom_session_id)
        {
            return Err(DomainError::InvalidParameter(format!(
                "Parameter 'customSessionId' is wrong. Must be an alphanumeric string [a-zA-Z0-9_-] of at most {} characters",
                ov_protocol::ids::MAX_CUSTOM_SESSION_ID_LEN
            )));
        }
        let default_recording_properties = props
            .default_recording_properties
            .clone()
            .unwrap_or_default()
            .resolve(None)
            .map_err(|e| {
                DomainError::InvalidParameter(format!(
                    "Parameter 'defaultRecordingProperties' is not valid: {e}"
                ))
            })?;
        if let Some(node) = &props.media_node
            && node.id.is_empty()
        {
            return Err(DomainError::InvalidParameter(
                "Error in parameter 'mediaNode'. Property 'id' is empty".into(),
            ));
        }
        Ok(SessionSettings {
            media_mode: props.media_mode.unwrap_or_default(),
            recording_mode: props.recording_mode.unwrap_or_default(),
            custom_session_id,
            forced_video_codec: props
                .forced_video_codec
                .unwrap_or(config.streams.forced_video_codec),
            allow_transcoding: props
                .allow_transcoding
                .unwrap_or(config.streams.allow_transcoding),
            default_recording_properties,
            media_node: props.media_node.clone(),
        })
    }
}

/// Complete properties of a WebRTC connection.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionSettings {
    /// Always WEBRTC for now (IPCAM is refused).
    pub connection_type: ConnectionType,
    /// Server data.
    pub data: String,
    /// Record flag.
    pub record: bool,
    /// Role.
    pub role: Role,
    /// Kurento options.
    pub kurento_options: Option<KurentoOptions>,
    /// ICE servers given to the browser.
    pub custom_ice_servers: Vec<IceServer>,
}

/// Largest `data` (server data) accepted on a connection, in bytes. OpenVidu sets no limit;
/// the data is sent to every participant of the session, so it is kept reasonable.
pub const MAX_SERVER_DATA_LEN: usize = 64 * 1024;

impl ConnectionSettings {
    /// Resolves `props` against the server configuration; TURN entries with a
    /// `staticAuthSecret` get ephemeral credentials.
    pub fn resolve(props: &ConnectionProperties, config: &Config) -> Result<Self, DomainError> {
        let connection_type = props.connection_type.unwrap_or_default();
        if connection_type == ConnectionType::Ipcam {
            return Err(DomainError::InvalidParameter(
                "Connections of type IPCAM are not supported by openvidu-rs yet; use WEBRTC".into(),
            ));
        }
        let data = props.data.clone().unwrap_or_default();
        if data.len() > MAX_SERVER_DATA_LEN {
            return Err(DomainError::InvalidParameter(format!(
                "Parameter 'data' is too long: {} bytes, at most {MAX_SERVER_DATA_LEN}",
                data.len()
            )));
        }
        let given = props.custom_ice_servers.clone().unwrap_or_default();
        let servers = if given.is_empty() {
            config.webrtc_ice_servers.clone()
        } else {
            given
        };
        let custom_ice_servers = servers
            .into_iter()
            .map(|s| {
                s.validate().map_err(|e| {
                    DomainError::InvalidParameter(format!(
                        "Type error in some parameter of 'customIceServers': {e}"
                    ))
                })?;
                Ok(super::turn::with_credentials(s))
            })
            .collect::<Result<_, DomainError>>()?;
        if let Some(filters) = props
            .kurento_options
            .as_ref()
            .and_then(|k| k.allowed_filters.as_ref())
            && filters.iter().any(|f| f.is_empty())
        {
            return Err(DomainError::InvalidParameter(
                "Type error in some parameter of 'kurentoOptions': empty filter name".into(),
            ));
        }
        Ok(ConnectionSettings {
            connection_type,
            data,
            record: props.record.unwrap_or(true),
            role: props.role.unwrap_or_default(),
            kurento_options: props.kurento_options.clone(),
            custom_ice_servers,
        })
    }
}
