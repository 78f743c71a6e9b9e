//! Forced codecs at the SDP level: a publisher is answered in the forced codec only, in
//! the H.264 profile it offered, and its subscribers are offered exactly that profile, so
//! the two sides match without transcoding. (Chromium, which encodes only constrained
//! baseline here, checks the same for each codec in `tests/e2e/codecs.test.mjs`.)

#![allow(
    clippy::disallowed_methods,
    reason = "the test takes its `Instant` from the clock (clippy.toml)"
)]

use std::time::Instant;

use ov_media::{Engine, EngineConfig, ForcedCodec, MediaError, VideoCodecChoice};
use str0m::Rtc;
use str0m::media::{Direction, MediaKind};

/// An engine on a loopback candidate.
fn engine(now: Instant) -> Engine {
    Engine::new(
        EngineConfig::new(vec!["127.0.0.1:5000".parse().unwrap()]),
        now,
    )
}

/// A send-only video offer of H.264 in the given profiles, VP8 too when `vp8`.
fn h264_offer(profiles: &[u32], vp8: bool, now: Instant) -> String {
    let mut builder = Rtc::builder().clear_codecs().enable_vp8(vp8);
    for (i, profile) in profiles.iter().enumerate() {
        let pt = 100 + 2 * i as u8;
        builder
            .codec_config()
            .add_h264(pt.into(), Some((pt + 1).into()), true, *profile);
    }
    let mut rtc = builder.build(now);
    let mut api = rtc.sdp_api();
    api.add_media(MediaKind::Video, Direction::SendOnly, None, None, None);
    let (offer, _) = api.apply().expect("an offer");
    offer.to_sdp_string()
}

/// `(encoding name, profile-level-id)` of every media payload type of `sdp`'s video line.
fn video_formats(sdp: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    for line in sdp.lines() {
        let Some(map) = line.strip_prefix("a=rtpmap:") else {
            continue;
        };
        let mut words = map.split([' ', '/']);
        let (Some(pt), Some(name)) = (words.next(), words.next()) else {
            continue;
        };
        if name == "rtx" || name == "opus" {
            continue;
        }
        let profile = sdp
            .lines()
            .find_map(|l| l.strip_prefix(&format!("a=fmtp:{pt} ")))
            .and_then(|f| {
                f.split(';')
                    .find_map(|p| p.strip_prefix("profile-level-id="))
            })
            .map(str::to_owned);
        out.push((name.to_owned(), profile));
    }
    out
}

#[test]
fn a_forced_h264_profile_is_answered_and_offered_to_subscribers_as_it_is() {
    let now = Instant::now();
    let mut engine = engine(now);
    let high = Some("64001f".to_owned());
    // High profile only (hardware encoders send it), with VP8 beside it: H.264 forced.
    let offer = h264_offer(&[0x64001f], true, now);
    let (publisher, answer) = engine
        .add_publisher(now, &offer, VideoCodecChoice::Only(ForcedCodec::H264))
        .unwrap();
    assert_eq!(video_formats(&answer), [("H264".to_owned(), high.clone())]);
    let (_, offer) = engine.add_subscriber(now, publisher, "sub").unwrap();
    assert_eq!(video_formats(&offer), [("H264".to_owned(), high)]);

    // Constrained baseline and high offered: the first, the browser's preference, wins.
    let offer = h264_offer(&[0x42e01f, 0x64001f], false, now);
    let (publisher, answer) = engine
        .add_publisher(now, &offer, VideoCodecChoice::Only(ForcedCodec::H264))
        .unwrap();
    assert_eq!(
        video_formats(&answer).first(),
        Some(&("H264".to_owned(), Some("42e01f".to_owned())))
    );
    let (_, offer) = engine.add_subscriber(now, publisher, "sub").unwrap();
    assert!(
        video_formats(&offer).iter().all(|(name, _)| name == "H264"),
        "{offer}"
    );

    // VP8 forced on an H.264-only offer: refused, naming the codec.
    let offer = h264_offer(&[0x42e01f], false, now);
    match engine.add_publisher(now, &offer, VideoCodecChoice::Only(ForcedCodec::Vp8)) {
        Err(e @ MediaError::CodecNotOffered(ForcedCodec::Vp8)) => {
            assert!(e.to_string().contains("VP8"), "{e}")
        }
        other => panic!("{other:?}"),
    }
    // Preferred only: the offer's own codec goes through.
    let (_, answer) = engine
        .add_publisher(now, &offer, VideoCodecChoice::Prefer(ForcedCodec::Vp8))
        .unwrap();
    assert_eq!(
        video_formats(&answer),
        [("H264".to_owned(), Some("42e01f".to_owned()))]
    );
}

/// The `a=fmtp` parameters of `sdp`'s Opus payload type.
fn opus_fmtp(sdp: &str) -> Vec<String> {
    let pt = sdp
        .lines()
        .find_map(|l| l.strip_prefix("a=rtpmap:")?.strip_suffix(" opus/48000/2"))
        .expect("an Opus payload type");
    sdp.lines()
        .find_map(|l| l.strip_prefix(&format!("a=fmtp:{pt} ")))
        .map(|f| f.split(';').map(str::to_owned).collect())
        .unwrap_or_default()
}

#[test]
fn opus_is_answered_with_inband_fec_and_dtx() {
    let now = Instant::now();
    let mut engine = engine(now);
    // A browser's offer: Opus with FEC, without DTX (Chrome never offers it).
    let mut rtc = Rtc::builder()
        .clear_codecs()
        .enable_opus(true, false)
        .build(now);
    let mut api = rtc.sdp_api();
    api.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None);
    let (offer, _) = api.apply().expect("an offer");
    let offer = offer.to_sdp_string();
    assert!(
        !opus_fmtp(&offer).contains(&"usedtx=1".to_owned()),
        "{offer}"
    );

    let (publisher, answer) = engine
        .add_publisher(now, &offer, VideoCodecChoice::Vp8Preferred)
        .unwrap();
    let fmtp = opus_fmtp(&answer);
    for p in ["useinbandfec=1", "usedtx=1"] {
        assert!(fmtp.contains(&p.to_owned()), "{p} in {fmtp:?}");
    }
    // Subscribers are offered what the publisher negotiated.
    let (_, offer) = engine.add_subscriber(now, publisher, "sub").unwrap();
    assert!(
        opus_fmtp(&offer).contains(&"usedtx=1".to_owned()),
        "{offer}"
    );
}
