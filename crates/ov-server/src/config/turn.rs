//! Settings of the embedded TURN server (`crate::turn`): where it listens, what the
//! browsers are told, the shared secret of its credentials and its quotas.

use super::{ConfigError, RawConfig};

/// The embedded TURN server's settings (present only when it is enabled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnConfig {
    /// UDP and TCP port (0 picks a free one, the same number for both).
    pub port: u16,
    /// TLS (`turns:`) port, when TLS is on.
    pub tls_port: Option<u16>,
    /// Host put in the TURN URLs handed to the browsers.
    pub host: String,
    /// Shared secret of the TURN REST API credentials.
    pub secret: String,
    /// Allocations one user name (one participant) may hold at once.
    pub user_quota: usize,
    /// Allocations the whole server holds at once.
    pub max_allocations: usize,
}

/// With the TURN server off, its STUN-only stand-in on the same UDP port: participants are
/// handed `stun:host:port`, because openvidu-browser falls back to public STUN servers
/// when it is given no ICE server at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StunConfig {
    /// UDP port (0 picks a free one).
    pub port: u16,
    /// Host put in the STUN URL.
    pub host: String,
}

impl RawConfig {
    /// `OPENVIDU_TURN`, `COTURN_*` and `OPENVIDU_TURN_*`; `None` when TURN is off.
    pub(super) fn turn(
        &self,
        domain: &str,
        listen_port: u16,
        secret: &str,
    ) -> Result<Option<TurnConfig>, ConfigError> {
        if !self.boolean("OPENVIDU_TURN")? {
            return Ok(None);
        }
        let port = self.turn_port(listen_port)?;
        let tls_port = self.optional_number("OPENVIDU_TURN_TLS_PORT")?;
        if tls_port.is_some_and(|p| p != 0 && p == port) {
            return Err(self.invalid(
                "OPENVIDU_TURN_TLS_PORT",
                "must differ from COTURN_PORT (that one serves TCP already)",
            ));
        }
        let host = self.turn_host(domain)?;
        let turn_secret = self
            .optional_text("COTURN_SHARED_SECRET_KEY")
            .unwrap_or_else(|| secret.to_owned());
        let user_quota: usize = self.number("OPENVIDU_TURN_USER_QUOTA")?;
        let max_allocations: usize = self.number("OPENVIDU_TURN_MAX_ALLOCATIONS")?;
        if user_quota == 0 {
            return Err(self.invalid("OPENVIDU_TURN_USER_QUOTA", "must be at least 1"));
        }
        if max_allocations == 0 {
            return Err(self.invalid("OPENVIDU_TURN_MAX_ALLOCATIONS", "must be at least 1"));
        }
        Ok(Some(TurnConfig {
            port,
            tls_port,
            host,
            secret: turn_secret,
            user_quota,
            max_allocations,
        }))
    }

    /// The STUN-only stand-in of a TURN server that is off (the caller knows it is).
    pub(super) fn stun(&self, domain: &str, listen_port: u16) -> Result<StunConfig, ConfigError> {
        Ok(StunConfig {
            port: self.turn_port(listen_port)?,
            host: self.turn_host(domain)?,
        })
    }

    /// `COTURN_PORT`. Like the media port, an ephemeral listen port (tests, tools) makes
    /// the default one ephemeral too, so that several servers can run side by side.
    fn turn_port(&self, listen_port: u16) -> Result<u16, ConfigError> {
        if listen_port == 0 && !self.is_explicit("COTURN_PORT") {
            Ok(0)
        } else {
            self.number("COTURN_PORT")
        }
    }

    /// `COTURN_IP`, else the public domain.
    fn turn_host(&self, domain: &str) -> Result<String, ConfigError> {
        let host = self
            .optional_text("COTURN_IP")
            .unwrap_or_else(|| domain.to_owned());
        if host.contains(['/', ' ', '?', '#', '&', ',']) {
            return Err(self.invalid("COTURN_IP", "must be a host name or an IP address"));
        }
        Ok(host)
    }
}
