//! Long-term credentials of the TURN REST API scheme and the server's nonces.
//!
//! A user name is `<expiry unix time>:<anything>`; its password is
//! `base64(HMAC-SHA1(secret, user name))` (`crate::domain::turn::credential`, the same
//! function that mints them for `joinRoom`). Nothing is stored per user: a request proves
//! it knows the password through MESSAGE-INTEGRITY (key `MD5(user:realm:password)`).
//!
//! Nonces are stateless too: `<expiry hex>-<HMAC(key, expiry, client address)>`, so an
//! unauthenticated client costs the server no memory. An expired nonce gets 438 (Stale
//! Nonce) with a fresh one, which Chromium retries with at once.

use std::net::SocketAddr;

use hmac::{Hmac, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;

/// The realm the server announces.
pub const REALM: &str = "openvidu-rs";

/// How long a nonce is accepted.
pub const NONCE_LIFETIME_SECS: u64 = 3600;

/// Why a user name does not authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsernameError {
    /// Not `<unix time>:<id>`.
    Malformed,
    /// Its expiry time has passed.
    Expired,
}

/// What a nonce is worth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceCheck {
    /// Ours, for this client, still valid.
    Fresh,
    /// Not ours, not for this client, or expired: answer 438 with a new one.
    Stale,
}

/// The secret material of one TURN server.
#[derive(Debug)]
pub struct Credentials {
    secret: String,
    nonce_key: [u8; 32],
}

impl Credentials {
    /// Credentials derived from the shared `secret`; nonces keyed by a random key.
    pub fn new(secret: &str) -> Credentials {
        Credentials {
            secret: secret.to_owned(),
            nonce_key: rand::random(),
        }
    }

    /// The password of `username` at `now` (unix seconds).
    pub fn password(&self, username: &str, now: u64) -> Result<String, UsernameError> {
        let expiry = username.split(':').next().unwrap_or_default();
        let expiry: u64 = expiry.parse().map_err(|_| UsernameError::Malformed)?;
        if expiry <= now {
            return Err(UsernameError::Expired);
        }
        Ok(crate::domain::turn::credential(&self.secret, username))
    }

    /// A nonce for `client`, valid from `now` (unix seconds).
    pub fn nonce(&self, client: SocketAddr, now: u64) -> String {
        let expiry = now + NONCE_LIFETIME_SECS;
        format!("{expiry:x}-{}", self.nonce_tag(expiry, client))
    }

    /// Checks a nonce a client sent back.
    pub fn check_nonce(&self, nonce: &str, client: SocketAddr, now: u64) -> NonceCheck {
        let Some((expiry, tag)) = nonce.split_once('-') else {
            return NonceCheck::Stale;
        };
        let Ok(expiry) = u64::from_str_radix(expiry, 16) else {
            return NonceCheck::Stale;
        };
        let expected = self.nonce_tag(expiry, client);
        if expiry > now && bool::from(expected.as_bytes().ct_eq(tag.as_bytes())) {
            NonceCheck::Fresh
        } else {
            NonceCheck::Stale
        }
    }

    fn nonce_tag(&self, expiry: u64, client: SocketAddr) -> String {
        let mut mac = Hmac::<Sha1>::new_from_slice(&self.nonce_key).expect("any key length");
        mac.update(&expiry.to_be_bytes());
        mac.update(client.to_string().as_bytes());
        mac.finalize().into_bytes()[..12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_follow_the_rest_api_scheme_and_expire() {
        let c = Credentials::new("s");
        assert_eq!(
            c.password("100:abc", 99),
            Ok(crate::domain::turn::credential("s", "100:abc"))
        );
        assert_eq!(c.password("100:abc", 100), Err(UsernameError::Expired));
        assert_eq!(c.password("x:abc", 1), Err(UsernameError::Malformed));
        assert_eq!(c.password("", 1), Err(UsernameError::Malformed));
    }

    #[test]
    fn nonces_are_bound_to_the_client_and_go_stale() {
        let c = Credentials::new("s");
        let a: SocketAddr = "127.0.0.1:1000".parse().unwrap();
        let b: SocketAddr = "127.0.0.1:1001".parse().unwrap();
        let n = c.nonce(a, 10);
        assert_eq!(c.check_nonce(&n, a, 10), NonceCheck::Fresh);
        assert_eq!(c.check_nonce(&n, b, 10), NonceCheck::Stale);
        assert_eq!(
            c.check_nonce(&n, a, 10 + NONCE_LIFETIME_SECS),
            NonceCheck::Stale
        );
        assert_eq!(c.check_nonce("zz-1", a, 10), NonceCheck::Stale);
        assert_eq!(c.check_nonce("", a, 10), NonceCheck::Stale);
        let other = Credentials::new("s");
        assert_eq!(other.check_nonce(&n, a, 10), NonceCheck::Stale);
    }
}
