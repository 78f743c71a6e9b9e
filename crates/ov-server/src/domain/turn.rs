//! Ephemeral TURN credentials (the TURN REST API scheme coturn implements): user name
//! `<expiry unix time>:<random>`, credential `base64(HMAC-SHA1(secret, user name))`.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use ov_protocol::rest::IceServer;

/// How long minted credentials stay valid.
const VALIDITY_SECS: u64 = 24 * 3600;

/// Mints credentials for entries that carry a `staticAuthSecret`; others pass unchanged.
pub fn with_credentials(mut server: IceServer) -> IceServer {
    if let Some(secret) = server.static_auth_secret.take() {
        let expiry = crate::clock::now_ms() / 1000 + VALIDITY_SECS;
        let username = format!("{expiry}:{}", crate::ids::random_alphanumeric(8));
        server.credential = Some(credential(&secret, &username));
        server.username = Some(username);
    }
    server
}

/// The embedded TURN server as participants are told: its URLs and the secret to mint
/// their credentials from. Every `joinRoom` gets a fresh user name, valid
/// `VALIDITY_SECS`, shared by the URLs (one participant = one user name = one quota).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedTurn {
    /// `turn:`/`turns:` URLs.
    pub urls: Vec<String>,
    /// Shared secret of the credentials.
    pub secret: String,
}

impl EmbeddedTurn {
    /// The ICE servers for one participant, with freshly minted credentials.
    pub fn ice_servers(&self) -> Vec<IceServer> {
        let minted = with_credentials(IceServer {
            url: String::new(),
            username: None,
            credential: None,
            static_auth_secret: Some(self.secret.clone()),
        });
        self.urls
            .iter()
            .map(|url| IceServer {
                url: url.clone(),
                ..minted.clone()
            })
            .collect()
    }
}

/// What a connection without ICE servers of its own is told in `joinRoom`, so that no page
/// falls back to public STUN servers (openvidu-browser does when given none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefaultIceServers {
    /// The embedded TURN server, with fresh credentials for each participant.
    Turn(EmbeddedTurn),
    /// The media port as a STUN server (`stun:host:port`), when the TURN server is off.
    Stun(String),
}

impl DefaultIceServers {
    /// The list for one participant.
    pub fn ice_servers(&self) -> Vec<IceServer> {
        match self {
            DefaultIceServers::Turn(turn) => turn.ice_servers(),
            DefaultIceServers::Stun(url) => vec![IceServer {
                url: url.clone(),
                username: None,
                credential: None,
                static_auth_secret: None,
            }],
        }
    }
}

/// `base64(HMAC-SHA1(secret, username))`.
pub fn credential(secret: &str, username: &str) -> String {
    let mut mac =
        Hmac::<Sha1>::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(username.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2202_vector() {
        // RFC 2202 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            credential("Jefe", "what do ya want for nothing?"),
            "7/zfauXrL6LSdBbV8YTfnCWafHk="
        );
    }

    #[test]
    fn mints_for_static_secrets_only() {
        let s = with_credentials(IceServer {
            url: "turn:h:3478".into(),
            username: None,
            credential: None,
            static_auth_secret: Some("k".into()),
        });
        let user = s.username.unwrap();
        assert_eq!(s.credential.unwrap(), credential("k", &user));
        assert!(s.static_auth_secret.is_none());
    }

    #[test]
    fn embedded_turn_mints_one_fresh_user_per_participant() {
        let turn = EmbeddedTurn {
            urls: vec![
                "turn:h:1?transport=udp".into(),
                "turn:h:1?transport=tcp".into(),
            ],
            secret: "k".into(),
        };
        let a = turn.ice_servers();
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].username, a[1].username);
        let user = a[0].username.clone().unwrap();
        assert_eq!(
            a[1].credential.as_deref(),
            Some(credential("k", &user).as_str())
        );
        let expiry: u64 = user.split(':').next().unwrap().parse().unwrap();
        assert!(expiry > crate::clock::now_ms() / 1000);
        assert_ne!(
            turn.ice_servers()[0].username,
            a[0].username,
            "fresh per call"
        );
    }
}
