//! Draining peers, reacting to their events, and forwarding publisher packets to
//! subscribers.

use std::time::Instant;

use str0m::IceConnectionState;
use str0m::format::Codec;
use str0m::media::{KeyframeRequestKind, Pt};
use str0m::rtp::{ExtensionValues, RtpPacket, RtpWrite, SeqNo};

use crate::engine::{CloseReason, Engine, Event, Output, PeerId, Transmit};
use crate::keyframe::{self, VideoCodec};
use crate::peer::{MediaKind, PubTrack, Role, TrackStats};

/// Work produced while draining a peer, done once the peer is no longer borrowed.
#[derive(Default)]
pub(crate) struct Pending {
    /// (publisher, track index, packet)
    pub forwards: Vec<(PeerId, usize, RtpPacket)>,
    /// (publisher, track index) that should send a keyframe.
    pub keyframes: Vec<(PeerId, usize)>,
    spare_forwards: Vec<(PeerId, usize, RtpPacket)>,
    spare_keyframes: Vec<(PeerId, usize)>,
}

impl Engine {
    /// Polls `peer` until str0m returns its next deadline, handling its events.
    /// `None` when the peer is gone.
    pub(crate) fn drain(&mut self, peer: PeerId, now: Instant) -> Option<Instant> {
        loop {
            let p = self.peers.get_mut(&peer)?;
            let output = match p.rtc.poll_output() {
                Ok(o) => o,
                Err(e) => {
                    tracing::debug!(%peer, error = %e, "peer failed");
                    self.close(now, peer, CloseReason::Failed);
                    return None;
                }
            };
            match output {
                str0m::Output::Timeout(t) => {
                    if !p.rtc.is_alive() {
                        self.close(now, peer, CloseReason::Failed);
                        return None;
                    }
                    return Some(t);
                }
                str0m::Output::Transmit(t) => self.out.push_back(Output::Transmit(Transmit {
                    source: t.source,
                    destination: t.destination,
                    contents: t.contents.into(),
                })),
                str0m::Output::Event(e) => self.on_event(peer, now, e),
            }
        }
    }

    fn on_event(&mut self, peer: PeerId, now: Instant, event: str0m::Event) {
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        match event {
            str0m::Event::Connected => {
                p.connected = true;
                p.stats.connected = true;
                p.disconnected_since = None;
                self.out.push_back(Output::Event(Event::Connected(peer)));
                // A new subscriber needs a keyframe to start decoding.
                if let Role::Subscriber { source, tracks, .. } = &p.role {
                    for t in tracks.iter().filter(|t| t.kind == MediaKind::Video) {
                        self.pending.keyframes.push((*source, t.source_track));
                    }
                }
            }
            str0m::Event::IceConnectionStateChange(state) => match state {
                IceConnectionState::Disconnected => {
                    p.disconnected_since.get_or_insert(now);
                    p.stats.connected = false;
                    self.out.push_back(Output::Event(Event::Disconnected(peer)));
                }
                IceConnectionState::Connected | IceConnectionState::Completed
                    if p.disconnected_since.take().is_some() =>
                {
                    p.stats.connected = p.connected;
                    self.out.push_back(Output::Event(Event::Connected(peer)));
                }
                _ => {}
            },
            str0m::Event::MediaAdded(added) => {
                if let Role::Publisher { tracks, .. } = &mut p.role
                    && added.direction.is_receiving()
                    && !tracks.iter().any(|t| t.mid == added.mid)
                {
                    tracks.push(PubTrack {
                        mid: added.mid,
                        kind: added.kind.into(),
                        subscribers: Vec::new(),
                        last_keyframe_request: None,
                    });
                }
            }
            str0m::Event::RtpPacket(packet) => self.on_packet(peer, packet),
            str0m::Event::KeyframeRequest(req) => {
                if let Role::Subscriber { source, tracks, .. } = &p.role
                    && let Some(t) = tracks.iter().find(|t| t.mid == req.mid)
                {
                    self.pending.keyframes.push((*source, t.source_track));
                }
            }
            str0m::Event::PeerStats(s) => {
                p.stats.bytes_received = s.peer_bytes_rx;
                p.stats.bytes_sent = s.peer_bytes_tx;
                p.stats.rtt = s.rtt;
                if let Some(pair) = s.selected_candidate_pair {
                    p.stats.local_candidate = Some(pair.local.addr.to_string());
                    p.stats.remote_candidate = Some(pair.remote.addr.to_string());
                }
            }
            str0m::Event::MediaIngressStats(s) => {
                let t = track_stats(&mut p.stats.tracks, &s.mid.to_string());
                (t.packets, t.bytes, t.nacks, t.plis, t.firs) =
                    (s.packets, s.bytes, s.nacks, s.plis, s.firs);
                (t.loss, t.rtt) = (s.loss, s.rtt);
            }
            str0m::Event::MediaEgressStats(s) => {
                let t = track_stats(&mut p.stats.tracks, &s.mid.to_string());
                (t.packets, t.bytes, t.nacks, t.plis, t.firs) =
                    (s.packets, s.bytes, s.nacks, s.plis, s.firs);
                (t.loss, t.rtt) = (s.loss, s.rtt);
            }
            _ => {}
        }
    }

    fn on_packet(&mut self, peer: PeerId, packet: RtpPacket) {
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        let Role::Publisher { tracks, ssrcs, .. } = &mut p.role else {
            return;
        };
        let ssrc = packet.header.ssrc;
        let track = match ssrcs.iter().find(|(s, _)| *s == ssrc) {
            Some((_, t)) => *t,
            None => {
                let Some(mid) = p.rtc.direct_api().stream_rx(&ssrc).map(|s| s.mid()) else {
                    return;
                };
                let Some(t) = tracks.iter().position(|t| t.mid == mid) else {
                    return;
                };
                ssrcs.push((ssrc, t));
                t
            }
        };
        if tracks[track].kind == MediaKind::Audio
            && let Some(level) = packet.header.ext_vals.audio_level
        {
            if let Some(speaking) = p.voice.update(level.unsigned_abs(), packet.timestamp) {
                self.out
                    .push_back(Output::Event(Event::Speaking(peer, speaking)));
            }
            p.stats.audio_level = Some(p.voice.level());
        }
        if !tracks[track].subscribers.is_empty() {
            self.pending.forwards.push((peer, track, packet));
        }
    }

    /// Does the forwarding and keyframe work collected while draining, until none is left.
    pub(crate) fn flush(&mut self, now: Instant) {
        while !self.pending.forwards.is_empty() || !self.pending.keyframes.is_empty() {
            let mut forwards = std::mem::take(&mut self.pending.forwards);
            std::mem::swap(&mut self.pending.forwards, &mut self.pending.spare_forwards);
            for (publisher, track, packet) in forwards.drain(..) {
                self.forward(publisher, track, &packet, now);
            }
            self.pending.spare_forwards = forwards;

            let mut keyframes = std::mem::take(&mut self.pending.keyframes);
            std::mem::swap(
                &mut self.pending.keyframes,
                &mut self.pending.spare_keyframes,
            );
            for (publisher, track) in keyframes.drain(..) {
                self.send_keyframe_request(publisher, track, now);
            }
            self.pending.spare_keyframes = keyframes;
        }
    }

    fn send_keyframe_request(&mut self, publisher: PeerId, track: usize, now: Instant) {
        let interval = self.config.keyframe_request_interval;
        let Some(p) = self.peers.get_mut(&publisher) else {
            return;
        };
        let Role::Publisher { tracks, .. } = &mut p.role else {
            return;
        };
        let Some(t) = tracks.get_mut(track) else {
            return;
        };
        if t.kind != MediaKind::Video
            || t.last_keyframe_request
                .is_some_and(|at| now.saturating_duration_since(at) < interval)
        {
            return;
        }
        t.last_keyframe_request = Some(now);
        let mid = t.mid;
        let mut api = p.rtc.direct_api();
        let Some(rx) = api.stream_rx_by_mid(mid, None) else {
            return;
        };
        rx.request_keyframe(KeyframeRequestKind::Pli);
        self.drive(publisher, now);
    }

    /// Sends `packet` of `publisher`'s `track` to every subscriber of that track.
    fn forward(&mut self, publisher: PeerId, track: usize, packet: &RtpPacket, now: Instant) {
        let pt = packet.header.payload_type;
        let Some((kind, count, codec)) = self.source_info(publisher, track, pt) else {
            return;
        };
        let ssrc = *packet.header.ssrc;
        let mut wants_keyframe = false;
        let ext = ExtensionValues {
            audio_level: packet.header.ext_vals.audio_level,
            voice_activity: packet.header.ext_vals.voice_activity,
            video_orientation: packet.header.ext_vals.video_orientation,
            ..Default::default()
        };
        for i in 0..count {
            let Some((sub, index)) = self.subscriber_at(publisher, track, i) else {
                break;
            };
            let Some(s) = self.peers.get_mut(&sub) else {
                continue;
            };
            if !s.connected {
                continue;
            }
            let Role::Subscriber { tracks, .. } = &mut s.role else {
                continue;
            };
            let Some(t) = tracks.get_mut(index) else {
                continue;
            };
            if kind == MediaKind::Video && !t.rewriter.is_mapped(ssrc) {
                let starts = codec.is_some_and(|c| keyframe::starts_keyframe(c, &packet.payload));
                if !starts {
                    wants_keyframe = true;
                    continue;
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
            let mid = t.mid;
            let mut api = s.rtc.direct_api();
            let Some(tx) = api.stream_tx_by_mid(mid, None) else {
                continue;
            };
            tx.write_rtp(
                RtpWrite::new(out_pt, SeqNo::from(seq), ts, now, packet.payload.clone())
                    .marker(packet.header.marker)
                    .ext_vals(ext.clone())
                    .nackable(kind == MediaKind::Video),
            );
            self.drive(sub, now);
        }
        if wants_keyframe {
            self.pending.keyframes.push((publisher, track));
        }
    }

    /// Kind, number of subscribers and video codec (for keyframe detection) of a track.
    fn source_info(
        &mut self,
        publisher: PeerId,
        track: usize,
        pt: Pt,
    ) -> Option<(MediaKind, usize, Option<VideoCodec>)> {
        let p = self.peers.get_mut(&publisher)?;
        let Role::Publisher { tracks, codecs, .. } = &mut p.role else {
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
                        _ => None,
                    });
                codecs.push((pt, c));
                c
            }
        };
        Some((t.kind, t.subscribers.len(), codec))
    }

    fn subscriber_at(&self, publisher: PeerId, track: usize, i: usize) -> Option<(PeerId, usize)> {
        match &self.peers.get(&publisher)?.role {
            Role::Publisher { tracks, .. } => tracks.get(track)?.subscribers.get(i).copied(),
            Role::Subscriber { .. } => None,
        }
    }

    /// After a subscriber's answer: which of its payload types carries each of the
    /// publisher's.
    pub(crate) fn map_payload_types(&mut self, subscriber: PeerId) {
        let Some(source) = self.peers.get(&subscriber).and_then(|p| match &p.role {
            Role::Subscriber { source, .. } => Some(*source),
            Role::Publisher { .. } => None,
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
        let Role::Subscriber { tracks, .. } = &mut s.role else {
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

fn track_stats<'a>(tracks: &'a mut Vec<TrackStats>, mid: &str) -> &'a mut TrackStats {
    match tracks.iter().position(|t| t.mid == mid) {
        Some(i) => &mut tracks[i],
        None => {
            tracks.push(TrackStats {
                mid: mid.to_owned(),
                ..Default::default()
            });
            tracks.last_mut().expect("just pushed")
        }
    }
}
