//! Just enough STUN parsing to route a datagram to its peer: is it a STUN message, and
//! which local ICE user fragment does its USERNAME name (`<local ufrag>:<remote ufrag>`)?
//!
//! This runs on untrusted input before any peer sees it, so it never panics and reads only
//! within bounds; the full validation (MESSAGE-INTEGRITY) is str0m's job afterwards.

const MAGIC_COOKIE: [u8; 4] = [0x21, 0x12, 0xA4, 0x42];
const HEADER_LEN: usize = 20;
const ATTR_USERNAME: u16 = 0x0006;

/// Whether `datagram` looks like a STUN message (RFC 5389 header with the magic cookie).
pub fn is_stun(datagram: &[u8]) -> bool {
    datagram.len() >= HEADER_LEN && datagram[0] < 2 && datagram[4..8] == MAGIC_COOKIE
}

/// Whether `datagram` is a STUN Binding request (what ICE connectivity checks are): the
/// first packet a browser sends on an ICE-TCP connection.
pub fn is_binding_request(datagram: &[u8]) -> bool {
    is_stun(datagram) && datagram[0..2] == [0x00, 0x01]
}

/// The local user fragment of a STUN message's USERNAME attribute, if it has one.
pub fn local_ufrag(datagram: &[u8]) -> Option<&str> {
    if !is_stun(datagram) {
        return None;
    }
    let declared = u16::from_be_bytes([datagram[2], datagram[3]]) as usize;
    let end = HEADER_LEN.checked_add(declared)?.min(datagram.len());
    let mut at = HEADER_LEN;
    while at + 4 <= end {
        let kind = u16::from_be_bytes([datagram[at], datagram[at + 1]]);
        let len = u16::from_be_bytes([datagram[at + 2], datagram[at + 3]]) as usize;
        let value_start = at + 4;
        let value_end = value_start.checked_add(len)?;
        if value_end > end {
            return None;
        }
        if kind == ATTR_USERNAME {
            let username = std::str::from_utf8(&datagram[value_start..value_end]).ok()?;
            return username.split(':').next().filter(|u| !u.is_empty());
        }
        // Attributes are padded to 4 bytes.
        at = value_start + len.div_ceil(4) * 4;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use proptest::sample::Index;

    /// A STUN message as a model: header fields, attributes around an optional USERNAME,
    /// and the byte its padding is made of (RFC 5389 lets it be anything).
    #[derive(Debug, Clone)]
    struct Message {
        /// First byte of the message type: 0 or 1 for every STUN class and method.
        type_high: u8,
        type_low: u8,
        transaction: [u8; 12],
        before: Vec<(u16, Vec<u8>)>,
        username: Option<Username>,
        after: Vec<(u16, Vec<u8>)>,
        padding: u8,
    }

    #[derive(Debug, Clone)]
    enum Username {
        /// `local:remote`, as ICE writes it.
        Ice { local: String, remote: String },
        /// `:remote`: names no local user fragment.
        NoLocal { remote: String },
        /// Not UTF-8, so not a username at all.
        NotUtf8 { local: String },
    }

    impl Username {
        fn bytes(&self) -> Vec<u8> {
            match self {
                Username::Ice { local, remote } => format!("{local}:{remote}").into_bytes(),
                Username::NoLocal { remote } => format!(":{remote}").into_bytes(),
                Username::NotUtf8 { local } => [local.as_bytes(), &[0xFF, b':', b'x']].concat(),
            }
        }
    }

    impl Message {
        /// The bytes, and where the USERNAME value ends (if there is one).
        fn encode(&self) -> (Vec<u8>, Option<usize>) {
            let mut msg = vec![self.type_high, self.type_low, 0, 0];
            msg.extend_from_slice(&MAGIC_COOKIE);
            msg.extend_from_slice(&self.transaction);
            let mut username_end = None;
            let username = self.username.as_ref().map(|u| (ATTR_USERNAME, u.bytes()));
            for (kind, value) in self.before.iter().chain(&username).chain(&self.after) {
                msg.extend_from_slice(&kind.to_be_bytes());
                msg.extend_from_slice(&(value.len() as u16).to_be_bytes());
                msg.extend_from_slice(value);
                if *kind == ATTR_USERNAME {
                    username_end = Some(msg.len());
                }
                while msg.len() % 4 != 0 {
                    msg.push(self.padding);
                }
            }
            let length = (msg.len() - HEADER_LEN) as u16;
            msg[2..4].copy_from_slice(&length.to_be_bytes());
            (msg, username_end)
        }

        /// What `local_ufrag` must return for the intact message.
        fn local_ufrag(&self) -> Option<&str> {
            match &self.username {
                Some(Username::Ice { local, .. }) => Some(local),
                _ => None,
            }
        }
    }

    fn ufrag() -> impl Strategy<Value = String> {
        "[a-zA-Z0-9+/]{1,32}"
    }

    fn message() -> impl Strategy<Value = Message> {
        let attribute = (
            any::<u16>().prop_filter("not USERNAME", |k| *k != ATTR_USERNAME),
            prop::collection::vec(any::<u8>(), 0..24),
        );
        let username = prop_oneof![
            (ufrag(), ufrag()).prop_map(|(local, remote)| Username::Ice { local, remote }),
            ufrag().prop_map(|remote| Username::NoLocal { remote }),
            ufrag().prop_map(|local| Username::NotUtf8 { local }),
        ];
        (
            (0u8..2, any::<u8>(), any::<[u8; 12]>()),
            prop::collection::vec(attribute.clone(), 0..4),
            proptest::option::weighted(0.8, username),
            prop::collection::vec(attribute, 0..4),
            any::<u8>(),
        )
            .prop_map(
                |((type_high, type_low, transaction), before, username, after, padding)| Message {
                    type_high,
                    type_low,
                    transaction,
                    before,
                    username,
                    after,
                    padding,
                },
            )
    }

    /// A binding request as browsers send it: PRIORITY, then USERNAME.
    fn binding_request(username: &str) -> Vec<u8> {
        let (local, remote) = username.split_once(':').unwrap_or((username, ""));
        let username = match local {
            "" => Username::NoLocal {
                remote: remote.into(),
            },
            _ => Username::Ice {
                local: local.into(),
                remote: remote.into(),
            },
        };
        let message = Message {
            type_high: 0x00,
            type_low: 0x01,
            transaction: [7; 12],
            before: vec![(0x0024, vec![1, 2, 3, 4])],
            username: Some(username),
            after: vec![(0x8028, vec![9; 4])],
            padding: 0,
        };
        message.encode().0
    }

    #[test]
    fn finds_the_local_ufrag() {
        assert_eq!(local_ufrag(&binding_request("abcd:wxyz")), Some("abcd"));
        assert_eq!(local_ufrag(&binding_request("abc:w")), Some("abc"));
        assert_eq!(local_ufrag(&binding_request(":w")), None);
    }

    #[test]
    fn rejects_non_stun() {
        assert!(!is_stun(&[0x80; 40])); // RTP
        assert!(!is_stun(&[22; 40])); // DTLS
        assert_eq!(local_ufrag(&[0, 1, 0, 0]), None);
        let mut truncated = binding_request("abcd:wxyz");
        truncated.truncate(30);
        assert_eq!(local_ufrag(&truncated), None);
    }

    /// What a broken message may yield: nothing, or a user fragment that is a non-empty
    /// part of the datagram before a colon.
    fn sensible(datagram: &[u8]) -> Result<(), TestCaseError> {
        if let Some(u) = local_ufrag(datagram) {
            prop_assert!(!u.is_empty() && !u.contains(':'), "{:?}", u);
            prop_assert!(datagram.as_ptr_range().contains(&u.as_ptr()));
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn a_well_formed_message_names_its_local_ufrag(message in message()) {
            let (bytes, _) = message.encode();
            prop_assert!(is_stun(&bytes));
            prop_assert_eq!(local_ufrag(&bytes), message.local_ufrag());
        }

        /// Cut short, or declaring a length shorter or longer than it has: the user
        /// fragment is found exactly when the whole USERNAME lies within both.
        #[test]
        fn a_cut_message_names_it_only_when_the_username_is_whole(
            message in message(),
            // Mostly lengths within the message, where it matters what they cut.
            declared in proptest::option::of(prop_oneof![3 => 0u16..320, 1 => any::<u16>()]),
            cut in any::<Index>(),
        ) {
            let (mut bytes, username_end) = message.encode();
            if let Some(length) = declared {
                bytes[2..4].copy_from_slice(&length.to_be_bytes());
            }
            let length = usize::from(u16::from_be_bytes([bytes[2], bytes[3]]));
            bytes.truncate(cut.index(bytes.len() + 1));
            let end = (HEADER_LEN + length).min(bytes.len());
            let expected = if bytes.len() < HEADER_LEN {
                None
            } else {
                username_end.filter(|e| *e <= end).and(message.local_ufrag())
            };
            prop_assert_eq!(local_ufrag(&bytes), expected);
        }

        #[test]
        fn without_the_stun_header_nothing_is_routed(
            message in message(),
            type_high in 2u8..,
            cookie_byte in 4usize..8,
            wrong in 1u8..,
            break_cookie in any::<bool>(),
        ) {
            let (mut bytes, _) = message.encode();
            if break_cookie {
                bytes[cookie_byte] = bytes[cookie_byte].wrapping_add(wrong);
            } else {
                bytes[0] = type_high;
            }
            prop_assert!(!is_stun(&bytes));
            prop_assert_eq!(local_ufrag(&bytes), None);
        }

        #[test]
        fn corrupted_messages_never_panic(
            message in message(),
            flips in prop::collection::vec((any::<Index>(), any::<u8>()), 1..8),
            cut in any::<Index>(),
        ) {
            let (mut bytes, _) = message.encode();
            for (at, byte) in flips {
                let at = at.index(bytes.len());
                bytes[at] = byte;
            }
            bytes.truncate(cut.index(bytes.len() + 1));
            sensible(&bytes)?;
        }

        #[test]
        fn random_bytes_never_panic(
            bytes in prop::collection::vec(any::<u8>(), 0..200),
            with_header in any::<bool>(),
        ) {
            let mut bytes = bytes;
            if with_header && bytes.len() >= HEADER_LEN {
                // A valid header over random attributes, to reach the attribute walk.
                bytes[0] = 0;
                bytes[4..8].copy_from_slice(&MAGIC_COOKIE);
            }
            sensible(&bytes)?;
        }
    }
}
