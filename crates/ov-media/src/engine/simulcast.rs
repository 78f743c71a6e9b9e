//! The public API of simulcast ([`crate::layers`]): which layer each subscription gets.

use std::time::Instant;

use super::Engine;
use crate::contract::PeerId;
use crate::error::MediaError;
use crate::layers::{PubLayer, layer_for_size};
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
    /// Its video is paused: the link cannot carry even the lowest layer
    /// ([`EngineConfig::congestion_pause`](crate::EngineConfig::congestion_pause)).
    pub paused: bool,
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
        tracing::debug!(%subscriber, ?max, "preferred layer");
        for t in tracks.iter_mut().filter(|t| t.kind == MediaKind::Video) {
            t.layers.preferred = max.unwrap_or(usize::MAX);
        }
        Ok(())
    }

    /// Limits `subscriber`'s video to the lowest layer that fills the element it is shown
    /// in, `wanted` pixels (width, height; 0x0: hidden, the lowest layer; `None`: any
    /// layer), when the publisher's full size is `top`. The layer sizes come from the
    /// `rdivN` rids openvidu-browser and our SDK name their encodings with; with other
    /// names every layer stays allowed.
    pub fn set_video_size(
        &mut self,
        now: Instant,
        subscriber: PeerId,
        top: (u32, u32),
        wanted: Option<(u32, u32)>,
    ) -> Result<(), MediaError> {
        let max = match wanted {
            None => None,
            Some(size) => {
                let layers = self.source_layers(subscriber)?;
                Some(layer_for_size(layers, top, size)).filter(|m| *m != usize::MAX)
            }
        };
        self.set_max_layer(now, subscriber, max)
    }

    /// Sets the video bitrate `publisher` may send (OpenVidu's `kurentoOptions`
    /// `videoMaxRecvBandwidth`/`videoMinRecvBandwidth` of its connection), instead of
    /// [`EngineConfig::recv_bandwidth`](crate::EngineConfig::recv_bandwidth). Applied by
    /// REMB within a second, and kept across a media reconnection.
    pub fn set_recv_bandwidth(
        &mut self,
        publisher: PeerId,
        limit: crate::RecvBandwidth,
    ) -> Result<(), MediaError> {
        let p = self.table.peer_mut(publisher)?;
        let PeerKind::Publisher { recv_bandwidth, .. } = &mut p.kind else {
            return Err(MediaError::WrongPeerKind);
        };
        *recv_bandwidth = Some(limit);
        Ok(())
    }

    /// Sets the video bitrate the server may send `subscriber` (OpenVidu's `kurentoOptions`
    /// `videoMaxSendBandwidth` of its connection; `None`: unconstrained), instead of
    /// [`EngineConfig::send_bandwidth`](crate::EngineConfig::send_bandwidth). With simulcast
    /// the subscription gets the highest layer within it, at the next allocation.
    pub fn set_send_bandwidth(
        &mut self,
        subscriber: PeerId,
        limit: Option<u64>,
    ) -> Result<(), MediaError> {
        let p = self.table.peer_mut(subscriber)?;
        let PeerKind::Subscriber { tracks, .. } = &mut p.kind else {
            return Err(MediaError::WrongPeerKind);
        };
        for t in tracks.iter_mut().filter(|t| t.kind == MediaKind::Video) {
            t.layers.send_limit = limit;
        }
        Ok(())
    }

    /// The simulcast state of `subscriber`'s video, `None` if it receives none.
    pub fn layer_state(&self, subscriber: PeerId) -> Result<Option<LayerState>, MediaError> {
        let p = self.table.peer(subscriber)?;
        let PeerKind::Subscriber {
            tracks, estimate, ..
        } = &p.kind
        else {
            return Err(MediaError::WrongPeerKind);
        };
        let Some(t) = tracks.iter().find(|t| t.kind == MediaKind::Video) else {
            return Ok(None);
        };
        Ok(Some(LayerState {
            layers: self.source_layers(subscriber)?.len(),
            current: t.layers.current,
            target: t.layers.target,
            allowed: Some(t.layers.allocator.allowed).filter(|a| *a != usize::MAX),
            estimate: *estimate,
            paused: t.layers.allocator.paused,
        }))
    }

    /// Simulcast layers `peer` misses for want of bandwidth, on its worst video track
    /// ([`PeerStats::layer_shortfall`](crate::PeerStats::layer_shortfall)). A publisher:
    /// the layers it sent before, up to the highest one a subscriber needs, that are above
    /// the highest one arriving now, while its lowest one still arrives (Chrome drops its
    /// upper layers first; a muted camera's black frames keep all layers or none). A
    /// subscriber: how far below the layer it wants (its preference, or the top arriving
    /// one) its estimate holds it (all of them while its video is paused).
    pub(crate) fn layer_shortfall(&self, peer: PeerId, now: Instant) -> usize {
        let Some(p) = self.table.peers.get(&peer) else {
            return 0;
        };
        match &p.kind {
            PeerKind::Publisher { tracks, .. } => tracks
                .iter()
                .filter(|t| t.kind == MediaKind::Video)
                .map(|t| {
                    let needed = t.uplink.needed.unwrap_or(usize::MAX);
                    let seen: Vec<bool> = t
                        .layers
                        .iter()
                        .take(needed.saturating_add(1))
                        .filter(|l| l.last_packet.is_some())
                        .map(|l| l.is_active(now))
                        .collect();
                    match (seen.first(), seen.iter().rposition(|a| *a)) {
                        (Some(true), Some(highest)) => seen.len() - 1 - highest,
                        _ => 0,
                    }
                })
                .max()
                .unwrap_or(0),
            PeerKind::Subscriber { tracks, .. } => {
                let Some(t) = tracks.iter().find(|t| t.kind == MediaKind::Video) else {
                    return 0;
                };
                let Ok(layers) = self.source_layers(peer) else {
                    return 0;
                };
                let Some(top_arriving) = layers.iter().rposition(|l| l.is_active(now)) else {
                    return 0;
                };
                let wanted = t.layers.wanted().min(top_arriving);
                if t.layers.allocator.paused {
                    wanted + 1
                } else {
                    wanted.saturating_sub(t.layers.allocator.allowed)
                }
            }
        }
    }

    /// The layers of the video track `subscriber` receives (empty if it receives none,
    /// or its publisher is gone).
    fn source_layers(&self, subscriber: PeerId) -> Result<&[PubLayer], MediaError> {
        let p = self.table.peer(subscriber)?;
        let PeerKind::Subscriber { tracks, source, .. } = &p.kind else {
            return Err(MediaError::WrongPeerKind);
        };
        let layers = tracks
            .iter()
            .find(|t| t.kind == MediaKind::Video)
            .and_then(|t| match self.table.peers.get(source).map(|p| &p.kind) {
                Some(PeerKind::Publisher { tracks, .. }) => tracks.get(t.source_track),
                _ => None,
            })
            .map_or(&[][..], |s| s.layers.as_slice());
        Ok(layers)
    }
}
