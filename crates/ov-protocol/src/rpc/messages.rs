//! Results and notifications openvidu-browser 2.32 reads.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::{ConnectionId, SessionId, StreamId};

/// What a publisher declared of its stream (and later changed, e.g. muting).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamOptions {
    /// Has audio.
    pub has_audio: bool,
    /// Has video.
    pub has_video: bool,
    /// Audio not muted.
    pub audio_active: bool,
    /// Video not muted.
    pub video_active: bool,
    /// `CAMERA`, `SCREEN`, `CUSTOM`, or null.
    pub type_of_video: Option<String>,
    /// Frames per second, -1 if unknown.
    pub frame_rate: i64,
    /// JSON text `{"width":…,"height":…}`, or null.
    pub video_dimensions: Option<String>,
    /// `{}` or the applied filter.
    pub filter: Value,
}

/// A stream as participants see it (in `joinRoom` and `participantPublished`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamInfo {
    /// Stream id.
    pub id: StreamId,
    /// Publication time, epoch ms.
    pub created_at: u64,
    /// What the stream carries and its state.
    #[serde(flatten)]
    pub options: StreamOptions,
}

/// Another participant, as `joinRoom` lists it and `participantJoined` announces it.
/// Never carries `role` (the browser would take it for the local connection).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteConnection {
    /// Connection id.
    pub id: ConnectionId,
    /// Join time, epoch ms.
    pub created_at: u64,
    /// Client and server data joined by `%/%`.
    pub metadata: String,
    /// Exactly one stream when publishing; absent otherwise (never empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub streams: Option<Vec<StreamInfo>>,
}

/// The `joinRoom` result.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JoinRoomResult {
    /// Own connection id.
    pub id: ConnectionId,
    /// Join time, epoch ms.
    pub created_at: u64,
    /// Own full metadata.
    pub metadata: String,
    /// The other participants.
    pub value: Vec<RemoteConnection>,
    /// Session id.
    pub session: SessionId,
    /// Server version (valid semver).
    pub version: String,
    /// `mediasoup`: the server offers subscriptions (see the server docs).
    pub media_server: String,
    /// Default simulcast for publishers.
    pub video_simulcast: bool,
    /// Record flag.
    pub record: bool,
    /// Own role; its presence marks the local connection for the browser.
    pub role: String,
    /// STUN/TURN servers for the browser (`url` singular).
    pub custom_ice_servers: Vec<crate::rest::IceServer>,
    /// An id of the user for log correlation.
    pub final_user_id: String,
    /// The session's running recording, for participants told about recordings
    /// (openvidu-browser then emits `recordingStarted`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recording_id: Option<String>,
    /// Its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recording_name: Option<String>,
}

/// `participantUnpublished`, `participantLeft` and `participantEvicted`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionReason {
    /// The connection concerned.
    pub connection_id: ConnectionId,
    /// Why.
    pub reason: String,
}

/// `participantPublished`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParticipantPublished {
    /// Publisher connection id.
    pub id: ConnectionId,
    /// Exactly one stream.
    pub streams: Vec<StreamInfo>,
}

/// `networkQualityLevelChanged`: a connection's network quality, 0 (broken) to 5
/// (excellent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkQualityLevelChanged {
    /// The connection concerned.
    pub connection_id: ConnectionId,
    /// Its level now.
    pub new_value: u8,
    /// Its level before (for the first one: the same as `new_value`).
    pub old_value: u8,
}

/// `sendMessage` (signal delivery).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalDelivery {
    /// Payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    /// Type, relayed verbatim.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub signal_type: Option<String>,
    /// Sender connection id; absent for signals sent through REST.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<ConnectionId>,
}

/// `streamPropertyChanged`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamPropertyChanged {
    /// Owner of the stream.
    pub connection_id: ConnectionId,
    /// The stream.
    pub stream_id: StreamId,
    /// `audioActive`, `videoActive`, `videoDimensions`, `videoTrack`, `audioTrack`, `filter`.
    pub property: String,
    /// Encoded as OpenVidu does: the JSON text of what the publisher sent (`"true"`, a
    /// quoted JSON string for dimensions), or an object for filters.
    pub new_value: Value,
    /// Why.
    pub reason: String,
}

/// Encodes a `streamPropertyChanged` value the way the official server forwards it:
/// the JSON text of the value the publisher sent (booleans become `"true"`/`"false"`,
/// strings keep their quotes, so dimensions end up double-encoded); `filter` objects stay
/// objects.
pub fn encode_property_value(property: &str, value: &Value) -> Value {
    if property == "filter" {
        return value.clone();
    }
    Value::String(value.to_string())
}

/// The full metadata of a connection: client data and server data joined by `%/%`, or
/// just the non-empty one.
pub fn full_metadata(client_data: &str, server_data: &str) -> String {
    match (client_data.is_empty(), server_data.is_empty()) {
        (_, true) => client_data.to_owned(),
        (true, false) => server_data.to_owned(),
        (false, false) => format!("{client_data}%/%{server_data}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn property_values_are_encoded_like_openvidu() {
        assert_eq!(
            encode_property_value("audioActive", &json!(true)),
            json!("true")
        );
        assert_eq!(
            encode_property_value("videoDimensions", &json!("{\"width\":1,\"height\":2}")),
            json!("\"{\\\"width\\\":1,\\\"height\\\":2}\"")
        );
        assert_eq!(
            encode_property_value("videoTrack", &json!({"label": "x"})),
            json!("{\"label\":\"x\"}")
        );
        assert_eq!(encode_property_value("filter", &json!({})), json!({}));
    }

    #[test]
    fn metadata_joins_with_the_separator() {
        assert_eq!(full_metadata("c", ""), "c");
        assert_eq!(full_metadata("", "s"), "s");
        assert_eq!(full_metadata("c", "s"), "c%/%s");
        assert_eq!(full_metadata("", ""), "");
    }

    #[test]
    fn stream_info_is_flat() {
        let info = StreamInfo {
            id: "str_CAM_A_con_B".into(),
            created_at: 1,
            options: StreamOptions {
                has_audio: true,
                has_video: true,
                audio_active: true,
                video_active: false,
                type_of_video: Some("CAMERA".into()),
                frame_rate: -1,
                video_dimensions: None,
                filter: json!({}),
            },
        };
        assert_eq!(
            serde_json::to_value(&info).unwrap(),
            json!({"id":"str_CAM_A_con_B","createdAt":1,"hasAudio":true,"hasVideo":true,
                   "audioActive":true,"videoActive":false,"typeOfVideo":"CAMERA","frameRate":-1,
                   "videoDimensions":null,"filter":{}})
        );
    }

    #[test]
    fn remote_connections_never_carry_role_or_empty_streams() {
        let c = RemoteConnection {
            id: "con_A".into(),
            created_at: 1,
            metadata: "m".into(),
            streams: None,
        };
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            json!({"id":"con_A","createdAt":1,"metadata":"m"})
        );
    }
}
