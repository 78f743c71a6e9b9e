//! Datagrams through the engine (STUN, DTLS, RTP, RTCP, garbage) with connected peers:
//! a publisher and a subscriber that went through real ICE and DTLS with the engine
//! (see `openvidu_rs_fuzz::world`). The input is records `[tag][len u16 LE][bytes]`;
//! the tag picks who sends the bytes:
//! - `0`: raw datagram from the publisher's address,
//! - `1`: raw datagram from the subscriber's address,
//! - `2`: raw datagram from an unknown address,
//! - `3`: a media frame the publisher's str0m writes (bit 2: audio, else video), so
//!   that fuzzed payloads arrive as valid SRTP and reach depacketizing and forwarding.
//!
//! Bits 4–7 of the tag advance the clock by that many milliseconds before the engine's
//! timeouts run. After the case, the peers exchange their real traffic for one step.

#![no_main]

use std::cell::RefCell;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use openvidu_rs_fuzz::records::split;
use openvidu_rs_fuzz::world::{STRANGER, World};
use str0m::media::MediaKind;

thread_local! {
    static WORLD: RefCell<Option<World>> = const { RefCell::new(None) };
}

/// `OV_FUZZ_CAPTURE=<dir>[:<offer file>]` writes the seed corpus (see
/// `openvidu_rs_fuzz::capture`) before fuzzing.
fn capture_if_asked() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if let Ok(spec) = std::env::var("OV_FUZZ_CAPTURE") {
            let (dir, offer) = match spec.split_once(':') {
                Some((d, o)) => (d.to_owned(), Some(o.to_owned())),
                None => (spec, None),
            };
            openvidu_rs_fuzz::capture::capture_seeds(&dir, offer.as_deref());
        }
    });
}

fuzz_target!(|data: &[u8]| {
    capture_if_asked();
    WORLD.with(|cell| {
        let mut cell = cell.borrow_mut();
        if cell.as_ref().is_none_or(|w| w.broken) {
            *cell = Some(World::connected(false));
        }
        let w = cell.as_mut().expect("a world");
        let stranger = STRANGER.parse().expect("an address");
        for record in split(data) {
            w.now += Duration::from_millis(u64::from(record.tag >> 4));
            match record.tag & 3 {
                0 => w
                    .engine
                    .handle_datagram(w.now, w.publisher_addr, w.server, record.bytes),
                1 => w
                    .engine
                    .handle_datagram(w.now, w.subscriber_addr, w.server, record.bytes),
                2 => w
                    .engine
                    .handle_datagram(w.now, stranger, w.server, record.bytes),
                _ => {
                    let kind = if record.tag & 4 != 0 {
                        MediaKind::Audio
                    } else {
                        MediaKind::Video
                    };
                    w.publish_frame(kind, record.bytes);
                }
            }
            w.engine.handle_timeout(w.now);
            w.drain_engine(None);
        }
        w.exchange();
    });
});
