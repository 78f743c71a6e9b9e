//! Offers found by the `sdp` fuzz target that made str0m panic in `accept_offer` (its
//! "Pt locked multiple times" assertion): video payload types described again in the
//! audio line, outside its format list. The engine refuses such offers with an error
//! instead of letting str0m take the process down.

#![allow(
    clippy::disallowed_methods,
    reason = "the test takes its `Instant` from the clock (clippy.toml)"
)]

use std::time::Instant;

use ov_media::{Engine, EngineConfig, ForcedCodec, MediaError, VideoCodecChoice};

const OFFERS: [&str; 2] = [
    include_str!("data/offer-pt-claimed-twice-1.sdp"),
    include_str!("data/offer-pt-claimed-twice-2.sdp"),
];

#[test]
fn offers_that_describe_a_payload_type_outside_its_line_are_refused() {
    let now = Instant::now();
    let mut engine = Engine::new(
        EngineConfig::new(vec!["127.0.0.1:5000".parse().unwrap()]),
        now,
    );
    for (i, offer) in OFFERS.iter().enumerate() {
        for codec in [
            VideoCodecChoice::Vp8Preferred,
            VideoCodecChoice::Only(ForcedCodec::Vp8),
            VideoCodecChoice::Only(ForcedCodec::Vp9),
            VideoCodecChoice::Only(ForcedCodec::H264),
            VideoCodecChoice::Only(ForcedCodec::Av1),
            VideoCodecChoice::Prefer(ForcedCodec::Vp9),
        ] {
            match engine.add_publisher(now, offer, codec) {
                Err(MediaError::Sdp(message)) => {
                    assert!(message.contains("payload type"), "offer {i}: {message}")
                }
                other => panic!("offer {i} with {codec:?}: {other:?}"),
            }
        }
    }
}
