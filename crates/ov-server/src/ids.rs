//! Random identifiers in OpenVidu's formats. Tokens and RPC session ids are secrets, so
//! they come from a cryptographically secure generator (`rand`'s thread-local ChaCha).

use rand::Rng;
use rand::distr::{Alphanumeric, SampleString};

use ov_protocol::ids::{
    CONNECTION_PREFIX, ConnectionId, SESSION_PREFIX, STREAM_PREFIX, SessionId, StreamId,
    TOKEN_PREFIX,
};

fn upper_letter() -> char {
    rand::rng().random_range(b'A'..=b'Z') as char
}

fn alphanumeric(n: usize) -> String {
    Alphanumeric.sample_string(&mut rand::rng(), n)
}

/// `ses_` + one upper-case letter + 9 alphanumerics.
pub fn session_id() -> SessionId {
    SessionId::new(format!(
        "{SESSION_PREFIX}{}{}",
        upper_letter(),
        alphanumeric(9)
    ))
}

/// `con_` + one upper-case letter + 9 alphanumerics.
pub fn connection_id() -> ConnectionId {
    ConnectionId::new(format!(
        "{CONNECTION_PREFIX}{}{}",
        upper_letter(),
        alphanumeric(9)
    ))
}

/// `tok_` + one upper-case letter + 15 alphanumerics.
pub fn token_id() -> String {
    format!("{TOKEN_PREFIX}{}{}", upper_letter(), alphanumeric(15))
}

/// `str_<TAG>_` + one upper-case letter + 3 alphanumerics + `_<connectionId>`.
pub fn stream_id(type_of_video: Option<&str>, connection_id: &ConnectionId) -> StreamId {
    let tag = ov_protocol::ids::stream_type_tag(type_of_video);
    StreamId::new(format!(
        "{STREAM_PREFIX}{tag}_{}{}_{connection_id}",
        upper_letter(),
        alphanumeric(3)
    ))
}

/// The JSON-RPC session id (the browser's `rpcSessionId`, needed to reconnect): 26
/// lower-case base-32 characters, like Kurento's.
pub fn rpc_session_id() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuv0123456789";
    let mut rng = rand::rng();
    (0..26)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Random alphanumerics, for TURN user names and the like.
pub fn random_alphanumeric(n: usize) -> String {
    alphanumeric(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let s = session_id();
        assert_eq!(s.len(), 14);
        assert!(s.starts_with("ses_") && s.as_bytes()[4].is_ascii_uppercase());
        let c = connection_id();
        assert_eq!(c.len(), 14);
        let t = token_id();
        assert_eq!(t.len(), 20);
        let st = stream_id(Some("CAMERA"), &c);
        assert!(st.starts_with("str_CAM_"));
        assert_eq!(st.publisher(), Some(c.clone()));
        assert!(stream_id(None, &c).starts_with("str_MIC_"));
        assert_eq!(rpc_session_id().len(), 26);
        assert_ne!(token_id(), token_id());
    }
}
