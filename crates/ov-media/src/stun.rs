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

    fn binding_request(username: &str) -> Vec<u8> {
        let mut attrs = Vec::new();
        // An unrelated attribute first (PRIORITY), then USERNAME with padding.
        attrs.extend_from_slice(&[0x00, 0x24, 0x00, 0x04, 1, 2, 3, 4]);
        attrs.extend_from_slice(&ATTR_USERNAME.to_be_bytes());
        attrs.extend_from_slice(&(username.len() as u16).to_be_bytes());
        attrs.extend_from_slice(username.as_bytes());
        while attrs.len() % 4 != 0 {
            attrs.push(0);
        }
        let mut msg = vec![0x00, 0x01];
        msg.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
        msg.extend_from_slice(&MAGIC_COOKIE);
        msg.extend_from_slice(&[7; 12]);
        msg.extend_from_slice(&attrs);
        msg
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

    proptest! {
        #[test]
        fn never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            let _ = local_ufrag(&bytes);
        }

        #[test]
        fn never_panics_on_mutated_requests(
            ufrag in "[a-zA-Z0-9+/]{1,32}",
            flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut msg = binding_request(&format!("{ufrag}:remote"));
            prop_assert_eq!(local_ufrag(&msg), Some(ufrag.as_str()));
            for (i, b) in flips {
                let at = i.index(msg.len());
                msg[at] = b;
            }
            msg.truncate(cut.index(msg.len() + 1));
            let _ = local_ufrag(&msg);
        }
    }
}
