//! Requests of one socket, method by method.

use std::sync::Arc;

use ov_protocol::rpc::{self, ErrorCode, Incoming, method};
use serde_json::{Value, json};

use super::params::Params;
use crate::domain::{Binding, JoinRequest, Outbox, Registry, Reply, SignalingError, StreamOptions};
use crate::media::MediaRequestError;

/// The state of one socket.
pub struct Connection {
    registry: Arc<Registry>,
    outbox: Outbox,
    ip: String,
    binding: Option<Binding>,
    /// Set by `leaveRoom`: a later close is not a network drop.
    left: bool,
}

fn media_error(e: MediaRequestError) -> SignalingError {
    match e {
        MediaRequestError::Media(m) => SignalingError::new(ErrorCode::MediaSdp, m.to_string()),
        MediaRequestError::Stopped => SignalingError::new(ErrorCode::MediaGeneric, e.to_string()),
    }
}

impl Connection {
    /// A socket that has not joined yet.
    pub fn new(registry: Arc<Registry>, outbox: Outbox, ip: String) -> Self {
        Connection {
            registry,
            outbox,
            ip,
            binding: None,
            left: false,
        }
    }

    /// Handles one text frame.
    pub async fn handle(&mut self, text: &str) {
        let incoming: Incoming = match serde_json::from_str(text) {
            Ok(i) => i,
            Err(e) => {
                let message = format!("Frame is not JSON-RPC 2.0: {e}");
                self.outbox.send(rpc::error_response(
                    &Value::Null,
                    ErrorCode::ParseError,
                    &message,
                ));
                return;
            }
        };
        let Some(id) = incoming.id.clone() else {
            // Notifications or responses from the client: the browser sends neither.
            return;
        };
        if incoming.jsonrpc.as_deref() != Some("2.0") {
            self.outbox.send(rpc::error_response(
                &id,
                ErrorCode::InvalidRequest,
                "Requests must carry \"jsonrpc\": \"2.0\"",
            ));
            return;
        }
        let Some(name) = incoming.method.as_deref() else {
            self.outbox.send(rpc::error_response(
                &id,
                ErrorCode::InvalidRequest,
                "Request has no \"method\"",
            ));
            return;
        };
        let params = Params::new(name, incoming.params.as_ref());
        if let Err(e) = self.dispatch(name, &id, &params).await {
            tracing::debug!(method = name, code = e.code.code(), error = %e.message, "request refused");
            self.outbox
                .send(rpc::error_response(&id, e.code, &e.message));
        }
    }

    async fn dispatch(
        &mut self,
        name: &str,
        id: &Value,
        params: &Params<'_>,
    ) -> Result<(), SignalingError> {
        match name {
            method::PING => {
                // Answered at once, without the RPC session id, as the framework does.
                self.outbox
                    .send(rpc::response(id, json!({"value": "pong"}), None));
                return Ok(());
            }
            method::JOIN_ROOM => return self.join(id, params),
            method::CONNECT => return self.reconnect(id, params),
            _ => {}
        }
        let Some(binding) = self.binding.clone() else {
            return Err(SignalingError::new(
                ErrorCode::TransportError,
                "No connection found for this socket. Method 'Session.connect()' must be the first operation called in any session",
            ));
        };
        let reply = Reply {
            id,
            rpc_session_id: &binding.rpc_session_id,
        };
        let registry = self.registry.clone();
        let media = registry.media();
        match name {
            method::LEAVE_ROOM => {
                registry.leave(&binding, reply);
                self.left = true;
                self.binding = None;
            }
            method::PUBLISH_VIDEO => {
                let video = registry.prepare_publish(&binding)?;
                let offer = params.string("sdpOffer")?.to_owned();
                let has_video = params.boolean("hasVideo")?;
                let options = StreamOptions {
                    has_audio: params.boolean("hasAudio")?,
                    has_video,
                    audio_active: params.opt_boolean("audioActive")?.unwrap_or(true),
                    video_active: params.opt_boolean("videoActive")?.unwrap_or(true),
                    type_of_video: params
                        .opt_string("typeOfVideo")?
                        .map(str::to_owned)
                        .or_else(|| has_video.then(|| "CAMERA".to_owned())),
                    frame_rate: params.opt_integer("frameRate")?.unwrap_or(-1),
                    video_dimensions: params.opt_string("videoDimensions")?.map(str::to_owned),
                    filter: json!({}),
                };
                let (peer, answer) = media
                    .add_publisher(&binding.session.id, offer.clone(), video)
                    .await
                    .map_err(media_error)?;
                registry
                    .commit_publish(&binding, options, peer, offer, answer, reply)
                    .inspect_err(|_| media.remove_peer(peer))?;
            }
            method::UNPUBLISH_VIDEO => registry.unpublish(&binding, reply)?,
            method::PREPARE_RECEIVE_VIDEO_FROM => {
                let sender = params.string("sender")?;
                let source = registry.prepare_subscribe(&binding, sender)?;
                let (peer, offer) = media
                    .add_subscriber(source, sender.to_owned())
                    .await
                    .map_err(media_error)?;
                registry
                    .commit_subscribe(&binding, sender, peer, offer.clone())
                    .inspect_err(|_| media.remove_peer(peer))?;
                self.outbox.send(reply.ok(json!({"sdpOffer": offer})));
            }
            method::RECEIVE_VIDEO_FROM => {
                let sender = params.string("sender")?;
                let Some(answer) = params.opt_string("sdpAnswer")? else {
                    return Err(SignalingError::new(
                        ErrorCode::MediaSdp,
                        "openvidu-rs offers subscriptions itself (mediaServer 'mediasoup'): call prepareReceiveVideoFrom and send its answer as 'sdpAnswer'",
                    ));
                };
                self.accept_subscription_answer(&binding, sender, answer, reply)
                    .await?;
            }
            method::UNSUBSCRIBE_FROM_VIDEO => {
                registry.unsubscribe(&binding, params.string("sender")?)?;
                self.outbox.send(reply.ok(rpc::empty()));
            }
            method::ON_ICE_CANDIDATE => {
                let endpoint = params.string("endpointName")?;
                let candidate = params.opt_string("candidate")?.unwrap_or_default();
                let record = json!({
                    "candidate": candidate,
                    "sdpMid": params.value("sdpMid"),
                    "sdpMLineIndex": params.value("sdpMLineIndex"),
                });
                if let Some(peer) = registry.ice_candidate(&binding, endpoint, record)?
                    && !candidate.is_empty()
                {
                    media.add_candidate(peer, candidate.to_owned());
                }
                self.outbox.send(reply.ok(rpc::empty()));
            }
            method::SEND_MESSAGE => {
                registry.signal_from_participant(&binding, params.string("message")?, reply)?
            }
            method::STREAM_PROPERTY_CHANGED => registry.stream_property_changed(
                &binding,
                params.string("property")?,
                params.any("newValue")?,
                params.opt_string("reason")?.unwrap_or_default(),
                reply,
            )?,
            method::VIDEO_DATA | method::ECHO => {
                if !registry.is_bound(&binding) {
                    return Err(SignalingError::new(
                        ErrorCode::Generic,
                        "This participant is no longer in the session",
                    ));
                }
                self.outbox.send(reply.ok(rpc::empty()));
            }
            method::FORCE_DISCONNECT => {
                registry.force_disconnect(&binding, params.string("connectionId")?, reply)?
            }
            method::FORCE_UNPUBLISH => {
                registry.force_unpublish(&binding, params.string("streamId")?, reply)?
            }
            method::APPLY_FILTER
            | method::REMOVE_FILTER
            | method::EXEC_FILTER_METHOD
            | method::ADD_FILTER_EVENT_LISTENER
            | method::REMOVE_FILTER_EVENT_LISTENER => {
                return Err(SignalingError::new(
                    ErrorCode::FilterNotApplied,
                    "Media filters are a Kurento feature and are not available in openvidu-rs",
                ));
            }
            method::SUBSCRIBE_TO_SPEECH_TO_TEXT | method::UNSUBSCRIBE_FROM_SPEECH_TO_TEXT => {
                return Err(SignalingError::new(
                    ErrorCode::WrongOpenviduEdition,
                    "Speech to text is an OpenVidu Pro feature, not available in openvidu-rs",
                ));
            }
            method::RECONNECT_STREAM => {
                let stream = params.string("stream")?;
                if stream.ends_with(&binding.connection_id) {
                    // The own publisher: a new offer from a new RTCPeerConnection.
                    let offer = params.string("sdpString")?.to_owned();
                    let (peer, video) = registry.prepare_republish(&binding, stream)?;
                    let answer = media
                        .replace_publisher(peer, offer.clone(), video)
                        .await
                        .map_err(media_error)?;
                    registry.commit_republish(&binding, offer, answer, reply)?;
                } else {
                    // A subscription: the answer to the offer of a
                    // prepareReceiveVideoFrom with reconnect=true.
                    let Some(answer) = params.opt_string("sdpString")? else {
                        return Err(SignalingError::new(
                            ErrorCode::MediaSdp,
                            "openvidu-rs offers subscriptions itself (mediaServer 'mediasoup'): call prepareReceiveVideoFrom with reconnect=true and send its answer as 'sdpString'",
                        ));
                    };
                    self.accept_subscription_answer(&binding, stream, answer, reply)
                        .await?;
                }
            }
            other => {
                return Err(SignalingError::new(
                    ErrorCode::MethodNotFound,
                    format!("Unknown method '{other}'"),
                ));
            }
        }
        Ok(())
    }

    /// Applies a browser's answer to a subscription offer and answers `{}`.
    async fn accept_subscription_answer(
        &self,
        binding: &Binding,
        stream: &str,
        answer: &str,
        reply: Reply<'_>,
    ) -> Result<(), SignalingError> {
        let peer = self.registry.subscription_peer(binding, stream)?;
        self.registry
            .media()
            .accept_answer(peer, answer.to_owned())
            .await
            .map_err(media_error)?;
        self.registry
            .record_subscription_answer(binding, stream, answer.to_owned());
        self.outbox.send(reply.ok(rpc::empty()));
        Ok(())
    }

    fn join(&mut self, id: &Value, params: &Params<'_>) -> Result<(), SignalingError> {
        if self.binding.is_some() {
            return Err(SignalingError::new(
                ErrorCode::ExistingUserInRoom,
                "This socket has already joined a session; call leaveRoom first",
            ));
        }
        let request = JoinRequest {
            token: params.string("token")?.to_owned(),
            session_id: params.string("session")?.to_owned(),
            platform: params
                .opt_string("platform")?
                .unwrap_or("unknown")
                .to_owned(),
            metadata: params
                .opt_string("metadata")?
                .unwrap_or_default()
                .to_owned(),
            secret: params.opt_string("secret")?.unwrap_or_default().to_owned(),
            recorder: params.opt_boolean("recorder")?.unwrap_or(false),
            ip: self.ip.clone(),
        };
        let binding = self.registry.join(request, self.outbox.clone(), id)?;
        self.binding = Some(binding);
        self.left = false;
        Ok(())
    }

    fn reconnect(&mut self, id: &Value, params: &Params<'_>) -> Result<(), SignalingError> {
        let rpc_session_id = params.opt_string("sessionId")?.unwrap_or_default();
        let binding = self
            .registry
            .reattach(rpc_session_id, self.outbox.clone(), id)?;
        self.binding = Some(binding);
        Ok(())
    }

    /// The socket closed: without a `leaveRoom`, the participant gets the reconnection
    /// grace period, then is evicted with `networkDisconnect`.
    pub fn closed(self) {
        let Some(binding) = self.binding else {
            return;
        };
        if self.left {
            return;
        }
        let Some(generation) = self.registry.detach(&binding, self.outbox.socket_id()) else {
            return;
        };
        let grace = self.registry.config().reconnection_grace;
        tracing::info!(connection_id = %binding.connection_id, ?grace, "socket dropped; waiting for a reconnection");
        let registry = self.registry;
        tokio::spawn(async move {
            tokio::time::sleep(grace).await;
            registry.expire_detached(&binding, generation);
        });
    }
}

#[cfg(test)]
mod properties {
    //! Every request gets exactly one response, whatever its method and parameters, and
    //! nothing panics.

    use std::sync::Arc;

    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::Connection;
    use crate::config::Config;
    use crate::domain::{EventSink, Outbox, Registry};
    use crate::media::MediaHandle;

    const METHODS: &[&str] = &[
        "ping",
        "joinRoom",
        "connect",
        "leaveRoom",
        "publishVideo",
        "unpublishVideo",
        "prepareReceiveVideoFrom",
        "receiveVideoFrom",
        "unsubscribeFromVideo",
        "onIceCandidate",
        "sendMessage",
        "streamPropertyChanged",
        "videoData",
        "echo",
        "reconnectStream",
        "forceDisconnect",
        "forceUnpublish",
        "applyFilter",
        "subscribeToSpeechToText",
        "nope",
        "",
    ];

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i32>().prop_map(|n| json!(n)),
            "[ -~]{0,16}".prop_map(Value::String),
            prop::sample::select(vec![
                "str_CAM_Abcd_con_X",
                "con_X",
                "{\"to\":[]}",
                "v=0",
                "audioActive",
                "s"
            ])
            .prop_map(|s| Value::String(s.into())),
        ];
        let keys = prop::sample::select(vec![
            "token",
            "session",
            "sdpOffer",
            "sdpAnswer",
            "sdpString",
            "sender",
            "stream",
            "message",
            "property",
            "newValue",
            "reason",
            "connectionId",
            "streamId",
            "endpointName",
            "candidate",
            "hasAudio",
            "hasVideo",
            "sessionId",
            "reconnect",
        ]);
        leaf.prop_recursive(2, 16, 5, move |inner| {
            prop::collection::btree_map(keys.clone(), inner, 0..6).prop_map(|m| {
                Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            })
        })
    }

    fn frame() -> impl Strategy<Value = (Option<u64>, String)> {
        prop_oneof![
            4 => (any::<u16>(), prop::sample::select(METHODS), value()).prop_map(|(id, m, p)| {
                (Some(u64::from(id)), json!({"jsonrpc": "2.0", "id": id, "method": m, "params": p}).to_string())
            }),
            1 => "\\PC{0,40}".prop_map(|t| (None, t)),
            1 => prop::sample::select(METHODS).prop_map(|m| (None, json!({"jsonrpc": "2.0", "method": m}).to_string())),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn every_request_gets_exactly_one_response(frames in prop::collection::vec(frame(), 1..12), join_first in any::<bool>()) {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let registry = Arc::new(Registry::new(
                    Arc::new(Config::for_loopback("P")),
                    "127.0.0.1:1".into(),
                    MediaHandle::detached(),
                    EventSink::default(),
                ));
                registry.create_session(&serde_json::from_value(json!({"customSessionId": "s"})).unwrap()).unwrap();
                let token = registry.create_connection("s", &Default::default()).unwrap().token.unwrap();
                let (outbox, mut rx, _stuck) = Outbox::new();
                let mut connection = Connection::new(registry.clone(), outbox, "127.0.0.1".into());
                if join_first {
                    let join = json!({"jsonrpc": "2.0", "id": 100_000, "method": "joinRoom",
                        "params": {"token": token, "session": "s", "platform": "p", "metadata": "", "secret": ""}});
                    connection.handle(&join.to_string()).await;
                    let reply: Value = serde_json::from_str(&rx.try_recv().unwrap()).unwrap();
                    prop_assert!(reply.get("result").is_some(), "{reply}");
                }
                for (id, text) in frames {
                    connection.handle(&text).await;
                    let mut replies = Vec::new();
                    while let Ok(frame) = rx.try_recv() {
                        let v: Value = serde_json::from_str(&frame).unwrap();
                        prop_assert_eq!(&v["jsonrpc"], "2.0");
                        if v.get("method").is_none() {
                            prop_assert!(v.get("result").is_some() != v.get("error").is_some(), "{v}");
                            replies.push(v["id"].clone());
                        }
                    }
                    match id {
                        Some(id) => prop_assert_eq!(replies, vec![json!(id)], "{}", text),
                        None => prop_assert!(replies.len() <= 1, "{text}: {replies:?}"),
                    }
                }
                Ok(())
            })?;
        }
    }
}
