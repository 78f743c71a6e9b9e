//! Runs the [allocator](crate::allocator) of a subscription when str0m has a new estimate
//! of its link: reads the source track's layers (which live in the publisher's peer),
//! updates the subscription's allowed layer, and tells str0m's estimator what to probe
//! for. Forwarding then follows the new limit at the next packet.

use std::time::Instant;

use str0m::bwe::Bitrate;

use crate::allocator::{LayerInfo, REALLOCATE_INTERVAL, within_send_limit};
use crate::contract::PeerId;
use crate::peer::{MediaKind, PeerKind};
use crate::table::PeerTable;

impl PeerTable {
    pub(crate) fn allocate(&mut self, subscriber: PeerId, now: Instant) {
        let Some(PeerKind::Subscriber {
            source,
            tracks,
            estimate: Some(estimate),
            ..
        }) = self.peers.get(&subscriber).map(|p| &p.kind)
        else {
            return;
        };
        let estimate = *estimate;
        let Some(video) = tracks.iter().position(|t| t.kind == MediaKind::Video) else {
            return;
        };
        let source_track = tracks[video].source_track;
        let Some(PeerKind::Publisher {
            tracks: sources, ..
        }) = self.peers.get(source).map(|p| &p.kind)
        else {
            return;
        };
        let Some(track) = sources.get(source_track) else {
            return;
        };
        let layers: Vec<LayerInfo> = track
            .layers
            .iter()
            .map(|l| LayerInfo {
                active: l.is_active(now),
                bps: l.rate.bps(),
            })
            .collect();
        // What the subscription's other streams (its audio) take of the link.
        let other_bps: u64 = sources
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != source_track)
            .flat_map(|(_, t)| t.layers.iter().filter_map(|l| l.rate.bps()))
            .sum();
        let Some(s) = self.peers.get_mut(&subscriber) else {
            return;
        };
        let PeerKind::Subscriber {
            tracks,
            reallocate_at,
            ..
        } = &mut s.kind
        else {
            return;
        };
        *reallocate_at = Some(now + REALLOCATE_INTERVAL);
        let sel = &mut tracks[video].layers;
        sel.send_limited = within_send_limit(&layers, sel.send_limit);
        let was_paused = sel.allocator.paused;
        let hint = sel.allocator.update(
            now,
            estimate,
            other_bps,
            &layers,
            sel.wanted(),
            self.config.congestion_pause,
        );
        if sel.allocator.paused != was_paused {
            tracing::debug!(%subscriber, estimate, paused = sel.allocator.paused, "congestion pause");
        }
        if sel.hint != Some(hint) {
            tracing::debug!(
                %subscriber,
                estimate,
                allowed = sel.allocator.allowed,
                wanted = sel.wanted(),
                minimum = hint.minimum,
                desired = hint.desired,
                "layer allocation"
            );
            sel.hint = Some(hint);
            s.rtc
                .bwe()
                .set_bitrate(Bitrate::bps(hint.minimum), Bitrate::bps(hint.desired));
            self.drive(subscriber, now);
        }
    }
}
