//! Participants leaving or being evicted, streams and subscriptions ending, and sessions
//! shutting: the one place where a participant's media and events are released.

use ov_protocol::ids::ConnectionId;
use ov_protocol::rpc::{ConnectionReason, notification, notify};

use super::events::WebrtcRef;
use super::participant::{PublishedStream, Subscription};
use super::reason::Reason;
use super::session::SessionState;

impl SessionState {
    /// Removes the participant of `connection_id`, telling the others as OpenVidu does:
    /// `participantLeft` to those remaining, and for evictions `participantEvicted` to
    /// everybody who was there (the evicted one included). `before_notices` is sent to
    /// the leaver first (its own `leaveRoom` reply). Its subscriptions and its stream end
    /// first, while they are still in the session.
    pub fn remove_participant(
        &mut self,
        connection_id: &ConnectionId,
        reason: Reason,
        before_notices: Option<String>,
    ) {
        self.end_subscriptions(connection_id, |_| true, reason);
        self.release_stream(connection_id, reason);
        let Some(at) = self.connections.iter().position(|c| c.id == *connection_id) else {
            return;
        };
        let connection = self.connections.remove(at);
        let Some(mut participant) = connection.participant else {
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
        if !participant.hidden {
            self.services.events.participant_left(
                &self.session_ref(),
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
        let Some(stream) = self.release_stream(owner, reason) else {
            return;
        };
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

    /// Takes the stream of `owner` out of the session and closes its media: the
    /// subscriptions to it first, then the publication, each with its
    /// `webrtcConnectionDestroyed`. Nobody is notified here.
    fn release_stream(&mut self, owner: &ConnectionId, reason: Reason) -> Option<PublishedStream> {
        let stream_id = self.participant(owner)?.publisher.as_ref()?.id.clone();
        let subscribers: Vec<ConnectionId> = self
            .connections
            .iter()
            .filter(|c| {
                c.participant
                    .as_ref()
                    .is_some_and(|p| p.subscriptions.iter().any(|s| s.stream_id == stream_id))
            })
            .map(|c| c.id.clone())
            .collect();
        for subscriber in &subscribers {
            self.end_subscriptions(subscriber, |s| s.stream_id == stream_id, reason);
        }
        let stream = self.participant_mut(owner)?.publisher.take()?;
        self.recording_on_unpublish(&stream.id);
        self.services.release_peer(stream.peer);
        self.services.events.webrtc_destroyed(
            &self.session_ref(),
            WebrtcRef {
                stream_id: &stream.id,
                connection_id: owner,
                receiving_from: None,
                options: &stream.options,
                created_at: stream.created_at,
            },
            reason.as_str(),
        );
        Some(stream)
    }

    /// Ends the subscriptions of `subscriber` that `which` selects: their media is
    /// released and, for those whose creation was reported (they were answered), their
    /// end too. Returns how many ended.
    pub(super) fn end_subscriptions(
        &mut self,
        subscriber: &ConnectionId,
        which: impl Fn(&Subscription) -> bool,
        reason: Reason,
    ) -> usize {
        let Some(p) = self.participant_mut(subscriber) else {
            return 0;
        };
        let (ended, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut p.subscriptions)
            .into_iter()
            .partition(|s| which(s));
        p.subscriptions = kept;
        let session = self.session_ref();
        for sub in &ended {
            self.services.release_peer(sub.peer);
            let Some(options) = self
                .stream_options(&sub.stream_id)
                .filter(|_| sub.established)
            else {
                continue;
            };
            self.services.events.webrtc_destroyed(
                &session,
                WebrtcRef {
                    stream_id: &sub.stream_id,
                    connection_id: subscriber,
                    receiving_from: Some(&sub.publisher_connection),
                    options: &options,
                    created_at: sub.created_at,
                },
                reason.as_str(),
            );
        }
        ended.len()
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
