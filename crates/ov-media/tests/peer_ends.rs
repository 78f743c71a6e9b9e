//! How the engine ends peers the server must hear of (issue 8: the media event loop): a
//! subscriber whose ICE never completes is closed at the connect timeout, and a publisher
//! that vanishes without a word is first reported disconnected, then parked for its
//! browser's media reconnection, then closed; its subscribers stay for the server to end.

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
fn a_subscriber_whose_ice_never_completes_is_closed_at_the_connect_timeout() {
    let mut sim = Sim::with_config(|c| {
        c.connect_timeout = Duration::from_secs(2);
        c.park_timeout = Duration::from_secs(5);
    });
    let (_, publisher) = sim.publisher();
    sim.run(Duration::from_millis(500));
    // A subscription offered to a browser that never answers on the network.
    let (subscriber, _offer) = sim
        .engine
        .add_subscriber(sim.now, publisher, "label")
        .unwrap();
    let offered = sim.now - sim.start;
    sim.run(Duration::from_secs(3));
    let closed = sim
        .event_time(&Event::Closed(subscriber, CloseReason::ConnectTimeout))
        .unwrap_or_else(|| panic!("no close of the subscriber: {:?}", sim.events));
    let after = closed - offered;
    assert!(
        after >= Duration::from_secs(2) && after < Duration::from_millis(2500),
        "closed {after:?} after it was offered: at the connect timeout, not parked"
    );
    assert!(sim.engine.stats(subscriber).is_none());
    assert!(
        sim.engine.stats(publisher).is_some_and(|s| s.connected),
        "the publisher is untouched"
    );
}

#[test]
fn a_publisher_that_vanishes_is_disconnected_then_parked_then_closed() {
    let mut sim = Sim::with_config(|c| {
        c.disconnect_timeout = Duration::from_secs(2);
        c.park_timeout = Duration::from_secs(2);
    });
    let (p, publisher) = sim.publisher();
    sim.run(Duration::from_millis(300));
    let (c, subscriber) = sim.subscriber(publisher);
    sim.run(Duration::from_secs(1));
    assert!(
        sim.clients[c].frames(MediaKind::Video) > 10,
        "media flows first"
    );
    // The publishing browser vanishes: no more datagrams either way, no unpublishVideo.
    let vanished = sim.now - sim.start;
    sim.clients[p].loss = 1.0;
    sim.run(Duration::from_secs(20));
    let times: Vec<(Duration, Event)> = sim
        .events
        .iter()
        .filter(
            |(_, e)| matches!(e, Event::Disconnected(x) | Event::Closed(x, _) if *x == publisher),
        )
        .map(|(t, e)| (*t - sim.start, e.clone()))
        .collect();
    let closed = sim
        .event_time(&Event::Closed(publisher, CloseReason::DisconnectTimeout))
        .unwrap_or_else(|| panic!("no close of the publisher: {times:?}"));
    // Reported disconnected (ICE), parked (another Disconnected), then closed.
    let disconnects: Vec<Duration> = times
        .iter()
        .filter(|(_, e)| matches!(e, Event::Disconnected(_)))
        .map(|(t, _)| *t)
        .collect();
    assert!(disconnects.len() >= 2, "{times:?}");
    assert!(
        disconnects[0] > vanished && disconnects[0] < closed,
        "{times:?}"
    );
    assert!(
        closed >= disconnects[0] + Duration::from_secs(4),
        "closed only after the disconnect and park timeouts: {times:?}"
    );
    assert!(sim.engine.stats(publisher).is_none());
    assert!(
        sim.engine.stats(subscriber).is_some(),
        "its subscribers stay for the server to end"
    );
}
