//! A str0m peer connection standing in for a browser's `RTCPeerConnection`, negotiating
//! as Chromium does with openvidu-rs: Opus and VP8 only, a publisher offering audio and
//! video send-only (openvidu-browser's `publishVideo`), a subscriber answering the
//! server's offer (`mediaServer: "mediasoup"`).
//!
//! Sans-IO like str0m: every input (a datagram, a timeout, a written frame) is to be
//! followed by [`BrowserPeer::drain`] (or [`BrowserPeer::poll`] until a timeout), which
//! hands out the datagrams to send and the events, already reduced to what tests and the
//! load tester look at.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::format::Codec;
use str0m::media::{
    Direction, KeyframeRequestKind, MediaKind, MediaTime, Mid, Pt, Rid, Simulcast, SimulcastLayer,
};
use str0m::net::{Protocol, Receive, TcpType, Transmit};
use str0m::{Candidate, IceConnectionState, Input, Output, Rtc, RtcConfig};

use crate::frames::ReceivedFrame;

/// What went wrong with a peer.
#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    /// str0m refused an input or a configuration.
    #[error("{0}")]
    Rtc(#[from] str0m::RtcError),
    /// An SDP that does not parse.
    #[error("SDP: {0}")]
    Sdp(#[from] str0m::error::SdpError),
    /// A candidate str0m refuses.
    #[error("ICE: {0}")]
    Ice(#[from] str0m::error::IceError),
    /// An answer without an offer of ours, or an offer when there is nothing to offer.
    #[error("SDP negotiation out of order: {0}")]
    Negotiation(&'static str),
    /// The remote did not accept the codec this peer sends for `kind`.
    #[error("no {0:?} sender negotiated")]
    NotNegotiated(MediaKind),
}

/// What a peer reports, reduced to what its users react to.
#[derive(Debug, Clone, PartialEq)]
pub enum PeerEvent {
    /// ICE and DTLS are up: media can flow.
    Connected,
    /// ICE state changed (for logs).
    IceState(IceConnectionState),
    /// The remote offered an m-line this peer receives on, with its payload types.
    MediaAdded {
        /// The m-line.
        mid: Mid,
        /// Audio or video.
        kind: MediaKind,
        /// Payload types the remote may send on it.
        pts: Vec<Pt>,
    },
    /// A frame arrived.
    Frame(ReceivedFrame),
    /// The remote asks for a keyframe on one of this peer's sending m-lines (on one
    /// simulcast layer, by its rid).
    KeyframeRequest(Mid, Option<Rid>),
    /// The remote caps what this peer may send (RTCP REMB), bit/s.
    Remb(u64),
    /// Anything else str0m reported.
    Other,
}

/// One browser-like peer connection.
pub struct BrowserPeer {
    /// The str0m peer, for what this type does not wrap (closing it, its stats).
    pub rtc: Rtc,
    pending: Option<SdpPendingOffer>,
    /// The m-lines this peer sends on, in offer order.
    sending: Vec<(Mid, MediaKind)>,
    /// Payload types resolved for the sending m-lines, once the answer is in.
    senders: Vec<(MediaKind, Mid, Pt)>,
    /// The m-lines this peer receives on (learnt from the remote's offer).
    receiving: Vec<(Mid, MediaKind)>,
    /// The simulcast layers of its video, lowest first (none: no simulcast).
    layers: Vec<Rid>,
}

impl Default for BrowserPeer {
    /// A peer without candidates, created now: for SDP-only tests.
    fn default() -> BrowserPeer {
        BrowserPeer::new(Instant::now())
    }
}

impl BrowserPeer {
    /// The str0m configuration a browser ends up with against openvidu-rs: Opus
    /// (without in-band FEC) and VP8.
    pub fn config() -> RtcConfig {
        Rtc::builder()
            .clear_codecs()
            .enable_opus(true, false)
            .enable_vp8(true)
    }

    /// A peer without candidates: enough for SDP negotiations that carry no media.
    pub fn new(now: Instant) -> BrowserPeer {
        BrowserPeer {
            rtc: Self::config().build(now),
            pending: None,
            sending: Vec::new(),
            senders: Vec::new(),
            receiving: Vec::new(),
            layers: Vec::new(),
        }
    }

    /// A peer announcing `addr` as its UDP host candidate (where its datagrams come from).
    pub fn with_host_candidate(addr: SocketAddr, now: Instant) -> Result<BrowserPeer, PeerError> {
        let mut peer = Self::new(now);
        peer.rtc.add_local_candidate(Candidate::host(addr, "udp")?);
        Ok(peer)
    }

    /// A peer whose only candidate is an active TCP host candidate at `addr` (ICE-TCP, RFC
    /// 6544), as a browser that cannot use UDP has: it can only reach passive TCP
    /// candidates, over connections its caller carries (see [`BrowserPeer::handle_packet`]).
    pub fn with_tcp_candidate(addr: SocketAddr, now: Instant) -> Result<BrowserPeer, PeerError> {
        let mut peer = Self::new(now);
        let candidate = Candidate::builder()
            .tcp()
            .host(addr)
            .tcptype(TcpType::Active)
            .build()?;
        peer.rtc.add_local_candidate(candidate);
        Ok(peer)
    }

    /// openvidu-browser's publisher offer: audio and video, send-only.
    pub fn publish_offer(&mut self) -> Result<String, PeerError> {
        self.offer(true, true)
    }

    /// A send-only offer of the chosen kinds (audio first, as browsers order them).
    pub fn offer(&mut self, audio: bool, video: bool) -> Result<String, PeerError> {
        let mut api = self.rtc.sdp_api();
        let mut sending = Vec::new();
        for (wanted, kind) in [(audio, MediaKind::Audio), (video, MediaKind::Video)] {
            if wanted {
                let mid = api.add_media(kind, Direction::SendOnly, None, None, None);
                sending.push((mid, kind));
            }
        }
        let (offer, pending) = api
            .apply()
            .ok_or(PeerError::Negotiation("nothing to offer"))?;
        self.pending = Some(pending);
        self.sending = sending;
        self.senders.clear();
        Ok(offer.to_sdp_string())
    }

    /// openvidu-browser's publisher offer with simulcast: audio, and video in the layers
    /// `rids` (lowest first, as Chrome lists them: `rdiv4`, `rdiv2`, `rdiv1`).
    pub fn simulcast_offer(&mut self, rids: &[&str]) -> Result<String, PeerError> {
        let mut simulcast = Simulcast::new();
        for rid in rids {
            simulcast.add_send_layer(SimulcastLayer::new(rid));
        }
        let mut api = self.rtc.sdp_api();
        let audio = api.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None);
        let video = api.add_media(
            MediaKind::Video,
            Direction::SendOnly,
            None,
            None,
            Some(simulcast),
        );
        let (offer, pending) = api
            .apply()
            .ok_or(PeerError::Negotiation("nothing to offer"))?;
        self.pending = Some(pending);
        self.sending = vec![(audio, MediaKind::Audio), (video, MediaKind::Video)];
        self.senders.clear();
        self.layers = rids.iter().map(|r| Rid::from(*r)).collect();
        Ok(offer.to_sdp_string())
    }

    /// The simulcast layers this peer sends its video in, lowest first (empty: none).
    pub fn layers(&self) -> &[Rid] {
        &self.layers
    }

    /// Accepts the server's answer to this peer's last offer.
    pub fn accept_answer(&mut self, answer: &str) -> Result<(), PeerError> {
        let pending = self
            .pending
            .take()
            .ok_or(PeerError::Negotiation("an answer without an offer"))?;
        let answer = SdpAnswer::from_sdp_string(answer)?;
        self.rtc.sdp_api().accept_answer(pending, answer)?;
        Ok(())
    }

    /// Answers a server offer (a subscription).
    pub fn answer(&mut self, offer: &str) -> Result<String, PeerError> {
        let offer = SdpOffer::from_sdp_string(offer)?;
        Ok(self.rtc.sdp_api().accept_offer(offer)?.to_sdp_string())
    }

    /// The m-lines this peer sends on, in offer order.
    pub fn sending(&self) -> &[(Mid, MediaKind)] {
        &self.sending
    }

    /// The m-line and payload type this peer sends `kind` with: Opus for audio, VP8 for
    /// video, as negotiated in the answer.
    pub fn sender(&mut self, kind: MediaKind) -> Result<(Mid, Pt), PeerError> {
        if let Some(&(_, mid, pt)) = self.senders.iter().find(|(k, _, _)| *k == kind) {
            return Ok((mid, pt));
        }
        let codec = match kind {
            MediaKind::Audio => Codec::Opus,
            MediaKind::Video => Codec::Vp8,
        };
        let &(mid, _) = self
            .sending
            .iter()
            .find(|(_, k)| *k == kind)
            .ok_or(PeerError::NotNegotiated(kind))?;
        let pt = self
            .rtc
            .writer(mid)
            .and_then(|w| {
                w.payload_params()
                    .find(|p| p.spec().codec == codec)
                    .map(|p| p.pt())
            })
            .ok_or(PeerError::NotNegotiated(kind))?;
        self.senders.push((kind, mid, pt));
        Ok((mid, pt))
    }

    /// Writes one frame of `kind` (see [`crate::frames`]) with its RTP time.
    pub fn write(
        &mut self,
        kind: MediaKind,
        now: Instant,
        rtp_time: MediaTime,
        data: impl Into<Arc<[u8]>>,
    ) -> Result<(), PeerError> {
        let (mid, pt) = self.sender(kind)?;
        let writer = self.rtc.writer(mid).ok_or(PeerError::NotNegotiated(kind))?;
        writer.write(pt, now, rtp_time, data)?;
        Ok(())
    }

    /// Writes one video frame of the simulcast layer `rid`.
    pub fn write_layer(
        &mut self,
        rid: Rid,
        now: Instant,
        rtp_time: MediaTime,
        data: impl Into<Arc<[u8]>>,
    ) -> Result<(), PeerError> {
        let (mid, pt) = self.sender(MediaKind::Video)?;
        let writer = self
            .rtc
            .writer(mid)
            .ok_or(PeerError::NotNegotiated(MediaKind::Video))?;
        writer.rid(rid).write(pt, now, rtp_time, data)?;
        Ok(())
    }

    /// Asks the remote for a keyframe (a PLI) on the video this peer receives, as a
    /// browser's decoder does when it cannot go on.
    pub fn request_keyframe(&mut self) -> Result<(), PeerError> {
        let &(mid, _) = self
            .receiving
            .iter()
            .find(|(_, k)| *k == MediaKind::Video)
            .ok_or(PeerError::NotNegotiated(MediaKind::Video))?;
        let mut writer = self
            .rtc
            .writer(mid)
            .ok_or(PeerError::NotNegotiated(MediaKind::Video))?;
        writer.request_keyframe(None, KeyframeRequestKind::Pli)?;
        Ok(())
    }

    /// A datagram from `source` arrived on `destination`. Datagrams that are neither STUN,
    /// DTLS, RTP nor RTCP are dropped, as a browser drops them.
    pub fn handle_datagram(
        &mut self,
        now: Instant,
        source: SocketAddr,
        destination: SocketAddr,
        contents: &[u8],
    ) -> Result<(), PeerError> {
        self.handle_packet(now, Protocol::Udp, source, destination, contents)
    }

    /// A packet arrived over `proto`: a UDP datagram, or one de-framed packet of a TCP
    /// connection between `source` and `destination`. Dropped like
    /// [`BrowserPeer::handle_datagram`]'s when it is no WebRTC packet.
    pub fn handle_packet(
        &mut self,
        now: Instant,
        proto: Protocol,
        source: SocketAddr,
        destination: SocketAddr,
        contents: &[u8],
    ) -> Result<(), PeerError> {
        let Ok(receive) = Receive::new(proto, source, destination, contents) else {
            return Ok(());
        };
        self.rtc.handle_input(Input::Receive(now, receive))?;
        Ok(())
    }

    /// Time passed.
    pub fn handle_timeout(&mut self, now: Instant) -> Result<(), PeerError> {
        self.rtc.handle_input(Input::Timeout(now))?;
        Ok(())
    }

    /// The next output: a datagram to send, an event, or (last) the next deadline.
    pub fn poll(&mut self) -> Result<Output, PeerError> {
        Ok(self.rtc.poll_output()?)
    }

    /// Drains the peer, as str0m requires after every input: datagrams go to `transmit`,
    /// events to `event`; returns the next deadline.
    pub fn drain(
        &mut self,
        mut transmit: impl FnMut(Transmit),
        mut event: impl FnMut(PeerEvent),
    ) -> Result<Instant, PeerError> {
        loop {
            match self.rtc.poll_output()? {
                Output::Timeout(at) => return Ok(at),
                Output::Transmit(t) => transmit(t),
                Output::Event(e) => event(self.reduce(e)),
            }
        }
    }

    fn reduce(&mut self, event: str0m::Event) -> PeerEvent {
        match event {
            str0m::Event::Connected => PeerEvent::Connected,
            str0m::Event::IceConnectionStateChange(s) => PeerEvent::IceState(s),
            str0m::Event::MediaAdded(m) => {
                let pts = self
                    .rtc
                    .media(m.mid)
                    .map(|media| media.remote_pts().to_vec())
                    .unwrap_or_default();
                if m.direction.is_receiving() {
                    self.receiving.push((m.mid, m.kind));
                }
                PeerEvent::MediaAdded {
                    mid: m.mid,
                    kind: m.kind,
                    pts,
                }
            }
            str0m::Event::MediaData(d) => PeerEvent::Frame(ReceivedFrame::of(&d)),
            str0m::Event::KeyframeRequest(r) => PeerEvent::KeyframeRequest(r.mid, r.rid),
            str0m::Event::EgressBitrateEstimate(str0m::bwe::BweKind::Remb { estimate, .. }) => {
                PeerEvent::Remb(estimate.as_u64())
            }
            _ => PeerEvent::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_publisher_and_a_subscriber_negotiate_opus_and_vp8() {
        let now = Instant::now();
        let mut publisher = BrowserPeer::new(now);
        let offer = publisher.publish_offer().unwrap();
        assert!(
            offer.contains("m=audio") && offer.contains("m=video"),
            "{offer}"
        );
        // The codecs offered (random ICE credentials may contain any letters: only the
        // rtpmap lines count).
        let mut codecs: Vec<&str> = offer
            .lines()
            .filter_map(|l| l.strip_prefix("a=rtpmap:")?.split(' ').nth(1))
            .filter_map(|c| c.split('/').next())
            .filter(|c| !c.eq_ignore_ascii_case("rtx"))
            .collect();
        codecs.sort_unstable();
        codecs.dedup();
        assert_eq!(codecs, ["VP8", "opus"], "{offer}");
        assert_eq!(offer.matches("a=sendonly").count(), 2, "{offer}");

        // Another browser peer plays the server: it answers, the publisher accepts.
        let mut remote = BrowserPeer::new(now);
        let answer = remote.answer(&offer).unwrap();
        publisher.accept_answer(&answer).unwrap();
        let (audio, pt) = publisher.sender(MediaKind::Audio).unwrap();
        assert_eq!(publisher.sending()[0], (audio, MediaKind::Audio));
        assert_ne!(pt, publisher.sender(MediaKind::Video).unwrap().1);
        assert!(matches!(
            publisher.accept_answer(&answer),
            Err(PeerError::Negotiation(_))
        ));
    }

    #[test]
    fn an_audio_only_publisher_has_no_video_sender() {
        let now = Instant::now();
        let mut publisher = BrowserPeer::new(now);
        let offer = publisher.offer(true, false).unwrap();
        let answer = BrowserPeer::new(now).answer(&offer).unwrap();
        publisher.accept_answer(&answer).unwrap();
        assert!(publisher.sender(MediaKind::Audio).is_ok());
        assert!(matches!(
            publisher.sender(MediaKind::Video),
            Err(PeerError::NotNegotiated(MediaKind::Video))
        ));
        assert!(publisher.answer("not an sdp").is_err());
    }
}
