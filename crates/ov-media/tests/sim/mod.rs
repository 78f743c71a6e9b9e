//! A simulated network: one [`Engine`] and browser-like str0m peers exchanging datagrams
//! in memory, with a virtual clock, latency and deterministic packet loss.
//!
//! Addresses are labels only; nothing is sent on a real network.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ov_media::{Engine, EngineConfig, Event, Output, PeerId, VideoCodecChoice};
use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::format::Codec;
use str0m::media::{Direction, Frequency, KeyframeRequestKind, MediaKind, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Input, Rtc};

pub const SERVER: &str = "127.0.0.1:5000";
pub const STEP: Duration = Duration::from_millis(5);
const LATENCY: Duration = Duration::from_millis(10);

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

/// A browser-like client peer.
pub struct Client {
    pub addr: SocketAddr,
    pub rtc: Rtc,
    /// Frames received, per media kind: (keyframe?, contiguous?, arrival).
    pub received: HashMap<MediaKind, Vec<(bool, bool, Instant)>>,
    pub keyframe_requested: bool,
    pub mids: Vec<(Mid, MediaKind)>,
    pub pending: Option<SdpPendingOffer>,
    /// Loss probability of datagrams this client sends and receives.
    pub loss: f64,
    frames_sent: u64,
}

impl Client {
    fn new(addr: SocketAddr, now: Instant) -> Client {
        let mut rtc = Rtc::builder()
            .clear_codecs()
            .enable_opus(true, false)
            .enable_vp8(true)
            .build(now);
        rtc.add_local_candidate(Candidate::host(addr, "udp").unwrap());
        Client {
            addr,
            rtc,
            received: HashMap::new(),
            keyframe_requested: false,
            mids: Vec::new(),
            pending: None,
            loss: 0.0,
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
    in_flight: Vec<(Instant, SocketAddr, SocketAddr, Vec<u8>)>,
    engine_deadline: Instant,
    rng: Rng,
    /// Extra datagrams injected towards the server.
    pub garbage: Vec<(SocketAddr, Vec<u8>)>,
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
        }
    }

    fn add_client(&mut self) -> usize {
        let addr: SocketAddr = format!("127.0.0.2:{}", 6000 + self.clients.len())
            .parse()
            .unwrap();
        self.clients.push(Client::new(addr, self.now));
        self.clients.len() - 1
    }

    /// A client that publishes audio and video; returns (client index, engine peer).
    pub fn publisher(&mut self) -> (usize, PeerId) {
        self.publisher_with(true, true)
    }

    pub fn publisher_with(&mut self, audio: bool, video: bool) -> (usize, PeerId) {
        let c = self.add_client();
        let client = &mut self.clients[c];
        let mut api = client.rtc.sdp_api();
        let mut mids = Vec::new();
        if audio {
            mids.push((
                api.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None),
                MediaKind::Audio,
            ));
        }
        if video {
            mids.push((
                api.add_media(MediaKind::Video, Direction::SendOnly, None, None, None),
                MediaKind::Video,
            ));
        }
        let (offer, pending) = api.apply().unwrap();
        client.mids = mids;
        let (peer, answer) = self
            .engine
            .add_publisher(
                self.now,
                &offer.to_sdp_string(),
                VideoCodecChoice::Vp8Preferred,
            )
            .expect("the engine accepts the offer");
        let answer = SdpAnswer::from_sdp_string(&answer).unwrap();
        client.rtc.sdp_api().accept_answer(pending, answer).unwrap();
        (c, peer)
    }

    /// Client `c` renegotiates its publication from a brand-new RTCPeerConnection (a new
    /// str0m peer and address), as a browser's media reconnection does.
    pub fn replace_publisher(&mut self, c: usize, peer: PeerId) {
        let addr: SocketAddr = format!("127.0.0.3:{}", 7000 + c).parse().unwrap();
        let mut client = Client::new(addr, self.now);
        let mut api = client.rtc.sdp_api();
        let audio = api.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None);
        let video = api.add_media(MediaKind::Video, Direction::SendOnly, None, None, None);
        let (offer, pending) = api.apply().unwrap();
        client.mids = vec![(audio, MediaKind::Audio), (video, MediaKind::Video)];
        let answer = self
            .engine
            .replace_publisher(
                self.now,
                peer,
                &offer.to_sdp_string(),
                VideoCodecChoice::Vp8Preferred,
            )
            .expect("the engine accepts the new offer");
        client
            .rtc
            .sdp_api()
            .accept_answer(pending, SdpAnswer::from_sdp_string(&answer).unwrap())
            .unwrap();
        self.clients[c] = client;
    }

    /// A client that receives `source`; returns (client index, engine peer).
    pub fn subscriber(&mut self, source: PeerId) -> (usize, PeerId) {
        let c = self.add_client();
        let (peer, offer) = self
            .engine
            .add_subscriber(self.now, source, "label")
            .unwrap();
        let client = &mut self.clients[c];
        let answer = client
            .rtc
            .sdp_api()
            .accept_offer(SdpOffer::from_sdp_string(&offer).unwrap())
            .unwrap();
        self.engine
            .accept_answer(self.now, peer, &answer.to_sdp_string())
            .unwrap();
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
        let elapsed = now - self.start;
        for client in &mut self.clients {
            let mids = client.mids.clone();
            for (mid, kind) in mids {
                let (period, freq) = match kind {
                    MediaKind::Audio => (20, Frequency::FORTY_EIGHT_KHZ),
                    MediaKind::Video => (33, Frequency::NINETY_KHZ),
                };
                let ms = elapsed.as_millis() as u64;
                if ms % period >= STEP.as_millis() as u64 {
                    continue;
                }
                let Some(writer) = client.rtc.writer(mid) else {
                    continue;
                };
                let Some(pt) = writer
                    .payload_params()
                    .find(|p| match kind {
                        MediaKind::Audio => p.spec().codec == Codec::Opus,
                        MediaKind::Video => p.spec().codec == Codec::Vp8,
                    })
                    .map(|p| p.pt())
                else {
                    continue;
                };
                let rtp_time = MediaTime::new(ms * freq.get() as u64 / 1000, freq);
                let data: Vec<u8> = match kind {
                    MediaKind::Audio => vec![0xFC; 60],
                    MediaKind::Video => {
                        // Keyframe on request or every 10 s; VP8 frame tag bit 0: 0 = key.
                        let key = client.keyframe_requested || client.frames_sent % 300 == 0;
                        client.keyframe_requested &= !key;
                        client.frames_sent += 1;
                        let mut f =
                            vec![if key { 0x10 } else { 0x11 }; if key { 4000 } else { 2500 }];
                        f[0] = if key { 0x00 } else { 0x01 };
                        f
                    }
                };
                if writer.write(pt, now, rtp_time, data).is_err() {
                    continue;
                }
                drain_client(client, &mut self.in_flight, now, &mut self.rng);
            }
        }
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
            let Some(&(mid, _)) = client.mids.iter().find(|(_, k)| *k == MediaKind::Video) else {
                return captured;
            };
            let writer = client.rtc.writer(mid).expect("a video writer");
            let pt = writer
                .payload_params()
                .find(|p| p.spec().codec == Codec::Vp8)
                .expect("VP8 negotiated")
                .pt();
            client.frames_sent += 1;
            let ms = (now - self.start).as_millis() as u64;
            let rtp_time = MediaTime::new(ms * 90, Frequency::NINETY_KHZ);
            let mut frame = vec![0x11; 1000];
            frame[0] = 0x01;
            writer
                .write(pt, now, rtp_time, frame)
                .expect("frame written");
            let _ = client.rtc.handle_input(Input::Timeout(now));
            let mut out = Vec::new();
            drain_client(client, &mut out, now, &mut Rng(1));
            captured.extend(
                out.into_iter()
                    .filter(|(_, _, to, _)| *to == server)
                    .map(|(_, _, _, d)| d),
            );
        }
        captured
    }

    fn tick(&mut self) {
        let now = self.now;
        // Deliver datagrams that are due.
        let mut due = Vec::new();
        self.in_flight.retain(|(at, from, to, data)| {
            if *at <= now {
                due.push((*from, *to, data.clone()));
                false
            } else {
                true
            }
        });
        let server: SocketAddr = SERVER.parse().unwrap();
        for (from, data) in std::mem::take(&mut self.garbage) {
            self.engine.handle_datagram(now, from, server, &data);
        }
        for (from, to, data) in due {
            if to == server {
                self.engine.handle_datagram(now, from, to, &data);
            } else if let Some(client) = self.clients.iter_mut().find(|c| c.addr == to) {
                let Ok(contents) = data.as_slice().try_into() else {
                    continue;
                };
                let input = Input::Receive(
                    now,
                    Receive {
                        proto: Protocol::Udp,
                        source: from,
                        destination: to,
                        contents,
                    },
                );
                let _ = client.rtc.handle_input(input);
                drain_client(client, &mut self.in_flight, now, &mut self.rng);
            }
        }
        if self.engine_deadline <= now {
            self.engine.handle_timeout(now);
        }
        for client in &mut self.clients {
            let _ = client.rtc.handle_input(Input::Timeout(now));
            drain_client(client, &mut self.in_flight, now, &mut self.rng);
        }
        self.drain_engine();
    }

    fn drain_engine(&mut self) {
        loop {
            match self.engine.poll_output() {
                Output::Transmit(t) => {
                    let loss = self
                        .clients
                        .iter()
                        .find(|c| c.addr == t.destination)
                        .map_or(0.0, |c| c.loss);
                    if self.rng.next_f64() >= loss {
                        self.in_flight.push((
                            self.now + LATENCY,
                            t.source,
                            t.destination,
                            t.contents,
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

fn drain_client(
    client: &mut Client,
    in_flight: &mut Vec<(Instant, SocketAddr, SocketAddr, Vec<u8>)>,
    now: Instant,
    rng: &mut Rng,
) {
    loop {
        match client.rtc.poll_output() {
            Ok(str0m::Output::Transmit(t)) => {
                if rng.next_f64() >= client.loss {
                    in_flight.push((now + LATENCY, t.source, t.destination, t.contents.into()));
                }
            }
            Ok(str0m::Output::Event(e)) => match e {
                str0m::Event::MediaData(d) => {
                    let kind = if d.params.spec().codec == Codec::Opus {
                        MediaKind::Audio
                    } else {
                        MediaKind::Video
                    };
                    let key =
                        kind == MediaKind::Video && d.data.first().is_some_and(|b| b & 1 == 0);
                    client
                        .received
                        .entry(kind)
                        .or_default()
                        .push((key, d.contiguous, now));
                }
                str0m::Event::KeyframeRequest(_) => client.keyframe_requested = true,
                _ => {}
            },
            Ok(str0m::Output::Timeout(_)) | Err(_) => return,
        }
    }
}

/// Marks frames of `kind` requested by keyframe: asks the client's writer for one.
pub fn request_keyframe_from(client: &mut Client, mid: Mid) {
    if let Some(mut w) = client.rtc.writer(mid) {
        let _ = w.request_keyframe(None, KeyframeRequestKind::Pli);
    }
}
