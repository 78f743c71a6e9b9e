//! The next wake-up time of every peer, ordered, so that the engine finds the earliest in
//! O(log n) instead of asking every peer.

use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

use crate::contract::PeerId;

/// Deadlines by peer.
#[derive(Debug, Default)]
pub struct Timers {
    ordered: BTreeSet<(Instant, PeerId)>,
    by_peer: HashMap<PeerId, Instant>,
}

impl Timers {
    /// Sets (or moves) the deadline of `peer`.
    pub fn set(&mut self, peer: PeerId, at: Instant) {
        if let Some(old) = self.by_peer.insert(peer, at) {
            if old == at {
                return;
            }
            self.ordered.remove(&(old, peer));
        }
        self.ordered.insert((at, peer));
    }

    /// Forgets `peer`.
    pub fn remove(&mut self, peer: PeerId) {
        if let Some(old) = self.by_peer.remove(&peer) {
            self.ordered.remove(&(old, peer));
        }
    }

    /// The earliest deadline.
    pub fn earliest(&self) -> Option<Instant> {
        self.ordered.first().map(|(t, _)| *t)
    }

    /// Removes and returns one peer whose deadline is at or before `now`.
    pub fn pop_due(&mut self, now: Instant) -> Option<PeerId> {
        let &(at, peer) = self.ordered.first()?;
        if at > now {
            return None;
        }
        self.ordered.pop_first();
        self.by_peer.remove(&peer);
        Some(peer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn orders_and_moves_deadlines() {
        let t = Instant::now();
        let mut timers = Timers::default();
        timers.set(PeerId(1), t + Duration::from_millis(30));
        timers.set(PeerId(2), t + Duration::from_millis(10));
        timers.set(PeerId(1), t + Duration::from_millis(5));
        assert_eq!(timers.earliest(), Some(t + Duration::from_millis(5)));
        assert_eq!(
            timers.pop_due(t + Duration::from_millis(20)),
            Some(PeerId(1))
        );
        assert_eq!(
            timers.pop_due(t + Duration::from_millis(20)),
            Some(PeerId(2))
        );
        assert_eq!(timers.pop_due(t + Duration::from_millis(20)), None);
        timers.set(PeerId(3), t);
        timers.remove(PeerId(3));
        assert_eq!(timers.earliest(), None);
    }
}
