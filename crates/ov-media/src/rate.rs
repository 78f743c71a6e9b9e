//! The bitrate of one received stream (a simulcast layer, an audio track), as the layer
//! allocator needs it: bytes counted over one-second windows, smoothed so that one
//! keyframe does not look like a new rate, and forgotten when the stream stops.

use std::time::{Duration, Instant};

/// Length of a measuring window.
const WINDOW: Duration = Duration::from_secs(1);
/// Weight of the newest window in the smoothed rate.
const ALPHA: f64 = 0.4;

/// Bits per second of one stream.
#[derive(Debug, Clone, Default)]
pub(crate) struct RateMeter {
    window_start: Option<Instant>,
    bytes: u64,
    /// Smoothed rate; `None` until a first window completed.
    bps: Option<f64>,
}

impl RateMeter {
    /// A packet of `bytes` (payload) arrived.
    pub fn add(&mut self, now: Instant, bytes: usize) {
        let start = *self.window_start.get_or_insert(now);
        let elapsed = now.saturating_duration_since(start);
        if elapsed >= 2 * WINDOW {
            // The stream paused: what it sent before says nothing of what it sends now.
            self.bps = None;
            self.window_start = Some(now);
            self.bytes = 0;
        } else if elapsed >= WINDOW {
            let window = self.bytes as f64 * 8.0 / elapsed.as_secs_f64();
            self.bps = Some(match self.bps {
                Some(old) => old + ALPHA * (window - old),
                None => window,
            });
            self.window_start = Some(now);
            self.bytes = 0;
        }
        self.bytes += bytes as u64;
    }

    /// The smoothed rate, once measured.
    pub fn bps(&self) -> Option<u64> {
        self.bps.map(|b| b as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `kbps` for `secs` seconds, in 10 packets a second.
    fn feed(m: &mut RateMeter, start: Instant, secs: u64, kbps: u64) -> Instant {
        let mut now = start;
        for _ in 0..secs * 10 {
            m.add(now, (kbps * 1000 / 8 / 10) as usize);
            now += Duration::from_millis(100);
        }
        now
    }

    #[test]
    fn measures_and_smooths() {
        let mut m = RateMeter::default();
        let t = Instant::now();
        assert_eq!(m.bps(), None);
        let t = feed(&mut m, t, 3, 500);
        let measured = m.bps().unwrap();
        assert!((480_000..=520_000).contains(&measured), "{measured}");
        // A step to 1000 kbps shows gradually.
        let t = feed(&mut m, t, 1, 1000);
        m.add(t, 0);
        let after_one = m.bps().unwrap();
        assert!(after_one > 600_000 && after_one < 900_000, "{after_one}");
        let t = feed(&mut m, t, 5, 1000);
        m.add(t, 0);
        assert!(m.bps().unwrap() > 950_000);
    }

    #[test]
    fn a_pause_starts_over() {
        let mut m = RateMeter::default();
        let t = feed(&mut m, Instant::now(), 3, 2000);
        let t = t + Duration::from_secs(10);
        m.add(t, 1000);
        assert_eq!(m.bps(), None);
        let t = feed(&mut m, t, 2, 100);
        m.add(t, 0);
        let measured = m.bps().unwrap();
        assert!((90_000..=115_000).contains(&measured), "{measured}");
    }
}
