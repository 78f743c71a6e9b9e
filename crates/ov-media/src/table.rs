//! The peers of one engine and the bookkeeping that must change together with them: the
//! routes that bring a datagram to its peer (ICE user fragment, remote addresses), each
//! peer's next deadline, the outputs waiting for the driver, and the forwarding work the
//! pump queued.
//!
//! Only the peer lifecycle lives here (add, close, remove). The pump ([`crate::pump`]) and
//! forwarding ([`crate::forward`]) build on this table; it knows neither of them, and the
//! [`Engine`](crate::Engine) wraps it with the public API. That keeps the modules in one
//! direction: engine → forward → pump → table.

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use str0m::Rtc;
use str0m::rtp::RtpPacket;

use crate::config::EngineConfig;
use crate::contract::{CloseReason, Event, Output, PeerId, Route};
use crate::error::MediaError;
use crate::peer::{Peer, PeerKind, PeerStats};
use crate::timers::Timers;

/// Every peer of an engine, with its routes, deadlines and pending outputs.
pub(crate) struct PeerTable {
    pub config: EngineConfig,
    pub peers: HashMap<PeerId, Peer>,
    next_id: u64,
    /// Local ICE user fragment → peer: how a STUN request finds its peer.
    pub by_ufrag: HashMap<String, PeerId>,
    /// Remote address (per transport) → peer, learned from STUN: how every other packet
    /// finds its peer.
    pub by_addr: HashMap<Route, PeerId>,
    pub timers: Timers,
    /// What [`Engine::poll_output`](crate::Engine::poll_output) hands out, in order.
    pub out: VecDeque<Output>,
    pub pending: Pending,
    /// The latest time given to the engine: the base of its idle timeout and the "now" of
    /// [`Engine::stats`](crate::Engine::stats).
    pub last_now: Instant,
}

/// A received packet to forward: its publisher, track and layer.
pub(crate) struct Forward {
    pub publisher: PeerId,
    pub track: usize,
    pub layer: usize,
    pub packet: RtpPacket,
}

/// Work the pump produced while a peer was borrowed, done by [`PeerTable::flush`] once it
/// no longer is (forwarding writes into other peers).
#[derive(Default)]
pub(crate) struct Pending {
    pub forwards: Vec<Forward>,
    /// (publisher, track index, layer index) that should send a keyframe; no layer: the
    /// top one ([`PubTrack::top_layer`](crate::peer::PubTrack::top_layer)).
    pub keyframes: Vec<(PeerId, usize, Option<usize>)>,
    /// Subscribers with a new bandwidth estimate, to allocate layers for.
    pub allocations: Vec<PeerId>,
    /// Simulcast publishers whose uplink cap is due (`crate::uplink`).
    pub uplinks: Vec<PeerId>,
    /// Emptied buffers kept for the next round, so that flushing does not allocate.
    pub spare_forwards: Vec<Forward>,
    pub spare_keyframes: Vec<(PeerId, usize, Option<usize>)>,
}

impl PeerTable {
    pub fn new(config: EngineConfig, now: Instant) -> PeerTable {
        PeerTable {
            next_id: config.first_peer_id.max(1),
            config,
            peers: HashMap::new(),
            by_ufrag: HashMap::new(),
            by_addr: HashMap::new(),
            timers: Timers::default(),
            out: VecDeque::new(),
            pending: Pending::default(),
            last_now: now,
        }
    }

    /// `peer`, or the error a command naming an unknown peer fails with.
    pub fn peer(&self, peer: PeerId) -> Result<&Peer, MediaError> {
        self.peers.get(&peer).ok_or(MediaError::NoSuchPeer)
    }

    /// `peer`, mutably, or the error a command naming an unknown peer fails with.
    pub fn peer_mut(&mut self, peer: PeerId) -> Result<&mut Peer, MediaError> {
        self.peers.get_mut(&peer).ok_or(MediaError::NoSuchPeer)
    }

    /// Adds a peer under a fresh id, reachable by its local ICE user fragment.
    pub fn insert(&mut self, mut rtc: Rtc, kind: PeerKind, now: Instant) -> PeerId {
        let id = PeerId(self.next_id);
        self.next_id += 1;
        let ufrag = rtc.direct_api().local_ice_credentials().ufrag;
        self.by_ufrag.insert(ufrag.clone(), id);
        self.peers.insert(
            id,
            Peer {
                rtc,
                kind,
                ufrag,
                addrs: Vec::new(),
                created: now,
                connected: false,
                disconnected_since: None,
                parked: None,
                stats: PeerStats::default(),
                voice: Default::default(),
            },
        );
        id
    }

    /// Closes and forgets `peer`, and unlinks a subscriber from its publisher.
    pub fn remove(&mut self, now: Instant, peer: PeerId) {
        let Some(mut p) = self.peers.remove(&peer) else {
            return;
        };
        p.rtc.disconnect();
        self.timers.remove(peer);
        self.unroute(peer, &p.ufrag, &p.addrs);
        if let PeerKind::Subscriber { source, .. } = p.kind
            && let Some(Peer {
                kind: PeerKind::Publisher { tracks, .. },
                ..
            }) = self.peers.get_mut(&source)
        {
            for t in tracks {
                t.subscribers.retain(|(s, _)| *s != peer);
            }
        }
        self.last_now = now;
    }

    /// Ends a peer's connection. A publisher is parked rather than removed: browsers
    /// close the old connection before offering a new one (`reconnectStream`), and the
    /// replacement must find the publisher and its subscribers still there. A parked
    /// publisher that is not replaced in time is removed.
    pub fn close(&mut self, now: Instant, peer: PeerId, reason: CloseReason) {
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        if p.parked.is_none() && matches!(p.kind, PeerKind::Publisher { .. }) {
            tracing::debug!(%peer, ?reason, "publisher connection ended; parked for a reconnection");
            p.rtc.disconnect();
            p.parked = Some((now, reason));
            p.connected = false;
            p.stats.connected = false;
            let ufrag = std::mem::take(&mut p.ufrag);
            let addrs = std::mem::take(&mut p.addrs);
            self.unroute(peer, &ufrag, &addrs);
            self.timers.set(peer, now + self.config.park_timeout);
            self.out.push_back(Output::Event(Event::Disconnected(peer)));
            return;
        }
        tracing::debug!(%peer, ?reason, "closing peer");
        self.remove(now, peer);
        self.out
            .push_back(Output::Event(Event::Closed(peer, reason)));
    }

    /// Routes packets from `addr` to `peer` (a STUN request from there named it). An
    /// address belongs to one peer: the previous owner loses it.
    pub fn learn_address(&mut self, peer: PeerId, addr: Route) {
        match self.by_addr.insert(addr, peer) {
            Some(old) if old == peer => {}
            other => {
                if let Some(old) = other
                    && let Some(p) = self.peers.get_mut(&old)
                {
                    p.addrs.retain(|a| *a != addr);
                }
                if let Some(p) = self.peers.get_mut(&peer) {
                    p.addrs.push(addr);
                }
            }
        }
    }

    /// Stops routing `ufrag` and those of `addrs` that still lead to `peer`.
    pub fn unroute(&mut self, peer: PeerId, ufrag: &str, addrs: &[Route]) {
        self.by_ufrag.remove(ufrag);
        for addr in addrs {
            if self.by_addr.get(addr) == Some(&peer) {
                self.by_addr.remove(addr);
            }
        }
    }
}
