//! Subscribing: the server offers a subscription (`prepareReceiveVideoFrom`), the browser
//! answers (`receiveVideoFrom`, or `reconnectStream` after a media reconnection), and
//! `unsubscribeFromVideo` ends it. Trickled ICE candidates are routed here too.
//!
//! As in publishing, engine calls happen with no lock held, between a check and a commit.

use ov_protocol::ids::{ConnectionId, StreamId};
use ov_protocol::rpc::requests::OnIceCandidateParams;
use ov_protocol::rpc::{self};
use serde_json::json;

use super::binding::{Binding, Reply};
use super::events::WebrtcRef;
use super::participant::Subscription;
use super::reason::Reason;
use super::services::{PeerOwner, PeerSide};
use super::{SessionState, SignalingError};
use crate::clock::now_ms;
use crate::media::PeerId;

/// Client candidates kept per participant for `webRtcStats`.
const MAX_KEPT_CANDIDATES: usize = 64;

impl Binding {
    /// `prepareReceiveVideoFrom`: creates the engine peer sending `stream` and answers
    /// with its offer. A new subscription to the same stream replaces the old one (a
    /// media reconnection), silently.
    pub async fn subscribe(
        &self,
        stream: &StreamId,
        reply: Reply<'_>,
    ) -> Result<(), SignalingError> {
        let (source, own_limit) = self.lock().prepare_subscribe(&self.connection_id, stream)?;
        let services = self.services();
        let (peer, offer) = services
            .media
            .add_subscriber(source, stream.to_string())
            .await?;
        if let Some(limit) = own_limit {
            services.media.set_send_bandwidth(peer, limit);
        }
        self.lock()
            .commit_subscribe(&self.connection_id, stream, peer, offer, reply)
            .inspect_err(|_| services.media.remove_peer(peer))
    }

    /// The browser's answer to a subscription offer: applied by the engine, then
    /// recorded (`webrtcConnectionCreated`, INBOUND, the first time) and answered `{}`.
    pub async fn accept_subscription_answer(
        &self,
        stream: &StreamId,
        answer: String,
        reply: Reply<'_>,
    ) -> Result<(), SignalingError> {
        let peer = self.lock().subscription_peer(&self.connection_id, stream)?;
        self.services()
            .media
            .accept_answer(peer, answer.clone())
            .await?;
        self.lock()
            .record_subscription_answer(&self.connection_id, stream, peer, answer, reply)
    }

    /// `unsubscribeFromVideo` (by the publisher's connection id).
    pub fn unsubscribe(
        &self,
        publisher: &ConnectionId,
        reply: Reply<'_>,
    ) -> Result<(), SignalingError> {
        self.lock()
            .unsubscribe(&self.connection_id, publisher, reply)
    }

    /// `onIceCandidate`: records the candidate (for `webRtcStats`), answers, and hands it
    /// to the engine peer it belongs to.
    pub fn ice_candidate(
        &self,
        params: OnIceCandidateParams,
        reply: Reply<'_>,
    ) -> Result<(), SignalingError> {
        let candidate = params.candidate.unwrap_or_default();
        let record = json!({
            "candidate": candidate,
            "sdpMid": params.sdp_mid,
            "sdpMLineIndex": params.sdp_m_line_index,
        });
        let mut state = self.lock();
        let peer = state.ice_candidate(&self.connection_id, &params.endpoint_name, record)?;
        state.send_to(&self.connection_id, reply.ok(rpc::empty()));
        if let Some(peer) = peer
            && !candidate.is_empty()
        {
            state.services.media.add_candidate(peer, candidate);
        }
        Ok(())
    }
}

impl SessionState {
    /// Before subscribing to `stream_id`: the publisher's media peer, and the subscriber's own
    /// send limit if its `kurentoOptions` set one (`Some(None)`: unconstrained).
    fn prepare_subscribe(
        &self,
        connection_id: &ConnectionId,
        stream_id: &StreamId,
    ) -> Result<(PeerId, Option<Option<u64>>), SignalingError> {
        let subscriber = self.joined(connection_id)?;
        let own_limit = subscriber
            .settings
            .kurento_options
            .as_ref()
            .and_then(|k| k.video_max_send_bandwidth)
            .map(|kbps| crate::media::send_bandwidth(u64::try_from(kbps).unwrap_or(0)));
        let resubscribing = subscriber
            .participant
            .as_ref()
            .is_some_and(|p| p.subscriptions.iter().any(|s| &s.stream_id == stream_id));
        if !resubscribing {
            let subscriptions = self
                .connections
                .iter()
                .filter_map(|c| c.participant.as_ref())
                .map(|p| p.subscriptions.len())
                .sum();
            self.services
                .config
                .limits
                .check_session_subscriptions(subscriptions)
                .map_err(SignalingError::LimitReached)?;
        }
        if let Some((_, stream)) = self.published(stream_id) {
            return Ok((stream.peer, own_limit));
        }
        let publisher_here = stream_id
            .publisher()
            .is_some_and(|owner| self.joined(&owner).is_ok());
        Err(if publisher_here {
            SignalingError::StreamNotPublished(stream_id.clone())
        } else {
            SignalingError::PublisherNotInSession(stream_id.clone())
        })
    }

    /// Records a new subscription (replacing an older one to the same stream) and answers
    /// with the server's offer.
    fn commit_subscribe(
        &mut self,
        connection_id: &ConnectionId,
        stream_id: &StreamId,
        peer: PeerId,
        offer: String,
        reply: Reply<'_>,
    ) -> Result<(), SignalingError> {
        if self.published(stream_id).is_none() {
            return Err(SignalingError::StreamNotPublished(stream_id.clone()));
        }
        let session = self.id.clone();
        let services = self.services.clone();
        let p = self.joined_mut(connection_id)?;
        // A new subscription to the same stream is a media reconnection: it replaces the
        // old peer silently (no webhook events), as OpenVidu's reconnections do.
        let (created_at, established, shown) = match p
            .subscriptions
            .iter()
            .position(|s| s.stream_id == *stream_id)
        {
            Some(old) => {
                let old = p.subscriptions.remove(old);
                services.release_peer(old.peer);
                (old.created_at, old.established, old.shown)
            }
            None => (now_ms(), false, None),
        };
        services.adopt_peer(
            peer,
            PeerOwner {
                session,
                connection: connection_id.clone(),
                stream: stream_id.clone(),
                side: PeerSide::Subscription,
            },
        );
        p.send(reply.ok(json!({"sdpOffer": offer})));
        p.subscriptions.push(Subscription {
            stream_id: stream_id.clone(),
            publisher_connection: stream_id.publisher().unwrap_or_default(),
            created_at,
            peer,
            local_sdp: offer,
            remote_sdp: None,
            established,
            shown,
        });
        if shown.is_some() {
            self.apply_video_sizes(stream_id);
        }
        Ok(())
    }

    /// The subscription to `stream_id` waiting for its answer.
    fn subscription_peer(
        &mut self,
        connection_id: &ConnectionId,
        stream_id: &StreamId,
    ) -> Result<PeerId, SignalingError> {
        self.joined_mut(connection_id)?
            .subscriptions
            .iter()
            .find(|s| s.stream_id == *stream_id)
            .map(|s| s.peer)
            .ok_or_else(|| SignalingError::NoSubscription(stream_id.clone()))
    }

    /// Keeps the browser's answer of an accepted subscription (for `webRtcStats`),
    /// reports the new connection (`webrtcConnectionCreated`, INBOUND) once, and answers.
    fn record_subscription_answer(
        &mut self,
        connection_id: &ConnectionId,
        stream_id: &StreamId,
        peer: PeerId,
        answer: String,
        reply: Reply<'_>,
    ) -> Result<(), SignalingError> {
        let options = self.stream_options(stream_id);
        let session = self.session_ref();
        let services = self.services.clone();
        let p = self.joined_mut(connection_id)?;
        p.send(reply.ok(rpc::empty()));
        // The peer may have been replaced meanwhile (a newer prepareReceiveVideoFrom).
        let Some(s) = p
            .subscriptions
            .iter_mut()
            .find(|s| s.stream_id == *stream_id && s.peer == peer)
        else {
            return Ok(());
        };
        s.remote_sdp = Some(answer);
        if !s.established
            && let Some(options) = options
        {
            s.established = true;
            services.events.webrtc_created(
                &session,
                WebrtcRef {
                    stream_id,
                    connection_id,
                    receiving_from: Some(&s.publisher_connection),
                    options: &options,
                    created_at: s.created_at,
                },
            );
        }
        Ok(())
    }

    /// `unsubscribeFromVideo`: ends every subscription of `connection_id` to streams of
    /// `publisher`.
    fn unsubscribe(
        &mut self,
        connection_id: &ConnectionId,
        publisher: &ConnectionId,
        reply: Reply<'_>,
    ) -> Result<(), SignalingError> {
        self.joined_mut(connection_id)?;
        let ended = self.end_subscriptions(
            connection_id,
            |s| s.publisher_connection == *publisher,
            Reason::Unsubscribe,
        );
        if ended == 0 {
            return Err(SignalingError::NotSubscribed(publisher.clone()));
        }
        self.send_to(connection_id, reply.ok(rpc::empty()));
        Ok(())
    }

    /// Records a client candidate and returns the media peer it belongs to: the own
    /// publisher for `endpoint == own id`, else the subscription to that connection's
    /// stream.
    fn ice_candidate(
        &mut self,
        connection_id: &ConnectionId,
        endpoint: &ConnectionId,
        candidate: serde_json::Value,
    ) -> Result<Option<PeerId>, SignalingError> {
        let p = self.joined_mut(connection_id)?;
        if p.client_candidates.len() < MAX_KEPT_CANDIDATES {
            p.client_candidates.push(candidate);
        }
        Ok(if endpoint == connection_id {
            p.publisher.as_ref().map(|s| s.peer)
        } else {
            p.subscriptions
                .iter()
                .find(|s| s.publisher_connection == *endpoint)
                .map(|s| s.peer)
        })
    }
}
