//! The engine: peers, demultiplexing of datagrams, timers, and the command API.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use str0m::net::{DatagramRecv, Protocol, Receive};
use str0m::{Candidate, Input, Rtc};

use crate::config::EngineConfig;
use crate::error::MediaError;
use crate::forward::Pending;
use crate::peer::{MediaKind, Peer, PeerStats, Role};
use crate::stun;
use crate::timers::Timers;

mod negotiation;

/// Handle of a peer connection inside the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PeerId(pub u64);

impl fmt::Display for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "peer-{}", self.0)
    }
}

/// A datagram to send.
#[derive(Debug)]
pub struct Transmit {
    /// Local address (one of the configured candidates).
    pub source: SocketAddr,
    /// Remote address.
    pub destination: SocketAddr,
    /// The bytes.
    pub contents: Vec<u8>,
}

/// Why the engine closed a peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// ICE/DTLS never completed within the connect timeout.
    ConnectTimeout,
    /// ICE stayed disconnected longer than the disconnect timeout.
    DisconnectTimeout,
    /// The remote closed DTLS, or the connection failed fatally.
    Failed,
}

/// Something the server should know about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// ICE and DTLS are up (again).
    Connected(PeerId),
    /// ICE lost the remote (it may come back).
    Disconnected(PeerId),
    /// The engine removed the peer.
    Closed(PeerId, CloseReason),
    /// A publisher's audio started (`true`) or stopped (`false`) carrying speech.
    Speaking(PeerId, bool),
}

/// What [`Engine::poll_output`] returns.
#[derive(Debug)]
pub enum Output {
    /// Send this datagram.
    Transmit(Transmit),
    /// Tell the server.
    Event(Event),
    /// Nothing more until this time (or new input).
    Timeout(Instant),
}

/// The SFU engine. See the crate documentation.
pub struct Engine {
    pub(crate) config: EngineConfig,
    cert: str0m::config::DtlsCert,
    pub(crate) peers: HashMap<PeerId, Peer>,
    next_id: u64,
    by_ufrag: HashMap<String, PeerId>,
    by_addr: HashMap<SocketAddr, PeerId>,
    timers: Timers,
    pub(crate) out: VecDeque<Output>,
    pub(crate) pending: Pending,
    last_now: Instant,
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
            next_id: config.first_peer_id.max(1),
            config,
            cert,
            peers: HashMap::new(),
            by_ufrag: HashMap::new(),
            by_addr: HashMap::new(),
            timers: Timers::default(),
            out: VecDeque::new(),
            pending: Pending::default(),
            last_now: now,
        }
    }

    /// Number of live peers.
    pub fn peer_count(&self) -> usize {
        self.peers.len()
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
        let c =
            Candidate::from_sdp_string(line).map_err(|e| MediaError::Candidate(e.to_string()))?;
        let p = self.peers.get_mut(&peer).ok_or(MediaError::NoSuchPeer)?;
        p.rtc.add_remote_candidate(c);
        self.drive(peer, now);
        self.flush(now);
        Ok(())
    }

    /// Asks the publisher `peer` for a keyframe on its video tracks.
    pub fn request_keyframe(&mut self, now: Instant, peer: PeerId) {
        let video: Vec<usize> = match self.peers.get(&peer).map(|p| &p.role) {
            Some(Role::Publisher { tracks, .. }) => tracks
                .iter()
                .enumerate()
                .filter(|(_, t)| t.kind == MediaKind::Video)
                .map(|(i, _)| i)
                .collect(),
            _ => return,
        };
        for track in video {
            self.pending.keyframes.push((peer, track));
        }
        self.flush(now);
    }

    /// Closes and forgets `peer`. Its subscribers (if a publisher) stay, receiving nothing.
    pub fn remove_peer(&mut self, now: Instant, peer: PeerId) {
        let Some(mut p) = self.peers.remove(&peer) else {
            return;
        };
        p.rtc.disconnect();
        self.timers.remove(peer);
        self.by_ufrag.remove(&p.ufrag);
        for addr in &p.addrs {
            if self.by_addr.get(addr) == Some(&peer) {
                self.by_addr.remove(addr);
            }
        }
        if let Role::Subscriber { source, .. } = p.role
            && let Some(Peer {
                role: Role::Publisher { tracks, .. },
                ..
            }) = self.peers.get_mut(&source)
        {
            for t in tracks {
                t.subscribers.retain(|(s, _)| *s != peer);
            }
        }
        self.last_now = now;
    }

    /// The live peers.
    pub fn peer_ids(&self) -> impl Iterator<Item = PeerId> + '_ {
        self.peers.keys().copied()
    }

    /// Statistics of `peer`.
    pub fn stats(&self, peer: PeerId) -> Option<PeerStats> {
        self.peers.get(&peer).map(|p| {
            let mut stats = p.stats.clone();
            stats.speaking = p.voice.is_speaking(self.last_now);
            stats
        })
    }

    /// A datagram arrived from `source` on the socket bound to `destination`.
    pub fn handle_datagram(
        &mut self,
        now: Instant,
        source: SocketAddr,
        destination: SocketAddr,
        datagram: &[u8],
    ) {
        self.last_now = now;
        let peer = if stun::is_stun(datagram) {
            let Some(peer) = stun::local_ufrag(datagram)
                .and_then(|u| self.by_ufrag.get(u))
                .copied()
            else {
                tracing::trace!(%source, "STUN for no known peer dropped");
                return;
            };
            self.learn_address(peer, source);
            peer
        } else {
            match self.by_addr.get(&source) {
                Some(p) => *p,
                None => {
                    tracing::trace!(%source, "datagram from an unknown address dropped");
                    return;
                }
            }
        };
        let Ok(contents) = DatagramRecv::try_from(datagram) else {
            return;
        };
        let destination = self.local_address_for(destination);
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        let input = Input::Receive(
            now,
            Receive {
                proto: Protocol::Udp,
                source,
                destination,
                contents,
            },
        );
        if let Err(e) = p.rtc.handle_input(input) {
            tracing::debug!(%peer, error = %e, "input rejected");
        }
        self.drive(peer, now);
        self.flush(now);
    }

    /// Time passed: wake the peers whose deadline is due.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.last_now = now;
        while let Some(peer) = self.timers.pop_due(now) {
            if let Some((since, reason)) = self.peers.get(&peer).and_then(|p| p.parked) {
                if now.saturating_duration_since(since) >= self.config.park_timeout {
                    self.close(now, peer, reason);
                } else {
                    self.timers.set(peer, since + self.config.park_timeout);
                }
                continue;
            }
            if let Some(reason) = self.expired(peer, now) {
                self.close(now, peer, reason);
                continue;
            }
            let Some(p) = self.peers.get_mut(&peer) else {
                continue;
            };
            if let Err(e) = p.rtc.handle_input(Input::Timeout(now)) {
                tracing::debug!(%peer, error = %e, "timeout handling failed");
            }
            self.drive(peer, now);
        }
        self.flush(now);
    }

    /// The next thing to do: a datagram to send, an event, or when to call
    /// [`Engine::handle_timeout`].
    pub fn poll_output(&mut self) -> Output {
        if let Some(o) = self.out.pop_front() {
            return o;
        }
        Output::Timeout(self.timers.earliest().unwrap_or(self.last_now + IDLE))
    }

    fn insert(&mut self, mut rtc: Rtc, role: Role, now: Instant) -> PeerId {
        let id = PeerId(self.next_id);
        self.next_id += 1;
        let ufrag = rtc.direct_api().local_ice_credentials().ufrag;
        self.by_ufrag.insert(ufrag.clone(), id);
        self.peers.insert(
            id,
            Peer {
                rtc,
                role,
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

    /// The configured candidate address a datagram received on `destination` belongs to:
    /// the socket may be bound to a wildcard or private address while a public one is
    /// announced.
    fn local_address_for(&self, destination: SocketAddr) -> SocketAddr {
        if self.config.candidates.contains(&destination) {
            return destination;
        }
        self.config
            .candidates
            .iter()
            .find(|c| c.is_ipv4() == destination.is_ipv4())
            .or(self.config.candidates.first())
            .copied()
            .unwrap_or(destination)
    }

    fn learn_address(&mut self, peer: PeerId, addr: SocketAddr) {
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

    /// Ends a peer's connection. A publisher is parked rather than removed: browsers
    /// close the old connection before offering a new one (`reconnectStream`), and the
    /// replacement must find the publisher and its subscribers still there. A parked
    /// publisher that is not replaced in time is removed.
    pub(crate) fn close(&mut self, now: Instant, peer: PeerId, reason: CloseReason) {
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        if p.parked.is_none() && matches!(p.role, Role::Publisher { .. }) {
            tracing::debug!(%peer, ?reason, "publisher connection ended; parked for a reconnection");
            p.rtc.disconnect();
            p.parked = Some((now, reason));
            p.connected = false;
            p.stats.connected = false;
            let ufrag = std::mem::take(&mut p.ufrag);
            let addrs = std::mem::take(&mut p.addrs);
            self.by_ufrag.remove(&ufrag);
            for addr in addrs {
                if self.by_addr.get(&addr) == Some(&peer) {
                    self.by_addr.remove(&addr);
                }
            }
            self.timers.set(peer, now + self.config.park_timeout);
            self.out.push_back(Output::Event(Event::Disconnected(peer)));
            return;
        }
        tracing::debug!(%peer, ?reason, "closing peer");
        self.remove_peer(now, peer);
        self.out
            .push_back(Output::Event(Event::Closed(peer, reason)));
    }

    /// Drains `peer` until str0m has nothing more to say before a future deadline; then
    /// schedules that deadline.
    pub(crate) fn drive(&mut self, peer: PeerId, now: Instant) {
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
}
