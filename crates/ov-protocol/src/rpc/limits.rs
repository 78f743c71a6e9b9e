//! Size caps on what a client sends in a request, element by element.
//!
//! Many elements are kept for the session's life or broadcast to every participant
//! (`metadata`, `platform`, a signal's `type`, `streamPropertyChanged`'s `newValue`), so a
//! frame that fits the WebSocket limit (1 MiB) could still make the server hold and send
//! megabytes per participant. Every element is therefore capped, with room to spare for
//! what openvidu-browser really sends. Sizes are in bytes of the element's JSON text for
//! non-strings, of the UTF-8 string otherwise.

use super::method;

/// `joinRoom` `metadata` (the client data): the same cap as a connection's REST `data`.
pub const MAX_METADATA: usize = 64 * 1024;
/// `joinRoom` `platform` (a browser description, ~150 bytes in practice).
pub const MAX_PLATFORM: usize = 1024;
/// A token URL (about 100 bytes as the REST API makes them).
pub const MAX_TOKEN: usize = 4 * 1024;
/// An SDP offer or answer (5–20 KB from browsers).
pub const MAX_SDP: usize = 256 * 1024;
/// `publishVideo` `videoDimensions`, e.g. `{"width":640,"height":480}`.
pub const MAX_VIDEO_DIMENSIONS: usize = 256;
/// `publishVideo` `typeOfVideo` (`CAMERA`, `SCREEN`, `CUSTOM`, `IPCAM`).
pub const MAX_TYPE_OF_VIDEO: usize = 64;
/// `streamPropertyChanged` `newValue` (a boolean, a dimensions object, a filter).
pub const MAX_PROPERTY_VALUE: usize = 4 * 1024;
/// `streamPropertyChanged` `reason` (e.g. `publishVideo`, `screenResized`).
pub const MAX_PROPERTY_REASON: usize = 256;
/// `sendMessage` `message`: the JSON text around a signal's `data`, `type` and `to`.
pub const MAX_SIGNAL_MESSAGE: usize = 512 * 1024;
/// A signal's `data`, over RPC and REST.
pub const MAX_SIGNAL_DATA: usize = 64 * 1024;
/// A signal's `type` (e.g. `signal:chat`), over RPC and REST.
pub const MAX_SIGNAL_TYPE: usize = 1024;
/// Any other element.
pub const MAX_ELEMENT: usize = 16 * 1024;

/// The cap of element `key` of `method`.
pub fn max_len(method_name: &str, key: &str) -> usize {
    match (method_name, key) {
        (method::JOIN_ROOM, "metadata") => MAX_METADATA,
        (method::JOIN_ROOM, "platform") => MAX_PLATFORM,
        (method::JOIN_ROOM, "token") => MAX_TOKEN,
        (method::PUBLISH_VIDEO, "sdpOffer")
        | (method::RECEIVE_VIDEO_FROM, "sdpAnswer" | "sdpOffer")
        | (method::RECONNECT_STREAM, "sdpString") => MAX_SDP,
        (method::PUBLISH_VIDEO, "videoDimensions") => MAX_VIDEO_DIMENSIONS,
        (method::PUBLISH_VIDEO, "typeOfVideo") => MAX_TYPE_OF_VIDEO,
        (method::STREAM_PROPERTY_CHANGED, "newValue") => MAX_PROPERTY_VALUE,
        (method::STREAM_PROPERTY_CHANGED, "reason") => MAX_PROPERTY_REASON,
        (method::SEND_MESSAGE, "message") => MAX_SIGNAL_MESSAGE,
        _ => MAX_ELEMENT,
    }
}

/// The size an element is measured by: a string's bytes, other values' JSON text.
pub fn element_len(value: &serde_json::Value) -> usize {
    match value {
        serde_json::Value::String(s) => s.len(),
        other => serde_json::to_string(other).map_or(usize::MAX, |t| t.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn broadcast_elements_have_their_own_caps() {
        assert_eq!(max_len("joinRoom", "metadata"), MAX_METADATA);
        assert_eq!(max_len("joinRoom", "platform"), MAX_PLATFORM);
        assert_eq!(max_len("publishVideo", "videoDimensions"), 256);
        assert_eq!(max_len("streamPropertyChanged", "newValue"), 4096);
        assert_eq!(max_len("anything", "else"), MAX_ELEMENT);
    }

    #[test]
    fn non_strings_are_measured_by_their_json_text() {
        assert_eq!(element_len(&json!("abc")), 3);
        assert_eq!(element_len(&json!({"width": 640})), 13);
        assert_eq!(element_len(&json!(true)), 4);
    }
}
