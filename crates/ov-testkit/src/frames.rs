//! Synthetic media: what a browser's encoders would hand to its RTP packetizers, reduced to
//! what an SFU looks at (sizes, rates, the VP8 keyframe flag), and the classification of a
//! frame a peer receives. No codec: the server forwards bytes without decoding them.

use str0m::format::Codec;
use str0m::media::{MediaData, MediaKind};

/// Size of a synthetic Opus frame (a browser's 20 ms voice frame is 40–120 bytes).
pub const OPUS_FRAME_BYTES: usize = 60;

/// An Opus frame of [`OPUS_FRAME_BYTES`] (`0xFC`: a CELT-only TOC byte, then filler).
pub fn opus_frame() -> Vec<u8> {
    vec![0xFC; OPUS_FRAME_BYTES]
}

/// A VP8 frame of `len` bytes (at least 1). The first byte is the VP8 frame tag, whose
/// bit 0 is 0 for a keyframe and 1 for an inter frame — what the server's keyframe
/// detection and a subscriber's [`ReceivedFrame::keyframe`] read.
pub fn vp8_frame(key: bool, len: usize) -> Vec<u8> {
    let mut frame = vec![if key { 0x10 } else { 0x11 }; len.max(1)];
    frame[0] = if key { 0x00 } else { 0x01 };
    frame
}

/// Whether a VP8 payload starts a keyframe.
pub fn is_vp8_keyframe(data: &[u8]) -> bool {
    data.first().is_some_and(|tag| tag & 1 == 0)
}

/// A frame a peer received, as a decoder would see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceivedFrame {
    /// Audio or video.
    pub kind: MediaKind,
    /// A VP8 keyframe (always false for audio).
    pub keyframe: bool,
    /// No packet is missing since the previous frame (str0m's `contiguous`).
    pub contiguous: bool,
    /// Its size: tests tell simulcast layers apart by the frame sizes they send.
    pub bytes: usize,
    /// Its RTP timestamp, extended (no wrap), in its clock's units.
    pub rtp_time: u64,
}

impl ReceivedFrame {
    /// Classifies str0m's `MediaData`.
    pub fn of(data: &MediaData) -> ReceivedFrame {
        let codec = data.params.spec().codec;
        let kind = if codec.is_video() {
            MediaKind::Video
        } else {
            MediaKind::Audio
        };
        ReceivedFrame {
            kind,
            keyframe: codec == Codec::Vp8 && is_vp8_keyframe(&data.data),
            contiguous: data.contiguous,
            bytes: data.data.len(),
            rtp_time: data.time.numer(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vp8_frames_carry_their_keyframe_flag() {
        let key = vp8_frame(true, 4000);
        let delta = vp8_frame(false, 2500);
        assert_eq!((key.len(), delta.len()), (4000, 2500));
        assert!(is_vp8_keyframe(&key));
        assert!(!is_vp8_keyframe(&delta));
        assert!(!is_vp8_keyframe(&[]));
        assert_eq!(vp8_frame(true, 0).len(), 1);
        assert_eq!(opus_frame().len(), OPUS_FRAME_BYTES);
    }
}
