//! The end-of-run summary: steady-state averages, the delivery verdict and its rendering.

use std::time::Duration;

use crate::report::{Sample, Targets, mbit_per_second, mib, per_second, percent, ratio};
use crate::stats::{LinkTotals, Snapshot};

/// Seconds after the last join before the averages start: ICE, DTLS and the first
/// keyframe of the last subscriptions settle in well under this.
pub const WARMUP: Duration = Duration::from_secs(3);

/// Below this share of expected subscriptions receiving video, the run failed.
pub const PASS_SHARE: f64 = 0.9;

/// Averages over the steady part of the run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Steady {
    /// Seconds averaged.
    pub seconds: f64,
    /// Video frames sent per second, all publishers.
    pub video_fps_tx: f64,
    /// Video frames received per second, all subscribers.
    pub video_fps_rx: f64,
    /// Audio frames received per second.
    pub audio_fps_rx: f64,
    /// UDP datagrams sent per second by the load (what the server receives).
    pub packets_tx: f64,
    /// UDP datagrams received per second (what the server forwarded).
    pub packets_rx: f64,
    /// Mbit/s sent.
    pub mbit_tx: f64,
    /// Mbit/s received.
    pub mbit_rx: f64,
    /// Video frames received over expected.
    pub video_ratio: Option<f64>,
    /// Server cores, mean and highest one-second value.
    pub server_cores: Option<(f64, f64)>,
    /// Highest server RSS, bytes.
    pub server_rss_max: Option<u64>,
    /// The load tester's own cores (mean).
    pub tool_cores: Option<f64>,
    /// By link: `[free, slow]` (`--slow-subscribers`).
    pub links: [LinkSteady; 2],
}

/// Steady-state figures of the subscriptions of one kind of link.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LinkSteady {
    /// Subscriptions.
    pub subscriptions: u64,
    /// Video frames received over expected.
    pub video_ratio: Option<f64>,
    /// Video payload each subscription received, kbit/s (its layer shows in it).
    pub kbps_each: Option<f64>,
}

/// The outcome of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// What was expected.
    pub targets: Targets,
    /// Counters at the end.
    pub totals: Snapshot,
    /// Steady-state averages; `None` when the run had no interval at all.
    pub steady: Option<Steady>,
}

impl Summary {
    /// Builds the summary from the samples; those ending before `steady_from` are left
    /// out of the averages (all of them are used when none is that late).
    pub fn new(
        targets: Targets,
        totals: Snapshot,
        samples: &[Sample],
        steady_from: Duration,
    ) -> Summary {
        let late: Vec<&Sample> = samples.iter().filter(|s| s.at > steady_from).collect();
        let chosen: Vec<&Sample> = if late.is_empty() {
            samples.iter().collect()
        } else {
            late
        };
        Summary {
            targets,
            totals,
            steady: steady(&chosen),
        }
    }

    /// At least 90% of the expected subscriptions received video at some point.
    pub fn passed(&self) -> bool {
        self.totals.subscriptions_with_video as f64
            >= PASS_SHARE * self.targets.subscriptions as f64
    }

    /// Video frames received over expected, over the whole run.
    pub fn video_ratio(&self) -> Option<f64> {
        ratio(
            self.totals.video_frames_rx,
            self.totals.video_frames_expected,
        )
    }

    /// A few lines for the end of the output.
    pub fn render(&self) -> String {
        let t = &self.totals;
        let g = &self.targets;
        let mut out = format!(
            "summary: joined {}/{} published {}/{} subscribed {}/{} with video {}/{} failures {}\n\
             video frames received/expected over the run: {} ({} of {})\n",
            t.joined,
            g.participants,
            t.published,
            g.publishers,
            t.subscribed,
            g.subscriptions,
            t.subscriptions_with_video,
            g.subscriptions,
            t.failures,
            percent(self.video_ratio()),
            t.video_frames_rx,
            t.video_frames_expected,
        );
        if let Some(s) = &self.steady {
            out += &format!(
                "steady ({:.0} s): tx {:.0} video f/s {:.0} pkt/s {:.1} Mbit/s | rx {:.0} video f/s {:.0} audio f/s {:.0} pkt/s {:.1} Mbit/s | video {}\n",
                s.seconds,
                s.video_fps_tx,
                s.packets_tx,
                s.mbit_tx,
                s.video_fps_rx,
                s.audio_fps_rx,
                s.packets_rx,
                s.mbit_rx,
                percent(s.video_ratio),
            );
            if let (Some((mean, max)), Some(rss)) = (s.server_cores, s.server_rss_max) {
                out += &format!(
                    "server: {mean:.2} cores mean, {max:.2} max, RSS {} max\n",
                    mib(rss)
                );
            }
            if let Some(c) = s.tool_cores {
                out += &format!("load tester: {c:.2} cores mean\n");
            }
            if s.links[1].subscriptions > 0 {
                let link = |l: &LinkSteady| {
                    format!(
                        "{} subscriptions, video {}, {} kbit/s each",
                        l.subscriptions,
                        percent(l.video_ratio),
                        l.kbps_each.map_or("-".to_owned(), |k| format!("{k:.0}"))
                    )
                };
                out += &format!(
                    "links: free {} | slow {}\n",
                    link(&s.links[0]),
                    link(&s.links[1])
                );
            }
        }
        out += if self.passed() {
            "result: PASS"
        } else {
            "result: FAIL (fewer than 90% of the expected subscriptions received video)"
        };
        out
    }
}

fn steady(samples: &[&Sample]) -> Option<Steady> {
    let seconds: Duration = samples.iter().map(|s| s.interval).sum();
    if seconds.is_zero() {
        return None;
    }
    let sum = |f: fn(&Snapshot) -> u64| samples.iter().map(|s| f(&s.delta)).sum::<u64>();
    let weighted = |f: fn(&Sample) -> Option<f64>| -> Option<f64> {
        let mut total = 0.0;
        for s in samples {
            total += f(s)? * s.interval.as_secs_f64();
        }
        Some(total / seconds.as_secs_f64())
    };
    let server_mean = weighted(|s| s.server.map(|u| u.cores));
    let server_max = samples
        .iter()
        .filter_map(|s| s.server.map(|u| u.cores))
        .fold(None, |m: Option<f64>, c| Some(m.map_or(c, |m| m.max(c))));
    Some(Steady {
        seconds: seconds.as_secs_f64(),
        video_fps_tx: per_second(sum(|d| d.video_frames_tx), seconds),
        video_fps_rx: per_second(sum(|d| d.video_frames_rx), seconds),
        audio_fps_rx: per_second(sum(|d| d.audio_frames_rx), seconds),
        packets_tx: per_second(sum(|d| d.packets_tx), seconds),
        packets_rx: per_second(sum(|d| d.packets_rx), seconds),
        mbit_tx: mbit_per_second(sum(|d| d.bytes_tx), seconds),
        mbit_rx: mbit_per_second(sum(|d| d.bytes_rx), seconds),
        video_ratio: ratio(sum(|d| d.video_frames_rx), sum(|d| d.video_frames_expected)),
        server_cores: server_mean.zip(server_max),
        server_rss_max: samples
            .iter()
            .filter_map(|s| s.server.map(|u| u.rss_bytes))
            .max(),
        tool_cores: weighted(|s| s.tool.map(|u| u.cores)),
        links: [0, 1].map(|i| {
            let sum =
                |f: fn(&LinkTotals) -> u64| samples.iter().map(|s| f(&s.delta.links[i])).sum();
            let subscriptions = samples
                .last()
                .map_or(0, |s| s.totals.links[i].subscriptions);
            let bits = per_second(sum(|l| l.video_bytes_rx), seconds) * 8.0;
            LinkSteady {
                subscriptions,
                video_ratio: ratio(sum(|l| l.video_frames_rx), sum(|l| l.video_frames_expected)),
                kbps_each: (subscriptions > 0).then(|| bits / 1000.0 / subscriptions as f64),
            }
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Usage;

    const TARGETS: Targets = Targets {
        participants: 4,
        publishers: 4,
        subscriptions: 12,
    };

    fn sample(at: u64, video_rx: u64, cores: f64) -> Sample {
        Sample {
            at: Duration::from_secs(at),
            interval: Duration::from_secs(1),
            totals: Snapshot::default(),
            delta: Snapshot {
                video_frames_rx: video_rx,
                video_frames_expected: 180,
                packets_rx: 1000,
                ..Default::default()
            },
            server: Some(Usage {
                cores,
                rss_bytes: at * 1024 * 1024,
            }),
            tool: None,
        }
    }

    #[test]
    fn averages_skip_the_warmup() {
        let samples: Vec<Sample> = (1..=6).map(|t| sample(t, t * 10, t as f64)).collect();
        let s = Summary::new(TARGETS, Snapshot::default(), &samples, WARMUP);
        let st = s.steady.unwrap();
        assert_eq!(st.seconds, 3.0);
        assert_eq!(st.video_fps_rx, 50.0);
        assert_eq!(st.packets_rx, 1000.0);
        assert_eq!(st.server_cores, Some((5.0, 6.0)));
        assert_eq!(st.server_rss_max, Some(6 * 1024 * 1024));
        assert_eq!(st.tool_cores, None);
        assert!((st.video_ratio.unwrap() - 150.0 / 540.0).abs() < 1e-12);
        // A run shorter than the warm-up averages everything.
        let short = Summary::new(TARGETS, Snapshot::default(), &samples[..2], WARMUP);
        assert_eq!(short.steady.unwrap().seconds, 2.0);
        assert_eq!(
            Summary::new(TARGETS, Snapshot::default(), &[], WARMUP).steady,
            None
        );
    }

    #[test]
    fn ninety_percent_of_subscriptions_with_video_pass() {
        let mut totals = Snapshot {
            subscriptions_with_video: 11,
            ..Default::default()
        };
        assert!(Summary::new(TARGETS, totals, &[], WARMUP).passed());
        totals.subscriptions_with_video = 10;
        let s = Summary::new(TARGETS, totals, &[], WARMUP);
        assert!(!s.passed());
        assert!(s.render().ends_with(
            "result: FAIL (fewer than 90% of the expected subscriptions received video)"
        ));
        let nothing_expected = Targets {
            subscriptions: 0,
            ..TARGETS
        };
        assert!(Summary::new(nothing_expected, Snapshot::default(), &[], WARMUP).passed());
    }

    #[test]
    fn rendering() {
        let totals = Snapshot {
            joined: 4,
            published: 4,
            subscribed: 12,
            subscriptions_with_video: 12,
            video_frames_rx: 990,
            video_frames_expected: 1000,
            ..Default::default()
        };
        let samples: Vec<Sample> = (1..=5).map(|t| sample(t, 180, 0.25)).collect();
        let text = Summary::new(TARGETS, totals, &samples, WARMUP).render();
        assert_eq!(
            text,
            "summary: joined 4/4 published 4/4 subscribed 12/12 with video 12/12 failures 0\n\
             video frames received/expected over the run: 99.0% (990 of 1000)\n\
             steady (2 s): tx 0 video f/s 0 pkt/s 0.0 Mbit/s | rx 180 video f/s 0 audio f/s 1000 pkt/s 0.0 Mbit/s | video 100.0%\n\
             server: 0.25 cores mean, 0.25 max, RSS 5.0 MiB max\n\
             result: PASS"
        );
    }
}
