//! Engine settings and the str0m configuration of each kind of peer.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use str0m::format::{Codec, CodecConfig, FormatParams, PayloadParams};
use str0m::media::Frequency;
use str0m::{Rtc, RtcConfig};

/// A video codec a session can force on its publishers (OpenVidu's `forcedVideoCodec`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForcedCodec {
    /// VP8.
    Vp8,
    /// VP9 (profile 0 or 2, as the browser offers).
    Vp9,
    /// H.264, in every profile str0m knows (constrained baseline to high): a publisher's
    /// profile is matched on its subscribers' side, which are offered exactly it.
    H264,
    /// AV1 (an openvidu-rs addition: OpenVidu 2 cannot force it).
    Av1,
}

impl ForcedCodec {
    /// Its encoding name in SDP (`a=rtpmap:<pt> <name>/90000`).
    pub fn sdp_name(self) -> &'static str {
        match self {
            ForcedCodec::Vp8 => "VP8",
            ForcedCodec::Vp9 => "VP9",
            ForcedCodec::H264 => "H264",
            ForcedCodec::Av1 => "AV1",
        }
    }
}

impl std::fmt::Display for ForcedCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.sdp_name())
    }
}

/// Video codecs a publisher may be asked to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VideoCodecChoice {
    /// VP8, then H.264 (VP8 preferred: every browser encodes it in software cheaply).
    #[default]
    Vp8Preferred,
    /// Only this codec: an offer with video but without it is refused
    /// ([`MediaError::CodecNotOffered`](crate::MediaError::CodecNotOffered)).
    Only(ForcedCodec),
    /// This codec when the offer has it, else as [`VideoCodecChoice::Vp8Preferred`]
    /// (OpenVidu's `allowTranscoding`: the offer then goes through unchanged).
    Prefer(ForcedCodec),
}

/// Settings of an [`Engine`](crate::Engine).
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Addresses announced as ICE host candidates (the server's UDP socket as clients
    /// reach it). Datagrams are reported as received on the first one of their family.
    pub candidates: Vec<SocketAddr>,
    /// Addresses announced as passive TCP host candidates (ICE-TCP, RFC 6544: the server
    /// accepts, browsers connect), for clients that cannot use UDP. Empty: UDP only.
    /// Packets of [`Transport::Tcp`](crate::Transport) are reported as received on the
    /// first one of their family.
    pub tcp_candidates: Vec<SocketAddr>,
    /// A peer that has not connected after this long is closed.
    pub connect_timeout: Duration,
    /// A peer whose ICE stays disconnected this long is closed.
    pub disconnect_timeout: Duration,
    /// How long a publisher whose connection ended waits for a replacement
    /// ([`Engine::replace_publisher`](crate::Engine::replace_publisher)) before it is removed.
    pub park_timeout: Duration,
    /// How often str0m produces statistics.
    pub stats_interval: Duration,
    /// Minimum time between two keyframe requests sent to one publisher track.
    pub keyframe_request_interval: Duration,
    /// Send-side bandwidth estimation (TWCC) and pacing of every subscription to a simulcast
    /// publisher, starting from this estimate (bit/s): it drives the layer each such
    /// subscription gets. `None`: off (no pacing; subscriptions get the best layer their
    /// subscriber wants).
    pub initial_estimate: Option<u64>,
    /// The first [`PeerId`](crate::PeerId) this engine hands out. Engines running side by
    /// side (one per core) get disjoint ranges, so a peer id tells which engine owns it.
    pub first_peer_id: u64,
    /// The video bitrate every publisher may send (OpenVidu's
    /// `OPENVIDU_STREAMS_VIDEO_MAX/MIN_RECV_BANDWIDTH`), unless
    /// [`Engine::set_recv_bandwidth`](crate::Engine::set_recv_bandwidth) says otherwise.
    pub recv_bandwidth: crate::RecvBandwidth,
    /// The video bitrate the server may send on each subscription (OpenVidu's
    /// `OPENVIDU_STREAMS_VIDEO_MAX_SEND_BANDWIDTH`), unless
    /// [`Engine::set_send_bandwidth`](crate::Engine::set_send_bandwidth) says otherwise;
    /// `None`: unconstrained. It bounds the simulcast layer a subscription gets (a single
    /// encoding is forwarded whole: an SFU cannot make it smaller).
    pub send_bandwidth: Option<u64>,
    /// The congestion pause: a subscription whose link cannot carry even the lowest
    /// simulcast layer gets no video until it can (its audio goes on). Off by default, as
    /// in LiveKit: a frozen picture is often worse than a blurred one.
    pub congestion_pause: bool,
}

impl EngineConfig {
    /// Defaults for the given announced addresses.
    pub fn new(candidates: Vec<SocketAddr>) -> Self {
        EngineConfig {
            candidates,
            tcp_candidates: Vec::new(),
            connect_timeout: Duration::from_secs(30),
            disconnect_timeout: Duration::from_secs(30),
            park_timeout: Duration::from_secs(30),
            stats_interval: Duration::from_secs(1),
            keyframe_request_interval: Duration::from_millis(300),
            initial_estimate: Some(1_000_000),
            first_peer_id: 1,
            recv_bandwidth: crate::RecvBandwidth::default(),
            send_bandwidth: None,
            congestion_pause: false,
        }
    }
}

/// Opus's payload type in our answers, as browsers offer it. str0m maps it to the
/// offer's own when that differs.
const OPUS_PT: u8 = 111;

/// The str0m settings shared by every peer: ICE-lite (the server has a public address and
/// only answers checks), RTP mode (forward packets, not frames), one DTLS certificate.
pub(crate) fn base(config: &EngineConfig, cert: &str0m::config::DtlsCert) -> RtcConfig {
    Rtc::builder()
        .set_ice_lite(true)
        .set_rtp_mode(true)
        .set_dtls_cert(cert.clone())
        .set_stats_interval(Some(config.stats_interval))
}

/// A publisher receives Opus and video in `only` that codec, or else in VP8 or H.264 (VP8
/// first).
///
/// Opus is answered with in-band FEC and DTX (`useinbandfec=1;usedtx=1`): the answer's
/// fmtp is what the browser's encoder follows, so a silent microphone then sends a few
/// packets a second instead of 50 (6 measured in Chromium), to every subscriber of a large
/// room (LiveKit and mediasoup turn DTX on the same way).
pub(crate) fn publisher(
    config: &EngineConfig,
    cert: &str0m::config::DtlsCert,
    only: Option<ForcedCodec>,
    now: Instant,
) -> Rtc {
    let mut builder = base(config, cert).clear_codecs();
    builder.codec_config().add_config(
        OPUS_PT.into(),
        None,
        Codec::Opus,
        Frequency::FORTY_EIGHT_KHZ,
        Some(2),
        FormatParams {
            min_p_time: Some(10),
            use_inband_fec: Some(true),
            use_dtx: Some(true),
            ..FormatParams::default()
        },
    );
    let builder = match only {
        None => builder.enable_vp8(true).enable_h264(true),
        Some(ForcedCodec::Vp8) => builder.enable_vp8(true),
        Some(ForcedCodec::Vp9) => builder.enable_vp9(true),
        Some(ForcedCodec::H264) => builder.enable_h264(true),
        Some(ForcedCodec::Av1) => builder.enable_av1(true),
    };
    builder.build(now)
}

/// A subscriber is offered exactly the codecs (and payload types) its publisher
/// negotiated, so packets are forwarded without transcoding and usually without even
/// changing their payload type. Its link is estimated (and its packets paced) when
/// [`EngineConfig::initial_estimate`] says so and its source sends simulcast: with one
/// layer there is nothing to choose from, and the estimator and pacer would cost the
/// forwarding about a fifth more CPU for nothing (measured with `openvidu-load`).
pub(crate) fn subscriber(
    config: &EngineConfig,
    cert: &str0m::config::DtlsCert,
    params: Vec<PayloadParams>,
    simulcast: bool,
    now: Instant,
) -> Rtc {
    let estimate = config.initial_estimate.filter(|_| simulcast);
    let mut builder = base(config, cert).enable_bwe(estimate.map(str0m::bwe::Bitrate::bps));
    *builder.codec_config() = CodecConfig::new_from_payload_params(params);
    builder.build(now)
}
