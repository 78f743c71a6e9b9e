//! SDP negotiation: publishers answer the browser's offer, subscribers offer the
//! publisher's tracks and accept the browser's answer.

use std::time::Instant;

use str0m::change::{SdpAnswer, SdpOffer};
use str0m::media::{Direction, Mid, Rid};
use str0m::net::TcpType;
use str0m::{Candidate, Rtc};

use super::Engine;
use crate::config::{self, VideoCodecChoice};
use crate::contract::{CloseReason, PeerId};
use crate::error::MediaError;
use crate::layers::{LayerSelection, declared_rids, layers_for};
use crate::peer::{MediaKind, Peer, PeerKind, PeerStats, PubTrack, SubTrack};
use crate::sdp_error;

/// A publisher's new `Rtc`, its SDP answer, and its receiving media lines (with the rids of
/// their simulcast layers, if any).
type Negotiated = (Rtc, String, Vec<(Mid, MediaKind, Vec<Rid>)>);

impl Engine {
    /// Accepts a browser's offer to publish; returns the new peer and the SDP answer.
    pub fn add_publisher(
        &mut self,
        now: Instant,
        offer: &str,
        video: VideoCodecChoice,
    ) -> Result<(PeerId, String), MediaError> {
        self.table.last_now = now;
        let (rtc, answer, lines) = self.negotiate_publisher(now, offer, video)?;
        let tracks: Vec<PubTrack> = lines
            .into_iter()
            .map(|(mid, kind, rids)| PubTrack::new(mid, kind, &rids))
            .collect();
        let id = self.table.insert(
            rtc,
            PeerKind::Publisher {
                tracks,
                ssrcs: Vec::new(),
                codecs: Vec::new(),
                recv_bandwidth: None,
            },
            now,
        );
        self.table.drive(id, now);
        self.table.flush(now);
        Ok((id, answer))
    }

    /// Media reconnection of a publisher: a new offer (typically after an ICE failure)
    /// replaces its connection while keeping its id and its subscribers, who continue
    /// seamlessly (their streams rebase onto the new source, from a keyframe).
    pub fn replace_publisher(
        &mut self,
        now: Instant,
        peer: PeerId,
        offer: &str,
        video: VideoCodecChoice,
    ) -> Result<String, MediaError> {
        self.table.last_now = now;
        match self.table.peers.get(&peer).map(|p| &p.kind) {
            None => return Err(MediaError::NoSuchPeer),
            Some(PeerKind::Subscriber { .. }) => return Err(MediaError::WrongPeerKind),
            Some(PeerKind::Publisher { .. }) => {}
        }
        let (mut rtc, answer, mut fresh) = self.negotiate_publisher(now, offer, video)?;
        let ufrag = rtc.direct_api().local_ice_credentials().ufrag;
        let p = self.table.peer_mut(peer)?;
        let mut old = std::mem::replace(&mut p.rtc, rtc);
        old.disconnect();
        let old_ufrag = std::mem::replace(&mut p.ufrag, ufrag.clone());
        let old_addrs = std::mem::take(&mut p.addrs);
        p.connected = false;
        p.created = now;
        p.disconnected_since = None;
        p.parked = None;
        p.stats = PeerStats::default();
        let mut subscribers = Vec::new();
        if let PeerKind::Publisher {
            tracks,
            ssrcs,
            codecs,
            ..
        } = &mut p.kind
        {
            ssrcs.clear();
            codecs.clear();
            // Keep track indices stable (subscribers refer to them): each old track takes
            // the new line of its kind; new kinds are appended.
            for t in tracks.iter_mut() {
                if let Some(i) = fresh.iter().position(|(_, k, _)| *k == t.kind) {
                    let (mid, _, rids) = fresh.remove(i);
                    t.mid = mid;
                    t.layers = layers_for(&rids);
                }
                subscribers.extend(t.subscribers.iter().map(|(s, _)| *s));
            }
            tracks.extend(
                fresh
                    .into_iter()
                    .map(|(mid, kind, rids)| PubTrack::new(mid, kind, &rids)),
            );
        }
        self.table.unroute(peer, &old_ufrag, &old_addrs);
        self.table.by_ufrag.insert(ufrag, peer);
        subscribers.sort();
        subscribers.dedup();
        for s in subscribers {
            self.table.map_payload_types(s);
        }
        self.table.drive(peer, now);
        self.table.flush(now);
        Ok(answer)
    }

    /// Creates a peer that will receive `source`'s tracks; returns it and the SDP offer the
    /// browser must answer (give the answer to [`Engine::accept_answer`]).
    pub fn add_subscriber(
        &mut self,
        now: Instant,
        source: PeerId,
        label: &str,
    ) -> Result<(PeerId, String), MediaError> {
        self.table.last_now = now;
        let publisher = self.table.peer(source)?;
        let PeerKind::Publisher { tracks, .. } = &publisher.kind else {
            return Err(MediaError::WrongPeerKind);
        };
        let kinds: Vec<(usize, MediaKind, Vec<str0m::media::Pt>)> = tracks
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let pts = publisher
                    .rtc
                    .media(t.mid)
                    .map(|m| m.remote_pts().to_vec())
                    .unwrap_or_default();
                (i, t.kind, pts)
            })
            .collect();
        // Offer exactly what the publisher negotiated, with its payload types.
        let params: Vec<_> = publisher
            .rtc
            .codec_config()
            .params()
            .iter()
            .filter(|p| kinds.iter().any(|(_, _, pts)| pts.contains(&p.pt())))
            .cloned()
            .collect();
        let simulcast = tracks.iter().any(|t| t.layers.len() > 1);
        let mut rtc = config::subscriber(&self.table.config, &self.cert, params, simulcast, now);
        self.add_candidates(&mut rtc)?;
        let mut api = rtc.sdp_api();
        let mut sub_tracks = Vec::new();
        for (source_track, kind, _) in &kinds {
            let mid = api.add_media(
                kind.to_str0m(),
                Direction::SendOnly,
                Some(label.to_owned()),
                None,
                None,
            );
            sub_tracks.push(SubTrack {
                mid,
                kind: *kind,
                source_track: *source_track,
                pt_map: Vec::new(),
                rewriter: Default::default(),
                layers: LayerSelection {
                    send_limit: self.table.config.send_bandwidth,
                    ..Default::default()
                },
                picture_ids: Default::default(),
            });
        }
        let (offer, pending) = api
            .apply()
            .ok_or_else(|| MediaError::Sdp("nothing to offer".into()))?;
        let id = self.table.insert(
            rtc,
            PeerKind::Subscriber {
                source,
                tracks: sub_tracks,
                pending: Some(pending),
                estimate: None,
                reallocate_at: None,
            },
            now,
        );
        if let Some(Peer {
            kind: PeerKind::Publisher { tracks, .. },
            ..
        }) = self.table.peers.get_mut(&source)
        {
            for (i, (source_track, _, _)) in kinds.iter().enumerate() {
                tracks[*source_track].subscribers.push((id, i));
            }
        }
        self.table.drive(id, now);
        self.table.flush(now);
        Ok((id, offer.to_sdp_string()))
    }

    /// Applies a subscriber's SDP answer.
    pub fn accept_answer(
        &mut self,
        now: Instant,
        peer: PeerId,
        answer: &str,
    ) -> Result<(), MediaError> {
        self.table.last_now = now;
        let answer = SdpAnswer::from_sdp_string(answer)
            .map_err(|e| MediaError::Sdp(sdp_error::describe(answer, &e.to_string())))?;
        let p = self.table.peer_mut(peer)?;
        let PeerKind::Subscriber { pending, .. } = &mut p.kind else {
            return Err(MediaError::WrongPeerKind);
        };
        let pending = pending.take().ok_or(MediaError::NoPendingOffer)?;
        let accepted = match unpanicked(|| p.rtc.sdp_api().accept_answer(pending, answer)) {
            Ok(accepted) => accepted,
            Err(e) => {
                // Its `Rtc` may be half-updated: it must not carry media.
                self.table.close(now, peer, CloseReason::Failed);
                return Err(e);
            }
        };
        accepted.map_err(|e| MediaError::Sdp(sdp_error::strip_addresses(&e.to_string())))?;
        self.table.map_payload_types(peer);
        self.table.drive(peer, now);
        self.table.flush(now);
        Ok(())
    }

    /// A publisher's `Rtc` that accepted `offer`: its answer, and the media lines (mid and
    /// kind) on which it receives audio or video.
    fn negotiate_publisher(
        &self,
        now: Instant,
        offer: &str,
        video: VideoCodecChoice,
    ) -> Result<Negotiated, MediaError> {
        let sending = crate::sdp::sending_media(offer);
        if let Some((pt, media)) = crate::sdp::foreign_payload_type(offer) {
            return Err(MediaError::Sdp(format!(
                "payload type {pt} is described in the {media} section, whose m= line does not list it"
            )));
        }
        let sends_video = sending.iter().any(|(_, kind)| *kind == MediaKind::Video);
        // The one codec to answer in, if any (else VP8 or H.264, whichever the offer has).
        let only = match video {
            VideoCodecChoice::Only(codec) | VideoCodecChoice::Prefer(codec)
                if !sends_video || crate::sdp::offers_video_codec(offer, codec.sdp_name()) =>
            {
                Some(codec)
            }
            VideoCodecChoice::Only(codec) => return Err(MediaError::CodecNotOffered(codec)),
            VideoCodecChoice::Prefer(_) | VideoCodecChoice::Vp8Preferred => None,
        };
        let offer = SdpOffer::from_sdp_string(offer)
            .map_err(|e| MediaError::Sdp(sdp_error::describe(offer, &e.to_string())))?;
        let mut rtc = config::publisher(&self.table.config, &self.cert, only, now);
        self.add_candidates(&mut rtc)?;
        let answer = unpanicked(|| rtc.sdp_api().accept_offer(offer))?
            .map_err(|e| MediaError::Sdp(sdp_error::strip_addresses(&e.to_string())))?;
        let lines: Vec<(Mid, MediaKind, Vec<Rid>)> = sending
            .into_iter()
            .map(|(mid, kind)| (Mid::from(mid.as_str()), kind))
            .filter(|(mid, _)| {
                rtc.media(*mid)
                    .is_some_and(|m| m.direction().is_receiving())
            })
            .map(|(mid, kind)| (mid, kind, declared_rids(&rtc, mid)))
            .collect();
        if lines.is_empty() {
            return Err(MediaError::Sdp(
                "the offer sends no audio or video the server can receive".into(),
            ));
        }
        Ok((rtc, answer.to_sdp_string(), lines))
    }

    /// Announces the server's UDP host candidates and its passive TCP ones (ICE-TCP).
    fn add_candidates(&self, rtc: &mut Rtc) -> Result<(), MediaError> {
        let config = &self.table.config;
        let udp = config
            .candidates
            .iter()
            .filter_map(|addr| Candidate::host(*addr, "udp").ok());
        let tcp = config.tcp_candidates.iter().filter_map(|addr| {
            Candidate::builder()
                .tcp()
                .host(*addr)
                .tcptype(TcpType::Passive)
                .build()
                .ok()
        });
        let mut added = false;
        for c in udp.chain(tcp) {
            added |= rtc.add_local_candidate(c).is_some();
        }
        if added {
            Ok(())
        } else {
            Err(MediaError::NoLocalCandidate)
        }
    }
}

/// Runs one of str0m's SDP steps, turning a panic inside it (an assertion that hostile SDP
/// can reach) into an SDP error, so that one bad offer ends one negotiation, not the media
/// worker and every call on it. The `Rtc` it ran on may be inconsistent afterwards: the
/// callers drop it (a new publisher's) or the peer fails its negotiation (a subscriber's).
fn unpanicked<T>(step: impl FnOnce() -> T) -> Result<T, MediaError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(step)).map_err(|_| {
        tracing::warn!("str0m panicked on an SDP; refused");
        MediaError::Sdp("the SDP could not be negotiated (its payload types conflict)".into())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_in_an_sdp_step_becomes_an_sdp_error() {
        assert_eq!(unpanicked(|| 7).unwrap(), 7);
        let refused = unpanicked(|| -> u8 { panic!("Pt locked multiple times: 39") });
        assert!(matches!(refused, Err(MediaError::Sdp(m)) if m.contains("payload types")));
    }
}
