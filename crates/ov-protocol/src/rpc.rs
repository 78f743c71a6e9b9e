//! The WebSocket JSON-RPC 2.0 signaling of OpenVidu 2 (`/openvidu`): method names, error
//! codes, and the results and notifications openvidu-browser 2.32 reads.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// Client → server method names.
pub mod method {
    #![allow(missing_docs)]
    pub const PING: &str = "ping";
    pub const CONNECT: &str = "connect";
    pub const JOIN_ROOM: &str = "joinRoom";
    pub const LEAVE_ROOM: &str = "leaveRoom";
    pub const PUBLISH_VIDEO: &str = "publishVideo";
    pub const UNPUBLISH_VIDEO: &str = "unpublishVideo";
    pub const PREPARE_RECEIVE_VIDEO_FROM: &str = "prepareReceiveVideoFrom";
    pub const RECEIVE_VIDEO_FROM: &str = "receiveVideoFrom";
    pub const UNSUBSCRIBE_FROM_VIDEO: &str = "unsubscribeFromVideo";
    pub const ON_ICE_CANDIDATE: &str = "onIceCandidate";
    pub const SEND_MESSAGE: &str = "sendMessage";
    pub const STREAM_PROPERTY_CHANGED: &str = "streamPropertyChanged";
    pub const VIDEO_DATA: &str = "videoData";
    pub const ECHO: &str = "echo";
    pub const RECONNECT_STREAM: &str = "reconnectStream";
    pub const FORCE_DISCONNECT: &str = "forceDisconnect";
    pub const FORCE_UNPUBLISH: &str = "forceUnpublish";
    pub const APPLY_FILTER: &str = "applyFilter";
    pub const REMOVE_FILTER: &str = "removeFilter";
    pub const EXEC_FILTER_METHOD: &str = "execFilterMethod";
    pub const ADD_FILTER_EVENT_LISTENER: &str = "addFilterEventListener";
    pub const REMOVE_FILTER_EVENT_LISTENER: &str = "removeFilterEventListener";
    pub const SUBSCRIBE_TO_SPEECH_TO_TEXT: &str = "subscribeToSpeechToText";
    pub const UNSUBSCRIBE_FROM_SPEECH_TO_TEXT: &str = "unsubscribeFromSpeechToText";
}

/// Server → client notification names.
pub mod notification {
    #![allow(missing_docs)]
    pub const PARTICIPANT_JOINED: &str = "participantJoined";
    pub const PARTICIPANT_PUBLISHED: &str = "participantPublished";
    pub const PARTICIPANT_UNPUBLISHED: &str = "participantUnpublished";
    pub const PARTICIPANT_LEFT: &str = "participantLeft";
    pub const PARTICIPANT_EVICTED: &str = "participantEvicted";
    pub const SEND_MESSAGE: &str = "sendMessage";
    pub const STREAM_PROPERTY_CHANGED: &str = "streamPropertyChanged";
    pub const CONNECTION_PROPERTY_CHANGED: &str = "connectionPropertyChanged";
    pub const ICE_CANDIDATE: &str = "iceCandidate";
}

/// OpenVidu's JSON-RPC error codes (`OpenViduException.Code`), plus the framework's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum ErrorCode {
    /// An unexpected failure inside the official server (missing or mistyped parameter).
    Uncaught,
    UserGeneric,
    UserNotFound,
    UserClosed,
    ExistingUserInRoom,
    UserNotStreaming,
    UserAlreadyStreaming,
    RoomGeneric,
    RoomNotFound,
    RoomClosed,
    MediaGeneric,
    MediaSdp,
    UserUnauthorized,
    TokenCannotBeCreated,
    ExistingFilterAlreadyApplied,
    FilterNotApplied,
    UserMetadataFormatInvalid,
    SignalFormatInvalid,
    SignalToInvalid,
    TransportError,
    ServiceNotEnabled,
    WrongOpenviduEdition,
    Generic,
    /// Kurento framework: `connect` with an unknown or expired session.
    ReconnectionError,
    /// JSON-RPC: the frame is not JSON.
    ParseError,
    /// JSON-RPC: not a valid request object.
    InvalidRequest,
    /// JSON-RPC: no such method.
    MethodNotFound,
}

impl ErrorCode {
    /// The numeric code on the wire.
    pub fn code(self) -> i64 {
        use ErrorCode::*;
        match self {
            Uncaught => -1,
            UserGeneric => 10,
            UserNotFound => 102,
            UserClosed => 103,
            ExistingUserInRoom => 104,
            UserNotStreaming => 105,
            UserAlreadyStreaming => 106,
            RoomGeneric => 201,
            RoomNotFound => 202,
            RoomClosed => 203,
            MediaGeneric => 301,
            MediaSdp => 302,
            UserUnauthorized => 401,
            TokenCannotBeCreated => 404,
            ExistingFilterAlreadyApplied => 405,
            FilterNotApplied => 406,
            UserMetadataFormatInvalid => 500,
            SignalFormatInvalid => 600,
            SignalToInvalid => 601,
            TransportError => 803,
            ServiceNotEnabled => 996,
            WrongOpenviduEdition => 997,
            Generic => 999,
            ReconnectionError => 40007,
            ParseError => -32700,
            InvalidRequest => -32600,
            MethodNotFound => -32601,
        }
    }
}

/// An incoming frame, as far as the envelope goes.
#[derive(Debug, Clone, Deserialize)]
pub struct Incoming {
    /// Must be `"2.0"`.
    #[serde(default)]
    pub jsonrpc: Option<String>,
    /// Request id (numbers from openvidu-browser); absent for notifications.
    #[serde(default)]
    pub id: Option<Value>,
    /// Method name.
    #[serde(default)]
    pub method: Option<String>,
    /// Parameters (an object), absent when none.
    #[serde(default)]
    pub params: Option<Value>,
}

/// A success response. Like the Kurento framework, the RPC session id is added to every
/// object result once the socket has one (openvidu-browser needs it from `joinRoom`).
pub fn response(id: &Value, result: Value, rpc_session_id: Option<&str>) -> String {
    let result = match (result, rpc_session_id) {
        (Value::Object(mut map), Some(sid)) => {
            map.insert("sessionId".into(), Value::String(sid.to_owned()));
            Value::Object(map)
        }
        (other, _) => other,
    };
    json!({"jsonrpc": "2.0", "id": id, "result": result}).to_string()
}

/// An error response.
pub fn error_response(id: &Value, code: ErrorCode, message: &str) -> String {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code.code(), "message": message}})
        .to_string()
}

/// A notification (no id).
pub fn notify(method: &str, params: impl Serialize) -> String {
    json!({"jsonrpc": "2.0", "method": method, "params": params}).to_string()
}

/// An empty result object, `{}`.
pub fn empty() -> Value {
    Value::Object(Map::new())
}

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
    pub id: String,
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
    pub id: String,
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
    pub id: String,
    /// Join time, epoch ms.
    pub created_at: u64,
    /// Own full metadata.
    pub metadata: String,
    /// The other participants.
    pub value: Vec<RemoteConnection>,
    /// Session id.
    pub session: String,
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
}

/// `participantUnpublished`, `participantLeft` and `participantEvicted`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionReason {
    /// The connection concerned.
    pub connection_id: String,
    /// Why.
    pub reason: String,
}

/// `participantPublished`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParticipantPublished {
    /// Publisher connection id.
    pub id: String,
    /// Exactly one stream.
    pub streams: Vec<StreamInfo>,
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
    pub from: Option<String>,
}

/// `streamPropertyChanged`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamPropertyChanged {
    /// Owner of the stream.
    pub connection_id: String,
    /// The stream.
    pub stream_id: String,
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

    #[test]
    fn session_id_is_injected_into_object_results_only() {
        let r = response(&json!(3), json!({"a": 1}), Some("rpc"));
        assert_eq!(
            serde_json::from_str::<Value>(&r).unwrap(),
            json!({"jsonrpc":"2.0","id":3,"result":{"a":1,"sessionId":"rpc"}})
        );
        let r = response(&json!(0), json!({"value": "pong"}), None);
        assert_eq!(
            serde_json::from_str::<Value>(&r).unwrap()["result"],
            json!({"value": "pong"})
        );
    }

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
