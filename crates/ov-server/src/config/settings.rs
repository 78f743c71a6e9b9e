//! The table of every setting: its OpenVidu environment name, TOML key, command-line flag,
//! default and help. One table feeds `--help`, the TOML key check and the README check, so
//! the three never drift apart.

/// One configurable setting.
#[derive(Debug)]
pub struct Setting {
    /// Environment variable (OpenVidu's own name where OpenVidu has one). Also the
    /// canonical key; the TOML key is its lower-case form.
    pub env: &'static str,
    /// Long command-line flag, without `--`.
    pub flag: &'static str,
    /// Default value as text, `None` when unset by default.
    pub default: Option<&'static str>,
    /// One-line description for `--help` and the README.
    pub help: &'static str,
}

impl Setting {
    /// The key of this setting in a TOML configuration file.
    pub fn toml_key(&self) -> String {
        self.env.to_ascii_lowercase()
    }
}

macro_rules! settings {
    ($($env:literal, $flag:literal, $default:expr, $help:literal;)*) => {
        /// Every setting, in the order `--help` lists them.
        pub const SETTINGS: &[Setting] = &[
            $(Setting { env: $env, flag: $flag, default: $default, help: $help },)*
        ];
    };
}

settings! {
    "OPENVIDU_SECRET", "secret", Some("MY_SECRET"),
        "Secret of the REST API (user OPENVIDUAPP) and of secret joins; [a-zA-Z0-9_-]+";
    "OPENVIDU_DEV", "dev", None,
        "Development mode: the call page at / and the tutorials' application-server API at /openvidu/dev/ (no authentication: never in production); default: on exactly when OPENVIDU_SECRET is the default MY_SECRET";
    "DOMAIN_OR_PUBLIC_IP", "domain", Some("localhost"),
        "Host name or IP address clients use to reach this server (token URLs, ICE candidates)";
    "HTTPS_PORT", "public-port", Some("4443"),
        "Public port of the REST API and WebSocket (in token URLs); also the listen port unless SERVER_PORT is set";
    "SERVER_PORT", "port", None,
        "Port to listen on for HTTP/WebSocket when it differs from the public one (behind a proxy); 0 picks a free port";
    "SERVER_ADDRESS", "address", None,
        "Address to listen on; default: loopback when DOMAIN_OR_PUBLIC_IP is localhost, all interfaces otherwise";
    "OPENVIDU_TLS_CERTIFICATE", "tls-certificate", None,
        "PEM certificate chain: serve HTTPS/WSS (tokens become wss://); needs OPENVIDU_TLS_KEY";
    "OPENVIDU_TLS_KEY", "tls-key", None,
        "PEM private key of OPENVIDU_TLS_CERTIFICATE";
    "OPENVIDU_RTC_PORT", "rtc-port", None,
        "UDP port for all WebRTC media (ICE, DTLS, SRTP); default: the same number as the listen port";
    "OPENVIDU_RTC_WORKERS", "rtc-workers", Some("1"),
        "Media workers (threads of forwarding, one per core at most); worker i uses OPENVIDU_RTC_PORT + i, each session stays on one worker";
    "OPENVIDU_RTC_ADVERTISED_IPS", "rtc-advertised-ips", None,
        "Comma-separated IP addresses announced as ICE candidates; default: DOMAIN_OR_PUBLIC_IP if it is an IP, 127.0.0.1 for localhost, else its DNS addresses";
    "OPENVIDU_RTC_TCP", "rtc-tcp", Some("true"),
        "Also accept WebRTC media over TCP (ICE-TCP, RFC 6544: passive TCP candidates) for browsers whose network blocks UDP";
    "OPENVIDU_RTC_TCP_PORT", "rtc-tcp-port", None,
        "TCP port of ICE-TCP media; worker i uses OPENVIDU_RTC_TCP_PORT + i; default: the number of each worker's UDP port, or the port after the workers' UDP ports when the first is the HTTP listen port";
    "OPENVIDU_RTC_PEER_TIMEOUT", "rtc-peer-timeout", Some("30"),
        "Seconds a WebRTC connection may take to connect, stay disconnected, or stay closed awaiting its browser's media reconnection before the server ends its stream or subscription";
    "OPENVIDU_SESSIONS_GARBAGE_INTERVAL", "sessions-garbage-interval", Some("900"),
        "Seconds between sweeps of sessions created but never joined; 0 disables the sweep";
    "OPENVIDU_SESSIONS_GARBAGE_THRESHOLD", "sessions-garbage-threshold", Some("3600"),
        "Age in seconds after which a never-joined session is removed by the sweep";
    "OPENVIDU_WEBHOOK", "webhook", Some("false"),
        "Send session events to OPENVIDU_WEBHOOK_ENDPOINT";
    "OPENVIDU_WEBHOOK_ENDPOINT", "webhook-endpoint", None,
        "http(s) URL receiving webhook events (required when OPENVIDU_WEBHOOK is true)";
    "OPENVIDU_WEBHOOK_HEADERS", "webhook-headers", Some("[]"),
        "JSON array of \"Name: value\" headers added to every webhook request";
    "OPENVIDU_WEBHOOK_EVENTS", "webhook-events", None,
        "JSON array of the event names to send; default: all of them";
    "OPENVIDU_CDR", "cdr", Some("false"),
        "Write the call detail record (one JSON object per line) to OPENVIDU_CDR_PATH";
    "OPENVIDU_CDR_PATH", "cdr-path", Some("cdr"),
        "Folder of the call detail record files";
    "OPENVIDU_RECORDING", "recording", Some("false"),
        "Recording module (needs the openvidu-recorder program and GStreamer; off, the recording endpoints answer 501 as OpenVidu's do)";
    "OPENVIDU_RECORDING_PATH", "recording-path", Some("/opt/openvidu/recordings"),
        "Folder of the recordings (created if missing; must be writable)";
    "OPENVIDU_RECORDING_PUBLIC_ACCESS", "recording-public-access", Some("false"),
        "Serve recording files under /openvidu/recordings without the secret";
    "OPENVIDU_RECORDING_NOTIFICATION", "recording-notification", Some("publisher_moderator"),
        "Who receives recordingStarted/recordingStopped: none, moderator, publisher_moderator or all";
    "OPENVIDU_RECORDING_AUTOSTOP_TIMEOUT", "recording-autostop-timeout", Some("120"),
        "Seconds a recording goes on once its session has no publisher (or nobody) left; 0 stops it at once";
    "OPENVIDU_RECORDING_CUSTOM_LAYOUT", "recording-custom-layout", Some("/opt/openvidu/custom-layout"),
        "Folder of custom HTML layouts; accepted for compatibility, CUSTOM layouts are recorded as BEST_FIT";
    "OPENVIDU_RECORDING_COMPOSED_URL", "recording-composed-url", None,
        "Accepted for compatibility and reported by GET /config (no recording browser needs it)";
    "OPENVIDU_RECORDING_VERSION", "recording-version", Some("2.32.2"),
        "Reported by GET /config (OpenVidu's recording image tag)";
    "OPENVIDU_RECORDING_RECORDER", "recording-recorder", None,
        "Path of the openvidu-recorder program; default: beside the server executable, else on PATH";
    "OPENVIDU_RECORDING_MIN_FREE_SPACE", "recording-min-free-space", Some("256"),
        "MiB that must stay free in the recordings folder: below it no recording starts, and running ones stop as failed (reason diskFull)";
    "OPENVIDU_STREAMS_VIDEO_MAX_RECV_BANDWIDTH", "video-max-recv-bandwidth", Some("1000"),
        "Max video bitrate (kbps) a publisher may send to the server; 0 = unconstrained. Not enforced yet: only reported by GET /config";
    "OPENVIDU_STREAMS_VIDEO_MIN_RECV_BANDWIDTH", "video-min-recv-bandwidth", Some("300"),
        "Min video bitrate (kbps) the server asks publishers for. Not enforced yet: only reported by GET /config";
    "OPENVIDU_STREAMS_VIDEO_MAX_SEND_BANDWIDTH", "video-max-send-bandwidth", Some("1000"),
        "Max video bitrate (kbps) the server sends to a subscriber; 0 = unconstrained. Bounds the simulcast layer each subscription gets (a single encoding is forwarded whole); a connection's kurentoOptions.videoMaxSendBandwidth overrides it";
    "OPENVIDU_STREAMS_VIDEO_MIN_SEND_BANDWIDTH", "video-min-send-bandwidth", Some("300"),
        "Min video bitrate (kbps) the server sends to a subscriber. Only reported by GET /config: a link is never sent more than its estimate carries";
    "OPENVIDU_STREAMS_FORCED_VIDEO_CODEC", "forced-video-codec", Some("MEDIA_SERVER_PREFERRED"),
        "Default forcedVideoCodec of new sessions: MEDIA_SERVER_PREFERRED, NONE, VP8, VP9, H264 or AV1 (an openvidu-rs addition)";
    "OPENVIDU_STREAMS_ALLOW_TRANSCODING", "allow-transcoding", Some("false"),
        "Default allowTranscoding of new sessions";
    "OPENVIDU_WEBRTC_SIMULCAST", "webrtc-simulcast", Some("true"),
        "Ask publishers for simulcast (joinRoom videoSimulcast): openvidu-browser then sends its camera in 2 or 3 sizes (screens in 3 frame rates) and each subscriber gets one layer; a publisher's own videoSimulcast property still decides for it";
    "OPENVIDU_WEBRTC_CONGESTION_PAUSE", "webrtc-congestion-pause", Some("false"),
        "Pause a subscription's video while its link cannot carry even the lowest simulcast layer (its audio goes on), and resume it when the link recovers; off, such a link keeps the lowest layer";
    "OPENVIDU_PRO_NETWORK_QUALITY", "network-quality", Some("true"),
        "Send networkQualityLevelChanged (OpenVidu Pro's event: levels 0 broken to 5 excellent, from loss, jitter, round-trip time and simulcast layers missing) to every participant when a connection's level changes";
    "OPENVIDU_PRO_NETWORK_QUALITY_INTERVAL", "network-quality-interval", Some("5"),
        "Seconds between two samples of every connection's network quality";
    "OPENVIDU_WEBRTC_ICE_SERVERS", "webrtc-ice-servers", Some("[]"),
        "JSON array of \"url=turn:host:port,username=u,credential=c\" given to connections without customIceServers";
    "OPENVIDU_RECONNECTION_GRACE", "reconnection-grace", Some("10"),
        "Seconds a participant whose WebSocket dropped is kept for it to reconnect";
    "OPENVIDU_LIMIT_SESSIONS", "limit-sessions", Some("10000"),
        "Most sessions at once; POST /sessions answers 429 beyond it; 0 = unlimited";
    "OPENVIDU_LIMIT_SESSION_CONNECTIONS", "limit-session-connections", Some("1000"),
        "Most connections (pending and active) per session; POST /connection answers 429 beyond it; 0 = unlimited";
    "OPENVIDU_LIMIT_SESSION_PUBLISHERS", "limit-session-publishers", Some("250"),
        "Most published streams per session; publishVideo is refused (401) beyond it; 0 = unlimited";
    "OPENVIDU_LIMIT_SESSION_SUBSCRIPTIONS", "limit-session-subscriptions", Some("10000"),
        "Most subscriptions per session (subscribers x streams); a subscription is refused (401) beyond it; 0 = unlimited";
    "OPENVIDU_LIMIT_SIGNALS_PER_SECOND", "limit-signals-per-second", Some("100"),
        "Signals a connection may send per second, in bursts of up to twice that; beyond it sendMessage is refused (401); 0 = unlimited";
    "OPENVIDU_LIMIT_REST_REQUESTS_PER_SECOND", "limit-rest-requests-per-second", Some("1000"),
        "REST requests a client address may make per second, in bursts of up to twice that; beyond it they get 429; 0 = unlimited";
    "OPENVIDU_LOG", "log", Some("info"),
        "Log filter (tracing EnvFilter syntax, e.g. info,ov_media=debug)";
    "OPENVIDU_HTTP_HEADER_TIMEOUT", "http-header-timeout", Some("10"),
        "Seconds a new HTTP(S) connection has to finish its TLS handshake and the headers of its first request before it is closed";
    "OPENVIDU_HTTP_IDLE_TIMEOUT", "http-idle-timeout", Some("60"),
        "Seconds a keep-alive HTTP connection may stay without a request in progress before it is closed (WebSockets and requests in progress are not affected)";
    "OPENVIDU_HTTP_MAX_CONNECTIONS", "http-max-connections", None,
        "Most HTTP/WebSocket connections open at once; more are closed on accept; default: the file-descriptor limit (raised to the hard limit at start-up) less 1/8 of it (at least 128, at most 4096) for media, TURN and files";
    "OPENVIDU_HTTP_MAX_CONNECTIONS_PER_IP", "http-max-connections-per-ip", Some("500"),
        "Most HTTP/WebSocket connections open at once from one source address (IPv6: one /64); more are closed on accept; 0 = no per-address cap (behind a reverse proxy every connection comes from the proxy)";
    "OPENVIDU_RUNTIME_STATS_INTERVAL", "runtime-stats-interval", Some("0"),
        "Seconds between log lines (target ov_server::stats) of the async runtime's alive tasks and the open, refused and timed-out HTTP connections; 0 = never";
    "OPENVIDU_TURN", "turn", Some("true"),
        "Embedded TURN server (UDP and TCP on COTURN_PORT, TLS on OPENVIDU_TURN_TLS_PORT) relaying to this server's media only; handed to participants in joinRoom's customIceServers when no other ICE servers are configured. When false, a STUN-only server answers on COTURN_PORT (UDP) and participants get its stun: URL, so no page falls back to public STUN servers";
    "COTURN_PORT", "turn-port", Some("3478"),
        "UDP and TCP port of the embedded TURN server (also the port in its URLs; with OPENVIDU_TURN=false the UDP port of the STUN-only server); 0 picks a free one, as does a listen port of 0 when this is not set";
    "OPENVIDU_TURN_TLS_PORT", "turn-tls-port", None,
        "TLS port of the embedded TURN server (turns: URLs, e.g. 443 or 5349); TLS is off when unset. Uses OPENVIDU_TLS_CERTIFICATE/KEY, else a self-signed certificate";
    "COTURN_IP", "turn-host", None,
        "Host name or IP address in the TURN (or STUN) URLs handed to participants; default: DOMAIN_OR_PUBLIC_IP";
    "COTURN_SHARED_SECRET_KEY", "turn-secret", None,
        "Secret of the short-lived TURN credentials (TURN REST API scheme); default: OPENVIDU_SECRET";
    "OPENVIDU_TURN_USER_QUOTA", "turn-user-quota", Some("100"),
        "TURN allocations one participant (one credential) may hold at once; more get error 486";
    "OPENVIDU_TURN_MAX_ALLOCATIONS", "turn-max-allocations", Some("1000"),
        "TURN allocations (relay sockets) the whole server holds at once; more get error 508";
}

/// Finds a setting by its environment name.
pub fn setting(env: &str) -> &'static Setting {
    SETTINGS
        .iter()
        .find(|s| s.env == env)
        .unwrap_or_else(|| panic!("unknown setting {env}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique() {
        let mut envs = HashSet::new();
        let mut flags = HashSet::new();
        for s in SETTINGS {
            assert!(envs.insert(s.env), "{}", s.env);
            assert!(flags.insert(s.flag), "{}", s.flag);
            assert!(!s.help.is_empty());
        }
    }
}

#[cfg(test)]
mod readme {
    #[test]
    fn readme_documents_every_setting() {
        let readme = include_str!("../../../../README.md");
        for s in super::SETTINGS {
            assert!(
                readme.contains(&format!("`{}` | `--{}`", s.env, s.flag)),
                "README.md lacks {}",
                s.env
            );
        }
    }
}
