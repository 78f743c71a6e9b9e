//! The HTTP connection settings: how long a connection may take to send its first request,
//! how long a keep-alive connection may sit without one, and how many connections may be
//! open at once, in all and per source address. Without them, idle TCP connections with no
//! credentials could exhaust the process's file descriptors and stop the REST API.

use std::time::Duration;

use super::{ConfigError, RawConfig};

/// Timeouts and caps of the HTTP(S) listener (the REST API and the signaling WebSocket).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionConfig {
    /// A new connection that has not completed its TLS handshake and the headers of its
    /// first request within this is closed (slow-header connections).
    pub header_timeout: Duration,
    /// A keep-alive connection without a request in progress for this long is closed.
    /// Upgraded WebSockets are not concerned: signaling closes them after 20 s of silence.
    pub idle_timeout: Duration,
    /// Most connections open at once; `None`: derived at start-up from the file-descriptor
    /// limit (see `serve::fd_limit`).
    pub max_connections: Option<usize>,
    /// Most connections open at once from one source address (IPv6: one /64); 0: no cap.
    pub max_connections_per_address: usize,
    /// Interval of the runtime statistics log line; zero: never.
    pub runtime_stats_interval: Duration,
}

impl RawConfig {
    /// Parses `OPENVIDU_HTTP_*` and `OPENVIDU_RUNTIME_STATS_INTERVAL`.
    pub(super) fn connections(&self) -> Result<ConnectionConfig, ConfigError> {
        let seconds = |key: &'static str| -> Result<Duration, ConfigError> {
            let s: u64 = self.number(key)?;
            if s == 0 {
                return Err(self.invalid(key, "must be at least 1 second"));
            }
            Ok(Duration::from_secs(s))
        };
        let max_connections: Option<usize> =
            self.optional_number("OPENVIDU_HTTP_MAX_CONNECTIONS")?;
        if max_connections == Some(0) {
            return Err(self.invalid("OPENVIDU_HTTP_MAX_CONNECTIONS", "must be at least 1"));
        }
        Ok(ConnectionConfig {
            header_timeout: seconds("OPENVIDU_HTTP_HEADER_TIMEOUT")?,
            idle_timeout: seconds("OPENVIDU_HTTP_IDLE_TIMEOUT")?,
            max_connections,
            max_connections_per_address: self.number("OPENVIDU_HTTP_MAX_CONNECTIONS_PER_IP")?,
            runtime_stats_interval: Duration::from_secs(
                self.number("OPENVIDU_RUNTIME_STATS_INTERVAL")?,
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::Config;
    use std::time::Duration;

    fn load(args: &[&str]) -> Result<Config, super::ConfigError> {
        let argv = std::iter::once("openvidu-rs").chain(args.iter().copied());
        Config::load(argv.map(Into::into), |_| None)
    }

    #[test]
    fn defaults_suit_a_laptop_and_a_server() {
        let c = load(&[]).unwrap().connections;
        assert_eq!(c.header_timeout, Duration::from_secs(10));
        assert_eq!(c.idle_timeout, Duration::from_secs(60));
        assert_eq!(c.max_connections, None);
        assert_eq!(c.max_connections_per_address, 500);
        assert_eq!(c.runtime_stats_interval, Duration::ZERO);
    }

    #[test]
    fn flags_set_each_value() {
        let c = load(&[
            "--http-header-timeout",
            "3",
            "--http-idle-timeout",
            "7",
            "--http-max-connections",
            "1000",
            "--http-max-connections-per-ip",
            "0",
            "--runtime-stats-interval",
            "5",
        ])
        .unwrap()
        .connections;
        assert_eq!(c.header_timeout, Duration::from_secs(3));
        assert_eq!(c.idle_timeout, Duration::from_secs(7));
        assert_eq!(c.max_connections, Some(1000));
        assert_eq!(c.max_connections_per_address, 0);
        assert_eq!(c.runtime_stats_interval, Duration::from_secs(5));
    }

    #[test]
    fn zero_timeouts_and_a_zero_global_cap_are_refused_by_name() {
        for (flag, key) in [
            ("--http-header-timeout", "OPENVIDU_HTTP_HEADER_TIMEOUT"),
            ("--http-idle-timeout", "OPENVIDU_HTTP_IDLE_TIMEOUT"),
            ("--http-max-connections", "OPENVIDU_HTTP_MAX_CONNECTIONS"),
        ] {
            let e = load(&[flag, "0"]).unwrap_err().to_string();
            assert!(e.contains(key) && e.contains("at least 1"), "{e}");
        }
        assert!(load(&["--http-max-connections-per-ip", "-1"]).is_err());
    }
}
