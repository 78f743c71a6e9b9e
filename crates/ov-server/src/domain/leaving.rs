//! Participants leaving or being evicted, streams and subscriptions ending, and sessions
//! shutting: the one place where a participant's media and events are released.

use ov_protocol::ids::ConnectionId;
use ov_protocol::rpc::{ConnectionReason, notification, notify};

use super::events::{SessionRef, WebrtcRef};
use super::participant::{PublishedStream, StreamOptions, Subscription};
use super::reason::Reason;
use super::services::Services;
use super::session::SessionState;

impl SessionState {
    /// Removes the participant of `connection_id`, telling the others as OpenVidu does:
    /// `participantLeft` to those remaining, and for evictions `participantEvicted` to
    /// everybody who was there (the evicted one included). `before_notices` is sent to
    /// the leaver first (its own `leaveRoom` reply).
    pub fn remove_participant(
        &mut self,
        connection_id: &ConnectionId,
        reason: Reason,
        before_notices: Option<String>,
    ) {
        let Some(at) = self.connections.iter().position(|c| c.id == *connection_id) else {
            return;
        };
        let mut connection = self.connections.remove(at);
        let Some(mut participant) = connection.participant.take() else {
            return;
        };
        if let Some(frame) = before_notices {
            participant.send(frame);
        }
        let body = ConnectionReason {
            connection_id: connection.id.clone(),
            reason: reason.as_str().to_owned(),
        };
        if !participant.hidden {
            self.notify_all(None, &notify(notification::PARTICIPANT_LEFT, &body));
        }
        if reason.evicts() {
            let evicted = notify(notification::PARTICIPANT_EVICTED, &body);
            participant.send(evicted.clone());
            self.notify_all(None, &evicted);
        }
        let session = self.session_ref();
        for sub in &participant.subscriptions {
            let options = sub
                .established
                .then(|| self.stream_options(&sub.stream_id))
                .flatten();
            end_subscription(
                &self.services,
                &session,
                connection_id,
                sub,
                options.as_ref(),
                reason,
            );
        }
        if let Some(stream) = &participant.publisher {
            self.release_stream(connection_id, stream, reason);
        }
        if !participant.hidden {
            self.services.events.participant_left(
                &session,
                connection_id,
                &participant,
                &connection.settings.data,
                reason.as_str(),
            );
        }
        self.services
            .forget_rpc_session(&participant.rpc_session_id);
        tracing::info!(session_id = %self.id, %connection_id, reason = reason.as_str(), "participant left");
    }

    /// Ends the stream of `owner`: closes its media and its subscriptions, and sends
    /// `participantUnpublished` (to the others for `unpublish`, to everyone otherwise, so
    /// that the owner's browser drops its publisher).
    pub fn end_stream(&mut self, owner: &ConnectionId, reason: Reason) {
        let Some(stream) = self.participant_mut(owner).and_then(|p| p.publisher.take()) else {
            return;
        };
        self.release_stream(owner, &stream, reason);
        let frame = notify(
            notification::PARTICIPANT_UNPUBLISHED,
            ConnectionReason {
                connection_id: owner.clone(),
                reason: reason.as_str().to_owned(),
            },
        );
        let except = (!reason.tells_owner()).then_some(owner);
        self.notify_all(except, &frame);
        tracing::info!(session_id = %self.id, connection_id = %owner, stream_id = %stream.id, reason = reason.as_str(), "stream ended");
    }

    /// Closes the media of a stream that ended: its subscriptions first, then the
    /// publication itself, with their `webrtcConnectionDestroyed` events.
    fn release_stream(&mut self, owner: &ConnectionId, stream: &PublishedStream, reason: Reason) {
        let session = self.session_ref();
        let services = self.services.clone();
        for c in &mut self.connections {
            let subscriber = c.id.clone();
            let Some(p) = c.participant.as_mut() else {
                continue;
            };
            p.subscriptions.retain(|s| {
                if s.stream_id != stream.id {
                    return true;
                }
                end_subscription(
                    &services,
                    &session,
                    &subscriber,
                    s,
                    Some(&stream.options),
                    reason,
                );
                false
            });
        }
        services.release_peer(stream.peer);
        services.events.webrtc_destroyed(
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

    /// Evicts everybody and marks the session closed (the caller took it out of the map).
    pub fn shut(&mut self, reason: Reason) {
        let joined: Vec<_> = self
            .connections
            .iter()
            .filter(|c| c.is_active())
            .map(|c| c.id.clone())
            .collect();
        for id in joined {
            self.remove_participant(&id, reason, None);
        }
        self.connections.clear();
        self.closed = true;
    }
}

/// Closes a subscription's media and, if its creation was reported (it was answered),
/// reports its end with `options`, the options of the stream received.
pub(super) fn end_subscription(
    services: &Services,
    session: &SessionRef,
    subscriber: &ConnectionId,
    sub: &Subscription,
    options: Option<&StreamOptions>,
    reason: Reason,
) {
    services.release_peer(sub.peer);
    if let (true, Some(options)) = (sub.established, options) {
        services.events.webrtc_destroyed(
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
