//! Taps: a publisher's tracks copied as plain RTP to a local consumer (the recorder).

#![allow(
    clippy::disallowed_methods,
    reason = "the simulation starts its virtual clock from a real `Instant` (clippy.toml)"
)]

mod sim;

use std::net::SocketAddr;
use std::time::Duration;

use ov_media::keyframe::{VideoCodec, starts_keyframe};
use ov_media::{MediaKind, TapCodec};
use sim::Sim;

const AUDIO_SINK: &str = "127.0.0.5:7000";
const VIDEO_SINK: &str = "127.0.0.5:7002";

/// (payload type, sequence number, SSRC, payload) of a plain RTP datagram.
fn parse(d: &[u8]) -> (u8, u16, u32, &[u8]) {
    assert!(d.len() >= 12, "an RTP header");
    assert_eq!(d[0], 0x80, "version 2, no padding, extension or CSRC");
    let seq = u16::from_be_bytes([d[2], d[3]]);
    let ssrc = u32::from_be_bytes([d[8], d[9], d[10], d[11]]);
    (d[1] & 0x7f, seq, ssrc, &d[12..])
}

fn to<'a>(sim: &'a Sim, sink: &str) -> Vec<&'a [u8]> {
    let sink: SocketAddr = sink.parse().unwrap();
    sim.plain
        .iter()
        .filter(|(_, a, _)| *a == sink)
        .map(|(_, _, d)| d.as_slice())
        .collect()
}

#[test]
fn a_tap_receives_plain_rtp_of_each_track_from_a_keyframe_on() {
    let mut sim = Sim::new();
    let (_, publisher) = sim.publisher();
    // Past the publisher's first keyframe: the next natural one is 10 s away.
    sim.run(Duration::from_secs(2));
    let codecs = sim.engine.tap_codecs(publisher).unwrap();
    let audio = codecs.iter().find(|c| c.kind == MediaKind::Audio).unwrap();
    let video = codecs.iter().find(|c| c.kind == MediaKind::Video).unwrap();
    assert_eq!(
        (audio.codec, audio.clock_rate, audio.channels),
        ("opus", 48_000, Some(2))
    );
    assert_eq!(
        (video.codec, video.clock_rate, video.channels),
        ("VP8", 90_000, None)
    );

    let tap = sim
        .engine
        .add_tap(
            sim.now,
            publisher,
            &[
                (MediaKind::Audio, AUDIO_SINK.parse().unwrap()),
                (MediaKind::Video, VIDEO_SINK.parse().unwrap()),
            ],
        )
        .unwrap();
    sim.run(Duration::from_secs(2));

    let check = |packets: Vec<&[u8]>, codec: &TapCodec, at_least: usize| {
        assert!(
            packets.len() >= at_least,
            "{} packets of {}",
            packets.len(),
            codec.codec
        );
        let (_, first_seq, ssrc, _) = parse(packets[0]);
        for (i, d) in packets.iter().enumerate() {
            let (pt, seq, s, _) = parse(d);
            assert_eq!(pt, codec.payload_type);
            assert_eq!(s, ssrc, "one SSRC");
            assert_eq!(seq, first_seq.wrapping_add(i as u16), "in order, none lost");
        }
    };
    check(to(&sim, AUDIO_SINK), audio, 90);
    let video_packets = to(&sim, VIDEO_SINK);
    check(video_packets.clone(), video, 60);
    // The keyframe was asked for: it comes within a few frames, not at the publisher's
    // 10-second interval.
    let first_key = video_packets
        .iter()
        .position(|d| starts_keyframe(VideoCodec::Vp8, parse(d).3))
        .expect("a keyframe reached the tap");
    assert!(first_key < 20, "keyframe only at packet {first_key}");

    sim.engine.remove_tap(publisher, tap);
    let before = sim.plain.len();
    sim.run(Duration::from_secs(1));
    assert_eq!(sim.plain.len(), before, "nothing after the tap is removed");
}

#[test]
fn a_tap_of_one_kind_gets_only_that_kind() {
    let mut sim = Sim::new();
    let (_, publisher) = sim.publisher();
    sim.run(Duration::from_millis(500));
    sim.engine
        .add_tap(
            sim.now,
            publisher,
            &[(MediaKind::Audio, AUDIO_SINK.parse().unwrap())],
        )
        .unwrap();
    sim.run(Duration::from_secs(1));
    assert!(to(&sim, AUDIO_SINK).len() > 40);
    assert!(to(&sim, VIDEO_SINK).is_empty());
    assert_eq!(sim.plain.len(), to(&sim, AUDIO_SINK).len());
}

#[test]
fn a_tap_needs_a_publisher() {
    let mut sim = Sim::new();
    let (_, publisher) = sim.publisher();
    sim.run(Duration::from_millis(500));
    let (_, subscriber) = sim.subscriber(publisher);
    let sink = [(MediaKind::Audio, AUDIO_SINK.parse().unwrap())];
    assert!(sim.engine.add_tap(sim.now, subscriber, &sink).is_err());
    assert!(sim.engine.tap_codecs(subscriber).is_err());
    sim.engine.remove_peer(sim.now, publisher);
    assert!(sim.engine.add_tap(sim.now, publisher, &sink).is_err());
}

/// The frames of a tap's VP8 packets, in order: (layer by size, starts with a keyframe).
fn tapped_frames(packets: &[&[u8]]) -> Vec<(usize, bool)> {
    let mut frames = Vec::new();
    let (mut bytes, mut key) = (0, None);
    for d in packets {
        let payload = parse(d).3;
        key.get_or_insert(starts_keyframe(VideoCodec::Vp8, payload));
        bytes += payload.len();
        if d[1] & 0x80 != 0 {
            // The simulated layers send 300, 900 and 2500 bytes (keyframes 500, 1500, 4000).
            let layer = match bytes {
                ..700 => 0,
                700..2200 => 1,
                _ => 2,
            };
            frames.push((layer, key.take().unwrap_or(false)));
            bytes = 0;
        }
    }
    frames
}

/// The layers of `frames` with repeats folded: `[2, 1]` for a switch from 2 to 1.
fn runs(frames: &[(usize, bool)]) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    for (layer, _) in frames {
        if out.last() != Some(layer) {
            out.push(*layer);
        }
    }
    out
}

#[test]
fn a_simulcast_tap_copies_the_top_layer_and_the_next_one_while_the_top_stops() {
    let mut sim = Sim::new();
    let (p, publisher) = sim.simulcast_publisher(&["rdiv4", "rdiv2", "rdiv1"]);
    sim.run(Duration::from_secs(2));
    sim.engine
        .add_tap(
            sim.now,
            publisher,
            &[(MediaKind::Video, VIDEO_SINK.parse().unwrap())],
        )
        .unwrap();
    sim.run(Duration::from_secs(2));
    let frames = tapped_frames(&to(&sim, VIDEO_SINK));
    assert_eq!(runs(&frames), [2], "the top layer only");
    assert!(frames[0].1, "from a keyframe on");

    // The publisher stops its top layer: the tap goes on with the next one, from a keyframe
    // of it, and back to the top when it returns.
    sim.clients[p].layers_off.push("rdiv1".into());
    sim.run(Duration::from_secs(2));
    sim.clients[p].layers_off.clear();
    sim.run(Duration::from_secs(2));
    let packets = to(&sim, VIDEO_SINK);
    let frames = tapped_frames(&packets);
    assert_eq!(runs(&frames), [2, 1, 2]);
    for w in frames.windows(2) {
        if w[0].0 != w[1].0 {
            assert!(w[1].1, "a switch at a keyframe: {frames:?}");
        }
    }
    // One stream for the consumer: one SSRC, no gap in the sequence numbers.
    let (_, first_seq, ssrc, _) = parse(packets[0]);
    for (i, d) in packets.iter().enumerate() {
        let (_, seq, s, _) = parse(d);
        assert_eq!(s, ssrc, "one SSRC");
        assert_eq!(seq, first_seq.wrapping_add(i as u16), "continuous at {i}");
    }
}
