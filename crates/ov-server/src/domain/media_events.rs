//! What the media engine tells the domain. The engine closes a peer that never connects,
//! whose DTLS fails, that stays disconnected too long, or a publisher's closed peer that
//! its browser did not replace by a media reconnection in time; the domain then ends the
//! stream or subscription that peer carried, as if the publisher or subscriber had ended
//! it, with OpenVidu's reason for it. Every event is found a home through the peer index
//! ([`Services::peer_owner`](super::services::Services::peer_owner)); events of peers the
//! domain already let go of are ignored.

use std::sync::Arc;
use std::time::Duration;

use super::reason::Reason;
use super::services::{PeerOwner, PeerSide};
use super::{Registry, SessionState};
use crate::media::{CloseReason, MediaEvent, PeerId};

/// How long a subscription whose browser closed its DTLS is kept before it is ended. A
/// leaving browser sends `leaveRoom` (or `unsubscribeFromVideo`) and closes its peer
/// connections at once; the close can overtake the request, and the subscription must
/// then end for the request's reason (`disconnect`), not as a media failure.
const CLOSED_SUBSCRIPTION_GRACE: Duration = Duration::from_secs(2);

impl Registry {
    /// Handles one event of a media worker.
    pub fn on_media_event(self: &Arc<Self>, event: MediaEvent) {
        if let MediaEvent::Closed(peer, CloseReason::Failed) = event
            && self
                .services()
                .peer_owner(peer)
                .is_some_and(|o| o.side == PeerSide::Subscription)
        {
            let registry = self.clone();
            tokio::spawn(async move {
                tokio::time::sleep(CLOSED_SUBSCRIPTION_GRACE).await;
                registry.handle_media_event(event);
            });
            return;
        }
        self.handle_media_event(event);
    }

    fn handle_media_event(&self, event: MediaEvent) {
        let peer = event.peer();
        let Some(owner) = self.services().peer_owner(peer) else {
            tracing::debug!(%peer, ?event, "media event of a peer no longer in use");
            return;
        };
        let (session_id, connection_id, stream_id, side) =
            (&owner.session, &owner.connection, &owner.stream, owner.side);
        match event {
            MediaEvent::Connected(_) => {
                tracing::debug!(%session_id, %connection_id, %stream_id, ?side, %peer, "media connected");
            }
            MediaEvent::Disconnected(_) => {
                tracing::info!(%session_id, %connection_id, %stream_id, ?side, %peer, "media disconnected; waiting for it to come back");
            }
            MediaEvent::Closed(_, close) => {
                let reason = Reason::from(close);
                tracing::info!(%session_id, %connection_id, %stream_id, ?side, %peer, ?close, reason = reason.as_str(), "media connection ended by the server");
                if let Some(handle) = self.session(session_id) {
                    handle.lock().end_peer(peer, &owner, reason);
                }
            }
        }
    }
}

impl SessionState {
    /// Ends what `peer` carried, if it still does.
    fn end_peer(&mut self, peer: PeerId, owner: &PeerOwner, reason: Reason) {
        match owner.side {
            PeerSide::Publication => {
                let carried = self
                    .participant(&owner.connection)
                    .and_then(|p| p.publisher.as_ref())
                    .is_some_and(|s| s.peer == peer);
                if carried {
                    self.end_stream(&owner.connection, reason);
                }
            }
            PeerSide::Subscription => self.end_subscription_of(peer, owner, reason),
        }
    }

    /// Ends the subscription carried by `peer`. The browser is not told: OpenVidu has no
    /// notification for it, and its peer connection is gone anyway.
    fn end_subscription_of(&mut self, peer: PeerId, owner: &PeerOwner, reason: Reason) {
        if self.end_subscriptions(&owner.connection, |s| s.peer == peer, reason) > 0 {
            tracing::info!(session_id = %self.id, connection_id = %owner.connection, stream_id = %owner.stream, reason = reason.as_str(), "subscription ended");
        }
    }
}
