//! A simulated network: one [`Engine`] and browser-like str0m peers exchanging datagrams
//! in memory, with a virtual clock, latency and deterministic packet loss.
//!
//! Addresses are labels only; nothing is sent on a real network.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::ops::{Deref, DerefMut};
use std::time::{Duration, Instant};

use ov_media::{Engine, EngineConfig, Event, Output, PeerId, Transport, VideoCodecChoice};
use ov_testkit::frames::{ReceivedFrame, opus_frame, vp8_frame};
use ov_testkit::{BrowserPeer, PeerEvent};
use str0m::media::{Frequency, MediaKind, MediaTime, Rid};
use str0m::net::Protocol;
use str0m_netem::{
    Bitrate, DataSize, Input as NetemInput, Netem, NetemConfig, Output as NetemOutput,
};

pub const SERVER: &str = "127.0.0.1:5000";
pub const STEP: Duration = Duration::from_millis(5);
const LATENCY: Duration = Duration::from_millis(10);

/// A packet on its way: (arrival, from, to, contents, transport). Over TCP a packet is
/// one frame of the connection between `from` and `to`; the simulation does not frame.
type InFlight = Vec<(Instant, SocketAddr, SocketAddr, Vec<u8>, Transport)>;

/// A datagram in a [`Netem`] queue: (from, to, contents, transport).
#[derive(Clone)]
struct Datagram(SocketAddr, SocketAddr, Vec<u8>, Transport);

impl AsRef<[u8]> for Datagram {
    fn as_ref(&self) -> &[u8] {
        &self.2
    }
}

/// A tiny deterministic random generator (xorshift), so that loss patterns repeat.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A browser-like client: the test kit's peer at a simulated address, and what it got.
/// It dereferences to its [`BrowserPeer`], so tests reach the str0m peer as `client.rtc`.
pub struct Client {
    pub addr: SocketAddr,
    /// How this client reaches the server: UDP, or TCP only (an active TCP candidate).
    pub transport: Transport,
    /// Packets the engine sent to this client, per transport (delivered or not: a
    /// TCP-only client never gets a datagram).
    pub received_over: HashMap<Transport, usize>,
    pub peer: BrowserPeer,
    /// Frames received, per media kind: (keyframe?, contiguous?, arrival).
    pub received: HashMap<MediaKind, Vec<(bool, bool, Instant)>>,
    /// A keyframe was asked for and not sent yet.
    pub keyframe_requested: bool,
    /// When the engine asked this (publishing) client for a keyframe.
    pub keyframe_requests: Vec<Instant>,
    /// The same, with the simulcast layer asked for.
    pub layer_keyframe_requests: Vec<(Instant, Option<Rid>)>,
    /// The REMBs the engine sent this (publishing) client, bit/s.
    pub rembs: Vec<(Instant, u64)>,
    /// Simulcast layers asked for a keyframe and not sent one yet.
    pub layer_keyframes_wanted: Vec<Rid>,
    /// Simulcast layers this (publishing) client stopped sending, as Chrome does when its
    /// uplink or CPU is short.
    pub layers_off: Vec<Rid>,
    /// Every video frame received, in order.
    pub video: Vec<(Instant, ReceivedFrame)>,
    /// Loss probability of datagrams this client sends and receives.
    pub loss: f64,
    /// A bottleneck on what the server sends this client (see [`Sim::limit_downlink`]).
    downlink: Option<Netem<Datagram>>,
    frames_sent: u64,
}

impl Deref for Client {
    type Target = BrowserPeer;

    fn deref(&self) -> &BrowserPeer {
        &self.peer
    }
}

impl DerefMut for Client {
    fn deref_mut(&mut self) -> &mut BrowserPeer {
        &mut self.peer
    }
}

impl Client {
    fn new(addr: SocketAddr, transport: Transport, now: Instant) -> Client {
        let peer = match transport {
            Transport::Udp => BrowserPeer::with_host_candidate(addr, now),
            Transport::Tcp => BrowserPeer::with_tcp_candidate(addr, now),
        };
        Client {
            addr,
            transport,
            received_over: HashMap::new(),
            peer: peer.expect("a host candidate"),
            received: HashMap::new(),
            keyframe_requested: false,
            keyframe_requests: Vec::new(),
            layer_keyframe_requests: Vec::new(),
            rembs: Vec::new(),
            layer_keyframes_wanted: Vec::new(),
            layers_off: Vec::new(),
            video: Vec::new(),
            loss: 0.0,
            downlink: None,
            frames_sent: 0,
        }
    }

    pub fn frames(&self, kind: MediaKind) -> usize {
        self.received.get(&kind).map_or(0, Vec::len)
    }

    pub fn first_frame(&self, kind: MediaKind) -> Option<(bool, bool, Instant)> {
        self.received.get(&kind).and_then(|v| v.first().copied())
    }
}

/// The world: engine, clients, datagrams in flight, a clock.
pub struct Sim {
    pub start: Instant,
    pub now: Instant,
    pub engine: Engine,
    pub clients: Vec<Client>,
    pub events: Vec<(Instant, Event)>,
    in_flight: InFlight,
    engine_deadline: Instant,
    rng: Rng,
    /// Extra datagrams injected towards the server.
    pub garbage: Vec<(SocketAddr, Vec<u8>)>,
    /// Transport of the clients added next.
    transport: Transport,
    /// Datagrams the engine sent to addresses that are neither a client nor the server
    /// (taps' consumers), with their arrival time.
    pub plain: Vec<(Instant, SocketAddr, Vec<u8>)>,
}

impl Sim {
    pub fn new() -> Sim {
        Self::with_config(|_| {})
    }

    pub fn with_config(f: impl FnOnce(&mut EngineConfig)) -> Sim {
        let now = Instant::now();
        let mut config = EngineConfig::new(vec![SERVER.parse().unwrap()]);
        f(&mut config);
        let engine = Engine::new(config, now);
        Sim {
            start: now,
            now,
            engine,
            clients: Vec::new(),
            events: Vec::new(),
            in_flight: Vec::new(),
            engine_deadline: now,
            rng: Rng(0x9E37_79B9_7F4A_7C15),
            garbage: Vec::new(),
            transport: Transport::Udp,
            plain: Vec::new(),
        }
    }

    /// A simulation whose engine also announces passive TCP candidates, on the same
    /// address as its UDP ones (as the server does: one port number, two transports).
    pub fn with_tcp() -> Sim {
        Self::with_config(|c| c.tcp_candidates = vec![SERVER.parse().unwrap()])
    }

    /// Puts a bottleneck of `kbps` (a tail-drop queue of 300 ms at that rate, as a home
    /// router's) on what the server sends client `c`; `None` lifts it.
    pub fn limit_downlink(&mut self, c: usize, kbps: Option<u64>) {
        let client = &mut self.clients[c];
        match kbps {
            Some(k) => {
                let config = NetemConfig::new().link(
                    Bitrate::kbps(k),
                    DataSize::bytes((k * 1000 / 8 * 3 / 10) as i64),
                );
                match &mut client.downlink {
                    Some(n) => n.set_config(config),
                    None => client.downlink = Some(Netem::new(config)),
                }
            }
            None => {
                // What is queued still arrives.
                if let Some(n) = &mut client.downlink {
                    n.set_config(NetemConfig::new());
                }
            }
        }
    }

    /// How the next clients reach the server (UDP by default).
    pub fn clients_use(&mut self, transport: Transport) {
        self.transport = transport;
    }

    fn add_client(&mut self) -> usize {
        let addr: SocketAddr = format!("127.0.0.2:{}", 6000 + self.clients.len())
            .parse()
            .unwrap();
        self.clients
            .push(Client::new(addr, self.transport, self.now));
        self.clients.len() - 1
    }

    /// A client that publishes audio and video; returns (client index, engine peer).
    pub fn publisher(&mut self) -> (usize, PeerId) {
        self.publisher_with(true, true)
    }

    pub fn publisher_with(&mut self, audio: bool, video: bool) -> (usize, PeerId) {
        let c = self.add_client();
        let client = &mut self.clients[c];
        let offer = client.peer.offer(audio, video).unwrap();
        let (peer, answer) = self
            .engine
            .add_publisher(self.now, &offer, VideoCodecChoice::Vp8Preferred)
            .expect("the engine accepts the offer");
        client.peer.accept_answer(&answer).unwrap();
        (c, peer)
    }

    /// A publisher of video only and `subscribers` connected subscribers of it, run until
    /// media flows (the forwarding benchmarks' world); returns the publisher's client.
    pub fn fanout(subscribers: usize) -> (Sim, usize) {
        let mut world = Sim::new();
        let (publisher_client, publisher) = world.publisher_with(false, true);
        world.run(Duration::from_millis(300));
        for _ in 0..subscribers {
            world.subscriber(publisher);
        }
        world.run(Duration::from_millis(1500));
        (world, publisher_client)
    }

    /// A client that publishes audio and video in the simulcast layers `rids`, lowest
    /// first; returns (client index, engine peer). Layer `i` sends frames of
    /// [`LAYER_BYTES`]`[i]` bytes (keyframes: [`LAYER_KEYFRAME_BYTES`]).
    pub fn simulcast_publisher(&mut self, rids: &[&str]) -> (usize, PeerId) {
        let c = self.add_client();
        let client = &mut self.clients[c];
        let offer = client.peer.simulcast_offer(rids).unwrap();
        let (peer, answer) = self
            .engine
            .add_publisher(self.now, &offer, VideoCodecChoice::Vp8Preferred)
            .expect("the engine accepts the simulcast offer");
        client.peer.accept_answer(&answer).unwrap();
        (c, peer)
    }

    /// Client `c` renegotiates its publication from a brand-new RTCPeerConnection (a new
    /// str0m peer and address), as a browser's media reconnection does.
    pub fn replace_publisher(&mut self, c: usize, peer: PeerId) {
        let addr: SocketAddr = format!("127.0.0.3:{}", 7000 + c).parse().unwrap();
        let mut client = Client::new(addr, self.clients[c].transport, self.now);
        let offer = client.peer.publish_offer().unwrap();
        let answer = self
            .engine
            .replace_publisher(self.now, peer, &offer, VideoCodecChoice::Vp8Preferred)
            .expect("the engine accepts the new offer");
        client.peer.accept_answer(&answer).unwrap();
        self.clients[c] = client;
    }

    /// A client that receives `source`; returns (client index, engine peer).
    pub fn subscriber(&mut self, source: PeerId) -> (usize, PeerId) {
        let c = self.add_client();
        let (peer, offer) = self
            .engine
            .add_subscriber(self.now, source, "label")
            .unwrap();
        let answer = self.clients[c].peer.answer(&offer).unwrap();
        self.engine.accept_answer(self.now, peer, &answer).unwrap();
        (c, peer)
    }

    /// Advances the world by `d`, publishers sending 50 audio and 30 video frames/s.
    pub fn run(&mut self, d: Duration) {
        let end = self.now + d;
        while self.now < end {
            self.now += STEP;
            self.send_media();
            self.tick();
        }
    }

    fn send_media(&mut self) {
        let now = self.now;
        let ms = (now - self.start).as_millis() as u64;
        for client in &mut self.clients {
            let sending = client.peer.sending().to_vec();
            for (_, kind) in sending {
                let (period, freq) = match kind {
                    MediaKind::Audio => (20, Frequency::FORTY_EIGHT_KHZ),
                    MediaKind::Video => (33, Frequency::NINETY_KHZ),
                };
                if ms % period >= STEP.as_millis() as u64 {
                    continue;
                }
                let rtp_time = MediaTime::new(ms * freq.get() as u64 / 1000, freq);
                if kind == MediaKind::Video && !client.peer.layers().is_empty() {
                    send_layers(client, now, rtp_time, &mut self.in_flight, &mut self.rng);
                    continue;
                }
                let data = match kind {
                    MediaKind::Audio => opus_frame(),
                    MediaKind::Video => {
                        // A keyframe on request or every 10 s.
                        let key = client.keyframe_requested || client.frames_sent % 300 == 0;
                        client.keyframe_requested &= !key;
                        client.frames_sent += 1;
                        vp8_frame(key, if key { 4000 } else { 2500 })
                    }
                };
                if client.peer.write(kind, now, rtp_time, data).is_err() {
                    continue;
                }
                drain_client(client, &mut self.in_flight, now, &mut self.rng);
            }
        }
    }

    /// Client `c` (a subscriber) asks for a keyframe, as a browser's decoder does.
    pub fn request_keyframe(&mut self, c: usize) {
        let now = self.now;
        let client = &mut self.clients[c];
        client
            .peer
            .request_keyframe()
            .expect("a video m-line received");
        let _ = client.peer.handle_timeout(now);
        drain_client(client, &mut self.in_flight, now, &mut self.rng);
    }

    /// Makes client `c` produce `frames` video frames without delivering them; returns the
    /// datagrams it sent to the server, in order (for benchmarks).
    pub fn produce_video(&mut self, c: usize, frames: usize) -> Vec<Vec<u8>> {
        let server: SocketAddr = SERVER.parse().unwrap();
        let mut captured = Vec::new();
        for _ in 0..frames {
            self.now += Duration::from_millis(33);
            let now = self.now;
            let client = &mut self.clients[c];
            if !client
                .peer
                .sending()
                .iter()
                .any(|(_, k)| *k == MediaKind::Video)
            {
                return captured;
            }
            client.frames_sent += 1;
            let ms = (now - self.start).as_millis() as u64;
            let rtp_time = MediaTime::new(ms * 90, Frequency::NINETY_KHZ);
            client
                .peer
                .write(MediaKind::Video, now, rtp_time, vp8_frame(false, 1000))
                .expect("frame written");
            let _ = client.peer.handle_timeout(now);
            let mut out = Vec::new();
            drain_client(client, &mut out, now, &mut Rng(1));
            captured.extend(
                out.into_iter()
                    .filter(|(_, _, to, _, _)| *to == server)
                    .map(|(_, _, _, d, _)| d),
            );
        }
        captured
    }

    fn tick(&mut self) {
        let now = self.now;
        // What the bottlenecks let through now is on its way.
        for client in &mut self.clients {
            let Some(n) = &mut client.downlink else {
                continue;
            };
            n.handle_input(NetemInput::Timeout(now));
            while let Some(out) = n.poll_output() {
                if let NetemOutput::Packet(Datagram(from, to, data, transport)) = out {
                    *client.received_over.entry(transport).or_default() += 1;
                    self.in_flight
                        .push((now + LATENCY, from, to, data, transport));
                }
            }
        }
        // Deliver datagrams that are due.
        let mut due = Vec::new();
        self.in_flight.retain(|(at, from, to, data, transport)| {
            if *at <= now {
                due.push((*from, *to, data.clone(), *transport));
                false
            } else {
                true
            }
        });
        let server: SocketAddr = SERVER.parse().unwrap();
        for (from, data) in std::mem::take(&mut self.garbage) {
            self.engine.handle_datagram(now, from, server, &data);
        }
        for (from, to, data, transport) in due {
            if to == server {
                self.engine.handle_packet(now, transport, from, to, &data);
            } else if let Some(client) = self.clients.iter_mut().find(|c| c.addr == to) {
                // A TCP-only client has no UDP socket: datagrams never reach it.
                if transport != client.transport {
                    continue;
                }
                let proto = match transport {
                    Transport::Udp => Protocol::Udp,
                    Transport::Tcp => Protocol::Tcp,
                };
                let _ = client.peer.handle_packet(now, proto, from, to, &data);
                drain_client(client, &mut self.in_flight, now, &mut self.rng);
            } else {
                self.plain.push((now, to, data));
            }
        }
        if self.engine_deadline <= now {
            self.engine.handle_timeout(now);
        }
        for client in &mut self.clients {
            let _ = client.peer.handle_timeout(now);
            drain_client(client, &mut self.in_flight, now, &mut self.rng);
        }
        self.drain_engine();
    }

    fn drain_engine(&mut self) {
        loop {
            match self.engine.poll_output() {
                Output::Transmit(t) => {
                    let mut client = self.clients.iter_mut().find(|c| c.addr == t.destination);
                    if let Some(n) = client.as_mut().and_then(|c| c.downlink.as_mut()) {
                        let d = Datagram(t.source, t.destination, t.contents, t.transport);
                        n.handle_input(NetemInput::Packet(self.now, d));
                        continue;
                    }
                    let loss = client.map_or(0.0, |c| {
                        *c.received_over.entry(t.transport).or_default() += 1;
                        c.loss
                    });
                    if self.rng.next_f64() >= loss {
                        self.in_flight.push((
                            self.now + LATENCY,
                            t.source,
                            t.destination,
                            t.contents,
                            t.transport,
                        ));
                    }
                }
                Output::Event(e) => self.events.push((self.now, e)),
                Output::Timeout(t) => {
                    self.engine_deadline = t;
                    return;
                }
            }
        }
    }

    pub fn has_event(&self, e: &Event) -> bool {
        self.events.iter().any(|(_, x)| x == e)
    }

    pub fn event_time(&self, e: &Event) -> Option<Duration> {
        self.events
            .iter()
            .find(|(_, x)| x == e)
            .map(|(t, _)| *t - self.start)
    }
}

/// Frame sizes of simulcast layers 0, 1, 2 (delta frames), and of their keyframes: a
/// subscriber tells the layer it receives by them.
pub const LAYER_BYTES: [usize; 3] = [300, 900, 2500];
pub const LAYER_KEYFRAME_BYTES: [usize; 3] = [500, 1500, 4000];

/// The simulcast layer a received video frame of `bytes` bytes came from.
pub fn layer_of(bytes: usize) -> Option<usize> {
    (0..3).find(|&i| LAYER_BYTES[i] == bytes || LAYER_KEYFRAME_BYTES[i] == bytes)
}

/// One video frame on each simulcast layer the client sends: a keyframe on a layer asked
/// for one, and on every layer every 10 s.
fn send_layers(
    client: &mut Client,
    now: Instant,
    rtp_time: MediaTime,
    in_flight: &mut InFlight,
    rng: &mut Rng,
) {
    let periodic = client.frames_sent.is_multiple_of(300);
    client.frames_sent += 1;
    let layers = client.peer.layers().to_vec();
    for (i, rid) in layers.into_iter().enumerate() {
        if client.layers_off.contains(&rid) {
            continue;
        }
        let wanted = client.layer_keyframes_wanted.iter().position(|r| *r == rid);
        let key = periodic || client.keyframe_requested || wanted.is_some();
        if let Some(w) = wanted {
            client.layer_keyframes_wanted.remove(w);
        }
        let bytes = if key {
            LAYER_KEYFRAME_BYTES[i.min(2)]
        } else {
            LAYER_BYTES[i.min(2)]
        };
        let _ = client
            .peer
            .write_layer(rid, now, rtp_time, vp8_frame(key, bytes));
    }
    client.keyframe_requested = false;
    drain_client(client, in_flight, now, rng);
}

fn drain_client(client: &mut Client, in_flight: &mut InFlight, now: Instant, rng: &mut Rng) {
    let Client {
        peer,
        transport,
        received,
        keyframe_requested,
        keyframe_requests,
        layer_keyframe_requests,
        rembs,
        layer_keyframes_wanted,
        video,
        loss,
        ..
    } = client;
    let _ = peer.drain(
        |t| {
            let sent_over = match t.proto {
                Protocol::Udp => Transport::Udp,
                _ => Transport::Tcp,
            };
            // A client that may not use UDP cannot send a datagram (the browser's socket
            // call fails).
            if sent_over == *transport && rng.next_f64() >= *loss {
                in_flight.push((
                    now + LATENCY,
                    t.source,
                    t.destination,
                    t.contents.into(),
                    sent_over,
                ));
            }
        },
        |e| match e {
            PeerEvent::Frame(f) => {
                let key = f.kind == MediaKind::Video && f.keyframe;
                received
                    .entry(f.kind)
                    .or_default()
                    .push((key, f.contiguous, now));
                if f.kind == MediaKind::Video {
                    video.push((now, f));
                }
            }
            PeerEvent::KeyframeRequest(_, rid) => {
                match rid {
                    Some(rid) => layer_keyframes_wanted.push(rid),
                    None => *keyframe_requested = true,
                }
                keyframe_requests.push(now);
                layer_keyframe_requests.push((now, rid));
            }
            PeerEvent::Remb(bps) => rembs.push((now, bps)),
            _ => {}
        },
    );
}
