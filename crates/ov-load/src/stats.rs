//! Counters shared by the participants' tasks and the reporter. Atomics with relaxed
//! ordering: the reporter reads approximate sums once a second, nothing synchronises on
//! them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

/// Running totals of the whole load.
#[derive(Debug, Default)]
pub struct Counters {
    /// Participants whose `joinRoom` succeeded.
    pub joined: AtomicU64,
    /// Publications answered by the server.
    pub published: AtomicU64,
    /// Subscriptions answered by the server.
    pub subscribed: AtomicU64,
    /// Participants (or peers) that failed; see the log.
    pub failures: AtomicU64,
    /// Video frames written by publishers.
    pub video_frames_tx: AtomicU64,
    /// Audio frames written by publishers.
    pub audio_frames_tx: AtomicU64,
    /// UDP datagrams sent (media, RTCP, STUN, DTLS).
    pub packets_tx: AtomicU64,
    /// UDP bytes sent.
    pub bytes_tx: AtomicU64,
    /// Video frames received by subscribers.
    pub video_frames_rx: AtomicU64,
    /// Audio frames received by subscribers.
    pub audio_frames_rx: AtomicU64,
    /// UDP datagrams received: about the server's forwarded packets.
    pub packets_rx: AtomicU64,
    /// UDP bytes received.
    pub bytes_rx: AtomicU64,
}

/// The subscriptions of one kind of link (free, or behind `--slow-subscribers`' bottleneck).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LinkTotals {
    /// Subscriptions.
    pub subscriptions: u64,
    /// Video frames they received.
    pub video_frames_rx: u64,
    /// Video frames they should have received.
    pub video_frames_expected: u64,
    /// Video payload bytes they received (which layer they get shows in it).
    pub video_bytes_rx: u64,
}

impl LinkTotals {
    /// What grew from `before` to `self` (the subscriptions as they are now).
    pub fn since(&self, before: &LinkTotals) -> LinkTotals {
        let d = |a: u64, b: u64| b.saturating_sub(a);
        LinkTotals {
            subscriptions: self.subscriptions,
            video_frames_rx: d(before.video_frames_rx, self.video_frames_rx),
            video_frames_expected: d(before.video_frames_expected, self.video_frames_expected),
            video_bytes_rx: d(before.video_bytes_rx, self.video_bytes_rx),
        }
    }
}

/// A copy of the counters and the derived subscription figures at one instant.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    /// See [`Counters::joined`].
    pub joined: u64,
    /// See [`Counters::published`].
    pub published: u64,
    /// See [`Counters::subscribed`].
    pub subscribed: u64,
    /// See [`Counters::failures`].
    pub failures: u64,
    /// Subscriptions that received at least one video frame.
    pub subscriptions_with_video: u64,
    /// See [`Counters::video_frames_tx`].
    pub video_frames_tx: u64,
    /// See [`Counters::audio_frames_tx`].
    pub audio_frames_tx: u64,
    /// See [`Counters::packets_tx`].
    pub packets_tx: u64,
    /// See [`Counters::bytes_tx`].
    pub bytes_tx: u64,
    /// See [`Counters::video_frames_rx`].
    pub video_frames_rx: u64,
    /// See [`Counters::audio_frames_rx`].
    pub audio_frames_rx: u64,
    /// See [`Counters::packets_rx`].
    pub packets_rx: u64,
    /// See [`Counters::bytes_rx`].
    pub bytes_rx: u64,
    /// By link: `[free, slow]`.
    pub links: [LinkTotals; 2],
    /// Video frames the subscribers should have received: for every subscription, what
    /// its publisher sent since the subscription was answered.
    pub video_frames_expected: u64,
}

/// Video frames one publisher has written; subscriptions read it for their expectation.
#[derive(Debug, Default)]
pub struct PublisherStats {
    /// Frames written so far.
    pub video_frames: AtomicU64,
}

/// One subscription's view.
#[derive(Debug)]
pub struct Subscription {
    publisher: Arc<PublisherStats>,
    /// The publisher's count when the subscription was answered.
    baseline: u64,
    /// Its link goes through the `--slow-subscribers` bottleneck.
    slow: bool,
    /// Video frames received.
    pub video_frames: AtomicU64,
    /// Video payload bytes received.
    pub video_bytes: AtomicU64,
}

impl Subscription {
    fn expected(&self) -> u64 {
        self.publisher
            .video_frames
            .load(Relaxed)
            .saturating_sub(self.baseline)
    }
}

/// Everything the reporter reads.
#[derive(Debug, Default)]
pub struct Board {
    /// Totals.
    pub counters: Counters,
    /// Publishers by stream id. Either side may register first: a subscriber can learn a
    /// stream id (from `participantPublished`) before the publisher's task has read its
    /// own `publishVideo` answer.
    publishers: Mutex<HashMap<String, Arc<PublisherStats>>>,
    subscriptions: Mutex<Vec<Arc<Subscription>>>,
}

impl Board {
    /// The counters of the stream `id`, created on first use.
    pub fn publisher(&self, id: &str) -> Arc<PublisherStats> {
        let mut map = self.publishers.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(id.to_owned()).or_default().clone()
    }

    /// Records a subscription to the stream `id`, answered now, on a `slow` link or not.
    pub fn subscribe(&self, id: &str, slow: bool) -> Arc<Subscription> {
        let publisher = self.publisher(id);
        let baseline = publisher.video_frames.load(Relaxed);
        let s = Arc::new(Subscription {
            publisher,
            baseline,
            slow,
            video_frames: AtomicU64::new(0),
            video_bytes: AtomicU64::new(0),
        });
        self.subscriptions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(s.clone());
        self.counters.subscribed.fetch_add(1, Relaxed);
        s
    }

    /// Reads everything.
    pub fn snapshot(&self) -> Snapshot {
        let c = &self.counters;
        let (mut with_video, mut expected) = (0, 0);
        let mut links = [LinkTotals::default(); 2];
        for s in self
            .subscriptions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            let frames = s.video_frames.load(Relaxed);
            with_video += u64::from(frames > 0);
            expected += s.expected();
            let link = &mut links[usize::from(s.slow)];
            link.subscriptions += 1;
            link.video_frames_rx += frames;
            link.video_frames_expected += s.expected();
            link.video_bytes_rx += s.video_bytes.load(Relaxed);
        }
        Snapshot {
            joined: c.joined.load(Relaxed),
            published: c.published.load(Relaxed),
            subscribed: c.subscribed.load(Relaxed),
            failures: c.failures.load(Relaxed),
            subscriptions_with_video: with_video,
            video_frames_tx: c.video_frames_tx.load(Relaxed),
            audio_frames_tx: c.audio_frames_tx.load(Relaxed),
            packets_tx: c.packets_tx.load(Relaxed),
            bytes_tx: c.bytes_tx.load(Relaxed),
            video_frames_rx: c.video_frames_rx.load(Relaxed),
            audio_frames_rx: c.audio_frames_rx.load(Relaxed),
            packets_rx: c.packets_rx.load(Relaxed),
            bytes_rx: c.bytes_rx.load(Relaxed),
            video_frames_expected: expected,
            links,
        }
    }
}

/// Adds one to a counter.
pub fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Relaxed);
}

/// Adds `n` to a counter.
pub fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expectation_counts_from_the_subscription_on() {
        let board = Board::default();
        let early = board.subscribe("str_A", false);
        let publisher = board.publisher("str_A");
        assert!(Arc::ptr_eq(&publisher, &early.publisher));
        add(&publisher.video_frames, 10);
        let late = board.subscribe("str_A", true);
        add(&publisher.video_frames, 5);
        add(&early.video_frames, 14);
        let s = board.snapshot();
        assert_eq!(s.subscribed, 2);
        assert_eq!(s.video_frames_expected, 15 + 5);
        assert_eq!(s.subscriptions_with_video, 1);
        assert_eq!((s.links[0].subscriptions, s.links[1].subscriptions), (1, 1));
        assert_eq!(s.links[0].video_frames_rx, 14);
        assert_eq!(s.links[1].video_frames_expected, 5);
        bump(&late.video_frames);
        assert_eq!(board.snapshot().subscriptions_with_video, 2);
    }
}
