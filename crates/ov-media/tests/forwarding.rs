//! The engine against str0m client peers in memory: connection, forwarding, keyframes,
//! loss recovery, bad input and clean-up.

#![allow(
    clippy::disallowed_methods,
    reason = "the simulation starts its virtual clock from a real `Instant` (clippy.toml)"
)]

mod sim;

use std::time::Duration;

use ov_media::{CloseReason, Event};
use sim::Sim;
use str0m::media::MediaKind;

#[test]
fn one_publisher_two_subscribers_receive_audio_and_video() {
    let mut sim = Sim::new();
    let (_, publisher) = sim.publisher();
    sim.run(Duration::from_millis(500));
    assert!(
        sim.has_event(&Event::Connected(publisher)),
        "{:?}",
        sim.events
    );
    let (a, peer_a) = sim.subscriber(publisher);
    let (b, peer_b) = sim.subscriber(publisher);
    sim.run(Duration::from_secs(3));
    assert!(sim.has_event(&Event::Connected(peer_a)));
    assert!(sim.has_event(&Event::Connected(peer_b)));
    for c in [a, b] {
        let client = &sim.clients[c];
        // ~50 audio frames/s and ~30 video frames/s for most of 3 s.
        assert!(
            client.frames(MediaKind::Audio) > 100,
            "audio {}",
            client.frames(MediaKind::Audio)
        );
        assert!(
            client.frames(MediaKind::Video) > 60,
            "video {}",
            client.frames(MediaKind::Video)
        );
        let (key, _, _) = client.first_frame(MediaKind::Video).unwrap();
        assert!(key, "a subscriber's first video frame is a keyframe");
        let video = &client.received[&MediaKind::Video];
        assert!(
            video.iter().all(|(_, contiguous, _)| *contiguous),
            "no loss, no gaps"
        );
    }
}

#[test]
fn a_late_joiner_gets_a_keyframe_at_once() {
    let mut sim = Sim::new();
    let (_, publisher) = sim.publisher();
    // Long past the publisher's first keyframe; its next natural one is 10 s away.
    sim.run(Duration::from_secs(4));
    let joined = sim.now;
    let (c, peer) = sim.subscriber(publisher);
    sim.run(Duration::from_secs(2));
    let connected = sim.event_time(&Event::Connected(peer)).expect("connects");
    let (key, _, at) = sim.clients[c]
        .first_frame(MediaKind::Video)
        .expect("video arrives");
    assert!(key);
    let wait = at - joined;
    assert!(
        wait < Duration::from_millis(700),
        "first frame {wait:?} after joining (connected at {connected:?})"
    );
}

#[test]
fn losses_are_recovered_by_retransmission() {
    let mut sim = Sim::new();
    let (p, publisher) = sim.publisher();
    sim.run(Duration::from_millis(300));
    let (c, _) = sim.subscriber(publisher);
    sim.run(Duration::from_millis(700));
    // 5 % loss on both legs, after the connections are up.
    sim.clients[p].loss = 0.05;
    sim.clients[c].loss = 0.05;
    sim.run(Duration::from_secs(6));
    let video = &sim.clients[c].received[&MediaKind::Video];
    let complete = video
        .iter()
        .filter(|(_, contiguous, _)| *contiguous)
        .count();
    assert!(video.len() > 150, "video frames {}", video.len());
    let ratio = complete as f64 / video.len() as f64;
    // Without retransmission about a quarter of the 3-packet frames would be damaged.
    assert!(
        ratio > 0.97,
        "only {complete} of {} frames complete",
        video.len()
    );
}

#[test]
fn garbage_datagrams_change_nothing() {
    let mut sim = Sim::new();
    let (_, publisher) = sim.publisher();
    sim.run(Duration::from_millis(300));
    let (c, _) = sim.subscriber(publisher);
    sim.run(Duration::from_millis(500));
    let before = sim.clients[c].frames(MediaKind::Video);
    let stranger = "127.0.0.9:9999".parse().unwrap();
    let subscriber_addr = sim.clients[c].addr;
    let mut rng = sim::Rng(42);
    for i in 0..2000u32 {
        let len = (rng.next_f64() * 300.0) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| (rng.next_f64() * 256.0) as u8).collect();
        // Mix in STUN-, DTLS- and RTP-looking prefixes, from strangers and from a peer.
        if let Some(b) = bytes.first_mut() {
            *b = [0x00, 0x01, 22, 0x80, 0x90][i as usize % 5];
        }
        if bytes.len() >= 8 && i % 3 == 0 {
            bytes[4..8].copy_from_slice(&[0x21, 0x12, 0xA4, 0x42]);
        }
        let from = if i % 2 == 0 {
            stranger
        } else {
            subscriber_addr
        };
        sim.garbage.push((from, bytes));
    }
    sim.run(Duration::from_secs(1));
    assert!(sim.clients[c].frames(MediaKind::Video) > before + 20);
    assert!(
        !sim.events
            .iter()
            .any(|(_, e)| matches!(e, Event::Closed(..))),
        "{:?}",
        sim.events
    );
}

#[test]
fn peers_that_never_connect_are_closed() {
    let mut sim = Sim::with_config(|c| {
        c.connect_timeout = Duration::from_secs(2);
        c.park_timeout = Duration::from_secs(1);
    });
    let (p, publisher) = sim.publisher();
    // The client vanishes: everything it sends is lost. (A publisher is parked for a
    // while first, in case its browser reconnects.)
    sim.clients[p].loss = 1.0;
    sim.run(Duration::from_secs(4));
    assert!(
        sim.has_event(&Event::Closed(publisher, CloseReason::ConnectTimeout)),
        "{:?}",
        sim.events
    );
    assert_eq!(sim.engine.peer_count(), 0);
}

#[test]
fn removed_subscribers_stop_receiving_and_others_continue() {
    let mut sim = Sim::new();
    let (_, publisher) = sim.publisher();
    sim.run(Duration::from_millis(300));
    let (a, peer_a) = sim.subscriber(publisher);
    let (b, _) = sim.subscriber(publisher);
    sim.run(Duration::from_secs(1));
    let now = sim.now;
    sim.engine.remove_peer(now, peer_a);
    let a_before = sim.clients[a].frames(MediaKind::Video);
    let b_before = sim.clients[b].frames(MediaKind::Video);
    sim.run(Duration::from_secs(1));
    assert!(sim.clients[a].frames(MediaKind::Video) <= a_before + 1);
    assert!(sim.clients[b].frames(MediaKind::Video) > b_before + 20);
    assert!(sim.engine.stats(peer_a).is_none());
}

#[test]
fn stats_count_what_flows() {
    let mut sim = Sim::new();
    let (_, publisher) = sim.publisher();
    sim.run(Duration::from_millis(300));
    let (_, sub) = sim.subscriber(publisher);
    sim.run(Duration::from_secs(3));
    let ps = sim.engine.stats(publisher).unwrap();
    let ss = sim.engine.stats(sub).unwrap();
    assert!(ps.connected && ss.connected);
    assert!(ps.bytes_received > 100_000, "{ps:?}");
    assert!(ss.bytes_sent > 100_000, "{ss:?}");
    assert!(ps.tracks.iter().any(|t| t.packets > 100));
    assert!(ss.tracks.iter().any(|t| t.packets > 100));
    assert!(ps.remote_candidate.is_some());
}

#[test]
fn bad_sdp_is_an_error_not_a_panic() {
    let mut sim = Sim::new();
    let now = sim.now;
    for bad in [
        "",
        "v=0",
        "garbage\r\n\r\n",
        "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n",
    ] {
        assert!(
            sim.engine
                .add_publisher(now, bad, Default::default())
                .is_err(),
            "{bad:?}"
        );
    }
    assert!(
        sim.engine
            .add_subscriber(now, ov_media::PeerId(999), "x")
            .is_err()
    );
    assert!(
        sim.engine
            .accept_answer(now, ov_media::PeerId(999), "v=0")
            .is_err()
    );
    assert_eq!(sim.engine.peer_count(), 0);
}

#[test]
fn a_reconnecting_publisher_keeps_its_subscribers() {
    let mut sim = Sim::new();
    let (p, publisher) = sim.publisher();
    sim.run(Duration::from_millis(300));
    let (c, _) = sim.subscriber(publisher);
    sim.run(Duration::from_secs(1));
    // The browser closes its peer connection (DTLS close) and comes back with a new one
    // (a new client, as a browser's new RTCPeerConnection).
    sim.clients[p].rtc.close().unwrap();
    sim.run(Duration::from_millis(500));
    assert!(
        sim.has_event(&Event::Disconnected(publisher)),
        "{:?}",
        sim.events
    );
    let before = sim.clients[c].frames(MediaKind::Video);
    sim.replace_publisher(p, publisher);
    sim.run(Duration::from_secs(2));
    let video = &sim.clients[c].received[&MediaKind::Video];
    assert!(
        video.len() > before + 30,
        "video resumes: {} -> {}",
        before,
        video.len()
    );
    assert!(video[before].0, "the new source starts with a keyframe");
    assert_eq!(
        sim.engine.peer_count(),
        2,
        "no new peer: the publisher kept its id"
    );
}

#[test]
fn a_parked_publisher_not_replaced_in_time_is_removed() {
    let mut sim = Sim::with_config(|c| c.park_timeout = Duration::from_secs(2));
    let (p, publisher) = sim.publisher();
    sim.run(Duration::from_millis(300));
    let (_, sub) = sim.subscriber(publisher);
    sim.run(Duration::from_millis(500));
    sim.clients[p].rtc.close().unwrap();
    sim.run(Duration::from_secs(3));
    assert!(
        sim.has_event(&Event::Closed(publisher, CloseReason::Failed)),
        "{:?}",
        sim.events
    );
    assert!(sim.engine.stats(publisher).is_none());
    assert!(
        sim.engine.stats(sub).is_some(),
        "its subscribers stay for the server to decide"
    );
}
