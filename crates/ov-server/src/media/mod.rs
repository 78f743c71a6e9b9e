//! The media plane: one UDP socket and one [`ov_media::Engine`], owned by a driver task.
//! The rest of the server talks to it through a [`MediaHandle`] (commands with replies)
//! and hears from it through a channel of [`ov_media::Event`]s.

mod driver;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};

pub use ov_media::{Event as MediaEvent, MediaError, PeerId, PeerStats, VideoCodecChoice};

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
    RequestKeyframe {
        peer: PeerId,
    },
    RemovePeer {
        peer: PeerId,
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

/// A cloneable handle to the media task.
#[derive(Debug, Clone)]
pub struct MediaHandle {
    commands: mpsc::Sender<Command>,
    /// Local address of the UDP socket.
    pub local_addr: SocketAddr,
    /// Addresses announced as ICE candidates.
    pub candidates: Vec<SocketAddr>,
    stats: StatsBoard,
}

impl MediaHandle {
    /// A handle with no media task behind it (every request fails with
    /// [`MediaRequestError::Stopped`]); for tests of the REST layer.
    pub fn detached() -> MediaHandle {
        let (commands, _) = mpsc::channel(1);
        MediaHandle {
            commands,
            local_addr: SocketAddr::from(([127, 0, 0, 1], 9)),
            candidates: Vec::new(),
            stats: StatsBoard::default(),
        }
    }

    async fn ask<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<T, MediaError>>) -> Command,
    ) -> Result<T, MediaRequestError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(make(reply))
            .await
            .map_err(|_| MediaRequestError::Stopped)?;
        Ok(answer.await.map_err(|_| MediaRequestError::Stopped)??)
    }

    /// Accepts a publisher's SDP offer; returns its peer and the SDP answer.
    pub async fn add_publisher(
        &self,
        offer: String,
        video: VideoCodecChoice,
    ) -> Result<(PeerId, String), MediaRequestError> {
        self.ask(|reply| Command::AddPublisher {
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
        self.ask(|reply| Command::ReplacePublisher {
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
        self.ask(|reply| Command::AddSubscriber {
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
        self.ask(|reply| Command::AcceptAnswer {
            peer,
            answer,
            reply,
        })
        .await
    }

    /// Passes on a trickled candidate (best effort).
    pub fn add_candidate(&self, peer: PeerId, candidate: String) {
        let _ = self
            .commands
            .try_send(Command::AddCandidate { peer, candidate });
    }

    /// Asks a publisher for a keyframe (best effort).
    pub fn request_keyframe(&self, peer: PeerId) {
        let _ = self.commands.try_send(Command::RequestKeyframe { peer });
    }

    /// Closes a peer. Never blocks: removal must not wait behind a full queue, so it
    /// falls back to a task when the queue is full.
    pub fn remove_peer(&self, peer: PeerId) {
        if let Err(mpsc::error::TrySendError::Full(cmd)) =
            self.commands.try_send(Command::RemovePeer { peer })
        {
            let commands = self.commands.clone();
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

/// The ICE candidate addresses for a socket bound to `port`: each advertised IP with it.
pub fn candidate_addresses(ips: &[IpAddr], port: u16) -> Vec<SocketAddr> {
    ips.iter().map(|ip| SocketAddr::new(*ip, port)).collect()
}
