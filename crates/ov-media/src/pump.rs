//! The per-peer pump: gives one peer's str0m `Rtc` its input (a datagram the engine routed
//! to it, or the passing of time) and drains what str0m produces. Datagrams to send go to
//! the driver's output; str0m events update the peer (connection state, tracks,
//! statistics, voice activity); received RTP and keyframe needs become [`Pending`] work
//! that [`crate::forward`] does once no peer is borrowed.
//!
//! [`Pending`]: crate::table::Pending

use std::time::{Duration, Instant};

use str0m::bwe::BweKind;
use str0m::media::{Mid, Rid};
use str0m::net::{Protocol, Receive};
use str0m::rtp::RtpPacket;
use str0m::{IceConnectionState, Input};

use crate::contract::{CloseReason, Event, Output, PeerId, Transmit, Transport};
use crate::layers::declared_rids;
use crate::peer::{MediaKind, PeerKind, PubTrack, TrackStats};
use crate::table::{Forward, PeerTable};

impl PeerTable {
    /// A datagram for `peer` arrived.
    pub fn receive(&mut self, peer: PeerId, now: Instant, receive: Receive) {
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        if let Err(e) = p.rtc.handle_input(Input::Receive(now, receive)) {
            tracing::debug!(%peer, error = %e, "input rejected");
        }
        self.drive(peer, now);
    }

    /// `peer`'s deadline passed: close it if it waited too long (parked, never connected,
    /// disconnected), else let str0m handle the time.
    pub fn wake(&mut self, peer: PeerId, now: Instant) {
        if let Some((since, reason)) = self.peers.get(&peer).and_then(|p| p.parked) {
            if now.saturating_duration_since(since) >= self.config.park_timeout {
                self.close(now, peer, reason);
            } else {
                self.timers.set(peer, since + self.config.park_timeout);
            }
            return;
        }
        if let Some(reason) = self.expired(peer, now) {
            self.close(now, peer, reason);
            return;
        }
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        if let Err(e) = p.rtc.handle_input(Input::Timeout(now)) {
            tracing::debug!(%peer, error = %e, "timeout handling failed");
        }
        if let PeerKind::Subscriber {
            reallocate_at: Some(at),
            ..
        } = p.kind
            && at <= now
        {
            self.pending.allocations.push(peer);
        }
        if p.kind.uplink_due(now) {
            self.pending.uplinks.push(peer);
        }
        self.drive(peer, now);
    }

    /// Drains `peer` until str0m has nothing more to say before a future deadline; then
    /// schedules that deadline.
    pub fn drive(&mut self, peer: PeerId, now: Instant) {
        if self.peers.get(&peer).is_some_and(|p| p.parked.is_some()) {
            return;
        }
        // A written packet needs a timeout input to leave; a few rounds suffice.
        for _ in 0..8 {
            let Some(deadline) = self.drain(peer, now) else {
                return;
            };
            if deadline > now {
                let deadline = self.with_own_deadlines(peer, deadline);
                self.timers.set(peer, deadline);
                return;
            }
            let Some(p) = self.peers.get_mut(&peer) else {
                return;
            };
            if p.rtc.handle_input(Input::Timeout(now)).is_err() {
                break;
            }
        }
        self.timers.set(peer, now + Duration::from_millis(1));
    }

    /// Whether `peer` should be closed now.
    fn expired(&self, peer: PeerId, now: Instant) -> Option<CloseReason> {
        let p = self.peers.get(&peer)?;
        if !p.rtc.is_alive() {
            return Some(CloseReason::Failed);
        }
        if !p.connected && now.saturating_duration_since(p.created) >= self.config.connect_timeout {
            return Some(CloseReason::ConnectTimeout);
        }
        if let Some(since) = p.disconnected_since
            && now.saturating_duration_since(since) >= self.config.disconnect_timeout
        {
            return Some(CloseReason::DisconnectTimeout);
        }
        None
    }

    /// The earliest of str0m's deadline and the engine's own (connect/disconnect limits).
    fn with_own_deadlines(&self, peer: PeerId, deadline: Instant) -> Instant {
        let Some(p) = self.peers.get(&peer) else {
            return deadline;
        };
        let mut d = deadline;
        if !p.connected {
            d = d.min(p.created + self.config.connect_timeout);
        }
        if let Some(since) = p.disconnected_since {
            d = d.min(since + self.config.disconnect_timeout);
        }
        d
    }

    /// Polls `peer` until str0m returns its next deadline, handling its events.
    /// `None` when the peer is gone.
    fn drain(&mut self, peer: PeerId, now: Instant) -> Option<Instant> {
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
                    transport: match t.proto {
                        Protocol::Udp => Transport::Udp,
                        // Only passive TCP candidates are announced: TCP is plain TCP.
                        _ => Transport::Tcp,
                    },
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
                // A new subscriber needs a keyframe to start decoding (of the layer it will
                // be given, or the top one if it is not chosen yet).
                if let PeerKind::Subscriber { source, tracks, .. } = &p.kind {
                    for t in tracks.iter().filter(|t| t.kind == MediaKind::Video) {
                        let layer = t.layers.keyframe_layer();
                        self.pending
                            .keyframes
                            .push((*source, t.source_track, layer));
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
                if let PeerKind::Publisher { tracks, .. } = &mut p.kind
                    && added.direction.is_receiving()
                    && !tracks.iter().any(|t| t.mid == added.mid)
                {
                    let rids = declared_rids(&p.rtc, added.mid);
                    tracks.push(PubTrack::new(added.mid, added.kind.into(), &rids));
                }
            }
            str0m::Event::RtpPacket(packet) => self.on_packet(peer, now, packet),
            str0m::Event::KeyframeRequest(req) => {
                if let PeerKind::Subscriber { source, tracks, .. } = &p.kind
                    && let Some(t) = tracks.iter().find(|t| t.mid == req.mid)
                {
                    let layer = t.layers.keyframe_layer();
                    self.pending
                        .keyframes
                        .push((*source, t.source_track, layer));
                }
            }
            str0m::Event::EgressBitrateEstimate(BweKind::Twcc { estimate, .. }) => {
                if let PeerKind::Subscriber { estimate: e, .. } = &mut p.kind {
                    *e = Some(estimate.as_u64());
                    self.pending.allocations.push(peer);
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
                let kind = p.rtc.media(s.mid).map(|m| MediaKind::from(m.kind()));
                let t = track_stats(&mut p.stats.tracks, s.mid, s.rid, kind);
                (t.packets, t.bytes, t.nacks, t.plis, t.firs) =
                    (s.packets, s.bytes, s.nacks, s.plis, s.firs);
                (t.loss, t.rtt) = (s.loss, s.rtt);
                t.jitter = kind.map(|k| jitter(s.jitter, k));
            }
            str0m::Event::MediaEgressStats(s) => {
                let kind = p.rtc.media(s.mid).map(|m| MediaKind::from(m.kind()));
                let t = track_stats(&mut p.stats.tracks, s.mid, s.rid, kind);
                (t.packets, t.bytes, t.nacks, t.plis, t.firs) =
                    (s.packets, s.bytes, s.nacks, s.plis, s.firs);
                (t.loss, t.rtt) = (s.loss, s.rtt);
                if let (Some(remote), Some(k)) = (&s.remote, kind) {
                    t.jitter = Some(jitter(remote.jitter, k));
                }
            }
            _ => {}
        }
    }

    /// A publisher's RTP packet: find its track and layer (by SSRC, learned from str0m on
    /// the first packet), note its audio level, and queue it for the track's subscribers.
    fn on_packet(&mut self, peer: PeerId, now: Instant, packet: RtpPacket) {
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        let PeerKind::Publisher { tracks, ssrcs, .. } = &mut p.kind else {
            return;
        };
        let ssrc = packet.header.ssrc;
        let (track, layer) = match ssrcs.iter().find(|(s, _, _)| *s == ssrc) {
            Some(&(_, t, l)) => (t, l),
            None => {
                let Some((mid, rid)) = p
                    .rtc
                    .direct_api()
                    .stream_rx(&ssrc)
                    .map(|s| (s.mid(), s.rid()))
                else {
                    return;
                };
                let Some(t) = tracks.iter().position(|t| t.mid == mid) else {
                    return;
                };
                let layers = &tracks[t].layers;
                let Some(l) = layers
                    .iter()
                    .position(|l| l.rid == rid)
                    .or_else(|| (layers.len() == 1).then_some(0))
                else {
                    return;
                };
                ssrcs.push((ssrc, t, l));
                (t, l)
            }
        };
        let t = &mut tracks[track];
        let l = &mut t.layers[layer];
        l.last_packet = Some(now);
        l.rate.add(now, packet.payload.len());
        if t.kind == MediaKind::Audio
            && let Some(level) = packet.header.ext_vals.audio_level
        {
            // Only the statistics report voice activity (see `Event`).
            p.voice.update(level.unsigned_abs(), packet.timestamp);
            p.stats.audio_level = Some(p.voice.level());
        }
        if !t.subscribers.is_empty() || !t.taps.is_empty() {
            self.pending.forwards.push(Forward {
                publisher: peer,
                track,
                layer,
                packet,
            });
        }
    }
}

/// The stats entry of one media line and layer (str0m reports each simulcast layer on
/// its own), added on first use.
fn track_stats(
    tracks: &mut Vec<TrackStats>,
    mid: Mid,
    rid: Option<Rid>,
    kind: Option<MediaKind>,
) -> &mut TrackStats {
    let (mid, rid) = (mid.to_string(), rid.map(|r| r.to_string()));
    match tracks.iter().position(|t| t.mid == mid && t.rid == rid) {
        Some(i) => &mut tracks[i],
        None => {
            tracks.push(TrackStats {
                mid,
                rid,
                kind,
                ..Default::default()
            });
            tracks.last_mut().expect("just pushed")
        }
    }
}

/// A receiver report's interarrival jitter, in RTP clock units, as a duration.
fn jitter(units: u32, kind: MediaKind) -> Duration {
    Duration::from_secs_f64(f64::from(units) / f64::from(kind.clock_rate()))
}
