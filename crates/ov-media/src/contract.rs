//! What the engine and the code that drives it exchange: peer handles, datagrams to send,
//! events, and the engine's answer to "what next?". Kept apart from the engine so that
//! every module can name these without depending on the engine itself.

use std::fmt;
use std::net::SocketAddr;
use std::time::Instant;

/// Handle of a peer connection inside the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PeerId(pub u64);

impl fmt::Display for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "peer-{}", self.0)
    }
}

/// The transport a packet travels on. Over TCP (ICE-TCP, RFC 6544) each packet is one
/// RFC 4571 frame of a connection the driver accepted; the engine only sees the packets,
/// the framing and the connections are the driver's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Transport {
    /// A UDP datagram.
    #[default]
    Udp,
    /// One framed packet of a TCP connection, identified by its remote address.
    Tcp,
}

/// Where a remote peer's packets come from: a UDP address, or a TCP connection (known by
/// its remote address). The same address on the two transports is two routes.
pub(crate) type Route = (Transport, SocketAddr);

/// A packet to send: a UDP datagram, or a frame on the TCP connection from `destination`.
#[derive(Debug)]
pub struct Transmit {
    /// UDP, or the TCP connection whose remote address is `destination`.
    pub transport: Transport,
    /// Local address (one of the configured candidates of `transport`).
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
///
/// There is no voice-activity event: OpenVidu 2 sends no server-side speaking events
/// (browsers compute `publisherStartSpeaking` themselves), so the smoothed level and the
/// speaking flag are only reported in [`PeerStats`](crate::PeerStats) (REST `webRtcStats`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// ICE and DTLS are up (again).
    Connected(PeerId),
    /// ICE lost the remote (it may come back).
    Disconnected(PeerId),
    /// The engine removed the peer.
    Closed(PeerId, CloseReason),
}

impl Event {
    /// The peer the event is about.
    pub fn peer(&self) -> PeerId {
        match self {
            Event::Connected(p) | Event::Disconnected(p) | Event::Closed(p, _) => *p,
        }
    }
}

/// What [`Engine::poll_output`](crate::Engine::poll_output) returns.
#[derive(Debug)]
pub enum Output {
    /// Send this datagram.
    Transmit(Transmit),
    /// Tell the server.
    Event(Event),
    /// Nothing more until this time (or new input).
    Timeout(Instant),
}
