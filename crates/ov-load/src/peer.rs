//! One WebRTC peer connection of a simulated participant: a str0m `Rtc` and its own UDP
//! socket (the server tells peers apart by source address), driven as str0m requires —
//! every input (a datagram, a timeout, a written frame) is followed by draining
//! `poll_output` until it yields a `Timeout`.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use ov_testkit::{BrowserPeer, PeerError, PeerEvent};
use str0m::media::{MediaKind, MediaTime, Mid, Pt};
use str0m_netem::{Bitrate, DataSize, Input, Netem, NetemConfig, Output};
use tokio::net::UdpSocket;
use tokio::sync::watch;

use crate::LoadError;
use crate::rtp_header::{Datagram, classify};
use crate::source::{Frame, Source};
use crate::stats::{Board, Counters, PublisherStats, Subscription, add, bump};

/// Read buffer: above any datagram a WebRTC peer sends (str0m's MTU is ~1150).
const MAX_DATAGRAM: usize = 2048;
/// Datagrams read in one wake-up before the timers get a turn.
const READ_BATCH: usize = 32;

/// A bound socket and a browser-like peer announcing it as its host candidate.
pub struct Peer {
    /// The peer connection.
    pub browser: BrowserPeer,
    socket: UdpSocket,
    local: SocketAddr,
    /// A bottleneck that what it receives goes through (`--slow-subscribers`).
    downlink: Option<Netem<Inbound>>,
}

/// A received datagram waiting in the downlink's bottleneck.
#[derive(Clone)]
struct Inbound {
    from: SocketAddr,
    data: Vec<u8>,
}

impl AsRef<[u8]> for Inbound {
    fn as_ref(&self) -> &[u8] {
        &self.data
    }
}

/// Queue of the emulated bottleneck, as the time it takes to drain (tail drop beyond).
const BOTTLENECK_BUFFER: std::time::Duration = std::time::Duration::from_millis(200);

impl Peer {
    /// Binds a fresh UDP port on `ip` for a peer negotiating Opus and VP8 only, as a
    /// browser does with openvidu-rs.
    pub async fn bind(ip: IpAddr) -> Result<Peer, LoadError> {
        let socket = UdpSocket::bind(SocketAddr::new(ip, 0)).await?;
        let local = socket.local_addr()?;
        let browser = BrowserPeer::with_host_candidate(local, Instant::now())?;
        Ok(Peer {
            browser,
            socket,
            local,
            downlink: None,
        })
    }

    /// Makes everything this peer receives pass a bottleneck of `kbps` (str0m-netem, in
    /// the load tester: the server sees an ordinary narrow link).
    pub fn with_bottleneck(mut self, kbps: u64) -> Peer {
        let bytes = (kbps as f64 * 1000.0 / 8.0 * BOTTLENECK_BUFFER.as_secs_f64()) as i64;
        let config = NetemConfig::new()
            .link(Bitrate::kbps(kbps), DataSize::bytes(bytes.max(4 * 1500)))
            .seed(1);
        self.downlink = Some(Netem::new(config));
        self
    }
}

/// What the peer does with its media.
pub enum Role {
    /// Sends synthetic audio and video.
    Publisher(Publisher),
    /// Counts what it receives.
    Subscriber(Subscriber),
}

/// The receiving side of a subscription.
pub struct Subscriber {
    stats: Arc<Subscription>,
    /// Count media from RTP headers instead of handing it to str0m (`--light`).
    light: bool,
    /// Payload types of the offered m-lines, learnt from str0m's `MediaAdded`.
    video_pts: Vec<Pt>,
    audio_pts: Vec<Pt>,
}

impl Subscriber {
    /// A subscriber counting into `stats`.
    pub fn new(stats: Arc<Subscription>, light: bool) -> Subscriber {
        Subscriber {
            stats,
            light,
            video_pts: Vec::new(),
            audio_pts: Vec::new(),
        }
    }

    /// In light mode, counts an RTP datagram instead of decrypting it; returns whether it
    /// was taken (everything else goes to str0m: STUN, DTLS, RTCP).
    fn take_light(&self, datagram: &[u8], c: &Counters) -> bool {
        if !self.light {
            return false;
        }
        let Datagram::Rtp { pt, marker } = classify(datagram) else {
            return false;
        };
        let pt = Pt::from(pt);
        if self.video_pts.contains(&pt) {
            add(&self.stats.video_bytes, datagram.len() as u64);
            if marker {
                bump(&c.video_frames_rx);
                bump(&self.stats.video_frames);
            }
        } else if self.audio_pts.contains(&pt) {
            bump(&c.audio_frames_rx);
        }
        true
    }
}

/// The sending side of a publication.
pub struct Publisher {
    source: Source,
    /// The video m-line, whose keyframe requests restart the source at a keyframe.
    video: Mid,
    stats: Arc<PublisherStats>,
    /// Frames are written once DTLS is up; before, str0m would only queue them.
    connected: bool,
}

impl Publisher {
    /// A publisher of `browser`'s negotiated audio and video; an error if either is
    /// missing from the server's answer.
    pub fn new(
        browser: &mut BrowserPeer,
        source: Source,
        stats: Arc<PublisherStats>,
    ) -> Result<Publisher, LoadError> {
        browser.sender(MediaKind::Audio)?;
        let (video, _) = browser.sender(MediaKind::Video)?;
        Ok(Publisher {
            source,
            video,
            stats,
            connected: false,
        })
    }

    fn next_due(&self) -> Option<Instant> {
        self.connected.then(|| self.source.next_due())
    }

    /// Writes every frame due at `now`.
    fn produce(&mut self, browser: &mut BrowserPeer, now: Instant, c: &Counters) {
        if !self.connected {
            return;
        }
        while let Some(frame) = self.source.poll(now) {
            let (kind, rtp_time, data) = match frame {
                Frame::Audio { rtp_time, data } => {
                    bump(&c.audio_frames_tx);
                    (MediaKind::Audio, rtp_time, data)
                }
                Frame::Video { rtp_time, data, .. } => {
                    bump(&c.video_frames_tx);
                    bump(&self.stats.video_frames);
                    (MediaKind::Video, rtp_time, data)
                }
            };
            let written = match browser.layers() {
                layers if kind == MediaKind::Video && !layers.is_empty() => {
                    write_layers(browser, now, rtp_time, &data)
                }
                _ => browser.write(kind, now, rtp_time, data),
            };
            if let Err(e) = written {
                tracing::debug!(error = %e, "frame not written");
            }
        }
    }
}

/// Share of the full frame each simulcast layer sends, lowest first (Chrome's 720p layers
/// run at about 1/8 and 1/3 of the top one).
const LAYER_SHARES: [f64; 3] = [1.0 / 8.0, 1.0 / 3.0, 1.0];

/// Writes one frame on every simulcast layer: the top one whole, the lower ones cut to their
/// share (the first byte, VP8's keyframe flag, is kept).
fn write_layers(
    browser: &mut BrowserPeer,
    now: Instant,
    rtp_time: MediaTime,
    frame: &Arc<[u8]>,
) -> Result<(), PeerError> {
    let layers = browser.layers().to_vec();
    for (i, rid) in layers.into_iter().enumerate() {
        let share = LAYER_SHARES.get(i).copied().unwrap_or(1.0);
        let len = ((frame.len() as f64 * share) as usize).clamp(1, frame.len());
        let data: Arc<[u8]> = if len == frame.len() {
            frame.clone()
        } else {
            frame[..len].into()
        };
        browser.write_layer(rid, now, rtp_time, data)?;
    }
    Ok(())
}

impl Role {
    fn next_due(&self) -> Option<Instant> {
        match self {
            Role::Publisher(p) => p.next_due(),
            Role::Subscriber(_) => None,
        }
    }

    fn on_event(&mut self, event: PeerEvent, c: &Counters) {
        match (self, event) {
            (Role::Subscriber(sub), PeerEvent::Frame(frame)) => match frame.kind {
                MediaKind::Video => {
                    bump(&c.video_frames_rx);
                    bump(&sub.stats.video_frames);
                    add(&sub.stats.video_bytes, frame.bytes as u64);
                }
                MediaKind::Audio => bump(&c.audio_frames_rx),
            },
            (Role::Subscriber(sub), PeerEvent::MediaAdded { kind, pts, .. }) => match kind {
                MediaKind::Video => sub.video_pts.extend(pts),
                MediaKind::Audio => sub.audio_pts.extend(pts),
            },
            (Role::Publisher(p), PeerEvent::KeyframeRequest(mid, _)) if mid == p.video => {
                p.source.request_keyframe();
            }
            (Role::Publisher(p), PeerEvent::Connected) => p.connected = true,
            (_, PeerEvent::IceState(state)) => {
                tracing::debug!(?state, "ICE state");
            }
            _ => {}
        }
    }
}

/// Runs the peer until `stop` turns true (or str0m fails, which is logged and counted).
pub async fn drive(peer: Peer, mut role: Role, board: Arc<Board>, mut stop: watch::Receiver<bool>) {
    let Peer {
        mut browser,
        socket,
        local,
        mut downlink,
    } = peer;
    let c = &board.counters;
    let mut buf = vec![0u8; MAX_DATAGRAM];
    let sleep = tokio::time::sleep(std::time::Duration::ZERO);
    tokio::pin!(sleep);
    loop {
        let timeout = match drain(&mut browser, &socket, &mut role, c) {
            Ok(t) => t,
            Err(e) => return failed(c, &e),
        };
        let mut wake = role.next_due().map_or(timeout, |d| d.min(timeout));
        if let Some(d) = downlink.as_ref().filter(|d| !d.is_empty()) {
            wake = wake.min(d.poll_timeout());
        }
        sleep.as_mut().reset(tokio::time::Instant::from_std(wake));
        tokio::select! {
            biased;
            _ = stop.wait_for(|s| *s) => return,
            received = socket.recv_from(&mut buf) => {
                let Ok((n, source)) = received else { continue };
                let mut got = Some((n, source));
                let mut batch = 0;
                while let Some((n, source)) = got {
                    add(&c.bytes_rx, n as u64);
                    bump(&c.packets_rx);
                    match downlink.as_mut() {
                        Some(d) => d.handle_input(Input::Packet(
                            Instant::now(),
                            Inbound { from: source, data: buf[..n].to_vec() },
                        )),
                        None => receive(&mut browser, &role, c, source, local, &buf[..n]),
                    }
                    batch += 1;
                    got = None;
                    if batch < READ_BATCH {
                        // Drain before the next input, as str0m requires.
                        if let Err(e) = drain(&mut browser, &socket, &mut role, c) {
                            return failed(c, &e);
                        }
                        got = socket.try_recv_from(&mut buf).ok();
                    }
                }
            }
            _ = &mut sleep => {
                let now = Instant::now();
                if let Some(d) = downlink.as_mut() {
                    d.handle_input(Input::Timeout(now));
                    while let Some(out) = d.poll_output() {
                        if let Output::Packet(p) = out {
                            receive(&mut browser, &role, c, p.from, local, &p.data);
                            if let Err(e) = drain(&mut browser, &socket, &mut role, c) {
                                return failed(c, &e);
                            }
                        }
                    }
                }
                if let Role::Publisher(p) = &mut role {
                    p.produce(&mut browser, now, c);
                }
                if let Err(e) = browser.handle_timeout(now) {
                    tracing::debug!(error = %e, "timeout refused");
                }
            }
        }
    }
}

/// Logs and counts the failure of a peer connection (whose task then ends).
fn failed(c: &Counters, e: &LoadError) {
    tracing::warn!(error = %e, "peer connection failed");
    bump(&c.failures);
}

/// Hands one received datagram to str0m (or, in light mode, counts it from its header).
fn receive(
    browser: &mut BrowserPeer,
    role: &Role,
    c: &Counters,
    from: SocketAddr,
    local: SocketAddr,
    datagram: &[u8],
) {
    let taken = matches!(role, Role::Subscriber(s) if s.take_light(datagram, c));
    if !taken && let Err(e) = browser.handle_datagram(Instant::now(), from, local, datagram) {
        tracing::debug!(error = %e, "datagram refused");
    }
}

/// Sends what the peer wants sent and handles its events; returns its next deadline.
fn drain(
    browser: &mut BrowserPeer,
    socket: &UdpSocket,
    role: &mut Role,
    c: &Counters,
) -> Result<Instant, LoadError> {
    let deadline = browser.drain(
        |t| match socket.try_send_to(&t.contents, t.destination) {
            Ok(n) => {
                bump(&c.packets_tx);
                add(&c.bytes_tx, n as u64);
            }
            // UDP semantics: a full socket buffer drops the datagram.
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => tracing::debug!(error = %e, "send failed"),
        },
        |e| role.on_event(e, c),
    )?;
    Ok(deadline)
}
