//! Configuration: built-in defaults, then an optional TOML file, then the environment
//! (OpenVidu's own variable names), then command-line flags. Each later source wins.
//!
//! Every value is first collected as text with its origin, then parsed in one place, so a
//! bad value yields one line naming the key, where it came from and what is wrong.

mod connections;
mod layers;
mod limits;
mod recording;
mod settings;
mod turn;

use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use ov_protocol::rest::{IceServer, VideoCodec};

pub use connections::ConnectionConfig;
pub use layers::{Origin, RawConfig};
pub use limits::{Limit, Limits};
pub use recording::{RecordingConfig, RecordingNotification};
pub use settings::{SETTINGS, Setting};
pub use turn::{StunConfig, TurnConfig};

/// The secret used when none is configured, as in the `openvidu-dev` container.
pub const DEFAULT_SECRET: &str = "MY_SECRET";

/// Every webhook event name OpenVidu accepts in `OPENVIDU_WEBHOOK_EVENTS`.
pub const WEBHOOK_EVENT_NAMES: &[&str] = &[
    "sessionCreated",
    "sessionDestroyed",
    "participantJoined",
    "participantLeft",
    "webrtcConnectionCreated",
    "webrtcConnectionDestroyed",
    "recordingStatusChanged",
    "filterEventDispatched",
    "signalSent",
    "mediaNodeStatusChanged",
    "autoscaling",
    "nodeCrashed",
    "nodeRecovered",
    "broadcastStarted",
    "broadcastStopped",
    "HANodeRegistered",
    "HANodeDeregistered",
];

/// A configuration problem: which key, from where, and what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A value that does not parse or is out of range.
    #[error("invalid {key} ({origin}): {message}")]
    Invalid {
        /// Environment name of the setting.
        key: &'static str,
        /// Where the value came from.
        origin: Origin,
        /// What is wrong, for a person.
        message: String,
    },
    /// The configuration file cannot be read or parsed.
    #[error("configuration file {path}: {message}")]
    File {
        /// Path of the file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A key in the configuration file that no setting has.
    #[error(
        "configuration file {path}: unknown key '{key}' (keys are the lower-case environment names, e.g. openvidu_secret)"
    )]
    UnknownKey {
        /// Path of the file.
        path: PathBuf,
        /// The unknown key.
        key: String,
    },
    /// A command-line problem (also covers `--help` and `--version`).
    #[error("{0}")]
    Cli(String),
}

/// Why development mode (the call page at `/`, the application-server API at
/// `/openvidu/dev/`) is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DevMode {
    /// `OPENVIDU_DEV` is unset and the secret is the default `MY_SECRET`.
    DefaultSecret,
    /// `OPENVIDU_DEV=true`.
    Asked,
}

/// HTTPS certificate and key files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// PEM certificate chain.
    pub certificate: PathBuf,
    /// PEM private key.
    pub key: PathBuf,
}

/// Webhook settings (present only when enabled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    /// The endpoint URL.
    pub endpoint: String,
    /// Extra headers, `(name, value)`.
    pub headers: Vec<(String, String)>,
    /// Event names to send.
    pub events: Vec<String>,
}

/// Bandwidth limits and codec defaults of streams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamsConfig {
    /// kbps, 0 = unconstrained.
    pub video_max_recv_bandwidth: u32,
    /// kbps.
    pub video_min_recv_bandwidth: u32,
    /// kbps, 0 = unconstrained.
    pub video_max_send_bandwidth: u32,
    /// kbps.
    pub video_min_send_bandwidth: u32,
    /// Default `forcedVideoCodec` of sessions.
    pub forced_video_codec: VideoCodec,
    /// Default `allowTranscoding` of sessions.
    pub allow_transcoding: bool,
    /// Whether publishers are asked for simulcast (`OPENVIDU_WEBRTC_SIMULCAST`).
    pub simulcast: bool,
    /// The congestion pause (`OPENVIDU_WEBRTC_CONGESTION_PAUSE`).
    pub congestion_pause: bool,
}

/// Where ICE-TCP media listens (`OPENVIDU_RTC_TCP`, `OPENVIDU_RTC_TCP_PORT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RtcTcp {
    /// No TCP candidates: media over UDP only.
    Off,
    /// Each worker listens on the number of its own UDP port.
    SameAsUdp,
    /// Worker `i` listens on this port + `i` (0: a free port each).
    Port(u16),
}

/// The complete, validated configuration of a deployment.
#[derive(Debug, Clone)]
pub struct Config {
    /// REST secret.
    pub secret: String,
    /// Whether `secret` is the well-known default (a warning is printed).
    pub default_secret_in_use: bool,
    /// Development mode (`OPENVIDU_DEV`) and why it is on; `None` when off.
    pub dev: Option<DevMode>,
    /// Host clients use to reach the server.
    pub domain: String,
    /// Port announced in token URLs; `None` means "the port actually bound".
    pub public_port: Option<u16>,
    /// Address and port to listen on (port 0 picks a free one).
    pub listen: SocketAddr,
    /// HTTPS, when configured.
    pub tls: Option<TlsFiles>,
    /// UDP port of the media (0 picks a free one); worker `i` uses `rtc_port + i`.
    pub rtc_port: u16,
    /// Number of media workers.
    pub rtc_workers: usize,
    /// ICE-TCP: off, or the TCP port(s) of the media workers.
    pub rtc_tcp: RtcTcp,
    /// Addresses announced as ICE host candidates.
    pub rtc_advertised_ips: Vec<IpAddr>,
    /// How long a media connection may fail to connect, stay disconnected, or (a
    /// publisher's) stay closed awaiting its replacement, before the engine ends it.
    pub rtc_peer_timeout: Duration,
    /// Sweep interval of never-joined sessions; zero disables it.
    pub garbage_interval: Duration,
    /// Age after which a never-joined session is swept.
    pub garbage_threshold: Duration,
    /// Webhook, when enabled.
    pub webhook: Option<WebhookConfig>,
    /// CDR folder, when enabled.
    pub cdr_path: Option<PathBuf>,
    /// The recording module, when enabled.
    pub recording: Option<RecordingConfig>,
    /// Stream settings.
    pub streams: StreamsConfig,
    /// ICE servers given to connections that bring none.
    pub webrtc_ice_servers: Vec<IceServer>,
    /// Grace period for WebSocket reconnection.
    pub reconnection_grace: Duration,
    /// Capacity and rate limits.
    pub limits: Limits,
    /// Log filter.
    pub log: String,
    /// Timeouts and caps of HTTP connections.
    pub connections: ConnectionConfig,
    /// The embedded TURN server, when enabled.
    pub turn: Option<TurnConfig>,
    /// Its STUN-only stand-in, when TURN is off.
    pub stun: Option<StunConfig>,
    /// How often every connection's network quality is sampled (and
    /// `networkQualityLevelChanged` sent when its level changes); `None`: never.
    pub network_quality_interval: Option<Duration>,
}

impl Config {
    /// Loads the configuration from the command line `args` (program name first) and the
    /// environment lookup `env`. Tests pass their own environment.
    pub fn load<I, F>(args: I, env: F) -> Result<Config, ConfigError>
    where
        I: IntoIterator<Item = std::ffi::OsString>,
        F: Fn(&str) -> Option<String>,
    {
        RawConfig::collect(args, env)?.parse()
    }

    /// A configuration for tests and embedding: loopback, free ports, the given secret.
    pub fn for_loopback(secret: &str) -> Config {
        let args = [
            "openvidu-rs",
            "--secret",
            secret,
            "--address",
            "127.0.0.1",
            "--port",
            "0",
            "--rtc-port",
            "0",
            "--domain",
            "127.0.0.1",
            "--turn",
            "false",
        ];
        Config::load(args.map(Into::into), |_| None).expect("the loopback configuration is valid")
    }

    /// `http` or `https`.
    pub fn http_scheme(&self) -> &'static str {
        if self.tls.is_some() { "https" } else { "http" }
    }

    /// `host[:port]` as announced to clients, for a server bound to `bound_port`.
    pub fn public_authority(&self, bound_port: u16) -> String {
        let port = self.public_port.unwrap_or(bound_port);
        let default_port = if self.tls.is_some() { 443 } else { 80 };
        let host = match self.domain.parse::<IpAddr>() {
            Ok(IpAddr::V6(v6)) => format!("[{v6}]"),
            _ => self.domain.clone(),
        };
        if port == default_port {
            host
        } else {
            format!("{host}:{port}")
        }
    }
}

impl RawConfig {
    /// Parses and validates every collected value.
    pub fn parse(&self) -> Result<Config, ConfigError> {
        let secret = self.text("OPENVIDU_SECRET")?;
        if !ov_protocol::ids::is_valid_custom_session_id(&secret) {
            return Err(self.invalid_hidden("OPENVIDU_SECRET", "must match [a-zA-Z0-9_-]+"));
        }
        let domain = self.text("DOMAIN_OR_PUBLIC_IP")?;
        if domain.is_empty() || domain.contains(['/', ' ', '?', '#', '&']) {
            return Err(self.invalid(
                "DOMAIN_OR_PUBLIC_IP",
                "must be a host name or an IP address (no scheme, path or spaces)",
            ));
        }
        let https_port: u16 = self.number("HTTPS_PORT")?;
        let server_port: Option<u16> = self.optional_number("SERVER_PORT")?;
        let (listen_port, public_port) = match server_port {
            Some(p) if self.is_explicit("HTTPS_PORT") => (p, Some(https_port)),
            Some(p) => (p, None),
            None if https_port == 0 => (0, None),
            None => (https_port, Some(https_port)),
        };
        let loopback_domain = is_loopback_host(&domain);
        let address: IpAddr = match self.optional_text("SERVER_ADDRESS") {
            Some(a) => a
                .parse()
                .map_err(|_| self.invalid("SERVER_ADDRESS", "must be an IP address"))?,
            None if loopback_domain => IpAddr::V4(Ipv4Addr::LOCALHOST),
            None => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        };
        let tls = match (
            self.optional_text("OPENVIDU_TLS_CERTIFICATE"),
            self.optional_text("OPENVIDU_TLS_KEY"),
        ) {
            (Some(c), Some(k)) => Some(TlsFiles {
                certificate: c.into(),
                key: k.into(),
            }),
            (None, None) => None,
            (Some(_), None) => {
                return Err(self.invalid(
                    "OPENVIDU_TLS_CERTIFICATE",
                    "is set but OPENVIDU_TLS_KEY is not; set both or neither",
                ));
            }
            (None, Some(_)) => {
                return Err(self.invalid(
                    "OPENVIDU_TLS_KEY",
                    "is set but OPENVIDU_TLS_CERTIFICATE is not; set both or neither",
                ));
            }
        };
        let rtc_port = self
            .optional_number("OPENVIDU_RTC_PORT")?
            .unwrap_or(listen_port);
        let rtc_workers: usize = self.number("OPENVIDU_RTC_WORKERS")?;
        if !(1..=256).contains(&rtc_workers) {
            return Err(self.invalid("OPENVIDU_RTC_WORKERS", "must be between 1 and 256"));
        }
        if rtc_port != 0 && usize::from(rtc_port) + rtc_workers - 1 > usize::from(u16::MAX) {
            return Err(self.invalid(
                "OPENVIDU_RTC_WORKERS",
                "needs more ports above OPENVIDU_RTC_PORT than there are",
            ));
        }
        let rtc_tcp = self.rtc_tcp(listen_port, rtc_port, rtc_workers)?;
        let rtc_advertised_ips = match self.optional_text("OPENVIDU_RTC_ADVERTISED_IPS") {
            Some(list) => list
                .split(',')
                .map(|ip| ip.trim().parse::<IpAddr>())
                .collect::<Result<Vec<_>, _>>()
                .ok()
                .filter(|ips| !ips.is_empty())
                .ok_or_else(|| {
                    self.invalid(
                        "OPENVIDU_RTC_ADVERTISED_IPS",
                        "must be a comma-separated list of IP addresses",
                    )
                })?,
            None => self.advertised_ips_of(&domain)?,
        };
        let rtc_peer_timeout = Duration::from_secs(self.number("OPENVIDU_RTC_PEER_TIMEOUT")?);
        if rtc_peer_timeout.is_zero() {
            return Err(self.invalid("OPENVIDU_RTC_PEER_TIMEOUT", "must be at least 1 second"));
        }
        let webhook = if self.boolean("OPENVIDU_WEBHOOK")? {
            Some(self.webhook()?)
        } else {
            None
        };
        let cdr_path = if self.boolean("OPENVIDU_CDR")? {
            Some(PathBuf::from(self.text("OPENVIDU_CDR_PATH")?))
        } else {
            None
        };
        let recording = self.recording()?;
        let forced_video_codec: VideoCodec = serde_json::from_value(serde_json::Value::String(
            self.text("OPENVIDU_STREAMS_FORCED_VIDEO_CODEC")?,
        ))
        .map_err(|_| {
            self.invalid(
                "OPENVIDU_STREAMS_FORCED_VIDEO_CODEC",
                "must be MEDIA_SERVER_PREFERRED, NONE, VP8, VP9, H264 or AV1",
            )
        })?;
        let streams = StreamsConfig {
            video_max_recv_bandwidth: self.number("OPENVIDU_STREAMS_VIDEO_MAX_RECV_BANDWIDTH")?,
            video_min_recv_bandwidth: self.number("OPENVIDU_STREAMS_VIDEO_MIN_RECV_BANDWIDTH")?,
            video_max_send_bandwidth: self.number("OPENVIDU_STREAMS_VIDEO_MAX_SEND_BANDWIDTH")?,
            video_min_send_bandwidth: self.number("OPENVIDU_STREAMS_VIDEO_MIN_SEND_BANDWIDTH")?,
            forced_video_codec,
            allow_transcoding: self.boolean("OPENVIDU_STREAMS_ALLOW_TRANSCODING")?,
            simulcast: self.boolean("OPENVIDU_WEBRTC_SIMULCAST")?,
            congestion_pause: self.boolean("OPENVIDU_WEBRTC_CONGESTION_PAUSE")?,
        };
        let turn = self.turn(&domain, listen_port, &secret)?;
        let stun = match turn {
            None => Some(self.stun(&domain, listen_port)?),
            Some(_) => None,
        };
        Ok(Config {
            default_secret_in_use: secret == DEFAULT_SECRET,
            dev: self.dev_mode(&secret)?,
            secret,
            domain,
            public_port,
            listen: SocketAddr::new(address, listen_port),
            tls,
            rtc_port,
            rtc_workers,
            rtc_tcp,
            rtc_advertised_ips,
            rtc_peer_timeout,
            garbage_interval: Duration::from_secs(
                self.number("OPENVIDU_SESSIONS_GARBAGE_INTERVAL")?,
            ),
            garbage_threshold: Duration::from_secs(
                self.number("OPENVIDU_SESSIONS_GARBAGE_THRESHOLD")?,
            ),
            webhook,
            cdr_path,
            recording,
            streams,
            webrtc_ice_servers: self.ice_servers()?,
            reconnection_grace: Duration::from_secs(self.number("OPENVIDU_RECONNECTION_GRACE")?),
            limits: self.limits()?,
            log: self.text("OPENVIDU_LOG")?,
            connections: self.connections()?,
            turn,
            stun,
            network_quality_interval: self.network_quality_interval()?,
        })
    }

    /// `OPENVIDU_PRO_NETWORK_QUALITY` and its interval.
    fn network_quality_interval(&self) -> Result<Option<Duration>, ConfigError> {
        const INTERVAL: &str = "OPENVIDU_PRO_NETWORK_QUALITY_INTERVAL";
        let interval = Duration::from_secs(self.number(INTERVAL)?);
        if interval.is_zero() {
            return Err(self.invalid(INTERVAL, "must be at least 1 second"));
        }
        Ok(self
            .boolean("OPENVIDU_PRO_NETWORK_QUALITY")?
            .then_some(interval))
    }

    /// `OPENVIDU_DEV`: explicit, or on exactly when the default secret is in use.
    fn dev_mode(&self, secret: &str) -> Result<Option<DevMode>, ConfigError> {
        if self.optional_text("OPENVIDU_DEV").is_some() {
            return Ok(self.boolean("OPENVIDU_DEV")?.then_some(DevMode::Asked));
        }
        Ok((secret == DEFAULT_SECRET).then_some(DevMode::DefaultSecret))
    }

    /// `OPENVIDU_RTC_TCP` and `OPENVIDU_RTC_TCP_PORT`. By default TCP media shares the
    /// UDP port numbers, except where the HTTP server already listens on that TCP port
    /// (the default setup, where the media port is the listen port): then it takes the
    /// ports right after the workers' UDP ports.
    fn rtc_tcp(&self, listen: u16, udp: u16, workers: usize) -> Result<RtcTcp, ConfigError> {
        const PORT: &str = "OPENVIDU_RTC_TCP_PORT";
        if !self.boolean("OPENVIDU_RTC_TCP")? {
            return Ok(RtcTcp::Off);
        }
        let overlaps_listen = |first: u16| {
            let first = usize::from(first);
            listen != 0 && (first..first + workers).contains(&usize::from(listen))
        };
        let fits = |first: u16| usize::from(first) + workers - 1 <= usize::from(u16::MAX);
        match self.optional_number::<u16>(PORT)? {
            Some(0) => Ok(RtcTcp::Port(0)),
            Some(p) if !fits(p) => {
                Err(self.invalid(PORT, "needs more ports above it than there are"))
            }
            Some(p) if overlaps_listen(p) => Err(self.invalid(
                PORT,
                "must not overlap the HTTP listen port (SERVER_PORT / HTTPS_PORT)",
            )),
            Some(p) => Ok(RtcTcp::Port(p)),
            None if udp != 0 && overlaps_listen(udp) => {
                let after = usize::from(udp) + workers;
                u16::try_from(after)
                    .ok()
                    .filter(|p| fits(*p))
                    .map(RtcTcp::Port)
                    .ok_or_else(|| {
                        self.invalid(PORT, "no free port range after the UDP ports; set it")
                    })
            }
            None => Ok(RtcTcp::SameAsUdp),
        }
    }

    fn advertised_ips_of(&self, domain: &str) -> Result<Vec<IpAddr>, ConfigError> {
        if let Ok(ip) = domain.trim_matches(['[', ']']).parse::<IpAddr>() {
            return Ok(vec![ip]);
        }
        if domain.eq_ignore_ascii_case("localhost") {
            return Ok(vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]);
        }
        let ips: Vec<IpAddr> = (domain, 0)
            .to_socket_addrs()
            .map(|addrs| addrs.map(|a| a.ip()).collect())
            .unwrap_or_default();
        if ips.is_empty() {
            return Err(self.invalid(
                "DOMAIN_OR_PUBLIC_IP",
                "does not resolve to an IP address; set OPENVIDU_RTC_ADVERTISED_IPS",
            ));
        }
        Ok(ips)
    }

    fn webhook(&self) -> Result<WebhookConfig, ConfigError> {
        let endpoint = self
            .optional_text("OPENVIDU_WEBHOOK_ENDPOINT")
            .ok_or_else(|| {
                self.invalid(
                    "OPENVIDU_WEBHOOK_ENDPOINT",
                    "is required when OPENVIDU_WEBHOOK is true",
                )
            })?;
        if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
            return Err(self.invalid(
                "OPENVIDU_WEBHOOK_ENDPOINT",
                "must be an http:// or https:// URL",
            ));
        }
        let headers: Vec<String> =
            self.json("OPENVIDU_WEBHOOK_HEADERS", "a JSON array of strings")?;
        let headers = headers
            .into_iter()
            .map(|h| {
                h.split_once(": ")
                    .filter(|(name, _)| !name.is_empty())
                    .map(|(n, v)| (n.to_owned(), v.to_owned()))
                    .ok_or_else(|| {
                        self.invalid(
                            "OPENVIDU_WEBHOOK_HEADERS",
                            &format!("header '{h}' is not of the form \"Name: value\""),
                        )
                    })
            })
            .collect::<Result<_, _>>()?;
        let events: Vec<String> = if self.optional_text("OPENVIDU_WEBHOOK_EVENTS").is_some() {
            self.json("OPENVIDU_WEBHOOK_EVENTS", "a JSON array of event names")?
        } else {
            WEBHOOK_EVENT_NAMES.iter().map(|e| e.to_string()).collect()
        };
        if let Some(bad) = events
            .iter()
            .find(|e| !WEBHOOK_EVENT_NAMES.contains(&e.as_str()))
        {
            return Err(self.invalid(
                "OPENVIDU_WEBHOOK_EVENTS",
                &format!(
                    "unknown event '{bad}'; valid: {}",
                    WEBHOOK_EVENT_NAMES.join(", ")
                ),
            ));
        }
        Ok(WebhookConfig {
            endpoint,
            headers,
            events,
        })
    }

    /// `OPENVIDU_WEBRTC_ICE_SERVERS`: `["url=turn:h:3478,username=u,credential=c", …]`.
    fn ice_servers(&self) -> Result<Vec<IceServer>, ConfigError> {
        const KEY: &str = "OPENVIDU_WEBRTC_ICE_SERVERS";
        let entries: Vec<String> = self.json(KEY, "a JSON array of strings")?;
        entries
            .iter()
            .map(|entry| {
                let mut server = IceServer {
                    url: String::new(),
                    username: None,
                    credential: None,
                    static_auth_secret: None,
                };
                for part in entry.split(',') {
                    let (k, v) = part.trim().split_once('=').unwrap_or((part, ""));
                    match k {
                        "url" => server.url = v.to_owned(),
                        "username" => server.username = Some(v.to_owned()),
                        "credential" => server.credential = Some(v.to_owned()),
                        "staticAuthSecret" => server.static_auth_secret = Some(v.to_owned()),
                        _ => {
                            return Err(self.invalid(
                                KEY,
                                &format!("entry '{entry}': unknown property '{k}'"),
                            ));
                        }
                    }
                }
                server
                    .validate()
                    .map_err(|e| self.invalid(KEY, &format!("entry '{entry}': {e}")))?;
                Ok(server)
            })
            .collect()
    }
}

fn is_loopback_host(domain: &str) -> bool {
    domain.eq_ignore_ascii_case("localhost")
        || domain
            .trim_matches(['[', ']'])
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests;
