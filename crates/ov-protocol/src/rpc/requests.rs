//! The parameters of the client requests, typed.
//!
//! openvidu-browser sends more keys than a server needs (`doLoopback`, `sdkVersion`, …);
//! unknown keys are ignored. `null` counts as absent, as in the official server. A request
//! whose `params` is not an object is parsed as if it had none, so the error names the
//! first element that is missing.

use serde::Deserialize;
use serde::de::{DeserializeOwned, Deserializer, Error as _};
use serde_json::{Map, Value};

use super::StreamOptions;
use crate::ids::{ConnectionId, SessionId, StreamId};

/// The parameters of one JSON-RPC method.
pub trait Params: DeserializeOwned {
    /// The method they belong to (named in errors).
    const METHOD: &'static str;
}

/// Why a request's parameters do not fit its method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamsError {
    /// A required element is absent or `null`.
    Missing {
        /// The method.
        method: &'static str,
        /// The element.
        key: String,
    },
    /// An element has the wrong JSON type.
    WrongType {
        /// The method.
        method: &'static str,
        /// The element.
        key: String,
        /// What it should be, e.g. `a string`.
        expected: String,
    },
    /// An element is larger than its cap ([`super::limits`]).
    TooLong {
        /// The method.
        method: &'static str,
        /// The element.
        key: String,
        /// Its size in bytes.
        size: usize,
        /// The cap.
        max: usize,
    },
}

/// Parses the `params` of a request into `P`.
pub fn parse<P: Params>(params: Option<&Value>) -> Result<P, ParamsError> {
    let empty = Value::Object(Map::new());
    let value = match params {
        Some(v @ Value::Object(_)) => v,
        _ => &empty,
    };
    if let Value::Object(elements) = value {
        for (key, element) in elements {
            let (size, max) = (
                super::limits::element_len(element),
                super::limits::max_len(P::METHOD, key),
            );
            if size > max {
                return Err(ParamsError::TooLong {
                    method: P::METHOD,
                    key: key.clone(),
                    size,
                    max,
                });
            }
        }
    }
    serde_path_to_error::deserialize::<_, P>(value).map_err(|e| {
        let inner = e.inner().to_string();
        let key = e
            .path()
            .iter()
            .find_map(|segment| match segment {
                serde_path_to_error::Segment::Map { key } => Some(key.clone()),
                _ => None,
            })
            .or_else(|| missing_field_name(&inner))
            .unwrap_or_default();
        match value.get(&key) {
            None | Some(Value::Null) => ParamsError::Missing {
                method: P::METHOD,
                key,
            },
            Some(_) => ParamsError::WrongType {
                method: P::METHOD,
                key,
                // serde's "invalid type: integer `5`, expected a string" (values carry no
                // line numbers).
                expected: inner
                    .rsplit_once("expected ")
                    .map_or("of another type", |(_, what)| what)
                    .to_owned(),
            },
        }
    })
}

/// The field of serde's "missing field `x`" message.
fn missing_field_name(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split('`').next().map(str::to_owned)
}

/// `joinRoom`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JoinRoomParams {
    /// The whole token URL.
    pub token: String,
    /// The session to join.
    pub session: SessionId,
    /// The client's platform description.
    pub platform: Option<String>,
    /// Client data.
    pub metadata: Option<String>,
    /// The server secret, for joins without a token of a connection.
    pub secret: Option<String>,
    /// Whether the client is the recording bot.
    pub recorder: Option<bool>,
}

impl Params for JoinRoomParams {
    const METHOD: &'static str = super::method::JOIN_ROOM;
}

/// `connect`: re-binding a participant to a new socket.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectParams {
    /// The RPC session id of the `joinRoom` result.
    pub session_id: Option<String>,
}

impl Params for ConnectParams {
    const METHOD: &'static str = super::method::CONNECT;
}

/// `publishVideo`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishVideoParams {
    /// The browser's offer.
    pub sdp_offer: String,
    /// Whether the stream has audio.
    pub has_audio: bool,
    /// Whether the stream has video.
    pub has_video: bool,
    /// Audio not muted (default true).
    pub audio_active: Option<bool>,
    /// Video not muted (default true).
    pub video_active: Option<bool>,
    /// `CAMERA`, `SCREEN` or `CUSTOM`.
    pub type_of_video: Option<String>,
    /// Frames per second; fractions are truncated.
    #[serde(default, deserialize_with = "lenient_integer")]
    pub frame_rate: Option<i64>,
    /// JSON text `{"width":…,"height":…}`.
    pub video_dimensions: Option<String>,
}

impl Params for PublishVideoParams {
    const METHOD: &'static str = super::method::PUBLISH_VIDEO;
}

impl PublishVideoParams {
    /// The stream's options, with OpenVidu's defaults (active, `CAMERA` for video, -1 fps).
    pub fn stream_options(&self) -> StreamOptions {
        StreamOptions {
            has_audio: self.has_audio,
            has_video: self.has_video,
            audio_active: self.audio_active.unwrap_or(true),
            video_active: self.video_active.unwrap_or(true),
            type_of_video: self
                .type_of_video
                .clone()
                .or_else(|| self.has_video.then(|| "CAMERA".to_owned())),
            frame_rate: self.frame_rate.unwrap_or(-1),
            video_dimensions: self.video_dimensions.clone(),
            filter: Value::Object(Map::new()),
        }
    }
}

/// `prepareReceiveVideoFrom`: the server offers a subscription.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrepareReceiveVideoFromParams {
    /// The stream to receive.
    pub sender: StreamId,
    /// Whether this replaces a broken subscription.
    pub reconnect: Option<bool>,
}

impl Params for PrepareReceiveVideoFromParams {
    const METHOD: &'static str = super::method::PREPARE_RECEIVE_VIDEO_FROM;
}

/// `receiveVideoFrom`: the browser's answer to the server's offer (or, in Kurento mode,
/// an offer, which openvidu-rs refuses).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiveVideoFromParams {
    /// The stream received.
    pub sender: StreamId,
    /// The browser's answer.
    pub sdp_answer: Option<String>,
}

impl Params for ReceiveVideoFromParams {
    const METHOD: &'static str = super::method::RECEIVE_VIDEO_FROM;
}

/// `unsubscribeFromVideo`. Unlike the other subscription methods, `sender` is the
/// publisher's *connection* id.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnsubscribeFromVideoParams {
    /// The publisher's connection.
    pub sender: ConnectionId,
}

impl Params for UnsubscribeFromVideoParams {
    const METHOD: &'static str = super::method::UNSUBSCRIBE_FROM_VIDEO;
}

/// `onIceCandidate`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnIceCandidateParams {
    /// The owner of the stream: the caller itself for its publisher, the remote publisher
    /// for a subscription.
    pub endpoint_name: ConnectionId,
    /// `candidate:…`; empty at the end of candidates.
    pub candidate: Option<String>,
    /// As the browser gave it.
    pub sdp_mid: Option<Value>,
    /// As the browser gave it.
    #[serde(rename = "sdpMLineIndex")]
    pub sdp_m_line_index: Option<Value>,
}

impl Params for OnIceCandidateParams {
    const METHOD: &'static str = super::method::ON_ICE_CANDIDATE;
}

/// `sendMessage`: a signal.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SendMessageParams {
    /// JSON text `{"to": [...], "data": "...", "type": "signal:..."}`.
    pub message: String,
}

impl Params for SendMessageParams {
    const METHOD: &'static str = super::method::SEND_MESSAGE;
}

/// `streamPropertyChanged`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamPropertyChangedParams {
    /// `audioActive`, `videoActive`, `videoDimensions`, `videoTrack`, `audioTrack`, ….
    pub property: String,
    /// The new value; must be present, may be `null`.
    #[serde(deserialize_with = "present")]
    pub new_value: Value,
    /// Why (`publishAudio`, `trackReplaced`, …).
    pub reason: Option<String>,
}

impl Params for StreamPropertyChangedParams {
    const METHOD: &'static str = super::method::STREAM_PROPERTY_CHANGED;
}

/// `reconnectStream`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReconnectStreamParams {
    /// The caller's own stream (a publisher reconnection) or a remote one (a subscription).
    pub stream: StreamId,
    /// The publisher's new offer, or the subscriber's answer to the server's new offer.
    pub sdp_string: Option<String>,
}

impl Params for ReconnectStreamParams {
    const METHOD: &'static str = super::method::RECONNECT_STREAM;
}

/// `forceDisconnect`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForceDisconnectParams {
    /// The connection to evict.
    pub connection_id: ConnectionId,
}

impl Params for ForceDisconnectParams {
    const METHOD: &'static str = super::method::FORCE_DISCONNECT;
}

/// `forceUnpublish`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForceUnpublishParams {
    /// The stream to end.
    pub stream_id: StreamId,
}

impl Params for ForceUnpublishParams {
    const METHOD: &'static str = super::method::FORCE_UNPUBLISH;
}

/// `updateSubscription` (openvidu-rs's own): the size at which the caller shows a stream
/// it receives, in device pixels, largest over the elements showing it; 0x0 when none is
/// visible. The server forwards the lowest simulcast layer that fills it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateSubscriptionParams {
    /// The stream received.
    pub sender: StreamId,
    /// Rendered width.
    pub width: u32,
    /// Rendered height.
    pub height: u32,
}

impl Params for UpdateSubscriptionParams {
    const METHOD: &'static str = super::method::UPDATE_SUBSCRIPTION;
}

/// An integer that may arrive as a JSON float (truncated).
fn lenient_integer<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| D::Error::custom("invalid number, expected an integer")),
        Some(_) => Err(D::Error::custom("invalid type, expected an integer")),
    }
}

/// A value that must be present but may be `null` (serde maps `null` to absent otherwise).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
    Value::deserialize(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_what_the_browser_sends() {
        let p: PublishVideoParams = parse(Some(&json!({
            "sdpOffer": "v=0", "doLoopback": false, "hasAudio": true, "hasVideo": true,
            "audioActive": true, "videoActive": false, "typeOfVideo": "SCREEN",
            "frameRate": 29.97, "videoDimensions": "{\"width\":640,\"height\":480}"
        })))
        .unwrap();
        let o = p.stream_options();
        assert!(!o.video_active);
        assert_eq!(o.frame_rate, 29);
        assert_eq!(o.type_of_video.as_deref(), Some("SCREEN"));
        let p: PublishVideoParams = parse(Some(
            &json!({"sdpOffer": "v=0", "hasAudio": true, "hasVideo": false}),
        ))
        .unwrap();
        let o = p.stream_options();
        assert_eq!(
            (o.type_of_video, o.frame_rate, o.audio_active),
            (None, -1, true)
        );
    }

    #[test]
    fn names_the_missing_or_mistyped_element() {
        let e = parse::<ForceUnpublishParams>(Some(&json!({"streamId": null}))).unwrap_err();
        assert_eq!(
            e,
            ParamsError::Missing {
                method: "forceUnpublish",
                key: "streamId".into()
            }
        );
        let e = parse::<JoinRoomParams>(Some(&json!([1, 2]))).unwrap_err();
        assert!(
            matches!(e, ParamsError::Missing { key, .. } if key == "token" || key == "session")
        );
        let e = parse::<SendMessageParams>(Some(&json!({"message": 5}))).unwrap_err();
        assert_eq!(
            e,
            ParamsError::WrongType {
                method: "sendMessage",
                key: "message".into(),
                expected: "a string".into()
            }
        );
        let e = parse::<PublishVideoParams>(Some(
            &json!({"sdpOffer": "v", "hasAudio": "yes", "hasVideo": true}),
        ))
        .unwrap_err();
        assert!(
            matches!(&e, ParamsError::WrongType { key, expected, .. } if key == "hasAudio" && expected == "a boolean"),
            "{e:?}"
        );
        let e = parse::<PublishVideoParams>(Some(
            &json!({"sdpOffer": "v", "hasAudio": true, "hasVideo": true, "frameRate": "x"}),
        ))
        .unwrap_err();
        assert!(
            matches!(&e, ParamsError::WrongType { key, expected, .. } if key == "frameRate" && expected == "an integer"),
            "{e:?}"
        );
    }

    #[test]
    fn a_present_null_value_is_not_missing() {
        let p: StreamPropertyChangedParams =
            parse(Some(&json!({"property": "videoTrack", "newValue": null}))).unwrap();
        assert_eq!(p.new_value, Value::Null);
        let e = parse::<StreamPropertyChangedParams>(Some(&json!({"property": "x"}))).unwrap_err();
        assert!(matches!(e, ParamsError::Missing { key, .. } if key == "newValue"));
    }

    #[test]
    fn an_element_over_its_cap_is_refused_by_name() {
        let platform = "p".repeat(super::super::limits::MAX_PLATFORM + 1);
        let e = parse::<JoinRoomParams>(Some(
            &json!({"token": "t", "session": "s", "platform": platform}),
        ))
        .unwrap_err();
        assert_eq!(
            e,
            ParamsError::TooLong {
                method: "joinRoom",
                key: "platform".into(),
                size: 1025,
                max: 1024
            }
        );
        let fits = "p".repeat(super::super::limits::MAX_PLATFORM);
        assert!(
            parse::<JoinRoomParams>(Some(
                &json!({"token": "t", "session": "s", "platform": fits})
            ))
            .is_ok()
        );
        // An unknown key is capped too: it would otherwise ride along for free.
        let e = parse::<JoinRoomParams>(Some(
            &json!({"token": "t", "session": "s", "extra": "x".repeat(20_000)}),
        ))
        .unwrap_err();
        assert!(matches!(e, ParamsError::TooLong { key, .. } if key == "extra"));
    }
}
