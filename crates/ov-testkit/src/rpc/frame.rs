//! The frames: requests as openvidu-browser builds them, and the classification of what
//! the server sends.

use serde_json::{Value, json};

/// A JSON-RPC error answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code} {message}")]
pub struct RpcError {
    /// OpenVidu's error code.
    pub code: i64,
    /// OpenVidu's message.
    pub message: String,
}

/// A notification: method and params.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// e.g. `participantPublished`.
    pub method: String,
    /// Its parameters.
    pub params: Value,
}

/// A frame from the server, classified.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// A notification.
    Notification(Notification),
    /// An answer: its id (`null` for a frame the server could not read) and its result.
    Response {
        /// The request's id.
        id: Value,
        /// `result`, or `error`.
        answer: Result<Value, RpcError>,
    },
    /// Not JSON-RPC 2.0 (not JSON, no `"jsonrpc": "2.0"`, neither method nor id): a
    /// server bug that tests fail on.
    Malformed(String),
}

/// A request frame.
pub fn request(id: u64, method: &str, params: Value) -> String {
    json!({"jsonrpc": "2.0", "method": method, "params": params, "id": id}).to_string()
}

/// Classifies a text frame.
pub fn classify(text: &str) -> Incoming {
    let malformed = || Incoming::Malformed(text.to_owned());
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        return malformed();
    };
    if v.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return malformed();
    }
    if let Some(method) = v.get("method").and_then(Value::as_str) {
        return Incoming::Notification(Notification {
            method: method.to_owned(),
            params: v.get("params").cloned().unwrap_or(Value::Null),
        });
    }
    let Some(id) = v.get("id").cloned() else {
        return malformed();
    };
    let answer = match v.get("error") {
        Some(e) => Err(RpcError {
            code: e.get("code").and_then(Value::as_i64).unwrap_or(0),
            message: e
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        }),
        None => Ok(v.get("result").cloned().unwrap_or(Value::Null)),
    };
    Incoming::Response { id, answer }
}

/// `joinRoom`'s params as openvidu-browser 2.32 sends them; the session is the token
/// URL's `sessionId`.
pub fn join_params(token: &str, metadata: &str, platform: &str) -> Value {
    let session = token
        .split_once("sessionId=")
        .map_or("", |(_, rest)| rest.split('&').next().unwrap_or(""));
    json!({"token": token, "session": session, "platform": platform, "sdkVersion": "2.32.2",
           "metadata": metadata, "secret": "", "recorder": false, "stt": false})
}

/// `publishVideo`'s params for a camera with audio and video, both active.
pub fn publish_params(sdp_offer: &str, frame_rate: u32, width: u32, height: u32) -> Value {
    json!({"sdpOffer": sdp_offer, "doLoopback": false, "hasAudio": true, "hasVideo": true,
           "audioActive": true, "videoActive": true, "typeOfVideo": "CAMERA",
           "frameRate": frame_rate,
           "videoDimensions": format!("{{\"width\":{width},\"height\":{height}}}")})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_classified() {
        assert_eq!(
            classify(
                r#"{"jsonrpc":"2.0","method":"participantPublished","params":{"id":"con_A"}}"#
            ),
            Incoming::Notification(Notification {
                method: "participantPublished".into(),
                params: json!({"id": "con_A"})
            })
        );
        assert_eq!(
            classify(r#"{"jsonrpc":"2.0","id":3,"result":{"sdpAnswer":"v=0"}}"#),
            Incoming::Response {
                id: json!(3),
                answer: Ok(json!({"sdpAnswer": "v=0"}))
            }
        );
        assert_eq!(
            classify(r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"no"}}"#),
            Incoming::Response {
                id: Value::Null,
                answer: Err(RpcError {
                    code: -32700,
                    message: "no".into()
                })
            }
        );
        for bad in [
            "{not json",
            r#"{"id":1,"result":{}}"#,
            r#"{"jsonrpc":"2.0"}"#,
        ] {
            assert_eq!(classify(bad), Incoming::Malformed(bad.into()), "{bad}");
        }
    }

    #[test]
    fn join_takes_the_session_from_the_token() {
        let p = join_params("ws://h:1?sessionId=room&token=tok_A", "M", "Rust");
        assert_eq!(p["session"], "room");
        assert_eq!(
            (p["metadata"].clone(), p["platform"].clone()),
            (json!("M"), json!("Rust"))
        );
        assert_eq!(join_params("https://not-a-token", "", "x")["session"], "");
        let p = publish_params("v=0", 15, 320, 240);
        assert_eq!(p["videoDimensions"], "{\"width\":320,\"height\":240}");
        assert_eq!(p["frameRate"], 15);
    }
}
