//! VP8 picture id and TL0PICIDX continuity for one outgoing stream.
//!
//! Each simulcast layer numbers its pictures on its own (RFC 7741 §4.2: a 7- or 15-bit
//! PictureID, and TL0PICIDX counting base temporal layer frames). A receiver uses them to
//! find a frame's references, so when a subscription switches layers (or its publisher
//! reconnects) the new source's numbers are shifted to continue the old ones: a jump back
//! would make Chrome take new frames for old ones and drop them. The shift is written into
//! the packet by str0m at serialization ([`Vp8Patch`]), only when it is not zero, so a
//! stream that never switched goes out untouched.

use str0m::rtp::{Vp8Descriptor, Vp8Patch};

/// 15-bit PictureID space.
const PICTURE_ID_MODULO: u16 = 1 << 15;

/// The shift applied to one subscription's VP8 descriptors.
#[derive(Debug, Default, Clone)]
pub(crate) struct PictureIds {
    /// `out = in + picture_delta` (mod 2^15, or 2^7 on a stream using 7-bit ids).
    picture_delta: u16,
    /// `out = in + tl0_delta` (mod 2^8).
    tl0_delta: u8,
    /// The last PictureID and TL0PICIDX sent.
    last_picture: Option<u16>,
    last_tl0: Option<u8>,
}

impl PictureIds {
    /// The subscription starts forwarding a new source at this packet (a keyframe): its
    /// numbers continue right after the last ones sent.
    pub fn rebase(&mut self, descriptor: &Vp8Descriptor) {
        if let (Some(last), Some(first)) = (self.last_picture, descriptor.picture_id()) {
            self.picture_delta = last.wrapping_add(1).wrapping_sub(first) % PICTURE_ID_MODULO;
        }
        if let (Some(last), Some(first)) = (self.last_tl0, descriptor.tl0_pic_idx()) {
            self.tl0_delta = last.wrapping_add(1).wrapping_sub(first);
        }
    }

    /// The patch for a packet about to be sent, `None` when it goes out as it came.
    pub fn patch(&mut self, descriptor: &Vp8Descriptor) -> Option<Vp8Patch> {
        let picture = descriptor
            .picture_id()
            .map(|id| id.wrapping_add(self.picture_delta) % PICTURE_ID_MODULO);
        let tl0 = descriptor
            .tl0_pic_idx()
            .map(|idx| idx.wrapping_add(self.tl0_delta));
        let mut sent_picture = picture;
        let patch = if self.picture_delta == 0 && self.tl0_delta == 0 {
            None
        } else {
            let build = |picture: Option<u16>| {
                let mut b = descriptor.patch();
                if let Some(p) = picture.filter(|_| self.picture_delta != 0) {
                    b = b.picture_id(p);
                }
                if let Some(t) = tl0.filter(|_| self.tl0_delta != 0) {
                    b = b.tl0_pic_idx(t);
                }
                b.build()
            };
            // A 7-bit id keeps 7 bits: the shifted value wraps in its own space.
            build(picture)
                .or_else(|_| {
                    sent_picture = picture.map(|p| p & 0x7F);
                    build(sent_picture)
                })
                .ok()
        };
        if sent_picture.is_some() {
            self.last_picture = sent_picture;
        }
        if tl0.is_some() {
            self.last_tl0 = tl0;
        }
        patch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A VP8 payload descriptor with a 15-bit (or 7-bit) PictureID and a TL0PICIDX, then one
    /// byte of frame.
    fn packet(picture: u16, long: bool, tl0: u8) -> Vec<u8> {
        let mut p = vec![0x90, 0xE0];
        if long {
            p.extend_from_slice(&[0x80 | (picture >> 8) as u8, picture as u8]);
        } else {
            p.push(picture as u8 & 0x7F);
        }
        p.extend_from_slice(&[tl0, 0x00, 0x00]);
        p
    }

    fn parse(p: &[u8]) -> Vp8Descriptor {
        Vp8Descriptor::parse(p).expect("a valid descriptor")
    }

    #[test]
    fn an_unswitched_stream_is_not_patched() {
        let mut ids = PictureIds::default();
        for pic in 100..110 {
            assert!(ids.patch(&parse(&packet(pic, true, pic as u8))).is_none());
        }
    }

    #[test]
    fn a_switch_continues_the_numbers() {
        let mut ids = PictureIds::default();
        ids.patch(&parse(&packet(500, true, 20)));
        // The new layer is at picture 7000, TL0PICIDX 3.
        let first = parse(&packet(7000, true, 3));
        ids.rebase(&first);
        assert!(ids.patch(&first).is_some());
        assert_eq!(ids.last_picture, Some(501));
        assert_eq!(ids.last_tl0, Some(21));
        ids.patch(&parse(&packet(7001, true, 4)));
        assert_eq!((ids.last_picture, ids.last_tl0), (Some(502), Some(22)));
        // Wrapping at 2^15.
        let mut ids = PictureIds::default();
        ids.patch(&parse(&packet(0x7FFF, true, 255)));
        let first = parse(&packet(10, true, 9));
        ids.rebase(&first);
        ids.patch(&first);
        assert_eq!((ids.last_picture, ids.last_tl0), (Some(0), Some(0)));
    }

    #[test]
    fn a_seven_bit_stream_stays_seven_bit() {
        let mut ids = PictureIds::default();
        ids.patch(&parse(&packet(120, false, 0)));
        let first = parse(&packet(5, false, 0));
        ids.rebase(&first);
        assert!(ids.patch(&first).is_some());
        assert_eq!(ids.last_picture, Some(121));
        let next = parse(&packet(12, false, 1));
        assert!(ids.patch(&next).is_some());
        assert_eq!(ids.last_picture, Some((12 + 121 - 5) & 0x7F));
    }

    #[test]
    fn patches_write_the_shifted_numbers() {
        let mut ids = PictureIds::default();
        ids.patch(&parse(&packet(500, true, 20)));
        let first = parse(&packet(7000, true, 3));
        ids.rebase(&first);
        let expected = first.patch().picture_id(501).tl0_pic_idx(21).build();
        assert_eq!(ids.patch(&first), expected.ok());
    }
}
