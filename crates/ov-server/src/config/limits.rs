//! Capacity and rate limits: how much one deployment, session, connection or client
//! address may take. Each refusal names the limit and its setting.

use super::{ConfigError, RawConfig};

/// The limits of a deployment; `None` means unlimited (a setting of 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Sessions in the deployment.
    pub sessions: Option<usize>,
    /// Connections (pending and active) per session.
    pub session_connections: Option<usize>,
    /// Published streams per session.
    pub session_publishers: Option<usize>,
    /// Subscriptions per session (one per subscriber and stream).
    pub session_subscriptions: Option<usize>,
    /// Signals a connection may send per second (with a burst of twice that).
    pub signals_per_second: Option<u32>,
    /// REST requests a client address may make per second (with a burst of twice that).
    pub rest_requests_per_second: Option<u32>,
}

/// One limit, as a refusal names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// What is counted, e.g. `sessions per server`.
    pub what: &'static str,
    /// The setting that sets it.
    pub setting: &'static str,
    /// Its value.
    pub max: u64,
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the limit of {} {} is reached (setting {})",
            self.max, self.what, self.setting
        )
    }
}

impl Limits {
    /// No limit at all (embedding, tests).
    pub const NONE: Limits = Limits {
        sessions: None,
        session_connections: None,
        session_publishers: None,
        session_subscriptions: None,
        signals_per_second: None,
        rest_requests_per_second: None,
    };

    /// `Err(limit)` when `count` more would exceed the sessions limit.
    pub fn check_sessions(&self, count: usize) -> Result<(), Limit> {
        check(count, self.sessions, "sessions per server", SESSIONS)
    }

    /// `Err(limit)` when one more connection would exceed the limit of a session.
    pub fn check_session_connections(&self, count: usize) -> Result<(), Limit> {
        check(
            count,
            self.session_connections,
            "connections per session",
            SESSION_CONNECTIONS,
        )
    }

    /// `Err(limit)` when one more publisher would exceed the limit of a session.
    pub fn check_session_publishers(&self, count: usize) -> Result<(), Limit> {
        check(
            count,
            self.session_publishers,
            "publishers per session",
            SESSION_PUBLISHERS,
        )
    }

    /// `Err(limit)` when one more subscription would exceed the limit of a session.
    pub fn check_session_subscriptions(&self, count: usize) -> Result<(), Limit> {
        check(
            count,
            self.session_subscriptions,
            "subscriptions per session",
            SESSION_SUBSCRIPTIONS,
        )
    }

    /// The signal-rate limit, for refusals.
    pub fn signal_rate(&self) -> Option<Limit> {
        self.signals_per_second.map(|max| Limit {
            what: "signals per second per connection",
            setting: SIGNALS_PER_SECOND,
            max: max.into(),
        })
    }

    /// The REST-rate limit, for refusals.
    pub fn rest_rate(&self) -> Option<Limit> {
        self.rest_requests_per_second.map(|max| Limit {
            what: "REST requests per second per client address",
            setting: REST_REQUESTS_PER_SECOND,
            max: max.into(),
        })
    }
}

fn check(
    count: usize,
    max: Option<usize>,
    what: &'static str,
    setting: &'static str,
) -> Result<(), Limit> {
    match max {
        Some(max) if count >= max => Err(Limit {
            what,
            setting,
            max: max as u64,
        }),
        _ => Ok(()),
    }
}

const SESSIONS: &str = "OPENVIDU_LIMIT_SESSIONS";
const SESSION_CONNECTIONS: &str = "OPENVIDU_LIMIT_SESSION_CONNECTIONS";
const SESSION_PUBLISHERS: &str = "OPENVIDU_LIMIT_SESSION_PUBLISHERS";
const SESSION_SUBSCRIPTIONS: &str = "OPENVIDU_LIMIT_SESSION_SUBSCRIPTIONS";
const SIGNALS_PER_SECOND: &str = "OPENVIDU_LIMIT_SIGNALS_PER_SECOND";
const REST_REQUESTS_PER_SECOND: &str = "OPENVIDU_LIMIT_REST_REQUESTS_PER_SECOND";

impl RawConfig {
    /// The `OPENVIDU_LIMIT_*` settings.
    pub(super) fn limits(&self) -> Result<Limits, ConfigError> {
        let count = |key| -> Result<Option<usize>, ConfigError> {
            Ok(Some(self.number::<usize>(key)?).filter(|n| *n > 0))
        };
        let rate = |key| -> Result<Option<u32>, ConfigError> {
            Ok(Some(self.number::<u32>(key)?).filter(|n| *n > 0))
        };
        Ok(Limits {
            sessions: count(SESSIONS)?,
            session_connections: count(SESSION_CONNECTIONS)?,
            session_publishers: count(SESSION_PUBLISHERS)?,
            session_subscriptions: count(SESSION_SUBSCRIPTIONS)?,
            signals_per_second: rate(SIGNALS_PER_SECOND)?,
            rest_requests_per_second: rate(REST_REQUESTS_PER_SECOND)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_names_the_limit_and_its_setting() {
        let limits = Limits {
            sessions: Some(2),
            ..Limits::NONE
        };
        assert!(limits.check_sessions(1).is_ok());
        let e = limits.check_sessions(2).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the limit of 2 sessions per server is reached (setting OPENVIDU_LIMIT_SESSIONS)"
        );
        assert!(
            Limits::NONE
                .check_session_publishers(usize::MAX - 1)
                .is_ok()
        );
    }
}
