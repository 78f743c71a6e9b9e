//! The WebSocket JSON-RPC 2.0 signaling of OpenVidu 2 (`/openvidu`): method names, the
//! envelope, error codes ([`ErrorCode`]), the typed parameters of every request
//! ([`requests`]), and the results and notifications openvidu-browser 2.32 reads.

mod codes;
pub mod limits;
mod messages;
pub mod requests;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

pub use codes::ErrorCode;
pub use messages::{
    ConnectionReason, JoinRoomResult, NetworkQualityLevelChanged, ParticipantPublished,
    RemoteConnection, SignalDelivery, StreamInfo, StreamOptions, StreamPropertyChanged,
    encode_property_value, full_metadata,
};

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
    /// openvidu-rs's own (openvidu-browser never sends it): how large a subscriber shows a
    /// stream, for the choice of its simulcast layer.
    pub const UPDATE_SUBSCRIPTION: &str = "updateSubscription";
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
    /// OpenVidu Pro's; openvidu-browser 2.32 understands it.
    pub const NETWORK_QUALITY_LEVEL_CHANGED: &str = "networkQualityLevelChanged";
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

    /// Found by the `rpc_message` fuzz target: a request id too large for an integer is a
    /// float, and serde_json's default float parsing is not exact, so the response carried
    /// an id one unit in the last place away from the request's and the client could not
    /// match it. With exact parsing (`float_roundtrip`) every id comes back unchanged.
    #[test]
    fn any_request_id_comes_back_unchanged() {
        for text in [
            r#"{"jsonrpc":"2.0","method":"leaveRoom","id":933333333333333333333333333333333333333333335}"#,
            r#"{"jsonrpc":"2.0","method":"ping","id":0.1}"#,
            r#"{"jsonrpc":"2.0","method":"ping","id":-1.7976931348623157e308}"#,
            r#"{"jsonrpc":"2.0","method":"ping","id":18446744073709551616}"#,
        ] {
            let incoming: Incoming = serde_json::from_str(text).unwrap();
            let id = incoming.id.unwrap();
            let frame = error_response(&id, ErrorCode::Uncaught, "x");
            let back: Value = serde_json::from_str(&frame).unwrap();
            assert_eq!(back["id"], id, "{text} -> {frame}");
        }
    }
}
