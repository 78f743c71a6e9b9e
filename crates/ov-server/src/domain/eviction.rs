//! Participants leaving, being evicted, and sessions ending.

use std::sync::Arc;

use ov_protocol::rpc::{ConnectionReason, notification, notify};

use super::Registry;
use super::events::{SessionRef, WebrtcRef};
use super::participant::{PublishedStream, StreamOptions, Subscription};
use super::session::{SessionHandle, SessionState};

/// Why a participant left or a stream ended (OpenVidu's `EndReason` names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// `leaveRoom`.
    Disconnect,
    /// A moderator's `forceDisconnect`.
    ForceDisconnectByUser,
    /// REST `DELETE …/connection/{id}`.
    ForceDisconnectByServer,
    /// REST `DELETE /sessions/{id}`.
    SessionClosedByServer,
    /// The socket dropped and did not come back in time.
    NetworkDisconnect,
    /// `unpublishVideo`.
    Unpublish,
    /// A moderator's `forceUnpublish`.
    ForceUnpublishByUser,
    /// REST `DELETE …/stream/{id}`.
    ForceUnpublishByServer,
    /// `unsubscribeFromVideo`.
    Unsubscribe,
}

impl Reason {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Disconnect => "disconnect",
            Reason::ForceDisconnectByUser => "forceDisconnectByUser",
            Reason::ForceDisconnectByServer => "forceDisconnectByServer",
            Reason::SessionClosedByServer => "sessionClosedByServer",
            Reason::NetworkDisconnect => "networkDisconnect",
            Reason::Unpublish => "unpublish",
            Reason::ForceUnpublishByUser => "forceUnpublishByUser",
            Reason::ForceUnpublishByServer => "forceUnpublishByServer",
            Reason::Unsubscribe => "unsubscribe",
        }
    }

    /// Whether the participant is told it was evicted (`participantEvicted`).
    fn evicts(self) -> bool {
        matches!(
            self,
            Reason::ForceDisconnectByUser
                | Reason::ForceDisconnectByServer
                | Reason::SessionClosedByServer
        )
    }
}

impl Registry {
    /// Removes the participant of `connection_id` from `state`, telling the others as
    /// OpenVidu does: `participantLeft` to those remaining, and for evictions
    /// `participantEvicted` to everybody who was there (the evicted one included).
    /// `before_notices` is sent to the leaver first (its own `leaveRoom` reply).
    pub(crate) fn remove_participant(
        &self,
        state: &mut SessionState,
        connection_id: &str,
        reason: Reason,
        before_notices: Option<String>,
    ) {
        let Some(at) = state.connections.iter().position(|c| c.id == connection_id) else {
            return;
        };
        let mut connection = state.connections.remove(at);
        let Some(mut participant) = connection.participant.take() else {
            return;
        };
        if let Some(frame) = before_notices {
            participant.send(frame);
        }
        let body = ConnectionReason {
            connection_id: connection_id.to_owned(),
            reason: reason.as_str().to_owned(),
        };
        if !participant.hidden {
            state.notify_all(None, &notify(notification::PARTICIPANT_LEFT, &body));
        }
        if reason.evicts() {
            let evicted = notify(notification::PARTICIPANT_EVICTED, &body);
            participant.send(evicted.clone());
            state.notify_all(None, &evicted);
        }
        let session = state.session_ref();
        for sub in &participant.subscriptions {
            let options = sub
                .established
                .then(|| state.stream_options(&sub.stream_id))
                .flatten();
            self.end_subscription(&session, connection_id, sub, options.as_ref(), reason);
        }
        if let Some(stream) = &participant.publisher {
            self.release_stream(state, connection_id, stream, reason);
        }
        if !participant.hidden {
            self.events.participant_left(
                &session,
                connection_id,
                &participant,
                &connection.settings.data,
                reason.as_str(),
            );
        }
        self.forget_rpc_session(&participant.rpc_session_id);
        tracing::info!(connection_id, reason = reason.as_str(), "participant left");
    }

    /// Closes the media of a stream that ended: its subscriptions first, then the
    /// publication itself, with their `webrtcConnectionDestroyed` events.
    pub(crate) fn release_stream(
        &self,
        state: &mut SessionState,
        owner: &str,
        stream: &PublishedStream,
        reason: Reason,
    ) {
        let session = state.session_ref();
        for c in &mut state.connections {
            let subscriber = c.id.clone();
            let Some(p) = c.participant.as_mut() else {
                continue;
            };
            p.subscriptions.retain(|s| {
                if s.stream_id != stream.id {
                    return true;
                }
                self.end_subscription(&session, &subscriber, s, Some(&stream.options), reason);
                false
            });
        }
        self.media().remove_peer(stream.peer);
        self.events.webrtc_destroyed(
            &session,
            WebrtcRef {
                stream_id: &stream.id,
                connection_id: owner,
                receiving_from: None,
                options: &stream.options,
                created_at: stream.created_at,
            },
            reason.as_str(),
        );
    }

    /// Closes a subscription's media and, if its creation was reported (it was
    /// answered), reports its end with `options`, the options of the stream received.
    pub(crate) fn end_subscription(
        &self,
        session: &SessionRef,
        subscriber: &str,
        sub: &Subscription,
        options: Option<&StreamOptions>,
        reason: Reason,
    ) {
        self.media().remove_peer(sub.peer);
        if let (true, Some(options)) = (sub.established, options) {
            self.events.webrtc_destroyed(
                session,
                WebrtcRef {
                    stream_id: &sub.stream_id,
                    connection_id: subscriber,
                    receiving_from: Some(&sub.publisher_connection),
                    options,
                    created_at: sub.created_at,
                },
                reason.as_str(),
            );
        }
    }

    /// Evicts everybody and marks the session closed (it is already out of the map).
    /// Returns the session's creation time.
    pub(crate) fn shut(&self, handle: &SessionHandle, reason: Reason) -> u64 {
        let mut state = handle.lock();
        let joined: Vec<String> = state
            .connections
            .iter()
            .filter(|c| c.is_active())
            .map(|c| c.id.clone())
            .collect();
        for id in joined {
            self.remove_participant(&mut state, &id, reason, None);
        }
        state.connections.clear();
        state.closed = true;
        state.created_at
    }

    /// Destroys a session whose last participant left (OpenVidu's `lastParticipantLeft`).
    /// Takes the map lock first, as everywhere: never while holding a session lock.
    pub(crate) fn close_if_abandoned(&self, handle: &Arc<SessionHandle>) {
        let mut map = self.map_write();
        let mut state = handle.lock();
        if state.closed || state.has_participants() || !state.was_active {
            return;
        }
        if map.get(&handle.id).is_some_and(|h| Arc::ptr_eq(h, handle)) {
            map.remove(&handle.id);
        }
        state.connections.clear();
        state.closed = true;
        self.events
            .session_destroyed(&state.session_ref(), "lastParticipantLeft");
        tracing::info!(session_id = %handle.id, "last participant left: session closed");
    }
}
