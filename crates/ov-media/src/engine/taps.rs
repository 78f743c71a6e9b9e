//! The public API of taps ([`crate::tap`]): plain RTP copies of a publisher's tracks.

use std::net::SocketAddr;
use std::time::Instant;

use super::Engine;
use crate::contract::PeerId;
use crate::error::MediaError;
use crate::peer::{MediaKind, PeerKind};
use crate::tap::{self, TapCodec, TapId, TrackTap};

impl Engine {
    /// The codec of each track of `publisher` (one per kind in OpenVidu), as a tap would
    /// carry it.
    pub fn tap_codecs(&self, publisher: PeerId) -> Result<Vec<TapCodec>, MediaError> {
        let p = self.table.peer(publisher)?;
        let PeerKind::Publisher { tracks, .. } = &p.kind else {
            return Err(MediaError::WrongPeerKind);
        };
        Ok(tracks
            .iter()
            .filter_map(|t| tap::track_codec(&p.rtc, t.mid, t.kind))
            .collect())
    }

    /// Copies `publisher`'s tracks of each kind in `destinations` as plain RTP to that
    /// address, and asks the publisher for a keyframe so the consumer can start.
    pub fn add_tap(
        &mut self,
        now: Instant,
        publisher: PeerId,
        destinations: &[(MediaKind, SocketAddr)],
    ) -> Result<TapId, MediaError> {
        self.table.last_now = now;
        let id = TapId(self.next_tap);
        let p = self.table.peer_mut(publisher)?;
        let PeerKind::Publisher { tracks, .. } = &mut p.kind else {
            return Err(MediaError::WrongPeerKind);
        };
        for t in tracks.iter_mut() {
            let Some(&(_, destination)) = destinations.iter().find(|(k, _)| *k == t.kind) else {
                continue;
            };
            let Some(codec) = tap::track_codec(&p.rtc, t.mid, t.kind) else {
                continue;
            };
            t.taps
                .push(TrackTap::new(id, destination, codec.payload_type.into()));
        }
        self.next_tap += 1;
        self.request_keyframe(now, publisher);
        Ok(id)
    }

    /// Stops tap `tap` of `publisher` (nothing happens if either is gone).
    pub fn remove_tap(&mut self, publisher: PeerId, tap: TapId) {
        let Some(PeerKind::Publisher { tracks, .. }) =
            self.table.peers.get_mut(&publisher).map(|p| &mut p.kind)
        else {
            return;
        };
        for t in tracks.iter_mut() {
            t.taps.retain(|x| x.id != tap);
        }
    }
}
