//! A participant's presence: `joinRoom`, a dropped socket's grace period, `connect` on a
//! new socket, and `leaveRoom`.

use ov_protocol::ids::{ConnectionId, SessionId};
use ov_protocol::rest::Role;
use ov_protocol::rpc::{self, JoinRoomResult, notification, notify};
use ov_protocol::token::TokenUrl;
use serde_json::Value;

use super::binding::{Binding, Reply};
use super::outbox::{Delivery, Outbox};
use super::participant::{Participant, remote_view};
use super::reason::Reason;
use super::session::SessionState;
use super::settings::ConnectionSettings;
use super::{ConnectionState, Registry, SignalingError};
use crate::clock::now_ms;
use crate::ids;
use crate::media::NetworkQuality;
use crate::rate::TokenBucket;

/// The parameters of `joinRoom` the server uses.
#[derive(Debug, Clone)]
pub struct JoinRequest {
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
    /// `joinRoom` of session `session_id`: finds the session, then joins it.
    pub fn join(
        &self,
        session_id: &SessionId,
        request: JoinRequest,
        outbox: Outbox,
        request_id: &Value,
    ) -> Result<Binding, SignalingError> {
        let handle = self
            .session(session_id)
            .ok_or_else(|| SignalingError::SessionNotFound(session_id.clone()))?;
        let (connection_id, rpc_session_id) = handle.lock().join(request, outbox, request_id)?;
        Ok(Binding {
            session: handle,
            connection_id,
            rpc_session_id,
        })
    }

    /// `connect` on a new socket: re-binds the participant of `rpc_session_id` to
    /// `outbox`, answering and then delivering what was kept meanwhile.
    pub fn reattach(
        &self,
        rpc_session_id: &str,
        outbox: Outbox,
        request_id: &Value,
    ) -> Result<Binding, SignalingError> {
        let (handle, connection_id) = self
            .rpc_session(rpc_session_id)
            .ok_or(SignalingError::ReconnectionFailed)?;
        handle
            .lock()
            .reattach(&connection_id, rpc_session_id, outbox, request_id)?;
        Ok(Binding {
            session: handle,
            connection_id,
            rpc_session_id: rpc_session_id.to_owned(),
        })
    }

    /// `leaveRoom`: answers, then tells the others (`participantLeft`, `disconnect`).
    pub fn leave(&self, binding: &Binding, reply: Reply<'_>) {
        self.remove_bound(binding, Reason::Disconnect, Some(reply.ok(rpc::empty())));
    }

    /// The grace period after a detach ended: evict with `networkDisconnect` unless the
    /// participant reconnected meanwhile.
    pub fn expire_detached(&self, binding: &Binding, generation: u64) {
        let still_detached = binding
            .session
            .lock()
            .is_detached(&binding.connection_id, generation);
        if still_detached {
            self.remove_bound(binding, Reason::NetworkDisconnect, None);
        }
    }

    /// Removes the bound participant, then destroys the session if it was the last.
    fn remove_bound(&self, binding: &Binding, reason: Reason, reply: Option<String>) {
        binding
            .session
            .lock()
            .remove_participant(&binding.connection_id, reason, reply);
        self.close_if_abandoned(&binding.session);
    }
}

impl Binding {
    /// The socket closed without `leaveRoom`: keep the participant, buffer its frames,
    /// and return the generation the eviction timer must match (`None` if a newer socket
    /// took over already).
    pub fn detach(&self, socket_id: u64) -> Option<u64> {
        self.lock().detach(&self.connection_id, socket_id)
    }
}

impl SessionState {
    /// `joinRoom`: consumes the token, makes the participant active, answers it and tells
    /// the others. The reply is queued before any notification concerning others.
    /// Returns the connection and the JSON-RPC session id.
    pub fn join(
        &mut self,
        request: JoinRequest,
        outbox: Outbox,
        request_id: &Value,
    ) -> Result<(ConnectionId, String), SignalingError> {
        if self.closed {
            return Err(SignalingError::SessionClosed(self.id.clone()));
        }
        let secret_join =
            !request.secret.is_empty() && request.secret == self.services.config.secret;
        let connection_id = if secret_join {
            self.mint_secret_connection(&request)?
        } else {
            self.connection_of_token(&request.token)?
        };
        let rpc_session_id = ids::rpc_session_id();
        let now = now_ms();
        let others = self
            .connections
            .iter()
            .filter(|c| c.id != connection_id && c.is_visible())
            .filter_map(|c| {
                c.participant
                    .as_ref()
                    .map(|p| remote_view(&c.id, p, &c.settings.data, true))
            })
            .collect();
        let session_id = self.id.clone();
        let signal_rate = self
            .services
            .config
            .limits
            .signals_per_second
            .map(|rate| TokenBucket::new(rate, std::time::Instant::now()));
        let services = self.services.clone();
        let (recording_id, recording_name) = self.recording_for_joiner(&connection_id);
        let connection = self.connection_mut(&connection_id).expect("found above");
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
            signal_rate,
            network_quality: NetworkQuality::default(),
        };
        let result = JoinRoomResult {
            id: connection_id.clone(),
            created_at: now,
            metadata: rpc::full_metadata(&request.metadata, &settings.data),
            value: others,
            session: session_id.clone(),
            version: ov_protocol::OPENVIDU_VERSION.to_owned(),
            media_server: "mediasoup".to_owned(),
            video_simulcast: services.config.streams.simulcast,
            record: settings.record,
            role: settings.role.as_str().to_owned(),
            // OpenVidu: the connection's own (or OPENVIDU_WEBRTC_ICE_SERVERS), else the
            // deployment's TURN server with fresh credentials.
            custom_ice_servers: if settings.custom_ice_servers.is_empty() {
                services.default_ice_servers()
            } else {
                settings.custom_ice_servers.clone()
            },
            final_user_id: rpc_session_id[..16].to_uppercase(),
            recording_id,
            recording_name,
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
        self.was_active = true;
        if let Some(frame) = joined {
            self.notify_all(Some(&connection_id), &frame);
            let session = self.session_ref();
            if let Some(p) = self.participant(&connection_id) {
                self.services.events.participant_joined(
                    &session,
                    &connection_id,
                    p,
                    &settings.data,
                );
            }
        }
        self.services.remember_rpc_session(
            &rpc_session_id,
            session_id.clone(),
            connection_id.clone(),
        );
        tracing::info!(session_id = %session_id, connection_id = %connection_id, ip = %request.ip, platform = %request.platform, "participant joined");
        Ok((connection_id, rpc_session_id))
    }

    /// A join with the server secret (the recording bot, tools): a connection is minted on
    /// the spot. As in OpenVidu its role is SUBSCRIBER, but it passes every permission
    /// check (spec §1.5).
    fn mint_secret_connection(
        &mut self,
        request: &JoinRequest,
    ) -> Result<ConnectionId, SignalingError> {
        let id = if request.recorder {
            ConnectionId::from(ov_protocol::ids::RECORDER_CONNECTION_ID)
        } else {
            ids::connection_id()
        };
        if self.connection(&id).is_some() {
            return Err(SignalingError::ConnectionInUse {
                session: self.id.clone(),
                connection: id,
            });
        }
        self.services
            .config
            .limits
            .check_session_connections(self.connections.len())
            .map_err(SignalingError::LimitReached)?;
        let settings = ConnectionSettings::resolve(&Default::default(), &self.services.config)
            .map_err(|e| SignalingError::ConnectionSettings(e.to_string()))?;
        self.connections.push(ConnectionState {
            id: id.clone(),
            token_id: String::new(),
            token: request.token.clone(),
            created_at: now_ms(),
            settings: ConnectionSettings {
                role: Role::Subscriber,
                ..settings
            },
            insecure: true,
            participant: None,
        });
        Ok(id)
    }

    /// The pending connection whose token is `token`.
    fn connection_of_token(&self, token: &str) -> Result<ConnectionId, SignalingError> {
        let invalid = || SignalingError::InvalidToken {
            session: self.id.clone(),
            token: token.to_owned(),
        };
        let token_id = TokenUrl::parse(token)
            .ok()
            .and_then(|t| t.token_id)
            .ok_or_else(invalid)?;
        self.connections
            .iter()
            .find(|c| c.participant.is_none() && !c.token_id.is_empty() && c.token_id == token_id)
            .map(|c| c.id.clone())
            .ok_or_else(invalid)
    }

    /// The socket of `connection_id` closed without `leaveRoom`: keep the participant,
    /// buffer its frames, and return the generation the eviction timer must match.
    pub fn detach(&mut self, connection_id: &ConnectionId, socket_id: u64) -> Option<u64> {
        let p = self.participant_mut(connection_id)?;
        if p.delivery.socket_id() != Some(socket_id) {
            // Already re-attached to a newer socket.
            return None;
        }
        static GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let generation = GENERATION.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        p.delivery = Delivery::Detached {
            kept: Default::default(),
            generation,
        };
        Some(generation)
    }

    /// Whether `connection_id` is still detached since the detach of `generation`.
    pub fn is_detached(&self, connection_id: &ConnectionId, generation: u64) -> bool {
        self.participant(connection_id).is_some_and(
            |p| matches!(p.delivery, Delivery::Detached { generation: g, .. } if g == generation),
        )
    }

    /// Re-binds `connection_id` to `outbox`: answers `connect`, then delivers what was
    /// kept while it was away.
    pub fn reattach(
        &mut self,
        connection_id: &ConnectionId,
        rpc_session_id: &str,
        outbox: Outbox,
        request_id: &Value,
    ) -> Result<(), SignalingError> {
        let p = self
            .participant_mut(connection_id)
            .filter(|p| p.rpc_session_id == rpc_session_id)
            .ok_or(SignalingError::ReconnectionFailed)?;
        if matches!(&p.delivery, Delivery::Detached { kept, .. } if kept.overflowed()) {
            // Too much happened while it was away; it is evicted when its grace ends.
            tracing::info!(session_id = %self.id, %connection_id, "reconnection refused: the frames kept for it overflowed");
            return Err(SignalingError::ReconnectionFailed);
        }
        let buffered = match std::mem::replace(&mut p.delivery, Delivery::Attached(outbox.clone()))
        {
            Delivery::Detached { kept, .. } => kept.into_frames().unwrap_or_default(),
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
        tracing::info!(session_id = %self.id, %connection_id, "participant reconnected");
        Ok(())
    }
}
