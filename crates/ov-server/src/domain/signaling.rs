//! Joining, leaving, reconnecting and stream properties: the signaling side of a
//! participant's life (signals are in `signals`).

use std::sync::Arc;

use ov_protocol::rest::Role;
use ov_protocol::rpc::{
    self, ErrorCode, JoinRoomResult, StreamPropertyChanged, notification, notify,
};
use ov_protocol::token::TokenUrl;
use serde_json::Value;

use super::eviction::Reason;
use super::outbox::{Delivery, Outbox};
use super::participant::{Participant, remote_view};
use super::properties::ConnectionSettings;
use super::session::SessionHandle;
use super::{ConnectionState, Registry, SignalingError};
use crate::clock::now_ms;
use crate::ids;

/// A socket's link to its participant.
#[derive(Debug, Clone)]
pub struct Binding {
    /// The session.
    pub session: Arc<SessionHandle>,
    /// The participant's connection id.
    pub connection_id: String,
    /// The JSON-RPC session id.
    pub rpc_session_id: String,
}

/// How to answer the request being handled.
#[derive(Debug, Clone, Copy)]
pub struct Reply<'a> {
    /// The request id.
    pub id: &'a Value,
    /// The RPC session id to add to object results.
    pub rpc_session_id: &'a str,
}

impl Reply<'_> {
    /// A success frame with `result`.
    pub fn ok(&self, result: Value) -> String {
        rpc::response(self.id, result, Some(self.rpc_session_id))
    }
}

/// The parameters of `joinRoom` the server uses.
#[derive(Debug, Clone)]
pub struct JoinRequest {
    /// `session`.
    pub session_id: String,
    /// `token`: the whole token URL.
    pub token: String,
    /// `platform`.
    pub platform: String,
    /// `metadata` (client data).
    pub metadata: String,
    /// `secret` (joins with the server secret).
    pub secret: String,
    /// `recorder`.
    pub recorder: bool,
    /// The client's IP address.
    pub ip: String,
}

impl Registry {
    /// `joinRoom`: consumes the token, makes the participant active, answers it and tells
    /// the others. The reply is queued before any notification concerning others.
    pub fn join(
        &self,
        request: JoinRequest,
        outbox: Outbox,
        request_id: &Value,
    ) -> Result<Binding, SignalingError> {
        let sid = &request.session_id;
        let handle = self.session(sid).ok_or_else(|| {
            SignalingError::new(
                ErrorCode::RoomNotFound,
                format!("Unable to join session. Session {sid} cannot be found"),
            )
        })?;
        let mut state = handle.lock();
        if state.closed {
            return Err(SignalingError::new(
                ErrorCode::RoomClosed,
                format!("Unable to join the session. Session {sid} is closed"),
            ));
        }
        let invalid_token = || {
            SignalingError::new(
                ErrorCode::UserUnauthorized,
                format!(
                    "Unable to join session {sid}. Token {} is not valid",
                    request.token
                ),
            )
        };
        let secret_join = !request.secret.is_empty() && request.secret == self.config().secret;
        let connection_id = if secret_join {
            // A join with the server secret (the recording bot, tools): a connection is
            // minted on the spot, with every permission.
            let id = if request.recorder {
                ov_protocol::ids::RECORDER_CONNECTION_ID.to_owned()
            } else {
                ids::connection_id()
            };
            if state.connection(&id).is_some() {
                return Err(SignalingError::new(
                    ErrorCode::ExistingUserInRoom,
                    format!("Connection {id} is already in session {sid}"),
                ));
            }
            let settings = ConnectionSettings::resolve(&Default::default(), self.config())
                .map_err(|e| SignalingError::new(ErrorCode::TokenCannotBeCreated, e.to_string()))?;
            state.connections.push(ConnectionState {
                id: id.clone(),
                token_id: String::new(),
                token: request.token.clone(),
                created_at: now_ms(),
                settings: ConnectionSettings {
                    role: Role::Moderator,
                    ..settings
                },
                participant: None,
            });
            id
        } else {
            let token_id = TokenUrl::parse(&request.token)
                .ok()
                .and_then(|t| t.token_id)
                .ok_or_else(invalid_token)?;
            state
                .connections
                .iter()
                .find(|c| {
                    c.participant.is_none() && !c.token_id.is_empty() && c.token_id == token_id
                })
                .map(|c| c.id.clone())
                .ok_or_else(invalid_token)?
        };
        let rpc_session_id = ids::rpc_session_id();
        let now = now_ms();
        let others = state
            .connections
            .iter()
            .filter(|c| c.id != connection_id && c.is_visible())
            .filter_map(|c| {
                c.participant
                    .as_ref()
                    .map(|p| remote_view(&c.id, p, &c.settings.data, true))
            })
            .collect();
        let connection = state.connection_mut(&connection_id).expect("found above");
        let settings = connection.settings.clone();
        let mut participant = Participant {
            rpc_session_id: rpc_session_id.clone(),
            active_at: now,
            ip: request.ip.clone(),
            platform: request.platform.clone(),
            client_data: request.metadata.clone(),
            hidden: secret_join && request.recorder,
            delivery: Delivery::Attached(outbox),
            publisher: None,
            subscriptions: Vec::new(),
            client_candidates: Vec::new(),
        };
        let result = JoinRoomResult {
            id: connection_id.clone(),
            created_at: now,
            metadata: rpc::full_metadata(&request.metadata, &settings.data),
            value: others,
            session: sid.clone(),
            version: ov_protocol::OPENVIDU_VERSION.to_owned(),
            media_server: "mediasoup".to_owned(),
            video_simulcast: false,
            record: settings.record,
            role: settings.role.as_str().to_owned(),
            custom_ice_servers: settings.custom_ice_servers.clone(),
            final_user_id: rpc_session_id[..16].to_uppercase(),
        };
        participant.send(rpc::response(
            request_id,
            serde_json::to_value(&result).expect("serializable"),
            Some(&rpc_session_id),
        ));
        let joined = (!participant.hidden).then(|| {
            notify(
                notification::PARTICIPANT_JOINED,
                remote_view(&connection_id, &participant, &settings.data, false),
            )
        });
        connection.participant = Some(participant);
        state.was_active = true;
        if let Some(frame) = joined {
            state.notify_all(Some(&connection_id), &frame);
            if let Some(p) = state
                .connection(&connection_id)
                .and_then(|c| c.participant.as_ref())
            {
                self.events.participant_joined(
                    &state.session_ref(),
                    &connection_id,
                    p,
                    &settings.data,
                );
            }
        }
        drop(state);
        self.remember_rpc_session(&rpc_session_id, sid, &connection_id);
        tracing::info!(session_id = %sid, connection_id = %connection_id, ip = %request.ip, platform = %request.platform, "participant joined");
        Ok(Binding {
            session: handle,
            connection_id,
            rpc_session_id,
        })
    }

    /// `leaveRoom`: answers, then tells the others (`participantLeft`, `disconnect`).
    pub fn leave(&self, binding: &Binding, reply: Reply<'_>) {
        self.remove_bound(binding, Reason::Disconnect, Some(reply.ok(rpc::empty())));
    }

    /// Removes the bound participant, then destroys the session if it was the last.
    fn remove_bound(&self, binding: &Binding, reason: Reason, reply: Option<String>) {
        let mut state = binding.session.lock();
        self.remove_participant(&mut state, &binding.connection_id, reason, reply);
        drop(state);
        self.close_if_abandoned(&binding.session);
    }

    /// The socket of `binding` closed without `leaveRoom`: keep the participant, buffer
    /// its frames, and return the generation the eviction timer must match.
    pub fn detach(&self, binding: &Binding, socket_id: u64) -> Option<u64> {
        let mut state = binding.session.lock();
        let p = state.participant_mut(&binding.connection_id)?;
        if p.delivery.socket_id() != Some(socket_id) {
            // Already re-attached to a newer socket.
            return None;
        }
        static GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let generation = GENERATION.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        p.delivery = Delivery::Detached {
            buffer: Vec::new(),
            generation,
        };
        Some(generation)
    }

    /// The grace period after a detach ended: evict with `networkDisconnect` unless the
    /// participant reconnected meanwhile.
    pub fn expire_detached(&self, binding: &Binding, generation: u64) {
        let still_detached = {
            let mut state = binding.session.lock();
            state
                .participant_mut(&binding.connection_id)
                .is_some_and(|p| matches!(p.delivery, Delivery::Detached { generation: g, .. } if g == generation))
        };
        if still_detached {
            self.remove_bound(binding, Reason::NetworkDisconnect, None);
        }
    }

    /// `connect` on a new socket: re-binds the participant of `rpc_session_id` to
    /// `outbox`, answering and then delivering what was kept meanwhile.
    pub fn reattach(
        &self,
        rpc_session_id: &str,
        outbox: Outbox,
        request_id: &Value,
    ) -> Result<Binding, SignalingError> {
        let reconnection_error =
            || SignalingError::new(ErrorCode::ReconnectionError, "reconnection error");
        let (session_id, connection_id) = self
            .rpc_session(rpc_session_id)
            .ok_or_else(reconnection_error)?;
        let handle = self.session(&session_id).ok_or_else(reconnection_error)?;
        let mut state = handle.lock();
        let p = state
            .participant_mut(&connection_id)
            .filter(|p| p.rpc_session_id == rpc_session_id)
            .ok_or_else(reconnection_error)?;
        let buffered = match std::mem::replace(&mut p.delivery, Delivery::Attached(outbox.clone()))
        {
            Delivery::Detached { buffer, .. } => buffer,
            Delivery::Attached(_) => Vec::new(),
        };
        outbox.send(rpc::response(
            request_id,
            serde_json::json!({"value": "reconnection successful"}),
            Some(rpc_session_id),
        ));
        for frame in buffered {
            outbox.send(frame);
        }
        tracing::info!(session_id = %session_id, connection_id = %connection_id, "participant reconnected");
        Ok(Binding {
            session: handle.clone(),
            connection_id,
            rpc_session_id: rpc_session_id.to_owned(),
        })
    }

    /// `streamPropertyChanged`: records the change and tells the others.
    pub fn stream_property_changed(
        &self,
        binding: &Binding,
        property: &str,
        new_value: &Value,
        reason: &str,
        reply: Reply<'_>,
    ) -> Result<(), SignalingError> {
        let mut state = binding.session.lock();
        let p = state
            .participant_mut(&binding.connection_id)
            .ok_or_else(SignalingError::gone)?;
        let stream = p.publisher.as_mut().ok_or_else(|| {
            SignalingError::new(
                ErrorCode::UserNotStreaming,
                "streamPropertyChanged: this participant is not publishing",
            )
        })?;
        let o = &mut stream.options;
        match (property, new_value) {
            ("audioActive", Value::Bool(b)) => o.audio_active = *b,
            ("videoActive", Value::Bool(b)) => o.video_active = *b,
            ("videoDimensions", Value::String(d)) => o.video_dimensions = Some(d.clone()),
            ("audioActive" | "videoActive" | "videoDimensions", _) => {
                return Err(SignalingError::new(
                    ErrorCode::Uncaught,
                    format!("streamPropertyChanged: wrong type of 'newValue' for '{property}'"),
                ));
            }
            _ => {}
        }
        let body = StreamPropertyChanged {
            connection_id: binding.connection_id.clone(),
            stream_id: stream.id.clone(),
            property: property.to_owned(),
            new_value: rpc::encode_property_value(property, new_value),
            reason: reason.to_owned(),
        };
        p.send(reply.ok(rpc::empty()));
        state.notify_all(
            Some(&binding.connection_id),
            &notify(notification::STREAM_PROPERTY_CHANGED, &body),
        );
        Ok(())
    }

    /// `forceDisconnect` by a moderator.
    pub fn force_disconnect(
        &self,
        binding: &Binding,
        target: &str,
        reply: Reply<'_>,
    ) -> Result<(), SignalingError> {
        let mut state = binding.session.lock();
        state.require_moderator(&binding.connection_id, "force disconnect")?;
        if !state.connection(target).is_some_and(|c| c.is_active()) {
            return Err(SignalingError::new(
                ErrorCode::UserNotFound,
                format!(
                    "Connection {target} is not in session {}",
                    binding.session.id
                ),
            ));
        }
        state.send_to(&binding.connection_id, reply.ok(rpc::empty()));
        self.remove_participant(&mut state, target, Reason::ForceDisconnectByUser, None);
        drop(state);
        self.close_if_abandoned(&binding.session);
        Ok(())
    }

    /// Records a client candidate (for `webRtcStats`) and returns the media peer it belongs
    /// to: the own publisher for `endpoint == own id`, else the subscription to that
    /// connection's stream.
    pub fn ice_candidate(
        &self,
        binding: &Binding,
        endpoint: &str,
        candidate: Value,
    ) -> Result<Option<crate::media::PeerId>, SignalingError> {
        let mut state = binding.session.lock();
        let p = state
            .participant_mut(&binding.connection_id)
            .ok_or_else(SignalingError::gone)?;
        const MAX_KEPT: usize = 64;
        if p.client_candidates.len() < MAX_KEPT {
            p.client_candidates.push(candidate);
        }
        let peer = if endpoint == binding.connection_id {
            p.publisher.as_ref().map(|s| s.peer)
        } else {
            p.subscriptions
                .iter()
                .find(|s| s.publisher_connection == endpoint)
                .map(|s| s.peer)
        };
        Ok(peer)
    }

    /// Whether the bound participant is still in its session.
    pub fn is_bound(&self, binding: &Binding) -> bool {
        binding
            .session
            .lock()
            .connection(&binding.connection_id)
            .is_some_and(|c| c.is_active())
    }
}
