//! SDP from a browser as the engine hands it to str0m: offers through
//! `Engine::add_publisher` (which first reads the media lines itself, `ov_media`'s `sdp` module), and
//! answers to the engine's own subscriber offer through `Engine::accept_answer`. The
//! first byte picks offer or answer and the video codec policy; the rest is the SDP.

#![no_main]

use std::cell::RefCell;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use ov_media::{Engine, EngineConfig, ForcedCodec, Output, PeerId, VideoCodecChoice};
use ov_testkit::BrowserPeer;

/// One engine per process with a publisher to subscribe to; every fuzz case removes
/// the peer it added, so the engine stays the same size.
struct Fixture {
    engine: Engine,
    now: Instant,
    source: PeerId,
}

impl Fixture {
    fn new() -> Fixture {
        let now = Instant::now();
        let mut engine = Engine::new(
            EngineConfig::new(vec!["127.0.0.1:5000".parse().expect("an address")]),
            now,
        );
        let mut browser = BrowserPeer::new(now);
        let offer = browser.offer(true, true).expect("an offer");
        let (source, _) = engine
            .add_publisher(now, &offer, VideoCodecChoice::Vp8Preferred)
            .expect("the engine accepts a str0m offer");
        Fixture {
            engine,
            now,
            source,
        }
    }

    fn drain(&mut self) {
        while !matches!(self.engine.poll_output(), Output::Timeout(_)) {}
    }
}

thread_local! {
    static FIXTURE: RefCell<Option<Fixture>> = const { RefCell::new(None) };
}

const CODECS: [VideoCodecChoice; 8] = [
    VideoCodecChoice::Vp8Preferred,
    VideoCodecChoice::Only(ForcedCodec::Vp8),
    VideoCodecChoice::Only(ForcedCodec::Vp9),
    VideoCodecChoice::Only(ForcedCodec::H264),
    VideoCodecChoice::Only(ForcedCodec::Av1),
    VideoCodecChoice::Prefer(ForcedCodec::Vp9),
    VideoCodecChoice::Prefer(ForcedCodec::H264),
    VideoCodecChoice::Prefer(ForcedCodec::Av1),
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, sdp)) = data.split_first() else {
        return;
    };
    // SDP arrives inside a JSON string: always valid UTF-8.
    let sdp = String::from_utf8_lossy(sdp);
    FIXTURE.with(|cell| {
        let mut cell = cell.borrow_mut();
        let f = cell.get_or_insert_with(Fixture::new);
        f.now += Duration::from_millis(1);
        let now = f.now;
        if selector & 1 == 0 {
            let codec = CODECS[(selector >> 1) as usize % CODECS.len()];
            if let Ok((peer, answer)) = f.engine.add_publisher(now, &sdp, codec) {
                assert!(answer.starts_with("v=0"), "{answer}");
                f.engine.remove_peer(now, peer);
            }
        } else {
            let (peer, _offer) = f
                .engine
                .add_subscriber(now, f.source, "fuzz")
                .expect("a subscription to the fixture's publisher");
            let _ = f.engine.accept_answer(now, peer, &sdp);
            f.engine.remove_peer(now, peer);
        }
        f.drain();
        assert!(f.engine.peer_count() == 1, "a fuzz case leaked a peer");
    });
});
