//! The token URL: `ws[s]://<host[:port]>?sessionId=<id>&token=tok_…`.
//!
//! openvidu-browser parses the token as a URL (scheme must be `ws`/`wss`), opens the
//! WebSocket at `/openvidu` on that host and sends the whole string back in `joinRoom`.
//! The server looks tokens up by the `token` query parameter, which tolerates reordered
//! or extra parameters.

use std::fmt;

/// A parsed token URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenUrl {
    /// `true` for `wss://`.
    pub secure: bool,
    /// `host[:port]` exactly as written.
    pub authority: String,
    /// The `sessionId` query parameter, if present.
    pub session_id: Option<String>,
    /// The `token` query parameter (`tok_…`), if present.
    pub token_id: Option<String>,
    /// The `secret` query parameter (joins with the server secret), if present.
    pub secret: Option<String>,
    /// Whether a non-empty `recorder` parameter is present.
    pub recorder: bool,
}

/// Why a string is not a token URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenParseError {
    /// The scheme is not `ws://` or `wss://`.
    #[error("token must start with ws:// or wss://")]
    Scheme,
    /// Nothing follows the scheme.
    #[error("token has no host")]
    NoHost,
}

impl TokenUrl {
    /// Builds the token URL the official CE server issues.
    pub fn build(secure: bool, authority: &str, session_id: &str, token_id: &str) -> String {
        let scheme = if secure { "wss" } else { "ws" };
        format!("{scheme}://{authority}?sessionId={session_id}&token={token_id}")
    }

    /// Parses a token as openvidu-browser would: scheme, authority, then a naive
    /// `key=value&…` query (the first `=` splits; later ones are kept in the value).
    pub fn parse(token: &str) -> Result<TokenUrl, TokenParseError> {
        let (secure, rest) = if let Some(r) = token.strip_prefix("wss://") {
            (true, r)
        } else if let Some(r) = token.strip_prefix("ws://") {
            (false, r)
        } else {
            return Err(TokenParseError::Scheme);
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..end];
        if authority.is_empty() {
            return Err(TokenParseError::NoHost);
        }
        let mut url = TokenUrl {
            secure,
            authority: authority.to_owned(),
            session_id: None,
            token_id: None,
            secret: None,
            recorder: false,
        };
        let query = rest[end..]
            .split_once('?')
            .map(|(_, q)| q.split('#').next().unwrap_or(""))
            .unwrap_or("");
        for pair in query.split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "sessionId" => url.session_id = Some(value.to_owned()),
                "token" => url.token_id = Some(value.to_owned()),
                "secret" => url.secret = Some(value.to_owned()),
                "recorder" => url.recorder = !value.is_empty(),
                _ => {}
            }
        }
        Ok(url)
    }
}

impl fmt::Display for TokenUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.secure { "wss" } else { "ws" };
        write!(f, "{scheme}://{}", self.authority)?;
        let mut sep = '?';
        for (key, value) in [("sessionId", &self.session_id), ("token", &self.token_id)] {
            if let Some(v) = value {
                write!(f, "{sep}{key}={v}")?;
                sep = '&';
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_parses_the_official_shape() {
        let t = TokenUrl::build(false, "localhost:4443", "ses_A", "tok_B");
        assert_eq!(t, "ws://localhost:4443?sessionId=ses_A&token=tok_B");
        let p = TokenUrl::parse(&t).unwrap();
        assert!(!p.secure);
        assert_eq!(p.authority, "localhost:4443");
        assert_eq!(p.session_id.as_deref(), Some("ses_A"));
        assert_eq!(p.token_id.as_deref(), Some("tok_B"));
        assert_eq!(p.to_string(), t);
    }

    #[test]
    fn tolerates_paths_reordering_and_extras() {
        let p = TokenUrl::parse("wss://h.example/x/y?token=tok_1&foo&sessionId=s#frag").unwrap();
        assert!(p.secure);
        assert_eq!(p.authority, "h.example");
        assert_eq!(p.session_id.as_deref(), Some("s"));
        assert_eq!(p.token_id.as_deref(), Some("tok_1"));
        let p = TokenUrl::parse("ws://h?sessionId=s&secret=MY_SECRET&recorder=true").unwrap();
        assert_eq!(p.secret.as_deref(), Some("MY_SECRET"));
        assert!(p.recorder);
    }

    #[test]
    fn rejects_other_schemes() {
        assert_eq!(TokenUrl::parse("https://h?x"), Err(TokenParseError::Scheme));
        assert_eq!(TokenUrl::parse("ws://"), Err(TokenParseError::NoHost));
        assert_eq!(TokenUrl::parse(""), Err(TokenParseError::Scheme));
    }
}
