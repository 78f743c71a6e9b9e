//! One WebRTC peer connection: a str0m `Rtc` plus what the engine knows about its tracks.

use std::time::{Duration, Instant};

use str0m::Rtc;
use str0m::change::SdpPendingOffer;
use str0m::media::{Mid, Pt, Rid};
use str0m::rtp::Ssrc;

use crate::contract::{CloseReason, PeerId, Route};
use crate::keyframe::VideoCodec;
use crate::layers::{LayerSelection, PubLayer, layers_for};
use crate::picture_ids::PictureIds;
use crate::rewrite::Rewriter;

/// Audio or video.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaKind {
    /// Audio.
    Audio,
    /// Video.
    Video,
}

impl From<str0m::media::MediaKind> for MediaKind {
    fn from(k: str0m::media::MediaKind) -> Self {
        if k.is_audio() {
            MediaKind::Audio
        } else {
            MediaKind::Video
        }
    }
}

impl MediaKind {
    /// RTP clock rate of every codec of this kind we negotiate (Opus 48 kHz, video 90 kHz).
    pub fn clock_rate(self) -> u32 {
        match self {
            MediaKind::Audio => 48_000,
            MediaKind::Video => 90_000,
        }
    }

    pub(crate) fn to_str0m(self) -> str0m::media::MediaKind {
        match self {
            MediaKind::Audio => str0m::media::MediaKind::Audio,
            MediaKind::Video => str0m::media::MediaKind::Video,
        }
    }
}

/// A track received from a publisher.
#[derive(Debug)]
pub(crate) struct PubTrack {
    pub mid: Mid,
    pub kind: MediaKind,
    /// Its encodings, lowest first: several with simulcast, else one.
    pub layers: Vec<PubLayer>,
    /// Where its packets go: (subscriber, index of the subscriber's track).
    pub subscribers: Vec<(PeerId, usize)>,
    /// Plain RTP copies for local consumers (the recorder), of the top layer.
    pub taps: Vec<crate::tap::TrackTap>,
    /// The REMB cap to the publisher when no subscriber needs the upper layers.
    pub uplink: crate::uplink::UplinkCap,
}

impl PubTrack {
    /// A track whose media line declares `rids` (simulcast) or none.
    pub fn new(mid: Mid, kind: MediaKind, rids: &[Rid]) -> PubTrack {
        PubTrack {
            mid,
            kind,
            layers: layers_for(rids),
            subscribers: Vec::new(),
            taps: Vec::new(),
            uplink: Default::default(),
        }
    }

    /// The layer taps copy and [`Engine::request_keyframe`](crate::Engine::request_keyframe)
    /// asks for: the top one.
    pub fn top_layer(&self) -> usize {
        self.layers.len().saturating_sub(1)
    }
}

/// A track sent to a subscriber.
#[derive(Debug)]
pub(crate) struct SubTrack {
    pub mid: Mid,
    pub kind: MediaKind,
    /// Index of the source track in the publisher.
    pub source_track: usize,
    /// Publisher payload type → subscriber payload type.
    pub pt_map: Vec<(Pt, Pt)>,
    pub rewriter: Rewriter,
    /// Which of the source track's layers is forwarded.
    pub layers: LayerSelection,
    /// VP8 numbering continuity across layer switches.
    pub picture_ids: PictureIds,
}

/// What one peer connection carries: a browser's stream in, or one stream out. Not called
/// `Role`: in OpenVidu a role is what a participant may do (PUBLISHER, SUBSCRIBER,
/// MODERATOR), a different thing.
#[derive(Debug)]
pub(crate) enum PeerKind {
    /// Receives media from a browser.
    Publisher {
        tracks: Vec<PubTrack>,
        /// SSRC → (track index, layer index), learned from the first packets.
        ssrcs: Vec<(Ssrc, usize, usize)>,
        /// Payload type → video codec, for keyframe detection.
        codecs: Vec<(Pt, Option<VideoCodec>)>,
        /// Its own video bitrate limits (OpenVidu's `kurentoOptions`), instead of the
        /// engine's.
        recv_bandwidth: Option<crate::RecvBandwidth>,
    },
    /// Sends one publisher's media to a browser.
    Subscriber {
        source: PeerId,
        tracks: Vec<SubTrack>,
        pending: Option<SdpPendingOffer>,
        /// str0m's latest estimate of the link to the subscriber, bit/s.
        estimate: Option<u64>,
        /// When its layers are allocated again without a new estimate (an estimate that
        /// does not move still has to be probed).
        reallocate_at: Option<Instant>,
    },
}

/// A peer connection.
pub(crate) struct Peer {
    pub rtc: Rtc,
    pub kind: PeerKind,
    pub ufrag: String,
    /// Remote addresses (with their transport) routed to this peer.
    pub addrs: Vec<Route>,
    pub created: Instant,
    pub connected: bool,
    /// Since when ICE is disconnected, if it is.
    pub disconnected_since: Option<Instant>,
    /// Since when (and why) a publisher whose connection ended waits for its replacement.
    pub parked: Option<(Instant, CloseReason)>,
    pub stats: PeerStats,
    pub voice: crate::speaking::VoiceActivity,
}

/// Statistics of one track of a peer (a direction and a media line).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrackStats {
    /// Media line id.
    pub mid: String,
    /// The simulcast layer (its rid); `None` without simulcast.
    pub rid: Option<String>,
    /// Audio or video, once known.
    pub kind: Option<MediaKind>,
    /// Packets received (publisher) or sent (subscriber).
    pub packets: u64,
    /// Bytes received or sent.
    pub bytes: u64,
    /// NACKs sent (publisher) or received (subscriber).
    pub nacks: u64,
    /// PLIs sent or received.
    pub plis: u64,
    /// FIRs sent or received.
    pub firs: u64,
    /// Loss fraction as reported, 0..1.
    pub loss: Option<f32>,
    /// A subscriber's track: the loss fraction on its publisher's way in (part of `loss`
    /// then, as gaps nothing filled).
    pub upstream_loss: Option<f32>,
    /// Round-trip time.
    pub rtt: Option<Duration>,
    /// Interarrival jitter, as this server (publisher) or the browser (subscriber)
    /// last reported it in a receiver report.
    pub jitter: Option<Duration>,
}

/// Statistics of a peer connection, as last reported by str0m.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PeerStats {
    /// Whether ICE and DTLS are established.
    pub connected: bool,
    /// Total bytes received on the transport.
    pub bytes_received: u64,
    /// Total bytes sent on the transport.
    pub bytes_sent: u64,
    /// Round-trip time.
    pub rtt: Option<Duration>,
    /// Selected local candidate address.
    pub local_candidate: Option<String>,
    /// Selected remote candidate address.
    pub remote_candidate: Option<String>,
    /// Per media line.
    pub tracks: Vec<TrackStats>,
    /// Smoothed level of the incoming audio, in -dBov (0 loudest, 127 silence).
    pub audio_level: Option<u8>,
    /// Whether the incoming audio carries speech (from its audio-level extension).
    pub speaking: bool,
    /// Simulcast layers missing for want of bandwidth, on its worst video track: layers
    /// a publisher sent before and stopped (the ones nobody asked for aside), or layers
    /// below the wanted one a subscriber's estimate holds it to.
    pub layer_shortfall: usize,
    /// A subscriber's video is paused: its link cannot carry even the lowest layer
    /// ([`EngineConfig::congestion_pause`](crate::EngineConfig::congestion_pause)).
    pub video_paused: bool,
}
