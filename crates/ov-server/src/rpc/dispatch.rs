//! The requests of one socket, method by method: each parses its typed parameters
//! (`ov_protocol::rpc::requests`), calls the domain, and reports a failure as the
//! [`SignalingError`] the domain returned. Nothing here touches a lock or the engine.

use std::sync::Arc;

use ov_protocol::rpc::requests::{self, Params};
use ov_protocol::rpc::{self, Incoming, method};
use serde_json::{Value, json};

use crate::domain::{Binding, JoinRequest, Outbox, Registry, Reply, SignalingError};

/// The signaling state of one WebSocket: which participant it speaks for, if any.
pub struct RpcSocket {
    registry: Arc<Registry>,
    outbox: Outbox,
    ip: String,
    binding: Option<Binding>,
    /// Set by `leaveRoom`: a later close is not a network drop.
    left: bool,
}

fn parse<P: Params>(params: Option<&Value>) -> Result<P, SignalingError> {
    Ok(requests::parse(params)?)
}

impl RpcSocket {
    /// A socket that has not joined yet.
    pub fn new(registry: Arc<Registry>, outbox: Outbox, ip: String) -> Self {
        RpcSocket {
            registry,
            outbox,
            ip,
            binding: None,
            left: false,
        }
    }

    /// Handles one text frame: exactly one response for every request (one with an id).
    pub async fn handle(&mut self, text: &str) {
        let incoming: Incoming = match serde_json::from_str(text) {
            Ok(i) => i,
            Err(e) => {
                self.refuse(&Value::Null, SignalingError::NotJsonRpc(e.to_string()));
                return;
            }
        };
        let Some(id) = incoming.id.clone() else {
            // Notifications or responses from the client: the browser sends neither.
            return;
        };
        let outcome = match (incoming.jsonrpc.as_deref(), incoming.method.as_deref()) {
            (Some("2.0"), Some(name)) => self.dispatch(name, &id, incoming.params.as_ref()).await,
            (Some("2.0"), None) => Err(SignalingError::NoMethod),
            _ => Err(SignalingError::WrongJsonRpcVersion),
        };
        if let Err(e) = outcome {
            tracing::debug!(method = incoming.method.as_deref().unwrap_or(""), code = e.code().code(), error = %e, "request refused");
            self.refuse(&id, e);
        }
    }

    fn refuse(&self, id: &Value, e: SignalingError) {
        self.outbox
            .send(rpc::error_response(id, e.code(), &e.to_string()));
    }

    async fn dispatch(
        &mut self,
        name: &str,
        id: &Value,
        params: Option<&Value>,
    ) -> Result<(), SignalingError> {
        match name {
            method::PING => {
                // Answered at once, without the RPC session id, as the framework does.
                self.outbox
                    .send(rpc::response(id, json!({"value": "pong"}), None));
                return Ok(());
            }
            method::JOIN_ROOM => return self.join(id, parse(params)?),
            method::CONNECT => return self.reconnect(id, parse(params)?),
            _ => {}
        }
        let binding = self.binding.clone().ok_or(SignalingError::NotJoined)?;
        let reply = Reply {
            id,
            rpc_session_id: &binding.rpc_session_id,
        };
        match name {
            method::LEAVE_ROOM => {
                self.registry.leave(&binding, reply);
                self.left = true;
                self.binding = None;
                Ok(())
            }
            method::PUBLISH_VIDEO => binding.publish(parse(params)?, reply).await,
            method::UNPUBLISH_VIDEO => binding.unpublish(reply),
            method::PREPARE_RECEIVE_VIDEO_FROM => {
                let p: requests::PrepareReceiveVideoFromParams = parse(params)?;
                binding.subscribe(&p.sender, reply).await
            }
            method::RECEIVE_VIDEO_FROM => {
                let p: requests::ReceiveVideoFromParams = parse(params)?;
                let answer = p
                    .sdp_answer
                    .ok_or(SignalingError::ServerOffersSubscriptions)?;
                binding
                    .accept_subscription_answer(&p.sender, answer, reply)
                    .await
            }
            method::UNSUBSCRIBE_FROM_VIDEO => {
                let p: requests::UnsubscribeFromVideoParams = parse(params)?;
                binding.unsubscribe(&p.sender, reply)
            }
            method::ON_ICE_CANDIDATE => binding.ice_candidate(parse(params)?, reply),
            method::SEND_MESSAGE => {
                let p: requests::SendMessageParams = parse(params)?;
                binding.signal(&p.message, reply)
            }
            method::STREAM_PROPERTY_CHANGED => {
                binding.change_stream_property(parse(params)?, reply)
            }
            method::UPDATE_SUBSCRIPTION => binding.update_subscription(parse(params)?, reply),
            method::VIDEO_DATA | method::ECHO => {
                if !binding.is_joined() {
                    return Err(SignalingError::Gone);
                }
                self.outbox.send(reply.ok(rpc::empty()));
                Ok(())
            }
            method::FORCE_DISCONNECT => {
                let p: requests::ForceDisconnectParams = parse(params)?;
                self.registry
                    .force_disconnect(&binding, &p.connection_id, reply)
            }
            method::FORCE_UNPUBLISH => {
                let p: requests::ForceUnpublishParams = parse(params)?;
                binding.force_unpublish(&p.stream_id, reply)
            }
            method::RECONNECT_STREAM => {
                let p: requests::ReconnectStreamParams = parse(params)?;
                if p.stream.ends_with(binding.connection_id.as_str()) {
                    // The own publisher: a new offer from a new RTCPeerConnection.
                    let offer = p.sdp_string.ok_or(SignalingError::MissingParam {
                        method: method::RECONNECT_STREAM,
                        key: "sdpString".into(),
                    })?;
                    binding.republish(&p.stream, offer, reply).await
                } else {
                    // A subscription: the answer to the offer of a prepareReceiveVideoFrom
                    // with reconnect=true.
                    let answer = p
                        .sdp_string
                        .ok_or(SignalingError::ServerOffersResubscriptions)?;
                    binding
                        .accept_subscription_answer(&p.stream, answer, reply)
                        .await
                }
            }
            method::APPLY_FILTER
            | method::REMOVE_FILTER
            | method::EXEC_FILTER_METHOD
            | method::ADD_FILTER_EVENT_LISTENER
            | method::REMOVE_FILTER_EVENT_LISTENER => Err(SignalingError::FiltersUnavailable),
            method::SUBSCRIBE_TO_SPEECH_TO_TEXT | method::UNSUBSCRIBE_FROM_SPEECH_TO_TEXT => {
                Err(SignalingError::SpeechToTextUnavailable)
            }
            other => Err(SignalingError::UnknownMethod(crate::logging::sanitize(
                other, 100,
            ))),
        }
    }

    fn join(&mut self, id: &Value, p: requests::JoinRoomParams) -> Result<(), SignalingError> {
        if self.binding.is_some() {
            return Err(SignalingError::AlreadyJoined);
        }
        let request = JoinRequest {
            token: p.token,
            platform: p.platform.unwrap_or_else(|| "unknown".to_owned()),
            metadata: p.metadata.unwrap_or_default(),
            secret: p.secret.unwrap_or_default(),
            recorder: p.recorder.unwrap_or(false),
            ip: self.ip.clone(),
        };
        let binding = self
            .registry
            .join(&p.session, request, self.outbox.clone(), id)?;
        self.binding = Some(binding);
        self.left = false;
        Ok(())
    }

    fn reconnect(&mut self, id: &Value, p: requests::ConnectParams) -> Result<(), SignalingError> {
        let rpc_session_id = p.session_id.unwrap_or_default();
        let binding = self
            .registry
            .reattach(&rpc_session_id, self.outbox.clone(), id)?;
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
        let Some(generation) = binding.detach(self.outbox.socket_id()) else {
            return;
        };
        let grace = self.registry.config().reconnection_grace;
        tracing::info!(session_id = %binding.session.id, connection_id = %binding.connection_id, ?grace, "socket dropped; waiting for a reconnection");
        let registry = self.registry;
        tokio::spawn(async move {
            tokio::time::sleep(grace).await;
            registry.expire_detached(&binding, generation);
        });
    }
}
