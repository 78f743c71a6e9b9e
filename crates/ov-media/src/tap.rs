//! Taps: plain RTP copies of a publisher's tracks for a local consumer (the recorder).
//!
//! A tap is a "plain" subscriber: no ICE, DTLS, SRTP or RTCP, just each decrypted packet
//! of one track re-sent as an RTP datagram (RFC 3550 fixed header, the publisher's payload
//! type, no header extensions) to a local address. It costs the call nothing: nothing
//! waits for it and a consumer that goes away only leaves datagrams nobody reads.
//! Keyframes for a tap are requested like a subscriber's, through
//! [`Engine::request_keyframe`](crate::Engine::request_keyframe), and when it switches layers.
//!
//! A simulcast video tap copies the highest layer arriving, switching at keyframes as a
//! subscription does ([`LayerSelection`]): when the publisher stops sending its top layer
//! (Chrome drops it when short of bandwidth or CPU) the recording goes on with the next one
//! instead of freezing. Its datagrams keep one SSRC (the first copied) and sequence numbers
//! and timestamps continuous across switches and publisher reconnections ([`Rewriter`]).

use std::fmt;
use std::net::SocketAddr;

use str0m::format::Codec;
use str0m::media::Pt;
use str0m::rtp::RtpPacket;

use std::time::Instant;

use crate::contract::{Output, PeerId, Transmit, Transport};
use crate::layers::{LayerSelection, LayerView, Verdict};
use crate::peer::{MediaKind, PeerKind};
use crate::rewrite::Rewriter;
use crate::table::PeerTable;

/// Handle of a tap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TapId(pub u64);

impl fmt::Display for TapId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tap-{}", self.0)
    }
}

/// The codec one tapped track carries: what a consumer needs to read its RTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TapCodec {
    /// Audio or video.
    pub kind: MediaKind,
    /// `opus`, `VP8`, `VP9`, `H264` or `AV1`.
    pub codec: &'static str,
    /// The payload type the packets carry.
    pub payload_type: u8,
    /// RTP clock rate.
    pub clock_rate: u32,
    /// Audio channels (Opus: 2).
    pub channels: Option<u8>,
}

/// One tap on a publisher track.
#[derive(Debug)]
pub(crate) struct TrackTap {
    pub id: TapId,
    pub destination: SocketAddr,
    /// Only this payload type is copied: the codec the consumer was told.
    pub pt: Pt,
    /// The simulcast layer copied (video): the highest arriving.
    pub layers: LayerSelection,
    /// Its outgoing sequence numbers and timestamps.
    pub rewriter: Rewriter,
    /// The SSRC of everything sent to it: the first one copied.
    pub ssrc: Option<u32>,
}

impl TrackTap {
    pub fn new(id: TapId, destination: SocketAddr, pt: Pt) -> TrackTap {
        TrackTap {
            id,
            destination,
            pt,
            layers: LayerSelection::default(),
            rewriter: Rewriter::default(),
            ssrc: None,
        }
    }
}

/// A packet of a tapped track, as forwarding saw it.
pub(crate) struct Tapped<'a> {
    pub kind: MediaKind,
    /// Its simulcast layer (0 without simulcast), and the track's layers arriving now.
    pub layer: usize,
    pub layers: LayerView,
    /// It starts a keyframe.
    pub keyframe: bool,
    pub packet: &'a RtpPacket,
}

/// The codec a publisher track carries: the first of its negotiated payload types that is
/// a media codec (not RTX, RED or FEC), which is the one browsers send.
pub(crate) fn track_codec(
    rtc: &str0m::Rtc,
    mid: str0m::media::Mid,
    kind: MediaKind,
) -> Option<TapCodec> {
    let media = rtc.media(mid)?;
    let params = rtc.codec_config().params();
    media.remote_pts().iter().find_map(|pt| {
        let p = params.iter().find(|p| p.pt() == *pt)?;
        let spec = p.spec();
        let codec = match (kind, spec.codec) {
            (MediaKind::Audio, Codec::Opus) => "opus",
            (MediaKind::Video, Codec::Vp8) => "VP8",
            (MediaKind::Video, Codec::Vp9) => "VP9",
            (MediaKind::Video, Codec::H264) => "H264",
            (MediaKind::Video, Codec::Av1) => "AV1",
            _ => return None,
        };
        Some(TapCodec {
            kind,
            codec,
            payload_type: **pt,
            clock_rate: spec.clock_rate.get(),
            channels: (kind == MediaKind::Audio).then_some(spec.channels.unwrap_or(2)),
        })
    })
}

/// A plain RTP datagram: the 12-byte fixed header (version 2, no padding, extension or
/// CSRC) and the payload.
pub(crate) fn plain_rtp(
    marker: bool,
    pt: u8,
    seq: u16,
    timestamp: u32,
    ssrc: u32,
    payload: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(12 + payload.len());
    out.push(0x80);
    out.push((u8::from(marker) << 7) | (pt & 0x7f));
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&timestamp.to_be_bytes());
    out.extend_from_slice(&ssrc.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

impl PeerTable {
    /// Copies a packet of `publisher`'s `track` to the track's taps that take its layer;
    /// returns whether one of them waits for a keyframe of that layer.
    pub(crate) fn copy_to_taps(
        &mut self,
        publisher: PeerId,
        track: usize,
        tapped: Tapped<'_>,
        now: Instant,
    ) -> bool {
        let Some(source) = self.config.candidates.first().copied() else {
            return false;
        };
        let Some(PeerKind::Publisher { tracks, .. }) =
            self.peers.get_mut(&publisher).map(|p| &mut p.kind)
        else {
            return false;
        };
        let Some(t) = tracks.get_mut(track) else {
            return false;
        };
        let packet = tapped.packet;
        let ssrc = *packet.header.ssrc;
        let mut wants_keyframe = false;
        for tap in &mut t.taps {
            if tap.pt != packet.header.payload_type {
                continue;
            }
            if tapped.kind == MediaKind::Video {
                let mapped = tap.rewriter.is_mapped(ssrc);
                match tap
                    .layers
                    .decide(tapped.layers, tapped.layer, tapped.keyframe, mapped)
                {
                    Verdict::Forward | Verdict::Switch => {}
                    Verdict::NeedKeyframe => {
                        wants_keyframe = true;
                        continue;
                    }
                    Verdict::Drop => continue,
                }
            }
            let Some((seq, ts)) = tap.rewriter.map(
                ssrc,
                *packet.seq_no,
                packet.header.timestamp,
                tapped.kind.clock_rate(),
                now,
            ) else {
                continue;
            };
            let out_ssrc = *tap.ssrc.get_or_insert(ssrc);
            self.out.push_back(Output::Transmit(Transmit {
                transport: Transport::Udp,
                source,
                destination: tap.destination,
                contents: plain_rtp(
                    packet.header.marker,
                    *packet.header.payload_type,
                    seq as u16,
                    ts,
                    out_ssrc,
                    &packet.payload,
                ),
            }));
        }
        wants_keyframe
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_rtp_header_is_rfc3550() {
        let bytes = plain_rtp(true, 96, 5, 0x0102_0304, 0x0a0b_0c0d, &[9, 8, 7]);
        assert_eq!(
            bytes,
            [
                0x80,
                0x80 | 96,
                0x00,
                0x05,
                1,
                2,
                3,
                4,
                0x0a,
                0x0b,
                0x0c,
                0x0d,
                9,
                8,
                7
            ]
        );
        assert_eq!(plain_rtp(false, 111, 0, 0, 0, &[])[1], 111);
    }
}
