//! Does an RTP payload start a keyframe? A new subscriber is only fed from a keyframe on,
//! so that its decoder never starts on a frame it cannot decode.
//!
//! Parsers of untrusted payloads: bounds-checked, never panicking.

/// Video codecs the SFU forwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoCodec {
    /// VP8 (RFC 7741).
    Vp8,
    /// VP9 (draft-ietf-payload-vp9).
    Vp9,
    /// H.264 (RFC 6184).
    H264,
    /// AV1 (the AOM's RTP payload format).
    Av1,
}

/// Whether `payload` is the first packet of a keyframe in `codec`.
pub fn starts_keyframe(codec: VideoCodec, payload: &[u8]) -> bool {
    match codec {
        VideoCodec::Vp8 => vp8_starts_keyframe(payload),
        VideoCodec::Vp9 => vp9_starts_keyframe(payload),
        VideoCodec::H264 => h264_has_keyframe(payload),
        VideoCodec::Av1 => av1_starts_keyframe(payload),
    }
}

/// VP8: payload descriptor with S=1 and partition 0, then a frame header with P=0.
fn vp8_starts_keyframe(p: &[u8]) -> bool {
    let Some(&first) = p.first() else {
        return false;
    };
    let start_of_partition = first & 0x10 != 0;
    let partition_id = first & 0x0F;
    if !start_of_partition || partition_id != 0 {
        return false;
    }
    let mut at = 1;
    if first & 0x80 != 0 {
        // Extension byte: I (picture id), L (tl0picidx), T/K (tid/keyidx).
        let Some(&ext) = p.get(at) else {
            return false;
        };
        at += 1;
        if ext & 0x80 != 0 {
            let Some(&pid) = p.get(at) else {
                return false;
            };
            at += if pid & 0x80 != 0 { 2 } else { 1 };
        }
        if ext & 0x40 != 0 {
            at += 1;
        }
        if ext & 0x30 != 0 {
            at += 1;
        }
    }
    // Frame tag: bit 0 is P (0 = keyframe).
    p.get(at).is_some_and(|tag| tag & 0x01 == 0)
}

/// VP9: descriptor with B (start of frame) set and P (inter-picture predicted) clear.
fn vp9_starts_keyframe(p: &[u8]) -> bool {
    p.first().is_some_and(|d| d & 0x08 != 0 && d & 0x40 == 0)
}

/// AV1: the aggregation header starts a new OBU (Z clear) and a new coded video sequence
/// (N set), which only a keyframe (with its sequence header) does.
fn av1_starts_keyframe(p: &[u8]) -> bool {
    p.first().is_some_and(|h| h & 0x80 == 0 && h & 0x08 != 0)
}

/// H.264: an IDR slice or SPS, alone, in a STAP-A aggregate, or starting an FU-A.
fn h264_has_keyframe(p: &[u8]) -> bool {
    const IDR: u8 = 5;
    const SPS: u8 = 7;
    let is_key = |nal_type: u8| nal_type == IDR || nal_type == SPS;
    let Some(&header) = p.first() else {
        return false;
    };
    match header & 0x1F {
        24 => {
            // STAP-A: (16-bit size, NAL unit)*
            let mut at = 1;
            while at + 2 < p.len() {
                let size = u16::from_be_bytes([p[at], p[at + 1]]) as usize;
                let Some(&nal) = p.get(at + 2) else {
                    return false;
                };
                if size > 0 && is_key(nal & 0x1F) {
                    return true;
                }
                at += 2 + size;
            }
            false
        }
        28 => p
            .get(1)
            .is_some_and(|fu| fu & 0x80 != 0 && is_key(fu & 0x1F)),
        t => is_key(t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn vp8() {
        // S=1, PID=0, no extension; frame tag P=0.
        assert!(starts_keyframe(
            VideoCodec::Vp8,
            &[0x10, 0x00, 0x9d, 0x01, 0x2a]
        ));
        // Delta frame (P=1).
        assert!(!starts_keyframe(VideoCodec::Vp8, &[0x10, 0x01]));
        // Not the start of a partition.
        assert!(!starts_keyframe(VideoCodec::Vp8, &[0x00, 0x00]));
        // With X, I (16-bit picture id), L, T: descriptor is 1+1+2+1+1 bytes.
        assert!(starts_keyframe(
            VideoCodec::Vp8,
            &[0x90, 0xF0, 0x80, 0x01, 0x00, 0x00, 0x00]
        ));
        assert!(!starts_keyframe(
            VideoCodec::Vp8,
            &[0x90, 0xF0, 0x80, 0x01, 0x00, 0x00, 0x01]
        ));
        assert!(!starts_keyframe(VideoCodec::Vp8, &[0x90, 0xF0, 0x80]));
    }

    #[test]
    fn h264() {
        assert!(starts_keyframe(VideoCodec::H264, &[0x65, 0x88]));
        assert!(starts_keyframe(VideoCodec::H264, &[0x67, 0x42]));
        assert!(!starts_keyframe(VideoCodec::H264, &[0x41, 0x9a]));
        // STAP-A with SPS + PPS.
        assert!(starts_keyframe(
            VideoCodec::H264,
            &[0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x01, 0x68]
        ));
        assert!(!starts_keyframe(
            VideoCodec::H264,
            &[0x78, 0x00, 0x01, 0x68]
        ));
        // FU-A start of an IDR, and a middle fragment.
        assert!(starts_keyframe(VideoCodec::H264, &[0x7c, 0x85, 0x00]));
        assert!(!starts_keyframe(VideoCodec::H264, &[0x7c, 0x05, 0x00]));
        assert!(!starts_keyframe(VideoCodec::H264, &[]));
    }

    #[test]
    fn vp9() {
        assert!(starts_keyframe(VideoCodec::Vp9, &[0x08]));
        assert!(!starts_keyframe(VideoCodec::Vp9, &[0x48]));
        assert!(!starts_keyframe(VideoCodec::Vp9, &[0x00]));
    }

    #[test]
    fn av1() {
        // N (new coded video sequence) with W = 2 OBUs: a keyframe's first packet.
        assert!(starts_keyframe(VideoCodec::Av1, &[0x28, 0x0a]));
        assert!(
            !starts_keyframe(VideoCodec::Av1, &[0x20]),
            "no N: a delta frame"
        );
        assert!(
            !starts_keyframe(VideoCodec::Av1, &[0x88]),
            "Z: a continuation"
        );
        assert!(!starts_keyframe(VideoCodec::Av1, &[]));
    }

    proptest! {
        #[test]
        fn never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            for codec in [VideoCodec::Vp8, VideoCodec::Vp9, VideoCodec::H264, VideoCodec::Av1] {
                let _ = starts_keyframe(codec, &bytes);
            }
        }
    }
}
