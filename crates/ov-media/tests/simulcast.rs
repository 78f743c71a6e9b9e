//! Simulcast: a publisher sends three layers (`rdiv4`, `rdiv2`, `rdiv1`, as openvidu-browser
//! does); each subscriber receives one, switching only at keyframes, with sequence numbers
//! and timestamps continuous across switches, falling to the next layer when one stops.
//! Layers are told apart by their frame sizes (`sim::LAYER_BYTES`).

#![allow(
    clippy::disallowed_methods,
    reason = "the simulation starts its virtual clock from a real `Instant` (clippy.toml)"
)]

mod sim;

use std::time::{Duration, Instant};

use ov_media::{LayerState, PeerId, RecvBandwidth};
use ov_testkit::frames::ReceivedFrame;
use sim::{LAYER_BYTES, Sim, layer_of};
use str0m::media::Rid;

const RIDS: [&str; 3] = ["rdiv4", "rdiv2", "rdiv1"];

/// A simulcast publisher, sending for a moment, and `n` subscribers of it, connected and
/// receiving for a second.
struct Call {
    sim: Sim,
    /// The publisher's client and peer.
    p: usize,
    publisher: PeerId,
    /// The subscribers' clients and peers.
    subs: Vec<(usize, PeerId)>,
}

fn call(n: usize) -> Call {
    call_with(n, |_| {})
}

fn call_with(n: usize, config: impl FnOnce(&mut ov_media::EngineConfig)) -> Call {
    let mut sim = Sim::with_config(config);
    let (p, publisher) = sim.simulcast_publisher(&RIDS);
    sim.run(Duration::from_millis(300));
    let subs = (0..n).map(|_| sim.subscriber(publisher)).collect();
    sim.run(Duration::from_secs(1));
    Call {
        sim,
        p,
        publisher,
        subs,
    }
}

/// The video frames client `c` received after `since`.
fn frames_since(sim: &Sim, c: usize, since: Instant) -> Vec<ReceivedFrame> {
    sim.clients[c]
        .video
        .iter()
        .filter(|(at, _)| *at > since)
        .map(|(_, f)| *f)
        .collect()
}

/// The layers of `frames`, in order, each run of frames of one layer counted once.
fn layer_runs(frames: &[ReceivedFrame]) -> Vec<usize> {
    let mut runs: Vec<usize> = Vec::new();
    for f in frames {
        let layer = layer_of(f.bytes).expect("a frame of a known layer");
        if runs.last() != Some(&layer) {
            runs.push(layer);
        }
    }
    runs
}

/// Every layer change in `frames` happens on a keyframe; no packet is missing and the RTP
/// time only moves forward, by less than `max_step` from frame to frame.
fn assert_clean_switches(frames: &[ReceivedFrame], max_step: u64) {
    for pair in frames.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if layer_of(a.bytes) != layer_of(b.bytes) {
            assert!(
                b.keyframe,
                "switched to layer {:?} on a delta frame",
                layer_of(b.bytes)
            );
        }
        assert!(b.contiguous, "a packet is missing before {b:?}");
        assert!(
            b.rtp_time > a.rtp_time && b.rtp_time - a.rtp_time < max_step,
            "RTP time jumps from {} to {}",
            a.rtp_time,
            b.rtp_time
        );
    }
}

/// [`ov_media::PeerStats::layer_shortfall`] of `peer`.
fn shortfall(sim: &Sim, peer: PeerId) -> usize {
    sim.engine.stats(peer).expect("a peer").layer_shortfall
}

fn state(sim: &Sim, peer: PeerId) -> LayerState {
    sim.engine
        .layer_state(peer)
        .expect("a subscriber")
        .expect("with video")
}

#[test]
fn every_layer_arrives_and_subscribers_get_the_top_one() {
    let Call { mut sim, subs, .. } = call(2);
    let since = sim.now;
    sim.run(Duration::from_secs(1));
    for &(c, peer) in &subs {
        let frames = frames_since(&sim, c, since);
        assert!(frames.len() >= 25, "{} frames in a second", frames.len());
        assert_eq!(layer_runs(&frames), [2], "only the top layer");
        assert_clean_switches(&frames, 9_000);
        let s = state(&sim, peer);
        assert_eq!((s.layers, s.current, s.target), (3, Some(2), None));
        // It started on a keyframe.
        assert!(sim.clients[c].video[0].1.keyframe);
    }
}

#[test]
fn a_limited_subscriber_switches_down_at_a_keyframe_and_back_up() {
    let Call {
        mut sim, p, subs, ..
    } = call(2);
    let (limited, limited_peer) = subs[0];
    let (other, _) = subs[1];
    let since = sim.now;
    let requests_before = sim.clients[p].layer_keyframe_requests.len();

    sim.engine
        .set_max_layer(sim.now, limited_peer, Some(0))
        .unwrap();
    sim.run(Duration::from_secs(1));
    // The switch asked the publisher for a keyframe of the low layer only.
    let asked: Vec<Option<Rid>> = sim.clients[p].layer_keyframe_requests[requests_before..]
        .iter()
        .map(|(_, rid)| *rid)
        .collect();
    assert!(asked.contains(&Some("rdiv4".into())), "{asked:?}");
    assert!(!asked.contains(&Some("rdiv1".into())), "{asked:?}");
    let frames = frames_since(&sim, limited, since);
    assert_eq!(layer_runs(&frames), [2, 0]);
    assert_clean_switches(&frames, 9_000);
    assert_eq!(state(&sim, limited_peer).current, Some(0));
    // The other subscriber was not disturbed.
    assert_eq!(layer_runs(&frames_since(&sim, other, since)), [2]);

    let since = sim.now;
    sim.engine
        .set_max_layer(sim.now, limited_peer, None)
        .unwrap();
    sim.run(Duration::from_secs(1));
    let frames = frames_since(&sim, limited, since);
    assert_eq!(layer_runs(&frames), [0, 2]);
    assert_clean_switches(&frames, 9_000);
}

#[test]
fn a_subscriber_showing_the_video_small_gets_the_layer_of_its_size() {
    let Call { mut sim, subs, .. } = call(1);
    let (c, peer) = subs[0];
    // The frames of the second after the subscriber shows the 1280x720 video at `size`.
    let shown_at = |sim: &mut Sim, size: (u32, u32)| {
        let since = sim.now;
        sim.engine
            .set_video_size(sim.now, peer, (1280, 720), Some(size))
            .unwrap();
        sim.run(Duration::from_secs(1));
        frames_since(sim, c, since)
    };
    // A 640x360 element: rdiv2 fills it.
    assert_eq!(layer_runs(&shown_at(&mut sim, (640, 360))), [2, 1]);
    // Hidden: the lowest layer.
    assert_eq!(layer_runs(&shown_at(&mut sim, (0, 0))), [1, 0]);
    // Larger than the top layer: the top.
    let frames = shown_at(&mut sim, (1920, 1080));
    assert_eq!(layer_runs(&frames), [0, 2]);
    assert_clean_switches(&frames, 9_000);
}

#[test]
fn a_layer_that_stops_falls_to_the_next_one_and_comes_back() {
    let Call {
        mut sim,
        p,
        publisher,
        subs,
    } = call(1);
    assert_eq!(shortfall(&sim, publisher), 0);
    let (c, peer) = subs[0];
    let since = sim.now;
    sim.clients[p].layers_off.push("rdiv1".into());
    sim.run(Duration::from_secs(2));
    let frames = frames_since(&sim, c, since);
    assert_eq!(layer_runs(&frames), [2, 1]);
    // The freeze lasts about the layer timeout, not until a keyframe every 10 s.
    let video = &sim.clients[c].video;
    let gap = video
        .windows(2)
        .filter(|w| w[0].0 > since)
        .map(|w| w[1].0 - w[0].0)
        .max()
        .unwrap();
    assert!(gap < Duration::from_millis(900), "video froze for {gap:?}");
    // The RTP time covers the freeze (a player keeps its clock), by less than a second.
    assert_clean_switches(&frames, 90_000);
    assert_eq!(state(&sim, peer).current, Some(1));
    // The publisher's network quality counts the layer it stopped; the subscriber gets
    // the best one arriving.
    assert_eq!(shortfall(&sim, publisher), 1);
    assert_eq!(shortfall(&sim, peer), 0);

    let since = sim.now;
    sim.clients[p].layers_off.clear();
    sim.run(Duration::from_secs(1));
    assert_eq!(layer_runs(&frames_since(&sim, c, since)), [1, 2]);
    assert_eq!(shortfall(&sim, publisher), 0);
}

#[test]
fn keyframe_requests_are_coalesced_per_layer() {
    let Call {
        mut sim,
        p,
        publisher,
        ..
    } = call(1);
    let before = sim.clients[p].layer_keyframe_requests.len();
    // Ten subscribers join at once: one keyframe request for the top layer, none for the
    // others.
    for _ in 0..10 {
        sim.subscriber(publisher);
    }
    sim.run(Duration::from_millis(250));
    let asked: Vec<Option<Rid>> = sim.clients[p].layer_keyframe_requests[before..]
        .iter()
        .map(|(_, rid)| *rid)
        .collect();
    assert_eq!(asked, [Some("rdiv1".into())]);
}

/// The longest time between two video frames client `c` received after `since`.
fn longest_freeze(sim: &Sim, c: usize, since: Instant) -> Duration {
    sim.clients[c]
        .video
        .windows(2)
        .filter(|w| w[0].0 > since)
        .map(|w| w[1].0 - w[0].0)
        .max()
        .unwrap_or(Duration::MAX)
}

#[test]
fn a_constrained_subscriber_gets_a_lower_layer_and_recovers() {
    let Call { mut sim, subs, .. } = call(2);
    let (slow, slow_peer) = subs[0];
    let (fast, _) = subs[1];
    sim.run(Duration::from_secs(2));
    assert_eq!(state(&sim, slow_peer).current, Some(2));

    // 200 kbit/s: the top layer (about 650 kbit/s with audio) cannot pass; the lowest
    // (about 100) can.
    sim.limit_downlink(slow, Some(200));
    let limited = sim.now;
    sim.run(Duration::from_secs(8));
    let settled = limited + Duration::from_secs(5);
    let layers = layer_runs(&frames_since(&sim, slow, settled));
    assert_eq!(
        layers,
        [0],
        "the constrained subscriber settled on the low layer"
    );
    assert!(
        longest_freeze(&sim, slow, settled) < Duration::from_millis(500),
        "and keeps decoding"
    );
    assert_eq!(
        layer_runs(&frames_since(&sim, fast, limited)),
        [2],
        "the other one is not touched"
    );
    // Its network quality counts the two layers its link cannot take.
    assert_eq!(shortfall(&sim, slow_peer), 2);
    assert_eq!(shortfall(&sim, subs[1].1), 0);

    sim.limit_downlink(slow, None);
    let lifted = sim.now;
    sim.run(Duration::from_secs(15));
    // Upgrades are cautious and wait for the estimate to grow back: in this simulation
    // str0m's estimator climbs back to about 400–600 kbit/s within 15 s, enough for the
    // middle layer (the Chromium test checks the way back to the top).
    let up = sim.clients[slow]
        .video
        .iter()
        .find(|(at, f)| *at > lifted && layer_of(f.bytes).is_some_and(|l| l > 0))
        .map(|(at, f)| (*at - lifted, layer_of(f.bytes)));
    assert!(up.is_some(), "a layer up within 15 s of the lift");
    assert!(longest_freeze(&sim, slow, lifted) < Duration::from_millis(500));
    // Once what the bottleneck queued has drained, every switch is clean.
    let drained = lifted + Duration::from_millis(500);
    assert_clean_switches(&frames_since(&sim, slow, drained), 9_000);
}

#[test]
fn with_the_congestion_pause_a_link_too_narrow_for_the_lowest_layer_gets_no_video_until_it_recovers()
 {
    let Call { mut sim, subs, .. } = call_with(2, |c| c.congestion_pause = true);
    let (slow, slow_peer) = subs[0];
    let (fast, _) = subs[1];
    sim.run(Duration::from_secs(2));
    // 40 kbit/s: the lowest layer (72 kbit/s of payload) cannot pass.
    sim.limit_downlink(slow, Some(40));
    let limited = sim.now;
    // str0m's estimate takes a few seconds to fall that far; then the pause holds 2 s.
    sim.run(Duration::from_secs(10));
    assert!(
        state(&sim, slow_peer).paused,
        "{:?}",
        state(&sim, slow_peer)
    );
    let quiet_from = sim.now - Duration::from_secs(2);
    // What the bottleneck queued before the pause has drained by now.
    assert_eq!(
        frames_since(&sim, slow, quiet_from).len(),
        0,
        "no video while paused"
    );
    assert_eq!(shortfall(&sim, slow_peer), 3, "every layer missing");
    assert_eq!(
        layer_runs(&frames_since(&sim, fast, limited)),
        [2],
        "the other one is not touched"
    );

    sim.limit_downlink(slow, None);
    let lifted = sim.now;
    // str0m probes the free link with padding; measured: resumed 8 s after the lift.
    while state(&sim, slow_peer).paused {
        assert!(
            sim.now < lifted + Duration::from_secs(15),
            "resumed within 15 s"
        );
        sim.run(Duration::from_millis(100));
    }
    let resumed_at = sim.now;
    sim.run(Duration::from_secs(2));
    // It starts again on a keyframe. (Before, what the bottleneck held drains, and frames
    // from before the pause complete late with retransmissions: a browser's jitter buffer
    // drops those.)
    let resumed = frames_since(&sim, slow, resumed_at);
    assert!(!resumed.is_empty(), "video again after the pause");
    assert!(resumed[0].keyframe, "{:?}", resumed[0]);
}

/// Payload bit/s of the simulated layers `..=n` at 30 frames/s.
fn layers_bps(n: usize) -> u64 {
    LAYER_BYTES[..=n].iter().map(|b| *b as u64 * 8 * 30).sum()
}

#[test]
fn layers_no_subscriber_needs_are_capped_off_at_the_publisher_by_remb() {
    let Call {
        mut sim, p, subs, ..
    } = call(2);
    let top = (1280, 720);
    sim.run(Duration::from_secs(2));
    // Subscribers that report no size need the top layer: no REMB.
    assert!(
        sim.clients[p].rembs.is_empty(),
        "{:?}",
        sim.clients[p].rembs
    );

    // Both show it as 320x180 thumbnails: the cap lets the low layer (and audio) through,
    // not the next one.
    for &(_, peer) in &subs {
        sim.engine
            .set_video_size(sim.now, peer, top, Some((320, 180)))
            .unwrap();
    }
    sim.run(Duration::from_secs(3));
    let rembs: Vec<u64> = sim.clients[p].rembs.iter().map(|(_, b)| *b).collect();
    assert!((2..=4).contains(&rembs.len()), "one a second: {rembs:?}");
    let cap = *rembs.last().unwrap();
    assert!(
        cap > layers_bps(0) && cap < layers_bps(1),
        "{cap} for layer 0 ({} .. {})",
        layers_bps(0),
        layers_bps(1)
    );

    // One of them enlarges it to 640x360: the middle layer fits, the top does not.
    sim.engine
        .set_video_size(sim.now, subs[0].1, top, Some((640, 360)))
        .unwrap();
    sim.run(Duration::from_secs(2));
    let cap = sim.clients[p].rembs.last().unwrap().1;
    assert!(
        cap > layers_bps(1) && cap < layers_bps(2),
        "{cap} for layer 1 ({} .. {})",
        layers_bps(1),
        layers_bps(2)
    );

    // It stops reporting a size: the cap ends with a few REMBs that cap nothing, then
    // none.
    let before = sim.clients[p].rembs.len();
    sim.engine
        .set_video_size(sim.now, subs[0].1, top, None)
        .unwrap();
    sim.run(Duration::from_secs(6));
    let lifts: Vec<u64> = sim.clients[p].rembs[before..]
        .iter()
        .map(|(_, b)| *b)
        .collect();
    assert_eq!(lifts.len(), 3, "{lifts:?}");
    assert!(lifts.iter().all(|b| *b >= 10_000_000), "{lifts:?}");
}

#[test]
fn a_receive_limit_bounds_the_top_layer_by_remb() {
    let Call {
        mut sim,
        p,
        publisher,
        subs,
        ..
    } = call(1);
    sim.run(Duration::from_secs(1));
    let limit = RecvBandwidth {
        max_bps: Some(400_000),
        min_bps: 0,
    };
    sim.engine.set_recv_bandwidth(publisher, limit).unwrap();
    sim.run(Duration::from_secs(3));
    // The top layer's limit, plus what the layers below and the audio send.
    let cap = sim.clients[p].rembs.last().expect("a REMB").1;
    assert!(
        cap > 400_000 + layers_bps(1) && cap < 400_000 + layers_bps(1) + 200_000,
        "{cap}"
    );
    assert!(sim.clients[p].rembs.len() >= 2, "sent again every second");

    // A thumbnail needs less than the limit: the lower cap wins.
    sim.engine
        .set_video_size(sim.now, subs[0].1, (1280, 720), Some((320, 180)))
        .unwrap();
    sim.run(Duration::from_secs(2));
    let cap = sim.clients[p].rembs.last().unwrap().1;
    assert!(cap < layers_bps(1), "{cap}");

    // The minimum raises a limit below it.
    sim.engine
        .set_video_size(sim.now, subs[0].1, (1280, 720), None)
        .unwrap();
    let floor = RecvBandwidth {
        max_bps: Some(100_000),
        min_bps: 300_000,
    };
    sim.engine.set_recv_bandwidth(publisher, floor).unwrap();
    sim.run(Duration::from_secs(2));
    let cap = sim.clients[p].rembs.last().unwrap().1;
    assert!(cap > 300_000 + layers_bps(1), "{cap}");
}

#[test]
fn a_send_limit_gives_its_subscription_the_layer_within_it() {
    // The server's limit, 300 kbit/s: the middle layer (216 kbit/s) fits, the top one (600)
    // does not.
    let Call {
        mut sim, p, subs, ..
    } = call_with(1, |c| c.send_bandwidth = Some(300_000));
    let (c, peer) = subs[0];
    sim.run(Duration::from_secs(3));
    let since = sim.now;
    sim.run(Duration::from_secs(1));
    assert_eq!(layer_runs(&frames_since(&sim, c, since)), [1]);
    assert_eq!(shortfall(&sim, peer), 0, "not for want of bandwidth");
    // The publisher is not capped: a layer capped off would no longer be measured, and an
    // unmeasured layer is never within a limit.
    assert!(
        sim.clients[p].rembs.is_empty(),
        "{:?}",
        sim.clients[p].rembs
    );

    // Without a server limit, one connection's own: its subscription switches down at a
    // keyframe, the other keeps the top layer, and the publisher is not capped.
    let Call {
        mut sim, p, subs, ..
    } = call(2);
    sim.run(Duration::from_secs(2));
    let ((limited, limited_peer), (free, _)) = (subs[0], subs[1]);
    sim.engine
        .set_send_bandwidth(limited_peer, Some(100_000))
        .unwrap();
    let since = sim.now;
    sim.run(Duration::from_secs(2));
    let frames = frames_since(&sim, limited, since);
    assert_eq!(layer_runs(&frames), [2, 0]);
    assert_clean_switches(&frames, 9_000);
    assert_eq!(layer_runs(&frames_since(&sim, free, since)), [2]);
    assert!(
        sim.clients[p].rembs.is_empty(),
        "{:?}",
        sim.clients[p].rembs
    );
}
