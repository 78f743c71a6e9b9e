//! A token bucket: the rate limits of signals and REST requests.

use std::time::Instant;

/// Allows `rate` events per second on average, in bursts of up to twice that.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket for `rate` events per second.
    pub fn new(rate: u32, now: Instant) -> Self {
        let rate = f64::from(rate.max(1));
        TokenBucket {
            rate,
            tokens: rate * 2.0,
            last: now,
        }
    }

    /// Takes one token if there is one: whether the event is allowed.
    pub fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.rate * 2.0);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Whether the bucket is full again at `now` (an idle client, safe to forget).
    pub fn is_full(&self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens + elapsed * self.rate >= self.rate * 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_of_twice_the_rate_then_the_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(10, start);
        assert_eq!((0..30).filter(|_| bucket.take(start)).count(), 20);
        assert!(!bucket.is_full(start));
        let later = start + Duration::from_millis(500);
        assert_eq!((0..30).filter(|_| bucket.take(later)).count(), 5);
        assert!(bucket.is_full(later + Duration::from_secs(2)));
    }
}
