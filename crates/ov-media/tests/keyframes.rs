//! Keyframe requests: a subscriber's PLI reaches its publisher, at most once per
//! `EngineConfig::keyframe_request_interval` however often subscribers ask.

#![allow(
    clippy::disallowed_methods,
    reason = "the simulation starts its virtual clock from a real `Instant` (clippy.toml)"
)]

mod sim;

use std::time::Duration;

use sim::Sim;
use str0m::media::MediaKind;

/// A publisher and one connected subscriber, long past the keyframe request the engine
/// makes when the subscriber connects; returns the sim and (publisher, subscriber).
fn connected(interval: Duration) -> (Sim, usize, usize) {
    let mut sim = Sim::with_config(|c| c.keyframe_request_interval = interval);
    let (p, publisher) = sim.publisher();
    sim.run(Duration::from_millis(300));
    let (s, _) = sim.subscriber(publisher);
    sim.run(Duration::from_secs(3));
    assert!(sim.clients[s].frames(MediaKind::Video) > 30, "video flows");
    assert!(
        !sim.clients[p].keyframe_requests.is_empty(),
        "the engine asked for a keyframe for the new subscriber"
    );
    (sim, p, s)
}

/// The subscriber asks `n` times, 100 ms apart; returns how many requests reached the
/// publisher meanwhile.
fn ask(sim: &mut Sim, p: usize, s: usize, n: usize) -> usize {
    let before = sim.clients[p].keyframe_requests.len();
    for _ in 0..n {
        sim.request_keyframe(s);
        sim.run(Duration::from_millis(100));
    }
    sim.clients[p].keyframe_requests.len() - before
}

#[test]
fn every_request_reaches_the_publisher_without_throttling() {
    let (mut sim, p, s) = connected(Duration::ZERO);
    let keyframes_before = keyframes(&sim, s);
    assert_eq!(ask(&mut sim, p, s, 5), 5);
    // The publisher answered with keyframes, which reached the subscriber.
    assert!(
        keyframes(&sim, s) >= keyframes_before + 5,
        "{} -> {}",
        keyframes_before,
        keyframes(&sim, s)
    );
}

#[test]
fn requests_within_the_interval_reach_the_publisher_once() {
    let (mut sim, p, s) = connected(Duration::from_secs(2));
    assert_eq!(
        ask(&mut sim, p, s, 5),
        1,
        "five PLIs in 500 ms, one request"
    );
    // Once the interval has passed, the next request goes through again.
    sim.run(Duration::from_secs(2));
    assert_eq!(ask(&mut sim, p, s, 1), 1);
}

/// Keyframes subscriber `s` has received so far.
fn keyframes(sim: &Sim, s: usize) -> usize {
    sim.clients[s]
        .received
        .get(&MediaKind::Video)
        .map_or(0, |v| v.iter().filter(|(key, _, _)| *key).count())
}
