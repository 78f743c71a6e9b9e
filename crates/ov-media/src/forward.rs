//! Forwarding: the work the pump queued, done once no peer is borrowed. Each publisher
//! packet goes to every connected subscriber of its track that forwards its layer (see
//! [`crate::layers`]), with the subscriber's payload type, rewritten sequence numbers and
//! timestamps, and VP8 picture ids continued across layer switches; a subscriber that has
//! not started yet, or switches layers, waits for a keyframe of its layer, which is
//! requested from the publisher (throttled per layer). Writing into a subscriber drives
//! that subscriber's pump, so its packets leave at once.

use std::time::Instant;

use str0m::format::Codec;
use str0m::media::{KeyframeRequestKind, Pt};
use str0m::rtp::{ExtensionValues, RtpWrite, SeqNo, Vp8Descriptor};

use crate::contract::PeerId;
use crate::keyframe::{self, VideoCodec};
use crate::layers::{LayerView, Verdict};
use crate::peer::{MediaKind, PeerKind};
use crate::table::{Forward, PeerTable};
use crate::tap::Tapped;

/// A source track as forwarding one of its packets sees it.
struct SourceInfo {
    kind: MediaKind,
    /// How many subscribers it has.
    subscribers: usize,
    /// The video codec of the packet's payload type (for keyframe detection).
    codec: Option<VideoCodec>,
    /// Whether it has taps.
    tapped: bool,
    layers: LayerView,
}

impl PeerTable {
    /// Queues a keyframe request for every video track of `publisher` (done by
    /// [`PeerTable::flush`]).
    pub fn queue_keyframe_requests(&mut self, publisher: PeerId) {
        let Some(PeerKind::Publisher { tracks, .. }) = self.peers.get(&publisher).map(|p| &p.kind)
        else {
            return;
        };
        for (track, t) in tracks.iter().enumerate() {
            if t.kind == MediaKind::Video {
                self.pending.keyframes.push((publisher, track, None));
            }
        }
    }

    /// Does the forwarding and keyframe work collected while draining, until none is left.
    pub fn flush(&mut self, now: Instant) {
        while !self.pending.forwards.is_empty()
            || !self.pending.keyframes.is_empty()
            || !self.pending.allocations.is_empty()
            || !self.pending.uplinks.is_empty()
        {
            for sub in std::mem::take(&mut self.pending.allocations) {
                self.allocate(sub, now);
            }
            for publisher in std::mem::take(&mut self.pending.uplinks) {
                self.cap_uplink(publisher, now);
            }
            let mut forwards = std::mem::take(&mut self.pending.forwards);
            std::mem::swap(&mut self.pending.forwards, &mut self.pending.spare_forwards);
            for f in forwards.drain(..) {
                self.forward(&f, now);
            }
            self.pending.spare_forwards = forwards;

            let mut keyframes = std::mem::take(&mut self.pending.keyframes);
            std::mem::swap(
                &mut self.pending.keyframes,
                &mut self.pending.spare_keyframes,
            );
            for (publisher, track, layer) in keyframes.drain(..) {
                self.send_keyframe_request(publisher, track, layer, now);
            }
            self.pending.spare_keyframes = keyframes;
        }
    }

    /// Asks `publisher` for a keyframe on `layer` of `track` (no layer: the top one),
    /// unless one was asked for on that layer less than `keyframe_request_interval` ago.
    fn send_keyframe_request(
        &mut self,
        publisher: PeerId,
        track: usize,
        layer: Option<usize>,
        now: Instant,
    ) {
        let interval = self.config.keyframe_request_interval;
        let Some(p) = self.peers.get_mut(&publisher) else {
            return;
        };
        let PeerKind::Publisher { tracks, .. } = &mut p.kind else {
            return;
        };
        let Some(t) = tracks.get_mut(track) else {
            return;
        };
        let top = t.top_layer();
        let Some(l) = t.layers.get_mut(layer.unwrap_or(top)) else {
            return;
        };
        if t.kind != MediaKind::Video
            || l.last_keyframe_request
                .is_some_and(|at| now.saturating_duration_since(at) < interval)
        {
            return;
        }
        l.last_keyframe_request = Some(now);
        let (mid, rid) = (t.mid, l.rid);
        let mut api = p.rtc.direct_api();
        let Some(rx) = api.stream_rx_by_mid(mid, rid) else {
            return;
        };
        rx.request_keyframe(KeyframeRequestKind::Pli);
        self.drive(publisher, now);
    }

    /// Sends a packet of a publisher's track to every tap of the track (top layer only) and
    /// to every subscriber that forwards its layer.
    fn forward(&mut self, f: &Forward, now: Instant) {
        let Forward {
            publisher,
            track,
            layer,
            ref packet,
        } = *f;
        let pt = packet.header.payload_type;
        let Some(source) = self.source_info(publisher, track, pt, now) else {
            return;
        };
        let kind = source.kind;
        let ssrc = *packet.header.ssrc;
        let keyframe = kind == MediaKind::Video
            && source
                .codec
                .is_some_and(|c| keyframe::starts_keyframe(c, &packet.payload));
        let mut wants_keyframe = false;
        if source.tapped {
            let tapped = Tapped {
                kind,
                layer,
                layers: source.layers,
                keyframe,
                packet,
            };
            wants_keyframe = self.copy_to_taps(publisher, track, tapped, now);
        }
        let vp8 = match source.codec {
            Some(VideoCodec::Vp8) => Vp8Descriptor::parse(&packet.payload).ok(),
            _ => None,
        };
        let ext = ExtensionValues {
            audio_level: packet.header.ext_vals.audio_level,
            voice_activity: packet.header.ext_vals.voice_activity,
            video_orientation: packet.header.ext_vals.video_orientation,
            ..Default::default()
        };
        for i in 0..source.subscribers {
            let Some((sub, index)) = self.subscriber_at(publisher, track, i) else {
                break;
            };
            let Some(s) = self.peers.get_mut(&sub) else {
                continue;
            };
            if !s.connected {
                continue;
            }
            let PeerKind::Subscriber { tracks, .. } = &mut s.kind else {
                continue;
            };
            let Some(t) = tracks.get_mut(index) else {
                continue;
            };
            if kind == MediaKind::Video {
                let mapped = t.rewriter.is_mapped(ssrc);
                match t.layers.decide(source.layers, layer, keyframe, mapped) {
                    Verdict::Forward => {}
                    Verdict::Switch => {
                        if let Some(d) = &vp8 {
                            t.picture_ids.rebase(d);
                        }
                    }
                    Verdict::NeedKeyframe => {
                        wants_keyframe = true;
                        continue;
                    }
                    Verdict::Drop => continue,
                }
            }
            let Some(&(_, out_pt)) = t.pt_map.iter().find(|(p, _)| *p == pt) else {
                continue;
            };
            let Some((seq, ts)) = t.rewriter.map(
                ssrc,
                *packet.seq_no,
                packet.header.timestamp,
                kind.clock_rate(),
                now,
            ) else {
                continue;
            };
            let patch = vp8.as_ref().and_then(|d| t.picture_ids.patch(d));
            let mid = t.mid;
            let mut api = s.rtc.direct_api();
            let Some(tx) = api.stream_tx_by_mid(mid, None) else {
                continue;
            };
            let mut write =
                RtpWrite::new(out_pt, SeqNo::from(seq), ts, now, packet.payload.clone())
                    .marker(packet.header.marker)
                    .ext_vals(ext.clone())
                    .nackable(kind == MediaKind::Video);
            if let Some(patch) = patch {
                write = write.vp8_patch(patch);
            }
            tx.write_rtp(write);
            self.drive(sub, now);
        }
        if wants_keyframe {
            self.pending.keyframes.push((publisher, track, Some(layer)));
        }
    }

    /// What forwarding one packet needs to know of its source track, looked up once for
    /// all of its subscribers.
    fn source_info(
        &mut self,
        publisher: PeerId,
        track: usize,
        pt: Pt,
        now: Instant,
    ) -> Option<SourceInfo> {
        let p = self.peers.get_mut(&publisher)?;
        let PeerKind::Publisher { tracks, codecs, .. } = &mut p.kind else {
            return None;
        };
        let t = tracks.get(track)?;
        let codec = match codecs.iter().find(|(p, _)| *p == pt) {
            Some((_, c)) => *c,
            None => {
                let c = p
                    .rtc
                    .codec_config()
                    .params()
                    .iter()
                    .find(|params| params.pt() == pt)
                    .and_then(|params| match params.spec().codec {
                        Codec::Vp8 => Some(VideoCodec::Vp8),
                        Codec::Vp9 => Some(VideoCodec::Vp9),
                        Codec::H264 => Some(VideoCodec::H264),
                        Codec::Av1 => Some(VideoCodec::Av1),
                        _ => None,
                    });
                codecs.push((pt, c));
                c
            }
        };
        Some(SourceInfo {
            kind: t.kind,
            subscribers: t.subscribers.len(),
            codec,
            tapped: !t.taps.is_empty(),
            layers: LayerView::of(&t.layers, now),
        })
    }

    fn subscriber_at(&self, publisher: PeerId, track: usize, i: usize) -> Option<(PeerId, usize)> {
        match &self.peers.get(&publisher)?.kind {
            PeerKind::Publisher { tracks, .. } => tracks.get(track)?.subscribers.get(i).copied(),
            PeerKind::Subscriber { .. } => None,
        }
    }

    /// After a subscriber's answer: which of its payload types carries each of the
    /// publisher's.
    pub fn map_payload_types(&mut self, subscriber: PeerId) {
        let Some(source) = self.peers.get(&subscriber).and_then(|p| match &p.kind {
            PeerKind::Subscriber { source, .. } => Some(*source),
            PeerKind::Publisher { .. } => None,
        }) else {
            return;
        };
        let Some(publisher_params) = self
            .peers
            .get(&source)
            .map(|p| p.rtc.codec_config().params().to_vec())
        else {
            return;
        };
        let Some(s) = self.peers.get_mut(&subscriber) else {
            return;
        };
        let PeerKind::Subscriber { tracks, .. } = &mut s.kind else {
            return;
        };
        for t in tracks.iter_mut() {
            let accepted = s
                .rtc
                .media(t.mid)
                .map(|m| m.remote_pts().to_vec())
                .unwrap_or_default();
            t.pt_map = publisher_params
                .iter()
                .filter(|p| MediaKind::from(p.spec().codec.kind()) == t.kind)
                .filter_map(|p| {
                    let mine = s.rtc.codec_config().match_params(*p)?;
                    accepted.contains(&mine.pt()).then(|| (p.pt(), mine.pt()))
                })
                .collect();
        }
    }
}
