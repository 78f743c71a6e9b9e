//! The layer allocator: the highest simulcast layer one subscription's link can carry,
//! from str0m's send-side bandwidth estimate (TWCC feedback from the subscriber) and the
//! measured rate of each layer.
//!
//! OpenVidu gives every subscription its own peer connection, so each subscription has
//! its own estimate and carries one video stream (and its audio): the allocator runs per
//! subscription. It downgrades at once when the layer no longer fits, and upgrades one
//! layer at a time, cautiously: only when the next layer fits with a margin and has fitted
//! for a while, or fits without the margin and has fitted for longer (padding has then
//! carried its rate all along), and no downgrade happened shortly before (a link that just
//! proved too small is not trusted again at once). The constants follow LiveKit's and mediasoup's
//! practice (`../shared/design/media-quality-notes.md` §3), shortened so that a link that
//! recovers gets its quality back within seconds.
//!
//! With the congestion pause on ([`EngineConfig::congestion_pause`](crate::EngineConfig)),
//! a link that cannot carry even the lowest layer for [`PAUSE_HOLD`] gets no video at all,
//! its audio going on alone, until the lowest layer fits again as an upgrade would (with
//! the margin, for the hold, and not sooner than [`AFTER_DOWNGRADE`] after the pause);
//! meanwhile str0m probes the link now and then, without padding it full.
//!
//! It also tells str0m what to probe for: `desired` is what the subscriber's preferred
//! layer needs, `minimum` (while the link is short of it) what the next layer up needs,
//! so that padding tests the link's room for it.

use std::time::{Duration, Instant};

/// Share of the estimate given to media: the rest absorbs the estimate's error and the
/// RTP/RTCP overhead.
const HEADROOM: f64 = 0.9;
/// The next layer must fit with this margin to be taken.
const UPGRADE_MARGIN: f64 = 1.15;
/// How long the next layer must have fitted with the margin before it is taken.
pub(crate) const UPGRADE_HOLD: Duration = Duration::from_secs(2);
/// How long the next layer must have fitted without the margin before it is taken. While
/// short of it, padding fills the link up to its rate (`minimum`), so a link whose estimate
/// stayed above that rate for this long has carried the layer's load already: taking it
/// swaps padding for media. Without this an estimate that settles just above what is sent
/// (GCC holds in application-limited periods; a busy receiver answers probes late) keeps
/// the layer off for good: seen with Chromium on a loaded two-core machine, its estimate
/// stuck at 1.1 times the top layer's rate for the rest of the call.
pub(crate) const TIGHT_UPGRADE_HOLD: Duration = Duration::from_secs(4);
/// No upgrade for this long after a downgrade.
pub(crate) const AFTER_DOWNGRADE: Duration = Duration::from_secs(4);
/// How long after its first estimate a subscription keeps the layer it started on: str0m's
/// first estimate is only the configured start value, and its initial probes (at three and
/// six times it) take about a second to say what the link really carries.
pub(crate) const WARMUP: Duration = Duration::from_millis(1_500);
/// How often a subscription's allocation is looked at again when its estimate does not
/// change.
pub(crate) const REALLOCATE_INTERVAL: Duration = Duration::from_millis(250);
/// While the link is short of the preferred layer, how often str0m is made to probe it
/// (a probe at up to twice the estimate: a link that recovered is found in a few probes).
pub(crate) const PROBE_INTERVAL: Duration = Duration::from_secs(1);
/// How long the lowest layer must have not fitted before video is paused (an estimate dips
/// briefly now and then; a pause costs a keyframe and a freeze).
pub(crate) const PAUSE_HOLD: Duration = Duration::from_secs(2);
/// Assumed rate of a layer not measured yet, for probing only.
const UNMEASURED_BPS: u64 = 1_500_000;
/// How far above a send limit a layer's measured rate may be and still be within it:
/// Chrome's encoders overshoot their target by up to about this, and the receive limit
/// (OpenVidu's default 1000 kbit/s, the same as the send limit's) holds a top layer at
/// it; compared without slack the default send limit would cut that layer off and on.
const SEND_LIMIT_SLACK: f64 = 1.15;

/// The highest of `layers` whose measured rate is within a send limit of `limit` bit/s
/// (`usize::MAX` without a limit). A layer not measured yet is not within it, so that a
/// layer the uplink cap switched off for want of subscribers does not come back for one
/// that will not take it; the lowest layer always is.
pub(crate) fn within_send_limit(layers: &[LayerInfo], limit: Option<u64>) -> usize {
    let Some(limit) = limit else {
        return usize::MAX;
    };
    let allowed = limit as f64 * SEND_LIMIT_SLACK;
    layers
        .iter()
        .rposition(|l| l.bps.is_some_and(|bps| bps as f64 <= allowed))
        .unwrap_or(0)
}

/// One layer of the source track as the allocator sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LayerInfo {
    /// Packets of it are arriving.
    pub active: bool,
    /// Its measured rate; `None` until measured (then it is taken to fit).
    pub bps: Option<u64>,
}

/// What str0m's estimator should aim for ([`str0m::bwe::Bwe::set_bitrate`]), in bit/s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BweHint {
    pub minimum: u64,
    pub desired: u64,
}

/// The allocation of one subscription.
#[derive(Debug, Clone)]
pub(crate) struct Allocator {
    /// The highest layer allowed; `usize::MAX` while nothing limits it (before the first
    /// estimate).
    pub allowed: usize,
    last_downgrade: Option<Instant>,
    /// Since when the next layer up has fitted with the upgrade margin.
    upgrade_fits_since: Option<Instant>,
    /// Since when it has fitted at all (with padding loading the link to its rate).
    upgrade_tight_since: Option<Instant>,
    /// When str0m was last made to probe.
    last_probe: Option<Instant>,
    /// When the first estimate came.
    first_estimate: Option<Instant>,
    /// Video is paused (the congestion pause): not even the lowest layer fits.
    pub paused: bool,
    /// Since when the lowest layer has not fitted.
    lowest_short_since: Option<Instant>,
}

impl Default for Allocator {
    fn default() -> Self {
        Allocator {
            allowed: usize::MAX,
            last_downgrade: None,
            upgrade_fits_since: None,
            upgrade_tight_since: None,
            last_probe: None,
            first_estimate: None,
            paused: false,
            lowest_short_since: None,
        }
    }
}

impl Allocator {
    /// Takes a new estimate (bit/s) of the subscription's link, of which `other_bps` go to
    /// its other streams (audio); `preferred` is the highest layer the subscriber wants;
    /// `may_pause`: the congestion pause is on. Updates [`Allocator::allowed`] (and
    /// [`Allocator::paused`]) and returns what str0m should probe for.
    pub fn update(
        &mut self,
        now: Instant,
        estimate: u64,
        other_bps: u64,
        layers: &[LayerInfo],
        preferred: usize,
        may_pause: bool,
    ) -> BweHint {
        let rate = |i: usize| layers[i].bps.unwrap_or(0);
        let active: Vec<usize> = (0..layers.len()).filter(|&i| layers[i].active).collect();
        let (Some(&lowest), true) = (active.first(), estimate > 0) else {
            return BweHint {
                minimum: 0,
                desired: UNMEASURED_BPS + other_bps,
            };
        };
        // The best the subscriber could get: its preferred layer, or the lowest arriving.
        let top = active
            .iter()
            .rev()
            .copied()
            .find(|&i| i <= preferred)
            .unwrap_or(lowest);
        let cap = (estimate as f64 * HEADROOM) as u64;
        let cap = cap.saturating_sub(other_bps);
        let best = active
            .iter()
            .rev()
            .copied()
            .filter(|&i| i <= top)
            .find(|&i| rate(i) <= cap)
            .unwrap_or(lowest);
        let current = self.allowed.min(top);
        let started = *self.first_estimate.get_or_insert(now);
        if now.saturating_duration_since(started) < WARMUP {
            // Nothing to go by yet: keep the start.
        } else if self.paused {
            if !may_pause {
                self.paused = false;
            } else if self.fits_for_upgrade(now, rate(lowest), cap, false) {
                self.paused = false;
                self.allowed = lowest;
            }
        } else if may_pause && self.short_for_pause(now, rate(lowest) > cap) {
            self.paused = true;
            self.allowed = lowest;
            self.last_downgrade = Some(now);
            self.reset_upgrade();
        } else if best < current {
            self.allowed = best;
            self.last_downgrade = Some(now);
            self.reset_upgrade();
        } else if best > current {
            let next = active
                .iter()
                .copied()
                .find(|&i| i > current)
                .unwrap_or(best);
            if self.fits_for_upgrade(now, rate(next), cap, true) {
                self.allowed = if next >= top { usize::MAX } else { next };
            }
        } else {
            self.reset_upgrade();
        }
        let measured = |i: usize| layers[i].bps.unwrap_or(UNMEASURED_BPS);
        let now_allowed = self.allowed.min(top);
        let next_up = active
            .iter()
            .copied()
            .find(|&i| i > now_allowed && i <= top);
        // Short of the preferred layer, padding tests the link's room for the next one up;
        // paused, no padding (the link is full already: it would crowd out the audio),
        // only the probes below, for the lowest layer.
        let minimum = match next_up {
            Some(next) if !self.paused => measured(next) + other_bps,
            _ => 0,
        };
        let aim = if self.paused { lowest } else { top };
        let mut desired = (measured(aim) as f64 * 1.1) as u64 + other_bps;
        if minimum > 0 || self.paused {
            // Probe for enough to pass the upgrade (or resume) test.
            let needed = (measured(aim) as f64 * UPGRADE_MARGIN + other_bps as f64) / HEADROOM;
            desired = (needed * 1.05) as u64;
            // str0m probes when the desired rate rises above the estimate; an unchanged
            // one is probed only now and then. So, while short of the preferred layer,
            // the desired rate dips to the estimate for half of every probe interval and
            // rises back: one probe per interval.
            let since = now.saturating_duration_since(*self.last_probe.get_or_insert(now));
            if since >= PROBE_INTERVAL {
                self.last_probe = Some(now);
            } else if since >= PROBE_INTERVAL / 2 {
                desired = desired.min(estimate);
            }
        } else {
            self.last_probe = None;
            // Not below the estimate: str0m's periodic probes of an application-limited
            // link run at twice the desired rate, and a probe's result replaces the
            // estimate. Asking for what the top layer needs (half a roomy estimate or
            // less) made them probe below the estimate and knock it down to about what
            // was sent: seen with Chromium, 1.5 Mbit/s to 450 kbit/s at once, after which
            // the next layer up no longer fitted.
            desired = desired.max(estimate);
        }
        BweHint { minimum, desired }
    }

    /// The test of an upgrade (and of the end of a pause): whether a layer of `bps` has
    /// fitted `cap` with the upgrade margin for the upgrade hold, or (when `padded`:
    /// padding has been loading the link to its rate) without the margin for the longer
    /// [`TIGHT_UPGRADE_HOLD`], with no downgrade shortly before. A fit is timed from its
    /// first sample; a miss starts it over.
    fn fits_for_upgrade(&mut self, now: Instant, bps: u64, cap: u64, padded: bool) -> bool {
        if bps > cap {
            self.reset_upgrade();
            return false;
        }
        if bps as f64 * UPGRADE_MARGIN > cap as f64 {
            self.upgrade_fits_since = None;
        } else {
            self.upgrade_fits_since.get_or_insert(now);
        }
        if padded {
            self.upgrade_tight_since.get_or_insert(now);
        }
        let held = |since: Option<Instant>, hold: Duration| {
            since.is_some_and(|at| now.saturating_duration_since(at) >= hold)
        };
        let calm = self
            .last_downgrade
            .is_none_or(|at| now.saturating_duration_since(at) >= AFTER_DOWNGRADE);
        let passed = calm
            && (held(self.upgrade_fits_since, UPGRADE_HOLD)
                || held(self.upgrade_tight_since, TIGHT_UPGRADE_HOLD));
        if passed {
            self.reset_upgrade();
        }
        passed
    }

    /// Starts the timing of the next upgrade over.
    fn reset_upgrade(&mut self) {
        self.upgrade_fits_since = None;
        self.upgrade_tight_since = None;
    }

    /// Whether the lowest layer has been `short` of the link (not fitting) for the pause
    /// hold, timed from its first short sample; a sample where it fits starts it over.
    fn short_for_pause(&mut self, now: Instant, short: bool) -> bool {
        if !short {
            self.lowest_short_since = None;
            return false;
        }
        let since = *self.lowest_short_since.get_or_insert(now);
        let held = now.saturating_duration_since(since) >= PAUSE_HOLD;
        if held {
            self.lowest_short_since = None;
        }
        held
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KBPS: u64 = 1000;

    /// Three arriving layers of 150, 500 and 1200 kbit/s.
    fn layers() -> Vec<LayerInfo> {
        [150, 500, 1200]
            .map(|k| LayerInfo {
                active: true,
                bps: Some(k * KBPS),
            })
            .to_vec()
    }

    /// An allocator past its warm-up on a wide link; returns it and the time after.
    fn warm() -> (Allocator, Instant) {
        let mut a = Allocator::default();
        let t = run(&mut a, Instant::now(), WARMUP, 5_000);
        assert_eq!(a.allowed, usize::MAX);
        (a, t)
    }

    /// Feeds `estimate` kbit/s every 100 ms for `d`; returns the time after.
    fn run(a: &mut Allocator, from: Instant, d: Duration, estimate: u64) -> Instant {
        let mut now = from;
        while now < from + d {
            a.update(
                now,
                estimate * KBPS,
                40 * KBPS,
                &layers(),
                usize::MAX,
                false,
            );
            now += Duration::from_millis(100);
        }
        now
    }

    #[test]
    fn nothing_is_limited_before_an_estimate_or_on_a_wide_link() {
        let mut a = Allocator::default();
        assert_eq!(a.allowed, usize::MAX);
        run(&mut a, Instant::now(), Duration::from_secs(5), 5_000);
        assert_eq!(a.allowed, usize::MAX);
    }

    #[test]
    fn the_start_is_kept_while_the_first_probes_run() {
        let mut a = Allocator::default();
        let t = Instant::now();
        let t = run(&mut a, t, WARMUP - Duration::from_millis(100), 300);
        assert_eq!(a.allowed, usize::MAX);
        run(&mut a, t, Duration::from_millis(200), 300);
        assert_eq!(a.allowed, 0);
    }

    #[test]
    fn a_narrow_link_downgrades_at_once_to_the_layer_that_fits() {
        let (mut a, t) = warm();
        // 300 kbit/s: 270 for media, 230 after audio: only the lowest layer fits.
        a.update(t, 300 * KBPS, 40 * KBPS, &layers(), usize::MAX, false);
        assert_eq!(a.allowed, 0);
        let (mut a, t) = warm();
        a.update(t, 900 * KBPS, 40 * KBPS, &layers(), usize::MAX, false);
        assert_eq!(a.allowed, 1);
        // Nothing fits: the lowest layer still goes.
        a.update(t, 50 * KBPS, 40 * KBPS, &layers(), usize::MAX, false);
        assert_eq!(a.allowed, 0);
    }

    #[test]
    fn the_congestion_pause_stops_video_the_lowest_layer_cannot_pass_and_resumes_it() {
        let pausing = |a: &mut Allocator, from: Instant, d: Duration, estimate: u64| {
            let mut now = from;
            while now < from + d {
                a.update(now, estimate * KBPS, 40 * KBPS, &layers(), usize::MAX, true);
                now += Duration::from_millis(100);
            }
            now
        };
        // 150 kbit/s: 95 for video after headroom and audio, short of the lowest layer.
        let (mut a, t) = warm();
        let t = pausing(&mut a, t, PAUSE_HOLD - Duration::from_millis(200), 150);
        assert!(!a.paused, "a short dip does not pause");
        assert_eq!(a.allowed, 0);
        let t = pausing(&mut a, t, Duration::from_millis(300), 150);
        assert!(a.paused);
        // Paused, no padding crowds the audio out: probes test the link for the lowest
        // layer.
        let hint = a.update(t, 150 * KBPS, 40 * KBPS, &layers(), usize::MAX, true);
        assert_eq!(hint.minimum, 0);
        assert!(hint.desired > 150 * KBPS, "{hint:?}");
        // Roomy again (250 kbit/s: 185 for video, the lowest fits with its margin): resumed
        // on the lowest layer once the link has been calm and roomy long enough.
        let t = pausing(&mut a, t, AFTER_DOWNGRADE - Duration::from_millis(500), 250);
        assert!(a.paused, "not within {AFTER_DOWNGRADE:?} of the pause");
        pausing(&mut a, t, Duration::from_secs(1), 250);
        assert!(!a.paused);
        assert_eq!(a.allowed, 0);
        // Without the pause the same link keeps the lowest layer.
        let (mut a, t) = warm();
        run(&mut a, t, Duration::from_secs(5), 150);
        assert!(!a.paused);
        assert_eq!(a.allowed, 0);
    }

    #[test]
    fn upgrades_wait_for_a_calm_roomy_link_one_layer_at_a_time() {
        let (mut a, t) = warm();
        // Downgraded at once, at t0.
        let t = run(&mut a, t, Duration::from_secs(1), 300);
        assert_eq!(a.allowed, 0);
        // The link recovers at t0 + 1 s: nothing before the downgrade's calm (t0 + 4 s).
        let t = run(
            &mut a,
            t,
            AFTER_DOWNGRADE - Duration::from_millis(1_500),
            5_000,
        );
        assert_eq!(a.allowed, 0);
        let t = run(&mut a, t, Duration::from_millis(600), 5_000);
        assert_eq!(a.allowed, 1, "one layer up once calm and held");
        let t = run(&mut a, t, UPGRADE_HOLD - Duration::from_millis(200), 5_000);
        assert_eq!(a.allowed, 1, "the next layer has its own hold");
        run(&mut a, t, Duration::from_millis(300), 5_000);
        assert_eq!(a.allowed, usize::MAX);
    }

    #[test]
    fn a_layer_that_fits_only_without_margin_is_taken_after_the_longer_hold() {
        let (mut a, t) = warm();
        let t = run(&mut a, t, Duration::from_secs(1), 300);
        let t = run(&mut a, t, AFTER_DOWNGRADE + UPGRADE_HOLD, 900);
        assert_eq!(a.allowed, 1);
        // 1200 kbit/s with its margin needs (1200 × 1.15 + 40) / 0.9 ≈ 1578 kbit/s, without
        // it (1200 + 40) / 0.9 ≈ 1378: 1300 never passes.
        let t = run(&mut a, t, Duration::from_secs(20), 1_300);
        assert_eq!(a.allowed, 1);
        // 1450 passes without the margin, only after the longer hold; the padding that
        // loads the link meanwhile is the top layer's rate.
        let hint = a.update(t, 1_450 * KBPS, 40 * KBPS, &layers(), usize::MAX, false);
        assert_eq!(hint.minimum, 1240 * KBPS);
        let t = run(
            &mut a,
            t,
            TIGHT_UPGRADE_HOLD - Duration::from_millis(200),
            1_450,
        );
        assert_eq!(a.allowed, 1);
        let t = run(&mut a, t, Duration::from_millis(300), 1_450);
        assert_eq!(a.allowed, usize::MAX);
        // With the margin the shorter hold is enough.
        let t = run(&mut a, t, Duration::from_secs(1), 300);
        let t = run(&mut a, t, AFTER_DOWNGRADE + UPGRADE_HOLD, 900);
        assert_eq!(a.allowed, 1);
        run(&mut a, t, UPGRADE_HOLD + Duration::from_millis(100), 1_600);
        assert_eq!(a.allowed, usize::MAX);
    }

    /// What str0m is asked to probe for while short of a layer of `bps` (with 40 kbit/s of
    /// audio): enough for that layer to pass the upgrade test.
    fn probe_for(bps: u64) -> u64 {
        ((bps as f64 * UPGRADE_MARGIN + 40.0 * KBPS as f64) / HEADROOM * 1.05) as u64
    }

    #[test]
    fn the_preference_bounds_the_allocation_and_the_probing() {
        let (mut a, t) = warm();
        let hint = a.update(t, 5_000 * KBPS, 40 * KBPS, &layers(), 0, false);
        assert_eq!(a.allowed, usize::MAX);
        // Nothing to probe for: the estimate itself (not the 205 kbit/s the lowest layer
        // and audio need, whose doubling would probe below the estimate).
        assert_eq!(
            hint,
            BweHint {
                minimum: 0,
                desired: 5_000 * KBPS
            }
        );
        // Short of the preferred layer: padding up to the next one, probing for the top.
        let hint = a.update(t, 300 * KBPS, 40 * KBPS, &layers(), usize::MAX, false);
        assert_eq!(a.allowed, 0);
        assert_eq!(hint.minimum, 540 * KBPS);
        assert_eq!(hint.desired, probe_for(1200 * KBPS));
    }

    #[test]
    fn a_short_link_is_probed_once_per_interval() {
        let (mut a, t) = warm();
        let hint = |a: &mut Allocator, at: Duration| {
            a.update(t + at, 300 * KBPS, 40 * KBPS, &layers(), usize::MAX, false)
                .desired
        };
        let full = probe_for(1200 * KBPS);
        assert_eq!(hint(&mut a, Duration::ZERO), full);
        assert_eq!(hint(&mut a, Duration::from_millis(250)), full);
        assert_eq!(hint(&mut a, Duration::from_millis(500)), 300 * KBPS);
        assert_eq!(hint(&mut a, Duration::from_millis(750)), 300 * KBPS);
        assert_eq!(
            hint(&mut a, Duration::from_millis(1000)),
            full,
            "rises: a probe"
        );
        assert_eq!(hint(&mut a, Duration::from_millis(1500)), 300 * KBPS);
        // A wide link is not probed for a layer: the desired rate stays the estimate.
        let (mut a, t) = warm();
        for ms in [0, 500, 1000, 1500] {
            let h = a.update(
                t + Duration::from_millis(ms),
                5_000 * KBPS,
                0,
                &layers(),
                2,
                false,
            );
            assert_eq!(h.desired, 5_000 * KBPS);
        }
    }

    #[test]
    fn a_send_limit_allows_the_layers_within_it_with_some_slack() {
        let l = layers();
        assert_eq!(within_send_limit(&l, None), usize::MAX);
        assert_eq!(
            within_send_limit(&l, Some(1_000 * KBPS)),
            1,
            "1200 is over 1000 × 1.15"
        );
        assert_eq!(within_send_limit(&l, Some(1_100 * KBPS)), 2);
        assert_eq!(within_send_limit(&l, Some(300 * KBPS)), 0);
        assert_eq!(
            within_send_limit(&l, Some(10 * KBPS)),
            0,
            "the lowest always"
        );
        let mut unmeasured = l.clone();
        unmeasured[2].bps = None;
        assert_eq!(within_send_limit(&unmeasured, Some(5_000 * KBPS)), 1);
    }

    #[test]
    fn stopped_and_unmeasured_layers() {
        let (mut a, t) = warm();
        let mut l = layers();
        l[2].active = false;
        a.update(t, 300 * KBPS, 0, &l, usize::MAX, false);
        assert_eq!(a.allowed, 0);
        // An unmeasured layer counts as fitting (it just started).
        l[1].bps = None;
        a.update(
            t + Duration::from_secs(10),
            300 * KBPS,
            0,
            &l,
            usize::MAX,
            false,
        );
        assert_eq!(a.allowed, 0, "not before the hold");
        a.update(
            t + Duration::from_secs(13),
            300 * KBPS,
            0,
            &l,
            usize::MAX,
            false,
        );
        assert_eq!(a.allowed, usize::MAX, "the top arriving layer");
    }
}
