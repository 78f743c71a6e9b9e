//! Telling media from the rest in a received datagram without decrypting it, for light
//! subscribers (`--light`). SRTP encrypts the payload only: the RTP header's marker bit
//! and payload type stay readable, and the marker ends each video frame.

/// What a datagram is, as far as a light subscriber cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Datagram {
    /// An (S)RTP packet.
    Rtp {
        /// Payload type.
        pt: u8,
        /// Marker bit: the last packet of a video frame.
        marker: bool,
    },
    /// STUN, DTLS, (S)RTCP or anything else: for str0m.
    Other,
}

/// Classifies by RFC 7983's first byte (128–191: RTP or RTCP) and RFC 5761's second one
/// (RTCP packet types 192–223 occupy what would be RTP's marker + payload types 64–95,
/// which WebRTC never assigns).
pub fn classify(d: &[u8]) -> Datagram {
    match d {
        [first, second, ..] if (128..=191).contains(first) && !(192..=223).contains(second) => {
            Datagram::Rtp {
                pt: second & 0x7f,
                marker: second & 0x80 != 0,
            }
        }
        _ => Datagram::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtp_is_told_from_the_rest() {
        assert_eq!(
            classify(&[0x80, 96, 0, 1]),
            Datagram::Rtp {
                pt: 96,
                marker: false
            }
        );
        assert_eq!(
            classify(&[0x90, 0x80 | 96]),
            Datagram::Rtp {
                pt: 96,
                marker: true
            }
        );
        assert_eq!(
            classify(&[0x80, 111]),
            Datagram::Rtp {
                pt: 111,
                marker: false
            }
        );
        for other in [
            &[0x00, 0x01, 0x00, 0x4c][..], // STUN binding request
            &[22, 0xfe, 0xfd],             // DTLS handshake
            &[0x80, 200],                  // RTCP sender report
            &[0x81, 205],                  // RTCP transport feedback
            &[0x8f, 206],                  // RTCP PLI
            &[0x80],
            &[],
        ] {
            assert_eq!(classify(other), Datagram::Other, "{other:?}");
        }
    }
}
