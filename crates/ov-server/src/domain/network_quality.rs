//! OpenVidu Pro's `networkQualityLevelChanged`, for every connection with media: every
//! `OPENVIDU_PRO_NETWORK_QUALITY_INTERVAL` each participant's level is sampled from the
//! statistics of its peers, its publisher and its subscriptions
//! ([`ov_media::NetworkQuality`]), and each change is sent to every participant of the
//! session (openvidu-browser emits it on the Session, for its own connection and for
//! remote ones). The first level of a connection goes out too, with itself as `oldValue`.
//! OpenVidu Pro rates publishers only; a participant who only watches is rated here by
//! its subscriptions' links.

use std::time::Instant;

use ov_protocol::rpc::{NetworkQualityLevelChanged, notification, notify};

use super::{Registry, SessionState};

impl Registry {
    /// Samples the network quality of every participant of every session.
    pub fn sample_network_quality(&self, now: Instant) {
        for handle in self.session_handles() {
            if let Ok(mut state) = handle.lock_open() {
                state.sample_network_quality(now);
            }
        }
    }
}

impl SessionState {
    fn sample_network_quality(&mut self, now: Instant) {
        let media = &self.services.media;
        let mut changes = Vec::new();
        for c in &mut self.connections {
            let Some(p) = c.participant.as_mut().filter(|p| !p.hidden) else {
                continue;
            };
            let peers: Vec<_> = p
                .publisher
                .iter()
                .map(|s| s.peer)
                .chain(p.subscriptions.iter().map(|s| s.peer))
                .filter_map(|peer| Some((peer, media.stats(peer)?)))
                .collect();
            if let Some(change) = p
                .network_quality
                .update(now, peers.iter().map(|(id, s)| (*id, s)))
            {
                tracing::debug!(session_id = %self.id, connection_id = %c.id, old = ?change.old, new = change.new, "network quality level");
                changes.push(NetworkQualityLevelChanged {
                    connection_id: c.id.clone(),
                    new_value: change.new,
                    old_value: change.old.unwrap_or(change.new),
                });
            }
        }
        for change in changes {
            let frame = notify(notification::NETWORK_QUALITY_LEVEL_CHANGED, change);
            self.notify_all(None, &frame);
        }
    }
}
