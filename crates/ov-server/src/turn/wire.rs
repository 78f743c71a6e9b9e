//! The TURN wire format: STUN messages (decoded and encoded by `stun_codec`) and
//! ChannelData frames (RFC 8656 §12), from datagrams and from a TCP/TLS byte stream.
//!
//! Everything here reads untrusted bytes: it returns `None` on anything it does not
//! understand and never panics (see the property test below).

use bytecodec::{DecodeExt, EncodeExt};
use stun_codec::rfc5389::attributes::{
    ErrorCode, Fingerprint, MessageIntegrity, Nonce, Realm, Software, Username, XorMappedAddress,
};
use stun_codec::rfc5766::attributes::{
    ChannelNumber, Data, DontFragment, EvenPort, Lifetime, RequestedTransport, ReservationToken,
    XorPeerAddress, XorRelayAddress,
};
use stun_codec::{MessageDecoder, MessageEncoder};

mod attributes {
    #![allow(missing_docs, clippy::all)]
    use super::*;
    stun_codec::define_attribute_enums!(
        Attribute,
        AttributeDecoder,
        AttributeEncoder,
        [
            Username,
            MessageIntegrity,
            ErrorCode,
            Realm,
            Nonce,
            XorMappedAddress,
            Software,
            Fingerprint,
            ChannelNumber,
            Lifetime,
            XorPeerAddress,
            Data,
            XorRelayAddress,
            EvenPort,
            RequestedTransport,
            DontFragment,
            ReservationToken
        ]
    );
}

pub use attributes::Attribute;

/// A STUN message with the attributes a TURN server reads and writes.
pub type Message = stun_codec::Message<Attribute>;

/// Size of a STUN message header.
const STUN_HEADER: usize = 20;
/// Size of a ChannelData header.
const CHANNEL_HEADER: usize = 4;

/// One unit of the TURN protocol as received.
#[derive(Debug)]
pub enum Frame {
    /// A STUN message (request or indication).
    Stun(Box<Message>),
    /// Application data on a bound channel.
    ChannelData {
        /// Channel number, 0x4000..=0x4FFF.
        channel: u16,
        /// The payload.
        data: Vec<u8>,
    },
}

/// Whether the first byte starts a ChannelData frame (0b01) rather than STUN (0b00).
fn is_channel_data(first: u8) -> bool {
    (0x40..=0x4f).contains(&first)
}

/// Decodes one frame that fills `bytes` (a datagram, or a frame cut by [`frame_len`]).
pub fn decode(bytes: &[u8]) -> Option<Frame> {
    let first = *bytes.first()?;
    if is_channel_data(first) {
        if bytes.len() < CHANNEL_HEADER {
            return None;
        }
        let channel = u16::from_be_bytes([bytes[0], bytes[1]]);
        let len = usize::from(u16::from_be_bytes([bytes[2], bytes[3]]));
        let data = bytes.get(CHANNEL_HEADER..CHANNEL_HEADER + len)?;
        return Some(Frame::ChannelData {
            channel,
            data: data.to_vec(),
        });
    }
    if first >> 6 != 0 || bytes.len() < STUN_HEADER {
        return None;
    }
    let mut decoder = MessageDecoder::<Attribute>::new();
    let message = decoder.decode_from_bytes(bytes).ok()?.ok()?;
    Some(Frame::Stun(Box::new(message)))
}

/// What the start of a stream buffer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameLen {
    /// Not enough bytes to know yet.
    Incomplete,
    /// A frame of this many bytes: STUN is `20 + length`, ChannelData `4 + length`
    /// padded to 4 bytes (RFC 8656 §12.5).
    Frame(usize),
    /// Bytes that cannot start a frame: the stream is garbage.
    Invalid,
}

/// The length of the frame at the start of a stream buffer, once its header is there.
pub fn frame_len(buf: &[u8]) -> FrameLen {
    let Some(&first) = buf.first() else {
        return FrameLen::Incomplete;
    };
    if !is_channel_data(first) && first >> 6 != 0 {
        return FrameLen::Invalid;
    }
    if buf.len() < 4 {
        return FrameLen::Incomplete;
    }
    let len = usize::from(u16::from_be_bytes([buf[2], buf[3]]));
    FrameLen::Frame(if is_channel_data(first) {
        CHANNEL_HEADER + len.div_ceil(4) * 4
    } else {
        STUN_HEADER + len
    })
}

/// Encodes a STUN message.
pub fn encode(message: Message) -> Option<Vec<u8>> {
    MessageEncoder::<Attribute>::new()
        .encode_into_bytes(message)
        .ok()
}

/// A ChannelData frame; `padded` adds the zero padding streams need.
pub fn channel_data(channel: u16, data: &[u8], padded: bool) -> Option<Vec<u8>> {
    let len = u16::try_from(data.len()).ok()?;
    let mut out = Vec::with_capacity(CHANNEL_HEADER + data.len() + 3);
    out.extend_from_slice(&channel.to_be_bytes());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(data);
    if padded {
        out.resize(out.len().div_ceil(4) * 4, 0);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use stun_codec::rfc5389::methods::BINDING;
    use stun_codec::{MessageClass, TransactionId};

    #[test]
    fn channel_data_round_trips_and_pads_on_streams() {
        let bytes = channel_data(0x4001, b"abcde", true).unwrap();
        assert_eq!(bytes.len(), 12);
        assert_eq!(frame_len(&bytes), FrameLen::Frame(12));
        match decode(&bytes) {
            Some(Frame::ChannelData { channel, data }) => {
                assert_eq!(channel, 0x4001);
                assert_eq!(data, b"abcde");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(channel_data(0x4001, b"abcde", false).unwrap().len(), 9);
    }

    #[test]
    fn stun_round_trips() {
        let m = Message::new(MessageClass::Request, BINDING, TransactionId::new([7; 12]));
        let bytes = encode(m).unwrap();
        assert_eq!(frame_len(&bytes), FrameLen::Frame(20));
        assert!(matches!(decode(&bytes), Some(Frame::Stun(_))));
        assert_eq!(frame_len(&[0xff, 0, 0, 0]), FrameLen::Invalid);
        assert_eq!(frame_len(&[0x00, 1]), FrameLen::Incomplete);
        assert!(decode(&[0x40, 0x01, 0x00, 0x09, 1]).is_none(), "short data");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = decode(&bytes);
            let _ = frame_len(&bytes);
        }

        #[test]
        fn mutated_stun_never_panics(flip in proptest::collection::vec((0usize..120, any::<u8>()), 0..8)) {
            let mut m = Message::new(MessageClass::Request, stun_codec::rfc5766::methods::ALLOCATE, TransactionId::new([1; 12]));
            m.add_attribute(RequestedTransport::new(17));
            m.add_attribute(Username::new("1:abc".into()).unwrap());
            m.add_attribute(XorPeerAddress::new("127.0.0.1:9".parse().unwrap()));
            let mut bytes = encode(m).unwrap();
            for (i, b) in flip {
                let n = bytes.len();
                bytes[i % n] = b;
            }
            let _ = decode(&bytes);
        }
    }
}
