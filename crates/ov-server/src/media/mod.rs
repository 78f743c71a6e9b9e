//! The media plane: media workers, each a UDP socket (and an ICE-TCP listener, `tcp`)
//! and an [`ov_media::Engine`] owned by a driver task. The rest of the server talks to them through a [`MediaHandle`]
//! (commands with replies) and hears from them through a channel of
//! [`ov_media::Event`]s.
//!
//! With several workers (`OPENVIDU_RTC_WORKERS`), worker `i` listens on the media port
//! plus `i`. Every session is pinned to one worker (by a hash of its id), so a publisher
//! and its subscribers share an engine and packets never cross workers, while different
//! sessions use different cores. A peer id carries its worker in its top bits.

mod driver;
mod tcp;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};

pub use ov_media::{
    CloseReason, Event as MediaEvent, ForcedCodec, MediaError, MediaKind, NetworkQuality, PeerId,
    PeerStats, RecvBandwidth, TapCodec, TapId, VideoCodecChoice,
};

pub use driver::start;

/// Requests to the driver task.
#[derive(Debug)]
pub(crate) enum Command {
    AddPublisher {
        offer: String,
        video: VideoCodecChoice,
        reply: oneshot::Sender<Result<(PeerId, String), MediaError>>,
    },
    ReplacePublisher {
        peer: PeerId,
        offer: String,
        video: VideoCodecChoice,
        reply: oneshot::Sender<Result<String, MediaError>>,
    },
    AddSubscriber {
        source: PeerId,
        label: String,
        reply: oneshot::Sender<Result<(PeerId, String), MediaError>>,
    },
    AcceptAnswer {
        peer: PeerId,
        answer: String,
        reply: oneshot::Sender<Result<(), MediaError>>,
    },
    AddCandidate {
        peer: PeerId,
        candidate: String,
    },
    RemovePeer {
        peer: PeerId,
    },
    TapCodecs {
        peer: PeerId,
        reply: oneshot::Sender<Result<Vec<TapCodec>, MediaError>>,
    },
    AddTap {
        peer: PeerId,
        destinations: Vec<(MediaKind, SocketAddr)>,
        reply: oneshot::Sender<Result<TapId, MediaError>>,
    },
    RemoveTap {
        peer: PeerId,
        tap: TapId,
    },
    RequestKeyframe {
        peer: PeerId,
    },
    SetVideoSize {
        peer: PeerId,
        top: (u32, u32),
        wanted: Option<(u32, u32)>,
    },
    SetRecvBandwidth {
        peer: PeerId,
        limit: RecvBandwidth,
    },
    SetSendBandwidth {
        peer: PeerId,
        limit: Option<u64>,
    },
}

/// Why a media request failed.
#[derive(Debug, thiserror::Error)]
pub enum MediaRequestError {
    /// The engine refused it.
    #[error(transparent)]
    Media(#[from] MediaError),
    /// The media task is gone (the server is stopping).
    #[error("the media server is not running")]
    Stopped,
}

/// The latest statistics of every peer, refreshed by the driver every second, so that
/// REST can read them without a round trip to the media task.
pub type StatsBoard = Arc<Mutex<HashMap<PeerId, PeerStats>>>;

/// The bits of a [`PeerId`] below the worker index.
const WORKER_SHIFT: u32 = 48;

/// The first peer id of worker `index`.
pub(crate) fn first_peer_id(index: usize) -> u64 {
    ((index as u64) << WORKER_SHIFT) | 1
}

/// One media worker as seen from outside.
#[derive(Debug, Clone)]
pub(crate) struct Worker {
    pub commands: mpsc::Sender<Command>,
    pub local_addr: SocketAddr,
    pub candidates: Vec<SocketAddr>,
    /// Passive ICE-TCP candidates (empty when TCP is off).
    pub tcp_candidates: Vec<SocketAddr>,
}

/// A cloneable handle to the media workers.
#[derive(Debug, Clone)]
pub struct MediaHandle {
    workers: Arc<[Worker]>,
    /// Local address of the first worker's UDP socket.
    pub local_addr: SocketAddr,
    stats: StatsBoard,
}

impl MediaHandle {
    /// A handle with no media task behind it (every request fails with
    /// [`MediaRequestError::Stopped`]); for tests of the REST layer.
    pub fn detached() -> MediaHandle {
        let (commands, _) = mpsc::channel(1);
        let local_addr = SocketAddr::from(([127, 0, 0, 1], 9));
        MediaHandle::new(
            vec![Worker {
                commands,
                local_addr,
                candidates: Vec::new(),
                tcp_candidates: Vec::new(),
            }],
            StatsBoard::default(),
        )
    }

    pub(crate) fn new(workers: Vec<Worker>, stats: StatsBoard) -> MediaHandle {
        MediaHandle {
            local_addr: workers[0].local_addr,
            workers: workers.into(),
            stats,
        }
    }

    /// The worker that owns `peer`.
    fn owner(&self, peer: PeerId) -> &Worker {
        let index = (peer.0 >> WORKER_SHIFT) as usize;
        &self.workers[index.min(self.workers.len() - 1)]
    }

    /// The worker a session is pinned to.
    fn worker_for(&self, session_id: &str) -> &Worker {
        // FNV-1a: stable across runs and platforms, unlike the std hasher.
        let hash = session_id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        &self.workers[(hash % self.workers.len() as u64) as usize]
    }

    /// The addresses announced as ICE candidates for `peer`.
    pub fn candidates(&self, peer: PeerId) -> &[SocketAddr] {
        &self.owner(peer).candidates
    }

    /// The addresses announced as passive ICE-TCP candidates for `peer` (none when TCP
    /// is off).
    pub fn tcp_candidates(&self, peer: PeerId) -> &[SocketAddr] {
        &self.owner(peer).tcp_candidates
    }

    /// Every worker's local UDP address with the candidate addresses announced for it
    /// (the only peers the embedded TURN server relays to).
    pub fn media_peers(&self) -> crate::turn::MediaPeers {
        crate::turn::MediaPeers::new(
            self.workers
                .iter()
                .map(|w| (w.local_addr, w.candidates.as_slice())),
        )
    }

    /// Local addresses of every worker's UDP socket.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.workers.iter().map(|w| w.local_addr).collect()
    }

    async fn ask<T>(
        worker: &Worker,
        make: impl FnOnce(oneshot::Sender<Result<T, MediaError>>) -> Command,
    ) -> Result<T, MediaRequestError> {
        let (reply, answer) = oneshot::channel();
        worker
            .commands
            .send(make(reply))
            .await
            .map_err(|_| MediaRequestError::Stopped)?;
        Ok(answer.await.map_err(|_| MediaRequestError::Stopped)??)
    }

    /// Accepts a publisher's SDP offer on the worker of `session_id`; returns its peer and
    /// the SDP answer.
    pub async fn add_publisher(
        &self,
        session_id: &str,
        offer: String,
        video: VideoCodecChoice,
    ) -> Result<(PeerId, String), MediaRequestError> {
        Self::ask(self.worker_for(session_id), |reply| Command::AddPublisher {
            offer,
            video,
            reply,
        })
        .await
    }

    /// Reconnects a publisher from a new offer, keeping its peer and subscribers; returns
    /// the SDP answer.
    pub async fn replace_publisher(
        &self,
        peer: PeerId,
        offer: String,
        video: VideoCodecChoice,
    ) -> Result<String, MediaRequestError> {
        Self::ask(self.owner(peer), |reply| Command::ReplacePublisher {
            peer,
            offer,
            video,
            reply,
        })
        .await
    }

    /// Creates a subscriber of `source`; returns its peer and the SDP offer.
    pub async fn add_subscriber(
        &self,
        source: PeerId,
        label: String,
    ) -> Result<(PeerId, String), MediaRequestError> {
        Self::ask(self.owner(source), |reply| Command::AddSubscriber {
            source,
            label,
            reply,
        })
        .await
    }

    /// Applies a subscriber's SDP answer.
    pub async fn accept_answer(
        &self,
        peer: PeerId,
        answer: String,
    ) -> Result<(), MediaRequestError> {
        Self::ask(self.owner(peer), |reply| Command::AcceptAnswer {
            peer,
            answer,
            reply,
        })
        .await
    }

    /// Passes on a trickled candidate (best effort).
    pub fn add_candidate(&self, peer: PeerId, candidate: String) {
        let _ = self
            .owner(peer)
            .commands
            .try_send(Command::AddCandidate { peer, candidate });
    }

    /// Closes a peer. Never blocks: removal must not wait behind a full queue, so it
    /// falls back to a task when the queue is full.
    pub fn remove_peer(&self, peer: PeerId) {
        self.send_soon(peer, Command::RemovePeer { peer });
    }

    /// The codecs of publisher `peer`'s tracks, as a tap carries them.
    pub async fn tap_codecs(&self, peer: PeerId) -> Result<Vec<TapCodec>, MediaRequestError> {
        Self::ask(self.owner(peer), |reply| Command::TapCodecs { peer, reply }).await
    }

    /// Copies publisher `peer`'s tracks as plain RTP to local addresses (one per kind).
    pub async fn add_tap(
        &self,
        peer: PeerId,
        destinations: Vec<(MediaKind, SocketAddr)>,
    ) -> Result<TapId, MediaRequestError> {
        Self::ask(self.owner(peer), |reply| Command::AddTap {
            peer,
            destinations,
            reply,
        })
        .await
    }

    /// Stops a tap (best effort: a tap of a gone publisher is gone already).
    pub fn remove_tap(&self, peer: PeerId, tap: TapId) {
        self.send_soon(peer, Command::RemoveTap { peer, tap });
    }

    /// Asks publisher `peer` for a keyframe (the engine throttles).
    pub fn request_keyframe(&self, peer: PeerId) {
        let _ = self
            .owner(peer)
            .commands
            .try_send(Command::RequestKeyframe { peer });
    }

    /// Tells subscriber `peer`'s simulcast layer choice how large its video is shown,
    /// `wanted` (width, height in device pixels; 0x0 hidden, `None` any) of the
    /// publisher's `top` size (best effort: a later report supersedes a lost one).
    pub fn set_video_size(&self, peer: PeerId, top: (u32, u32), wanted: Option<(u32, u32)>) {
        let _ = self
            .owner(peer)
            .commands
            .try_send(Command::SetVideoSize { peer, top, wanted });
    }

    /// Limits what publisher `peer` may send (its connection's `kurentoOptions`).
    pub fn set_recv_bandwidth(&self, peer: PeerId, limit: RecvBandwidth) {
        self.send_soon(peer, Command::SetRecvBandwidth { peer, limit });
    }

    /// Limits what subscriber `peer` is sent (its connection's `kurentoOptions`; `None`:
    /// unconstrained).
    pub fn set_send_bandwidth(&self, peer: PeerId, limit: Option<u64>) {
        self.send_soon(peer, Command::SetSendBandwidth { peer, limit });
    }

    /// Sends a command that must not be lost and must not block: through a task when
    /// the queue is full.
    fn send_soon(&self, peer: PeerId, command: Command) {
        let worker = self.owner(peer);
        if let Err(mpsc::error::TrySendError::Full(cmd)) = worker.commands.try_send(command) {
            let commands = worker.commands.clone();
            tokio::spawn(async move {
                let _ = commands.send(cmd).await;
            });
        }
    }

    /// The latest statistics of `peer`.
    pub fn stats(&self, peer: PeerId) -> Option<PeerStats> {
        self.stats
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&peer)
            .cloned()
    }
}

/// A publisher's receive limit as the engine takes it, from OpenVidu's kbit/s (a maximum
/// of 0: unconstrained).
pub fn recv_bandwidth(max_kbps: u64, min_kbps: u64) -> RecvBandwidth {
    RecvBandwidth {
        max_bps: Some(max_kbps * 1000).filter(|b| *b > 0),
        min_bps: min_kbps * 1000,
    }
}

/// A subscription's send limit as the engine takes it (bit/s), from OpenVidu's kbit/s (0:
/// unconstrained).
pub fn send_bandwidth(max_kbps: u64) -> Option<u64> {
    Some(max_kbps * 1000).filter(|b| *b > 0)
}

/// The ICE candidate addresses for a socket bound to `port`: each advertised IP with it.
pub fn candidate_addresses(ips: &[IpAddr], port: u16) -> Vec<SocketAddr> {
    ips.iter().map(|ip| SocketAddr::new(*ip, port)).collect()
}
