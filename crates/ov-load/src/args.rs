//! The command line, and its validation into a [`Plan`] the run can trust.

use std::net::IpAddr;
use std::time::Duration;

use clap::Parser;

use crate::LoadError;

/// Largest synthetic video frame: beyond this the "video" would be a file transfer.
const MAX_FRAME_BYTES: u64 = 256 * 1024;

/// openvidu-load: simulated participants (native str0m peers, no browser) that join
/// sessions of a running openvidu-rs, publish synthetic audio and video, and subscribe to
/// each other, while the server's CPU and memory are sampled.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "openvidu-load",
    version,
    args_conflicts_with_subcommands = true
)]
pub struct Args {
    /// A mode other than the load run.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// OpenVidu URL (http://host:port); the WebSocket is ws://host:port/openvidu.
    #[arg(long, default_value = "http://127.0.0.1:4443")]
    pub url: String,
    /// The deployment's secret (REST user OPENVIDUAPP).
    #[arg(long, default_value = "MY_SECRET")]
    pub secret: String,
    /// Number of sessions (custom ids load-0, load-1, ...).
    #[arg(long, default_value_t = 1)]
    pub rooms: u32,
    /// Participants per session.
    #[arg(long, default_value_t = 2)]
    pub participants: u32,
    /// Publishers per session (the first ones to join); default: every participant.
    #[arg(long)]
    pub publishers: Option<u32>,
    /// Seconds to run, counted from the first join.
    #[arg(long, default_value_t = 30.0)]
    pub duration: f64,
    /// Video frames per second of each publisher.
    #[arg(long, default_value_t = 15)]
    pub fps: u32,
    /// Video bitrate of each publisher, kbit/s (sets the frame size).
    #[arg(long, default_value_t = 300)]
    pub video_kbps: u32,
    /// PID of the server, to report its CPU usage (cores) and RSS.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Seconds over which the joins are spread evenly (0: all at once).
    #[arg(long, default_value_t = 0.0)]
    pub ramp: f64,
    /// Allow a server that is not on loopback. This project loads loopback only.
    #[arg(long)]
    pub allow_remote: bool,
    /// Light subscribers: count media from the clear-text RTP headers instead of
    /// decrypting and depacketizing it (str0m still does ICE, DTLS and RTCP). About half the
    /// load tester's CPU, but subscribers send no NACK, TWCC or receiver reports, so the
    /// server's feedback handling is idle: for finding the server's ceiling.
    #[arg(long)]
    pub light: bool,
    /// Publishers send simulcast, as openvidu-browser does from 960x540: three layers
    /// (`rdiv4`, `rdiv2`, `rdiv1`) of 1/8, 1/3 and all of `--video-kbps`, each at `--fps`.
    /// The server forwards one to each subscription and estimates each subscriber's link.
    #[arg(long)]
    pub simulcast: bool,
    /// Participants per session (the last ones to join) whose downlink goes through a
    /// bottleneck of `--slow-kbps`, emulated in the load tester (str0m-netem): with
    /// `--simulcast` the server should give them a lower layer, and the others the top one.
    #[arg(long, default_value_t = 0)]
    pub slow_subscribers: u32,
    /// The slow participants' bottleneck, kbit/s.
    #[arg(long, default_value_t = 300)]
    pub slow_kbps: u64,
    /// Worker threads of the load tester (they compete with the server for the cores).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
}

/// The modes besides the default load run.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Many joins and leaves, then an idle-connection flood, sampling the server's memory,
    /// file descriptors and tasks (a leak check; see docs/soak.md).
    Soak(crate::soak::SoakArgs),
}

/// Validated arguments.
#[derive(Debug, Clone)]
pub struct Plan {
    /// `http://host:port`, for the REST client.
    pub url: String,
    /// `ws://host:port/openvidu`.
    pub ws_url: String,
    /// The server's host name or IP (for the route of the media sockets).
    pub host: String,
    /// The server's host is loopback: media sockets bind 127.0.0.1.
    pub loopback: bool,
    /// REST secret.
    pub secret: String,
    /// Sessions.
    pub rooms: u32,
    /// Participants per session.
    pub participants: u32,
    /// Publishers per session (≤ participants).
    pub publishers: u32,
    /// Length of the run.
    pub duration: Duration,
    /// Joins are spread over this.
    pub ramp: Duration,
    /// Video frame rate.
    pub fps: u32,
    /// Video bitrate, kbit/s.
    pub video_kbps: u32,
    /// Server process to sample.
    pub server_pid: Option<u32>,
    /// Light subscribers.
    pub light: bool,
    /// Simulcast publishers.
    pub simulcast: bool,
    /// Participants per session behind the bottleneck (the last ones).
    pub slow_subscribers: u32,
    /// Their bottleneck, kbit/s.
    pub slow_kbps: u64,
}

impl Plan {
    /// Subscriptions the run should establish: each participant subscribes to every
    /// publisher but itself.
    pub fn expected_subscriptions(&self) -> u64 {
        u64::from(self.rooms) * u64::from(self.publishers) * u64::from(self.participants - 1)
    }

    /// Participants over all rooms.
    pub fn total_participants(&self) -> u64 {
        u64::from(self.rooms) * u64::from(self.participants)
    }

    /// Published streams over all rooms.
    pub fn total_publishers(&self) -> u64 {
        u64::from(self.rooms) * u64::from(self.publishers)
    }
}

impl Args {
    /// Checks ranges and the network rule; returns what the run uses.
    pub fn plan(&self) -> Result<Plan, LoadError> {
        let bad = |m: &str| Err(LoadError::Args(m.to_owned()));
        if self.rooms == 0 || self.participants == 0 {
            return bad("--rooms and --participants must be at least 1");
        }
        let publishers = self.publishers.unwrap_or(self.participants);
        if publishers > self.participants {
            return bad("--publishers cannot exceed --participants");
        }
        if !(1..=120).contains(&self.fps) {
            return bad("--fps must be within 1..=120");
        }
        if self.video_kbps == 0
            || u64::from(self.video_kbps) * 125 / u64::from(self.fps) > MAX_FRAME_BYTES
        {
            return bad("--video-kbps must be at least 1 and give frames of at most 256 KiB");
        }
        if !(self.duration.is_finite() && self.duration > 0.0 && self.duration <= 86_400.0) {
            return bad("--duration must be within (0, 86400] seconds");
        }
        if !(self.ramp.is_finite() && self.ramp >= 0.0 && self.ramp < self.duration) {
            return bad("--ramp must be at least 0 and shorter than --duration");
        }
        if self.threads == 0 {
            return bad("--threads must be at least 1");
        }
        if self.slow_subscribers > self.participants {
            return bad("--slow-subscribers cannot exceed --participants");
        }
        if self.slow_subscribers > 0 && self.slow_kbps < 30 {
            return bad("--slow-kbps must be at least 30 (below it not even audio gets through)");
        }
        let base = BaseUrl::parse(&self.url)?;
        let loopback = base.is_loopback();
        if !loopback && !self.allow_remote {
            return Err(LoadError::RemoteRefused(self.url.clone()));
        }
        Ok(Plan {
            url: format!("http://{}", base.authority),
            ws_url: format!("ws://{}/openvidu", base.authority),
            host: base.host.clone(),
            loopback,
            secret: self.secret.clone(),
            rooms: self.rooms,
            participants: self.participants,
            publishers,
            duration: Duration::from_secs_f64(self.duration),
            ramp: Duration::from_secs_f64(self.ramp),
            fps: self.fps,
            video_kbps: self.video_kbps,
            server_pid: self.server_pid,
            light: self.light,
            simulcast: self.simulcast,
            slow_subscribers: self.slow_subscribers,
            slow_kbps: self.slow_kbps,
        })
    }
}

/// Where a server is reached, for the soak (which has no rooms or media).
#[derive(Debug, Clone)]
pub(crate) struct Endpoints {
    /// `http://host:port`.
    pub url: String,
    /// `ws://host:port/openvidu`.
    pub ws_url: String,
}

/// The endpoints of `url`, which must be on loopback.
pub(crate) fn loopback_endpoints(url: &str) -> Result<Endpoints, LoadError> {
    let base = BaseUrl::parse(url)?;
    if !base.is_loopback() {
        return Err(LoadError::RemoteRefused(url.to_owned()));
    }
    Ok(Endpoints {
        url: format!("http://{}", base.authority),
        ws_url: format!("ws://{}/openvidu", base.authority),
    })
}

/// `http://authority[/…]`, split enough to find the host.
#[derive(Debug, PartialEq)]
struct BaseUrl {
    authority: String,
    host: String,
}

impl BaseUrl {
    fn parse(url: &str) -> Result<BaseUrl, LoadError> {
        let invalid = || LoadError::Args(format!("--url '{url}' is not http://host[:port]"));
        let (scheme, rest) = url.split_once("://").ok_or_else(invalid)?;
        match scheme {
            "http" => {}
            // The load tester speaks plain ws:// (it has no certificate to trust); loopback
            // needs no TLS.
            "https" => {
                return Err(LoadError::Args(
                    "https is not supported: load openvidu-rs over http on loopback".into(),
                ));
            }
            _ => return Err(invalid()),
        }
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if authority.is_empty() || authority.contains('@') {
            return Err(invalid());
        }
        let host = if let Some(v6) = authority.strip_prefix('[') {
            v6.split(']').next().unwrap_or_default()
        } else {
            authority.split(':').next().unwrap_or_default()
        };
        if host.is_empty() {
            return Err(invalid());
        }
        Ok(BaseUrl {
            authority: authority.to_owned(),
            host: host.to_owned(),
        })
    }

    /// `localhost` or a loopback IP literal. Other names are not resolved: a name that
    /// happens to resolve to loopback still needs `--allow-remote`, which errs on the safe
    /// side.
    fn is_loopback(&self) -> bool {
        self.host.eq_ignore_ascii_case("localhost")
            || self.host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(extra: &[&str]) -> Args {
        Args::parse_from(std::iter::once("openvidu-load").chain(extra.iter().copied()))
    }

    #[test]
    fn defaults_make_a_valid_plan() {
        let p = args(&[]).plan().unwrap();
        assert_eq!(p.url, "http://127.0.0.1:4443");
        assert_eq!(p.ws_url, "ws://127.0.0.1:4443/openvidu");
        assert_eq!((p.rooms, p.participants, p.publishers), (1, 2, 2));
        assert_eq!(p.duration, Duration::from_secs(30));
        assert_eq!((p.fps, p.video_kbps), (15, 300));
        assert!(p.loopback);
    }

    #[test]
    fn expected_counts() {
        let p = args(&["--rooms", "5", "--participants", "4"])
            .plan()
            .unwrap();
        assert_eq!(p.expected_subscriptions(), 5 * 4 * 3);
        assert_eq!(p.total_participants(), 20);
        let p = args(&["--rooms", "2", "--participants", "10", "--publishers", "2"])
            .plan()
            .unwrap();
        // 8 viewers see 2 publishers, and the 2 publishers see each other.
        assert_eq!(p.expected_subscriptions(), 2 * (8 * 2 + 2));
        assert_eq!(p.total_publishers(), 4);
    }

    #[test]
    fn out_of_range_arguments_are_refused() {
        for bad in [
            &["--rooms", "0"][..],
            &["--participants", "2", "--publishers", "3"],
            &["--fps", "0"],
            &["--fps", "500"],
            &["--video-kbps", "0"],
            &["--video-kbps", "100000", "--fps", "1"],
            &["--duration", "0"],
            &["--duration", "NaN"],
            &["--ramp", "30"],
            &["--ramp=-1"],
            &["--threads", "0"],
            &["--url", "127.0.0.1:4443"],
            &["--url", "ftp://127.0.0.1"],
            &["--url", "https://127.0.0.1:4443"],
            &["--url", "http://"],
            &["--url", "http://u@127.0.0.1"],
        ] {
            assert!(
                matches!(args(bad).plan(), Err(LoadError::Args(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn only_loopback_unless_allowed() {
        for ok in [
            "http://localhost:4443",
            "http://127.0.0.1",
            "http://127.1.2.3:80/x",
            "http://[::1]:4443",
        ] {
            let p = args(&["--url", ok]).plan().unwrap();
            assert!(p.loopback, "{ok}");
        }
        for remote in [
            "http://192.168.1.20:4443",
            "http://example.com",
            "http://[2001:db8::1]:4443",
        ] {
            assert!(
                matches!(
                    args(&["--url", remote]).plan(),
                    Err(LoadError::RemoteRefused(_))
                ),
                "{remote}"
            );
            let p = args(&["--url", remote, "--allow-remote"]).plan().unwrap();
            assert!(!p.loopback);
        }
    }

    #[test]
    fn soak_is_a_subcommand_with_its_defaults() {
        let a = args(&["soak", "--server-pid", "42"]);
        let Some(Command::Soak(s)) = a.command else {
            panic!("soak parsed")
        };
        assert_eq!((s.server_pid, s.joins, s.flood), (42, 10_000, 2_000));
        assert!(
            Args::try_parse_from(["openvidu-load", "soak"]).is_err(),
            "needs the pid"
        );
        assert!(args(&[]).command.is_none());
    }

    #[test]
    fn the_path_of_the_url_is_dropped() {
        let p = args(&["--url", "http://127.0.0.1:4443/openvidu/api?x"])
            .plan()
            .unwrap();
        assert_eq!(p.url, "http://127.0.0.1:4443");
        assert_eq!(p.ws_url, "ws://127.0.0.1:4443/openvidu");
    }
}
