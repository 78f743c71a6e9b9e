//! The seed corpus of the `datagrams` target, from a real exchange: a str0m publisher
//! and subscriber connecting to the engine (STUN binding requests, the DTLS handshakes,
//! SRTP media, RTCP), one seed per kind of datagram seen, as records `[tag][len][bytes]`
//! with tag 0 for the publisher and 1 for the subscriber, the handshake in order, and a
//! few media-frame records (tag 3 video, 7 audio). It also writes the engine's subscriber
//! offer, which Chromium answers for the `sdp` corpus (docs/fuzzing.md).
//!
//! Run through the `datagrams` target: `OV_FUZZ_CAPTURE=<corpus dir>[:<offer file>]`.

use std::collections::BTreeSet;

use crate::records::join;
use crate::world::World;

/// Writes the seeds into `dir`, and the engine's subscriber offer into `offer` if given.
pub fn capture_seeds(dir: &str, offer: Option<&str>) {
    std::fs::create_dir_all(dir).expect("the corpus directory");
    let mut world = World::connected(true);
    // A few seconds of real media and RTCP after the handshake.
    for i in 0..200 {
        if i % 2 == 0 {
            world.publish_frame(
                str0m::media::MediaKind::Video,
                &ov_testkit::frames::vp8_frame(i % 50 == 0, 1000),
            );
        }
        world.publish_frame(
            str0m::media::MediaKind::Audio,
            &ov_testkit::frames::opus_frame(),
        );
        world.exchange();
    }
    let captured = world.captured.take().unwrap_or_default();
    let mut seeds: BTreeSet<Vec<u8>> = BTreeSet::new();
    // One seed per datagram kind seen (by first byte and sender), and the handshake in order.
    let mut kinds = BTreeSet::new();
    for (from, data) in &captured {
        let tag = u8::from(*from != world.publisher_addr);
        if kinds.insert((tag, data.first().copied(), data.len().min(2000) / 200)) {
            seeds.insert(join([(tag, data.as_slice())]));
        }
    }
    let handshake: Vec<(u8, &[u8])> = captured
        .iter()
        .take(12)
        .map(|(from, d)| (u8::from(*from != world.publisher_addr), d.as_slice()))
        .collect();
    seeds.insert(join(handshake));
    let key = ov_testkit::frames::vp8_frame(true, 300);
    let opus = ov_testkit::frames::opus_frame();
    seeds.insert(join([
        (3u8, key.as_slice()),
        (7, opus.as_slice()),
        (0x13, &key[..20]),
    ]));
    for (i, seed) in seeds.iter().enumerate() {
        std::fs::write(format!("{dir}/capture-{i:03}"), seed).expect("a seed file");
    }
    eprintln!(
        "{} datagrams captured, {} seeds written",
        captured.len(),
        seeds.len()
    );
    if let Some(path) = offer {
        let (peer, offer) = world
            .engine
            .add_subscriber(world.now, world.publisher_id, "chromium")
            .expect("a subscription");
        world.engine.remove_peer(world.now, peer);
        std::fs::write(path, offer).expect("the offer file");
    }
}
