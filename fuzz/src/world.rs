//! A connected world for the datagram target: an [`Engine`] with a publisher and a
//! subscriber, each a browser-like str0m peer, joined through real ICE and DTLS on a
//! virtual clock and an in-memory network (as `crates/ov-media/tests/sim` does).
//!
//! Connecting takes tens of milliseconds, so a process builds its world once and
//! rebuilds it only when fuzz input has broken a connection; between fuzz cases the
//! peers exchange their real traffic for a moment so that ICE consent and DTLS stay up.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ov_media::{Engine, EngineConfig, Event, Output, PeerId, VideoCodecChoice};
use ov_testkit::BrowserPeer;
use str0m::media::{Frequency, MediaKind, MediaTime};

/// The engine's (only) local address.
pub const SERVER: &str = "127.0.0.1:5000";
/// The publisher's address: fuzz datagrams come from here unless a record says otherwise.
pub const PUBLISHER: &str = "127.0.0.2:6000";
/// The subscriber's address.
pub const SUBSCRIBER: &str = "127.0.0.2:6001";
/// An address the engine has never heard of.
pub const STRANGER: &str = "127.0.0.9:9999";

/// Virtual time a real exchange step advances.
const STEP: Duration = Duration::from_millis(5);

/// The engine, its two peers and the virtual clock.
pub struct World {
    pub now: Instant,
    pub engine: Engine,
    pub server: SocketAddr,
    pub publisher: BrowserPeer,
    pub publisher_addr: SocketAddr,
    pub publisher_id: PeerId,
    pub subscriber: BrowserPeer,
    pub subscriber_addr: SocketAddr,
    pub subscriber_id: PeerId,
    /// Set when the engine reported a peer as disconnected or closed: rebuild.
    pub broken: bool,
    /// The RTP clock of frames the publisher writes.
    rtp_ms: u64,
    /// Every datagram a peer sent to the engine, with its sender, when capturing seeds.
    pub captured: Option<Vec<(SocketAddr, Vec<u8>)>>,
}

/// Datagrams on their way: (from, to, bytes), delivered without latency.
type InFlight = Vec<(SocketAddr, SocketAddr, Vec<u8>)>;

impl World {
    /// Builds the world and runs it until both peers are connected (ICE + DTLS done).
    /// With `capture`, every datagram the peers send to the engine is kept.
    pub fn connected(capture: bool) -> World {
        let now = Instant::now();
        let server: SocketAddr = SERVER.parse().expect("an address");
        let publisher_addr: SocketAddr = PUBLISHER.parse().expect("an address");
        let subscriber_addr: SocketAddr = SUBSCRIBER.parse().expect("an address");
        let mut engine = Engine::new(EngineConfig::new(vec![server]), now);
        let mut publisher = BrowserPeer::with_host_candidate(publisher_addr, now).expect("peer");
        let offer = publisher.offer(true, true).expect("an offer");
        let (publisher_id, answer) = engine
            .add_publisher(now, &offer, VideoCodecChoice::Vp8Preferred)
            .expect("the engine accepts the offer");
        publisher.accept_answer(&answer).expect("the answer");
        let mut subscriber = BrowserPeer::with_host_candidate(subscriber_addr, now).expect("peer");
        let (subscriber_id, offer) = engine
            .add_subscriber(now, publisher_id, "fuzz")
            .expect("a subscription");
        let answer = subscriber.answer(&offer).expect("an answer");
        engine
            .accept_answer(now, subscriber_id, &answer)
            .expect("the engine accepts the answer");
        let mut world = World {
            now,
            engine,
            server,
            publisher,
            publisher_addr,
            publisher_id,
            subscriber,
            subscriber_addr,
            subscriber_id,
            broken: false,
            rtp_ms: 0,
            captured: capture.then(Vec::new),
        };
        let mut connected = Vec::new();
        for _ in 0..2000 {
            for e in world.exchange() {
                if let Event::Connected(p) = e {
                    connected.push(p);
                }
            }
            if connected.contains(&publisher_id) && connected.contains(&subscriber_id) {
                // A moment of media so that the forwarding path is warm.
                for _ in 0..20 {
                    world.publish_frame(
                        MediaKind::Video,
                        &ov_testkit::frames::vp8_frame(true, 1200),
                    );
                    world.publish_frame(MediaKind::Audio, &ov_testkit::frames::opus_frame());
                    world.exchange();
                }
                world.broken = false;
                return world;
            }
        }
        panic!("the fuzz world did not connect within 10 s of virtual time");
    }

    /// One step of real traffic: the clock advances, the peers and the engine handle
    /// their timeouts and every datagram between them, until nothing is in flight.
    /// Returns the engine's events.
    pub fn exchange(&mut self) -> Vec<Event> {
        self.now += STEP;
        let now = self.now;
        let mut in_flight = InFlight::new();
        let _ = self.publisher.handle_timeout(now);
        let _ = self.subscriber.handle_timeout(now);
        self.engine.handle_timeout(now);
        let mut events = Vec::new();
        for _ in 0..100 {
            drain_peer(&mut self.publisher, &mut in_flight);
            drain_peer(&mut self.subscriber, &mut in_flight);
            events.extend(self.drain_engine(Some(&mut in_flight)));
            if in_flight.is_empty() {
                break;
            }
            for (from, to, data) in std::mem::take(&mut in_flight) {
                if to == self.server {
                    if let Some(c) = self.captured.as_mut() {
                        c.push((from, data.clone()));
                    }
                    self.engine.handle_datagram(now, from, to, &data);
                } else if to == self.publisher_addr {
                    let _ = self.publisher.handle_datagram(now, from, to, &data);
                } else if to == self.subscriber_addr {
                    let _ = self.subscriber.handle_datagram(now, from, to, &data);
                }
            }
        }
        events
    }

    /// Drains the engine; its datagrams go to `in_flight` if given (else nowhere).
    /// Returns its events and marks the world broken on a disconnection or a close.
    pub fn drain_engine(&mut self, mut in_flight: Option<&mut InFlight>) -> Vec<Event> {
        let mut events = Vec::new();
        loop {
            match self.engine.poll_output() {
                Output::Transmit(t) => {
                    if let Some(f) = in_flight.as_deref_mut() {
                        f.push((t.source, t.destination, t.contents));
                    }
                }
                Output::Event(e) => {
                    if matches!(e, Event::Disconnected(_) | Event::Closed(..)) {
                        self.broken = true;
                    }
                    events.push(e);
                }
                Output::Timeout(_) => return events,
            }
        }
    }

    /// The publisher writes one frame of `kind` with `data` as its payload; str0m
    /// packetizes and encrypts it, and the datagrams go to the engine.
    pub fn publish_frame(&mut self, kind: MediaKind, data: &[u8]) {
        self.rtp_ms += 20;
        let freq = match kind {
            MediaKind::Audio => Frequency::FORTY_EIGHT_KHZ,
            MediaKind::Video => Frequency::NINETY_KHZ,
        };
        let rtp_time = MediaTime::new(self.rtp_ms * freq.get() as u64 / 1000, freq);
        if self
            .publisher
            .write(kind, self.now, rtp_time, data.to_vec())
            .is_err()
        {
            return;
        }
        let _ = self.publisher.handle_timeout(self.now);
        let mut in_flight = InFlight::new();
        drain_peer(&mut self.publisher, &mut in_flight);
        for (from, to, data) in in_flight {
            if to == self.server {
                if let Some(c) = self.captured.as_mut() {
                    c.push((from, data.clone()));
                }
                self.engine.handle_datagram(self.now, from, to, &data);
            }
        }
    }
}

fn drain_peer(peer: &mut BrowserPeer, in_flight: &mut InFlight) {
    let _ = peer.drain(
        |t| in_flight.push((t.source, t.destination, t.contents.into())),
        |_| {},
    );
}
