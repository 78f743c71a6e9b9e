//! The Session object and the properties used to create one.

use serde::{Deserialize, Serialize};

use crate::ids::SessionId;

use super::{Connection, Page, RecordingProperties};

/// `mediaMode` of a session. Only `ROUTED` is meaningful for an SFU; `RELAYED` is accepted
/// and reported, as OpenVidu does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MediaMode {
    /// Media goes through the server.
    #[default]
    Routed,
    /// Legacy peer-to-peer mode (treated as routed).
    Relayed,
}

/// `recordingMode` of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RecordingMode {
    /// Recordings start only through the REST API.
    #[default]
    Manual,
    /// A recording starts when the first participant publishes.
    Always,
}

/// `forcedVideoCodec` of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VideoCodec {
    /// Whatever the media server prefers (VP8 here).
    #[default]
    MediaServerPreferred,
    /// Do not force any codec.
    None,
    /// VP8.
    #[serde(rename = "VP8")]
    Vp8,
    /// VP9.
    #[serde(rename = "VP9")]
    Vp9,
    /// H.264.
    #[serde(rename = "H264")]
    H264,
    /// AV1: an openvidu-rs addition (OpenVidu 2 has no AV1), for browsers that encode it.
    #[serde(rename = "AV1")]
    Av1,
}

/// `mediaNode` of a session (a Pro feature, accepted and echoed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaNode {
    /// Media node id.
    pub id: String,
}

/// Body of `POST /openvidu/api/sessions`. Every property is optional; `null` means default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionProperties {
    /// Defaults to `ROUTED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_mode: Option<MediaMode>,
    /// Defaults to `MANUAL`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_mode: Option<RecordingMode>,
    /// A session id of your own, `[a-zA-Z0-9_-]+`; empty or absent means "generate one".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_session_id: Option<String>,
    /// Defaults to the server's `OPENVIDU_STREAMS_FORCED_VIDEO_CODEC`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forced_video_codec: Option<VideoCodec>,
    /// Defaults to the server's `OPENVIDU_STREAMS_ALLOW_TRANSCODING`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_transcoding: Option<bool>,
    /// Defaults for recordings of this session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_recording_properties: Option<RecordingProperties>,
    /// Pro feature, echoed back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_node: Option<MediaNode>,
}

/// The Session object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    /// Session id.
    pub id: SessionId,
    /// Always `"session"`.
    pub object: String,
    /// Deprecated duplicate of `id`; openvidu-node-client recognises sessions by it.
    pub session_id: SessionId,
    /// Creation time, epoch milliseconds.
    pub created_at: u64,
    /// Whether a recording is in progress.
    pub recording: bool,
    /// Whether a broadcast is in progress (a Pro feature: always `false`).
    pub broadcasting: bool,
    /// Media mode.
    pub media_mode: MediaMode,
    /// Recording mode.
    pub recording_mode: RecordingMode,
    /// Resolved default recording properties.
    pub default_recording_properties: RecordingProperties,
    /// The custom id given at creation, `""` if it was generated.
    pub custom_session_id: String,
    /// Pro feature, echoed back when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_node: Option<MediaNode>,
    /// Forced video codec as configured (not resolved).
    pub forced_video_codec: VideoCodec,
    /// Whether transcoding is allowed.
    pub allow_transcoding: bool,
    /// Active connections, plus pending ones when asked for.
    pub connections: Page<Connection>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_client_body_parses() {
        let body = r#"{"mediaMode":"ROUTED","recordingMode":"MANUAL","customSessionId":"",
            "defaultRecordingProperties":{"name":"","hasAudio":true,"hasVideo":true,"outputMode":"COMPOSED",
            "recordingLayout":"BEST_FIT","resolution":"1280x720","frameRate":25,"shmSize":536870912}}"#;
        let p: SessionProperties = serde_json::from_str(body).unwrap();
        assert_eq!(p.custom_session_id.as_deref(), Some(""));
        assert_eq!(p.media_mode, Some(MediaMode::Routed));
        let p: SessionProperties =
            serde_json::from_str(r#"{"mediaMode":null,"forcedVideoCodec":"H264"}"#).unwrap();
        assert_eq!(p.media_mode, None);
        assert_eq!(p.forced_video_codec, Some(VideoCodec::H264));
        assert!(serde_json::from_str::<SessionProperties>(r#"{"mediaMode":"P2P"}"#).is_err());
        assert!(serde_json::from_str::<SessionProperties>(r#"{"customSessionId":5}"#).is_err());
    }

    #[test]
    fn codec_names() {
        assert_eq!(
            serde_json::to_string(&VideoCodec::MediaServerPreferred).unwrap(),
            "\"MEDIA_SERVER_PREFERRED\""
        );
        assert_eq!(serde_json::to_string(&VideoCodec::Vp8).unwrap(), "\"VP8\"");
        assert_eq!(
            serde_json::to_string(&VideoCodec::None).unwrap(),
            "\"NONE\""
        );
    }
}
