//! The engine: the public API. Inputs come in here (datagrams, time, commands), are routed
//! to their peer, pumped ([`crate::pump`]), forwarded ([`crate::forward`]), and leave
//! through [`Engine::poll_output`].
//!
//! A datagram's path: [`Engine::handle_datagram`] finds its peer (STUN by the local ICE
//! user fragment, anything else by the remote address a STUN request taught),
//! `PeerTable::receive` hands it to that peer's str0m `Rtc` and drains it, and
//! `PeerTable::flush` sends the RTP it yielded to the subscribers.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use str0m::Candidate;
use str0m::net::{DatagramRecv, Protocol, Receive};

use crate::config::EngineConfig;
use crate::contract::{Output, PeerId, Route, Transport};
use crate::error::MediaError;
use crate::peer::{PeerKind, PeerStats};
use crate::stun;
use crate::table::PeerTable;

mod negotiation;
mod simulcast;
mod taps;

pub use simulcast::LayerState;

/// The SFU engine. See the crate documentation.
pub struct Engine {
    cert: str0m::config::DtlsCert,
    table: PeerTable,
    next_tap: u64,
}

/// How long the engine sleeps when it has no peer at all.
const IDLE: Duration = Duration::from_secs(1);

impl Engine {
    /// A new engine. Installs str0m's crypto provider for the process if none is yet.
    pub fn new(config: EngineConfig, now: Instant) -> Engine {
        static INSTALL: std::sync::Once = std::sync::Once::new();
        INSTALL.call_once(|| {
            str0m::crypto::from_feature_flags().install_process_default();
        });
        let cert = str0m::crypto::from_feature_flags()
            .dtls_provider
            .generate_certificate()
            .expect("the crypto provider generates DTLS certificates");
        Engine {
            cert,
            table: PeerTable::new(config, now),
            next_tap: 1,
        }
    }

    /// Number of live peers.
    pub fn peer_count(&self) -> usize {
        self.table.peers.len()
    }

    /// The live peers.
    pub fn peer_ids(&self) -> impl Iterator<Item = PeerId> + '_ {
        self.table.peers.keys().copied()
    }

    /// Statistics of `peer`.
    pub fn stats(&self, peer: PeerId) -> Option<PeerStats> {
        self.table.peers.get(&peer).map(|p| {
            let now = self.table.last_now;
            let mut stats = p.stats.clone();
            stats.speaking = p.voice.is_speaking(now);
            stats.layer_shortfall = self.layer_shortfall(peer, now);
            stats.video_paused = self
                .layer_state(peer)
                .ok()
                .flatten()
                .is_some_and(|s| s.paused);
            self.note_upstream_loss(&p.kind, &mut stats);
            stats
        })
    }

    /// Sets each subscriber track's [`TrackStats::upstream_loss`](crate::TrackStats): the
    /// loss its publisher's browser caused on the way in, which reaches the subscriber as
    /// gaps too (for audio, which nothing retransmits) and is no fault of its own link.
    fn note_upstream_loss(&self, kind: &PeerKind, stats: &mut PeerStats) {
        let PeerKind::Subscriber { source, tracks, .. } = kind else {
            return;
        };
        let Some(publisher) = self.table.peers.get(source) else {
            return;
        };
        let PeerKind::Publisher {
            tracks: sources, ..
        } = &publisher.kind
        else {
            return;
        };
        for t in &mut stats.tracks {
            let source_mid = tracks
                .iter()
                .find(|s| s.mid.to_string() == t.mid)
                .and_then(|s| sources.get(s.source_track))
                .map(|s| s.mid.to_string());
            t.upstream_loss = publisher
                .stats
                .tracks
                .iter()
                .filter(|u| Some(&u.mid) == source_mid.as_ref())
                .filter_map(|u| u.loss)
                .reduce(f32::max);
        }
    }

    /// A UDP datagram arrived from `source` on the socket bound to `destination`.
    pub fn handle_datagram(
        &mut self,
        now: Instant,
        source: SocketAddr,
        destination: SocketAddr,
        datagram: &[u8],
    ) {
        self.handle_packet(now, Transport::Udp, source, destination, datagram);
    }

    /// A packet arrived over `transport`: a UDP datagram from `source` on the socket bound
    /// to `destination`, or one de-framed packet of the TCP connection from `source`
    /// accepted on `destination`. Returns whether it reached a peer (a STUN message naming
    /// a known peer, or anything from an address a STUN message taught): a TCP connection
    /// whose first packet does not is a stranger the driver should close.
    pub fn handle_packet(
        &mut self,
        now: Instant,
        transport: Transport,
        source: SocketAddr,
        destination: SocketAddr,
        packet: &[u8],
    ) -> bool {
        self.table.last_now = now;
        let Some(peer) = self.route((transport, source), packet) else {
            return false;
        };
        let Ok(contents) = DatagramRecv::try_from(packet) else {
            return false;
        };
        let destination = self.local_address_for(transport, destination);
        let receive = Receive {
            proto: match transport {
                Transport::Udp => Protocol::Udp,
                Transport::Tcp => Protocol::Tcp,
            },
            source,
            destination,
            contents,
        };
        self.table.receive(peer, now, receive);
        self.table.flush(now);
        true
    }

    /// Time passed: wake the peers whose deadline is due.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.table.last_now = now;
        while let Some(peer) = self.table.timers.pop_due(now) {
            self.table.wake(peer, now);
        }
        self.table.flush(now);
    }

    /// The next thing to do: a datagram to send, an event, or when to call
    /// [`Engine::handle_timeout`].
    pub fn poll_output(&mut self) -> Output {
        if let Some(o) = self.table.out.pop_front() {
            return o;
        }
        Output::Timeout(
            self.table
                .timers
                .earliest()
                .unwrap_or(self.table.last_now + IDLE),
        )
    }

    /// Adds a candidate the browser trickled (`candidate:…`, with or without `a=`). An
    /// ICE-lite server does not need them; they are accepted for completeness.
    pub fn add_remote_candidate(
        &mut self,
        now: Instant,
        peer: PeerId,
        candidate: &str,
    ) -> Result<(), MediaError> {
        let line = candidate.trim().trim_start_matches("a=");
        if line.is_empty() {
            return Ok(());
        }
        let c = Candidate::from_sdp_string(line).map_err(|e| {
            MediaError::Candidate(crate::sdp_error::strip_addresses(&e.to_string()))
        })?;
        let p = self.table.peer_mut(peer)?;
        p.rtc.add_remote_candidate(c);
        self.table.drive(peer, now);
        self.table.flush(now);
        Ok(())
    }

    /// Asks the publisher `peer` for a keyframe on its video tracks (on the top layer of a
    /// simulcast track: the one taps copy).
    pub fn request_keyframe(&mut self, now: Instant, peer: PeerId) {
        self.table.queue_keyframe_requests(peer);
        self.table.flush(now);
    }

    /// Closes and forgets `peer`. Its subscribers (if a publisher) stay, receiving nothing.
    pub fn remove_peer(&mut self, now: Instant, peer: PeerId) {
        self.table.remove(now, peer);
    }

    /// The peer a datagram from `source` is for: a STUN request names it by its local ICE
    /// user fragment (and teaches the engine the address it comes from); anything else
    /// (DTLS, SRTP) is known only by that address.
    fn route(&mut self, source: Route, datagram: &[u8]) -> Option<PeerId> {
        if stun::is_stun(datagram) {
            let Some(peer) = stun::local_ufrag(datagram)
                .and_then(|u| self.table.by_ufrag.get(u))
                .copied()
            else {
                tracing::trace!(source = %source.1, transport = ?source.0, "STUN for no known peer dropped");
                return None;
            };
            self.table.learn_address(peer, source);
            return Some(peer);
        }
        let peer = self.table.by_addr.get(&source).copied();
        if peer.is_none() {
            tracing::trace!(source = %source.1, transport = ?source.0, "packet from an unknown address dropped");
        }
        peer
    }

    /// The configured candidate address (of `transport`) a packet received on
    /// `destination` belongs to: the socket may be bound to a wildcard or private address
    /// while a public one is announced.
    fn local_address_for(&self, transport: Transport, destination: SocketAddr) -> SocketAddr {
        let candidates = match transport {
            Transport::Udp => &self.table.config.candidates,
            Transport::Tcp => &self.table.config.tcp_candidates,
        };
        if candidates.contains(&destination) {
            return destination;
        }
        candidates
            .iter()
            .find(|c| c.is_ipv4() == destination.is_ipv4())
            .or(candidates.first())
            .copied()
            .unwrap_or(destination)
    }
}
