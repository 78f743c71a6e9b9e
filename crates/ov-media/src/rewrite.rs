//! Sequence number and timestamp rewriting for one outgoing stream.
//!
//! Each subscriber stream starts at a small sequence number (so that the receiver needs no
//! out-of-band rollover counter) and continues without a jump when its source changes
//! (a publisher that reconnected comes back with a new SSRC, new sequence numbers and new
//! timestamps). Retransmitted packets map to the same numbers as the originals.

use std::time::Instant;

/// First sequence number of every outgoing stream. Leaves room below for packets that
/// arrive reordered just before the first forwarded one.
const FIRST_OUT_SEQ: u64 = 1_000;

/// Maps incoming (extended) sequence numbers and timestamps to outgoing ones.
#[derive(Debug, Default)]
pub struct Rewriter {
    current: Option<Mapping>,
    /// Highest sequence number and its timestamp sent so far, with the send time.
    last_out: Option<(u64, u32, Instant)>,
}

#[derive(Debug, Clone, Copy)]
struct Mapping {
    source: u32,
    /// `out = in + seq_delta`
    seq_delta: i64,
    /// `out = in + ts_delta` (wrapping)
    ts_delta: u32,
    /// Incoming sequence numbers below this are older than the mapping: dropped.
    first_in: u64,
}

impl Rewriter {
    /// Whether a mapping for `source` is in place (a first packet was forwarded).
    pub fn is_mapped(&self, source: u32) -> bool {
        self.current.is_some_and(|m| m.source == source)
    }

    /// Outgoing `(sequence number, timestamp)` for an incoming packet of `source`, or
    /// `None` when the packet predates the mapping. A packet from a new source rebases the
    /// mapping so the output continues where it left off; `clock_rate` converts the pause
    /// since the last packet into a timestamp gap.
    pub fn map(
        &mut self,
        source: u32,
        seq: u64,
        ts: u32,
        clock_rate: u32,
        now: Instant,
    ) -> Option<(u64, u32)> {
        let mapping = match self.current {
            Some(m) if m.source == source => m,
            _ => {
                let m = self.rebase(source, seq, ts, clock_rate, now);
                self.current = Some(m);
                m
            }
        };
        if seq < mapping.first_in {
            return None;
        }
        let out_seq = (seq as i64 + mapping.seq_delta) as u64;
        let out_ts = ts.wrapping_add(mapping.ts_delta);
        if self.last_out.is_none_or(|(s, _, _)| out_seq > s) {
            self.last_out = Some((out_seq, out_ts, now));
        }
        Some((out_seq, out_ts))
    }

    fn rebase(&self, source: u32, seq: u64, ts: u32, clock_rate: u32, now: Instant) -> Mapping {
        match self.last_out {
            None => Mapping {
                source,
                seq_delta: FIRST_OUT_SEQ as i64 - seq as i64,
                ts_delta: 0,
                first_in: seq,
            },
            Some((last_seq, last_ts, at)) => {
                let pause = now.saturating_duration_since(at);
                let gap = (pause.as_micros() as u64 * clock_rate as u64 / 1_000_000).max(1);
                let out_ts = last_ts.wrapping_add(gap as u32);
                Mapping {
                    source,
                    seq_delta: (last_seq + 1) as i64 - seq as i64,
                    ts_delta: out_ts.wrapping_sub(ts),
                    first_in: seq,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn starts_small_and_keeps_gaps_and_retransmissions() {
        let t = Instant::now();
        let mut r = Rewriter::default();
        assert_eq!(r.map(7, 70_000, 500, 90_000, t), Some((1_000, 500)));
        assert_eq!(r.map(7, 70_002, 3_500, 90_000, t), Some((1_002, 3_500)));
        // The missing one arrives late (retransmission): same mapping.
        assert_eq!(r.map(7, 70_001, 500, 90_000, t), Some((1_001, 500)));
        // Older than the first forwarded packet: dropped.
        assert_eq!(r.map(7, 69_999, 0, 90_000, t), None);
        assert!(r.is_mapped(7));
        assert!(!r.is_mapped(8));
    }

    #[test]
    fn a_new_source_continues_the_sequence() {
        let t = Instant::now();
        let mut r = Rewriter::default();
        r.map(1, 10, 1_000, 90_000, t);
        r.map(1, 11, 4_000, 90_000, t);
        let later = t + Duration::from_millis(100);
        let (seq, ts) = r.map(2, 5_000, 77, 90_000, later).unwrap();
        assert_eq!(seq, 1_002);
        assert_eq!(ts, 4_000 + 9_000);
        assert_eq!(
            r.map(2, 5_001, 77 + 3_000, 90_000, later),
            Some((1_003, 16_000))
        );
    }

    #[test]
    fn timestamps_wrap() {
        let t = Instant::now();
        let mut r = Rewriter::default();
        r.map(1, 1, u32::MAX - 10, 48_000, t);
        let (_, ts) = r.map(2, 1, 5, 48_000, t).unwrap();
        assert_eq!(ts, (u32::MAX - 10).wrapping_add(1));
    }
}
