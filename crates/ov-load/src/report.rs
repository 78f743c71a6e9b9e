//! The once-a-second report: rates over the last interval, the server's and the tool's
//! CPU and memory, and its one-line rendering.

use std::time::Duration;

use crate::stats::Snapshot;

/// CPU and memory of a process over one interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Usage {
    /// Cores used on average over the interval.
    pub cores: f64,
    /// Resident memory at its end, bytes.
    pub rss_bytes: u64,
}

/// What is expected of the run, for "x/y" figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Targets {
    /// Participants over all rooms.
    pub participants: u64,
    /// Publications over all rooms.
    pub publishers: u64,
    /// Subscriptions over all rooms.
    pub subscriptions: u64,
}

/// One interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// End of the interval, from the start of the run.
    pub at: Duration,
    /// Length of the interval.
    pub interval: Duration,
    /// Counters at its end.
    pub totals: Snapshot,
    /// Their growth over the interval.
    pub delta: Snapshot,
    /// The server process, when `--server-pid` was given.
    pub server: Option<Usage>,
    /// The load tester itself.
    pub tool: Option<Usage>,
}

impl Sample {
    /// `n` events over the interval, per second.
    pub fn per_second(&self, n: u64) -> f64 {
        per_second(n, self.interval)
    }

    /// Video frames received over those expected, in the interval.
    pub fn video_ratio(&self) -> Option<f64> {
        ratio(self.delta.video_frames_rx, self.delta.video_frames_expected)
    }
}

/// `n` per second over `interval` (0 for an empty interval).
pub fn per_second(n: u64, interval: Duration) -> f64 {
    if interval.is_zero() {
        0.0
    } else {
        n as f64 / interval.as_secs_f64()
    }
}

/// `num / den`, or `None` when nothing was expected.
pub fn ratio(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

/// Bytes over an interval in Mbit/s.
pub fn mbit_per_second(bytes: u64, interval: Duration) -> f64 {
    per_second(bytes, interval) * 8.0 / 1e6
}

/// Field-wise growth from `before` to `after`.
pub fn delta(before: &Snapshot, after: &Snapshot) -> Snapshot {
    let d = |a: u64, b: u64| b.saturating_sub(a);
    Snapshot {
        joined: d(before.joined, after.joined),
        published: d(before.published, after.published),
        subscribed: d(before.subscribed, after.subscribed),
        failures: d(before.failures, after.failures),
        subscriptions_with_video: d(
            before.subscriptions_with_video,
            after.subscriptions_with_video,
        ),
        video_frames_tx: d(before.video_frames_tx, after.video_frames_tx),
        audio_frames_tx: d(before.audio_frames_tx, after.audio_frames_tx),
        packets_tx: d(before.packets_tx, after.packets_tx),
        bytes_tx: d(before.bytes_tx, after.bytes_tx),
        video_frames_rx: d(before.video_frames_rx, after.video_frames_rx),
        audio_frames_rx: d(before.audio_frames_rx, after.audio_frames_rx),
        packets_rx: d(before.packets_rx, after.packets_rx),
        bytes_rx: d(before.bytes_rx, after.bytes_rx),
        video_frames_expected: d(before.video_frames_expected, after.video_frames_expected),
        links: [0, 1].map(|i| after.links[i].since(&before.links[i])),
    }
}

/// `52.1 MiB`
pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// `99.8%`, or `-` when nothing was expected.
pub fn percent(r: Option<f64>) -> String {
    r.map_or_else(|| "-".to_owned(), |r| format!("{:.1}%", r * 100.0))
}

/// One report line, e.g.
/// `  5s joined 8/8 pub 8/8 sub 24/24 (video 24) | tx 120+400 f/s 2.6 Mbit/s | rx 360+1200 f/s 7.7 Mbit/s 4630 pkt/s | video 99.7% | server 0.12 cores 40.2 MiB | load 0.20 cores 30.1 MiB`
/// (frames per second are video+audio).
pub fn line(s: &Sample, targets: &Targets) -> String {
    let t = &s.totals;
    let d = &s.delta;
    let mut out = format!(
        "{:>4}s joined {}/{} pub {}/{} sub {}/{} (video {}) | tx {:.0}+{:.0} f/s {:.1} Mbit/s | rx {:.0}+{:.0} f/s {:.1} Mbit/s {:.0} pkt/s | video {}",
        s.at.as_secs_f64().round(),
        t.joined,
        targets.participants,
        t.published,
        targets.publishers,
        t.subscribed,
        targets.subscriptions,
        t.subscriptions_with_video,
        s.per_second(d.video_frames_tx),
        s.per_second(d.audio_frames_tx),
        mbit_per_second(d.bytes_tx, s.interval),
        s.per_second(d.video_frames_rx),
        s.per_second(d.audio_frames_rx),
        mbit_per_second(d.bytes_rx, s.interval),
        s.per_second(d.packets_rx),
        percent(s.video_ratio()),
    );
    if let Some(u) = s.server {
        out += &format!(" | server {:.2} cores {}", u.cores, mib(u.rss_bytes));
    }
    if let Some(u) = s.tool {
        out += &format!(" | load {:.2} cores {}", u.cores, mib(u.rss_bytes));
    }
    if t.failures > 0 {
        out += &format!(" | {} failures", t.failures);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Sample {
        let totals = Snapshot {
            joined: 8,
            published: 8,
            subscribed: 24,
            subscriptions_with_video: 24,
            ..Default::default()
        };
        let delta = Snapshot {
            video_frames_tx: 240,
            audio_frames_tx: 800,
            bytes_tx: 1_250_000,
            video_frames_rx: 718,
            audio_frames_rx: 2400,
            bytes_rx: 3_750_000,
            packets_rx: 9000,
            video_frames_expected: 720,
            ..Default::default()
        };
        Sample {
            at: Duration::from_millis(5004),
            interval: Duration::from_secs(2),
            totals,
            delta,
            server: Some(Usage {
                cores: 0.123,
                rss_bytes: 40 * 1024 * 1024,
            }),
            tool: None,
        }
    }

    #[test]
    fn rates_are_per_second_of_the_interval() {
        let s = sample();
        assert_eq!(s.per_second(240), 120.0);
        assert!((s.video_ratio().unwrap() - 718.0 / 720.0).abs() < 1e-12);
        assert_eq!(mbit_per_second(1_250_000, Duration::from_secs(1)), 10.0);
        assert_eq!(per_second(5, Duration::ZERO), 0.0);
        assert_eq!(ratio(3, 0), None);
    }

    #[test]
    fn delta_is_field_wise() {
        let a = Snapshot {
            packets_rx: 10,
            joined: 3,
            ..Default::default()
        };
        let b = Snapshot {
            packets_rx: 25,
            joined: 4,
            ..Default::default()
        };
        let d = delta(&a, &b);
        assert_eq!((d.packets_rx, d.joined, d.bytes_rx), (15, 1, 0));
        assert_eq!(delta(&b, &a).packets_rx, 0);
    }

    #[test]
    fn a_report_line() {
        let targets = Targets {
            participants: 8,
            publishers: 8,
            subscriptions: 24,
        };
        assert_eq!(
            line(&sample(), &targets),
            "   5s joined 8/8 pub 8/8 sub 24/24 (video 24) | tx 120+400 f/s 5.0 Mbit/s | \
             rx 359+1200 f/s 15.0 Mbit/s 4500 pkt/s | video 99.7% | server 0.12 cores 40.0 MiB"
        );
        let mut s = sample();
        s.delta.video_frames_expected = 0;
        s.server = None;
        s.totals.failures = 2;
        let l = line(&s, &targets);
        assert!(l.ends_with("pkt/s | video - | 2 failures"), "{l}");
    }
}
