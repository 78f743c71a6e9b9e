//! The public API of simulcast ([`crate::layers`]): which layer each subscription gets.

use std::time::Instant;

use super::Engine;
use crate::contract::PeerId;
use crate::error::MediaError;
use crate::peer::{MediaKind, PeerKind};

/// The simulcast state of one subscription's video.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayerState {
    /// How many layers the publisher's track has (1 without simulcast).
    pub layers: usize,
    /// The layer forwarded now (0 is the lowest), `None` before the first keyframe.
    pub current: Option<usize>,
    /// The layer it switches to at that layer's next keyframe, if any.
    pub target: Option<usize>,
    /// The highest layer its link is allowed (its estimate's verdict), `None` while
    /// nothing limits it.
    pub allowed: Option<usize>,
    /// The estimate of its link, bit/s.
    pub estimate: Option<u64>,
}

impl Engine {
    /// Limits `subscriber`'s video to layers up to `max` (0: the lowest; `None`: any),
    /// for a subscriber that shows it small. Applied at the next packet, switching at the
    /// allowed layer's next keyframe; if no allowed layer is arriving the lowest one
    /// above is sent.
    pub fn set_max_layer(
        &mut self,
        now: Instant,
        subscriber: PeerId,
        max: Option<usize>,
    ) -> Result<(), MediaError> {
        self.table.last_now = now;
        let p = self.table.peer_mut(subscriber)?;
        let PeerKind::Subscriber { tracks, .. } = &mut p.kind else {
            return Err(MediaError::WrongPeerKind);
        };
        for t in tracks.iter_mut().filter(|t| t.kind == MediaKind::Video) {
            t.layers.preferred = max.unwrap_or(usize::MAX);
        }
        Ok(())
    }

    /// The simulcast state of `subscriber`'s video, `None` if it receives none.
    pub fn layer_state(&self, subscriber: PeerId) -> Result<Option<LayerState>, MediaError> {
        let p = self.table.peer(subscriber)?;
        let PeerKind::Subscriber {
            tracks,
            source,
            estimate,
            ..
        } = &p.kind
        else {
            return Err(MediaError::WrongPeerKind);
        };
        let Some(t) = tracks.iter().find(|t| t.kind == MediaKind::Video) else {
            return Ok(None);
        };
        let layers = match self.table.peers.get(source).map(|p| &p.kind) {
            Some(PeerKind::Publisher { tracks, .. }) => {
                tracks.get(t.source_track).map_or(0, |s| s.layers.len())
            }
            _ => 0,
        };
        Ok(Some(LayerState {
            layers,
            current: t.layers.current,
            target: t.layers.target,
            allowed: Some(t.layers.allocator.allowed).filter(|a| *a != usize::MAX),
            estimate: *estimate,
        }))
    }
}
