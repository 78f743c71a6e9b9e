//! Network quality: a level per connection from 0 (broken) to 5 (excellent), OpenVidu's
//! `networkQualityLevelChanged`, computed from the statistics of the connection's peers
//! (its publisher and its subscriptions) each time the server samples them.
//!
//! Each peer gets a score out of 100, LiveKit's E-model-like formula: the effective delay
//! (half the round-trip time plus twice the jitter) costs `d / 40` points up to 160 ms and
//! `(d − 120) / 10` above, each percent of packet loss 10 points on video and 8 on audio
//! (on a subscription: the loss of its own link, less what its publisher's uplink lost
//! already), and each simulcast layer missing for want of bandwidth 15 points (LiveKit:
//! 35; a browser dropping its top layer under a 1 Mbit/s limit is normal). Scores are
//! smoothed, quickly towards worse (0.8) and slowly towards better (0.4), and never fall
//! below 30. The connection's level comes from its worst peer: 5 from 90, 4 from 80, 3
//! from 65, 2 from 50, else 1; and 0 when a peer lost its link (ICE disconnected, or
//! nothing received for [`SILENT_AFTER`]). The level drops at once and rises only after
//! two samples agree, so that it does not flicker.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::time::{Duration, Instant};

use crate::contract::PeerId;
use crate::peer::{MediaKind, PeerStats};

/// A peer that received nothing at all (no RTP, RTCP or STUN) for this long has lost its
/// link. Longer than a browser's consent checks and receiver reports are apart, and than
/// the statistics take to be refreshed.
pub const SILENT_AFTER: Duration = Duration::from_secs(6);

/// Points per simulcast layer missing for want of bandwidth.
const LAYER_WEIGHT: f64 = 15.0;
/// Points per percent of loss, by kind.
const VIDEO_LOSS_WEIGHT: f64 = 10.0;
const AUDIO_LOSS_WEIGHT: f64 = 8.0;
/// Smoothing factors towards a worse and a better score.
const TOWARDS_WORSE: f64 = 0.8;
const TOWARDS_BETTER: f64 = 0.4;
/// The lowest score.
const FLOOR: f64 = 30.0;
/// The lowest score of levels 5, 4, 3 and 2.
const THRESHOLDS: [(f64, u8); 4] = [(90.0, 5), (80.0, 4), (65.0, 3), (50.0, 2)];

/// A change of a connection's level. `old` is `None` for its first level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelChange {
    /// The level before, if there was one.
    pub old: Option<u8>,
    /// The level now.
    pub new: u8,
}

/// The network quality of one connection.
#[derive(Debug, Default)]
pub struct NetworkQuality {
    peers: HashMap<PeerId, PeerScore>,
    level: Option<u8>,
    /// A better level seen once, waiting for a second sample to agree.
    rising: Option<u8>,
}

#[derive(Debug)]
struct PeerScore {
    score: f64,
    bytes_received: u64,
    last_received: Instant,
}

impl NetworkQuality {
    /// The level now, `None` before the first one.
    pub fn level(&self) -> Option<u8> {
        self.level
    }

    /// Takes one sample of the statistics of every peer of the connection (peers not
    /// given are forgotten; peers that never connected are not counted yet), and returns
    /// the change of level, if any.
    pub fn update<'a>(
        &mut self,
        now: Instant,
        peers: impl IntoIterator<Item = (PeerId, &'a PeerStats)>,
    ) -> Option<LevelChange> {
        let mut seen = Vec::new();
        let mut worst: Option<f64> = None;
        let mut broken = false;
        for (id, stats) in peers {
            seen.push(id);
            let target = target_score(stats);
            let entry = match self.peers.entry(id) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(_) if !stats.connected => continue,
                Entry::Vacant(e) => e.insert(PeerScore {
                    score: target,
                    bytes_received: stats.bytes_received,
                    last_received: now,
                }),
            };
            if stats.bytes_received != entry.bytes_received {
                (entry.bytes_received, entry.last_received) = (stats.bytes_received, now);
            }
            if !stats.connected
                || now.saturating_duration_since(entry.last_received) >= SILENT_AFTER
            {
                broken = true;
            }
            entry.score = smoothed(entry.score, target);
            worst = Some(worst.map_or(entry.score, |w| w.min(entry.score)));
        }
        self.peers.retain(|id, _| seen.contains(id));
        let sampled = if broken { 0 } else { level_of(worst?) };
        self.settle(sampled)
    }

    /// Moves the level towards `sampled`: down at once, up once two samples agree.
    fn settle(&mut self, sampled: u8) -> Option<LevelChange> {
        let old = self.level;
        let new = match old {
            None => sampled,
            Some(level) if sampled > level => match self.rising.take() {
                Some(before) => before.min(sampled),
                None => {
                    self.rising = Some(sampled);
                    return None;
                }
            },
            Some(_) => {
                self.rising = None;
                sampled
            }
        };
        self.level = Some(new);
        (old != Some(new)).then_some(LevelChange { old, new })
    }
}

/// The score one sample of `stats` calls for, before smoothing.
fn target_score(stats: &PeerStats) -> f64 {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let rtt = stats
        .rtt
        .or_else(|| stats.tracks.iter().filter_map(|t| t.rtt).max())
        .map_or(0.0, ms);
    let jitter = stats
        .tracks
        .iter()
        .filter_map(|t| t.jitter)
        .max()
        .map_or(0.0, ms);
    let delay = rtt / 2.0 + 2.0 * jitter;
    let delay_cost = if delay <= 160.0 {
        delay / 40.0
    } else {
        (delay - 120.0) / 10.0
    };
    let loss_cost = stats
        .tracks
        .iter()
        .filter_map(|t| {
            let weight = match t.kind? {
                MediaKind::Video => VIDEO_LOSS_WEIGHT,
                MediaKind::Audio => AUDIO_LOSS_WEIGHT,
            };
            let own = t.loss? - t.upstream_loss.unwrap_or(0.0);
            Some(f64::from(own.clamp(0.0, 1.0)) * 100.0 * weight)
        })
        .fold(0.0, f64::max);
    100.0 - delay_cost - loss_cost - LAYER_WEIGHT * stats.layer_shortfall as f64
}

fn smoothed(score: f64, target: f64) -> f64 {
    let factor = if target < score {
        TOWARDS_WORSE
    } else {
        TOWARDS_BETTER
    };
    (score + factor * (target - score)).max(FLOOR)
}

fn level_of(score: f64) -> u8 {
    THRESHOLDS
        .iter()
        .find(|(min, _)| score >= *min)
        .map_or(1, |(_, level)| *level)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peer::TrackStats;

    fn stats(loss: f32, rtt_ms: u64, shortfall: usize) -> PeerStats {
        PeerStats {
            connected: true,
            bytes_received: 1,
            rtt: Some(Duration::from_millis(rtt_ms)),
            tracks: vec![TrackStats {
                kind: Some(MediaKind::Video),
                loss: Some(loss),
                jitter: Some(Duration::from_millis(5)),
                ..Default::default()
            }],
            layer_shortfall: shortfall,
            ..Default::default()
        }
    }

    /// A connection sampled once a second.
    struct Sampler {
        q: NetworkQuality,
        at: Instant,
        bytes: u64,
    }

    impl Sampler {
        fn new() -> Sampler {
            Sampler {
                q: NetworkQuality::default(),
                at: Instant::now(),
                bytes: 0,
            }
        }

        /// `n` samples of `s` (its byte count growing); the levels it changed to.
        fn run(&mut self, s: &PeerStats, n: usize) -> Vec<u8> {
            (0..n)
                .filter_map(|_| {
                    self.at += Duration::from_secs(1);
                    self.bytes += 1000;
                    let s = PeerStats {
                        bytes_received: self.bytes,
                        ..s.clone()
                    };
                    self.q.update(self.at, [(PeerId(1), &s)]).map(|c| c.new)
                })
                .collect()
        }
    }

    #[test]
    fn a_clean_link_is_excellent_and_loss_costs_ten_points_a_percent() {
        assert!(target_score(&stats(0.0, 2, 0)) > 99.0);
        let two_percent = target_score(&stats(0.02, 2, 0));
        assert!((79.0..80.0).contains(&two_percent), "{two_percent}");
        assert_eq!(level_of(target_score(&stats(0.02, 2, 0))), 3);
        assert_eq!(level_of(smoothed(30.0, target_score(&stats(0.1, 2, 0)))), 1);
    }

    #[test]
    fn a_subscription_is_not_blamed_for_its_publishers_loss() {
        let mut s = stats(0.1, 2, 0);
        s.tracks[0].upstream_loss = Some(0.1);
        assert!(target_score(&s) > 99.0);
        s.tracks[0].loss = Some(0.12);
        assert_eq!(
            level_of(target_score(&s)),
            3,
            "2 % of its own, and a little jitter"
        );
    }

    #[test]
    fn delay_and_missing_layers_cost_points() {
        // 400 ms round trip: 200 ms one way, (200 + 10 - 120) / 10 = 9 points.
        let slow = target_score(&stats(0.0, 400, 0));
        assert!((90.0..91.5).contains(&slow), "{slow}");
        let one_layer_short = target_score(&stats(0.0, 2, 1));
        assert_eq!(level_of(one_layer_short), 4);
    }

    #[test]
    fn the_level_drops_at_once_and_rises_after_two_samples() {
        let mut c = Sampler::new();
        assert_eq!(c.run(&stats(0.0, 2, 0), 3), [5]);
        assert_eq!(c.run(&stats(0.1, 2, 0), 1), [1]);
        // Back to a clean link: the smoothed score climbs, each level held two samples.
        let rising = c.run(&stats(0.0, 2, 0), 12);
        assert_eq!(rising.last(), Some(&5), "{rising:?}");
        assert!(rising.windows(2).all(|w| w[0] < w[1]), "{rising:?}");
        assert!(rising.len() < 5, "{rising:?}");
    }

    #[test]
    fn a_silent_or_disconnected_peer_is_broken() {
        let mut c = Sampler::new();
        let s = stats(0.0, 2, 0);
        assert_eq!(c.run(&s, 2), [5]);
        // The same byte count for SILENT_AFTER.
        let frozen = PeerStats {
            bytes_received: c.bytes,
            ..s.clone()
        };
        let mut last = None;
        for _ in 0..SILENT_AFTER.as_secs() {
            c.at += Duration::from_secs(1);
            last = c.q.update(c.at, [(PeerId(1), &frozen)]).or(last);
        }
        assert_eq!(
            last,
            Some(LevelChange {
                old: Some(5),
                new: 0
            })
        );
        let down = PeerStats {
            connected: false,
            ..s
        };
        let mut q = NetworkQuality::default();
        assert_eq!(
            q.update(c.at, [(PeerId(1), &down)]),
            None,
            "never connected: no level"
        );
        assert_eq!(q.level(), None);
    }

    #[test]
    fn the_worst_peer_decides_and_gone_peers_are_forgotten() {
        let (mut q, at) = (NetworkQuality::default(), Instant::now());
        let (good, bad) = (stats(0.0, 2, 0), stats(0.1, 2, 0));
        let first = q.update(at, [(PeerId(1), &good), (PeerId(2), &bad)]);
        assert_eq!(first, Some(LevelChange { old: None, new: 1 }));
        assert_eq!(
            q.update(at, [(PeerId(1), &good)]),
            None,
            "rises after two samples"
        );
        assert_eq!(q.update(at, [(PeerId(1), &good)]).map(|c| c.new), Some(5));
    }
}
