//! ICE-TCP in the engine: clients that may only use TCP (an active TCP candidate, no UDP)
//! against an engine announcing passive TCP candidates. The simulation carries each TCP
//! packet as one frame of the connection between two addresses.

#![allow(
    clippy::disallowed_methods,
    reason = "the simulation starts its virtual clock from a real `Instant` (clippy.toml)"
)]

mod sim;

use std::time::{Duration, Instant};

use ov_media::{Engine, EngineConfig, Event, Transport, VideoCodecChoice};
use ov_testkit::BrowserPeer;
use sim::{SERVER, Sim};
use str0m::media::MediaKind;

#[test]
fn tcp_only_clients_publish_and_subscribe() {
    let mut sim = Sim::with_tcp();
    sim.clients_use(Transport::Tcp);
    let (p, publisher) = sim.publisher();
    sim.run(Duration::from_millis(500));
    assert!(
        sim.has_event(&Event::Connected(publisher)),
        "{:?}",
        sim.events
    );
    let (s, subscriber) = sim.subscriber(publisher);
    sim.run(Duration::from_secs(3));
    assert!(sim.has_event(&Event::Connected(subscriber)));
    let client = &sim.clients[s];
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
    // The engine answers on the transport it was reached on: not one datagram to them.
    for c in [p, s] {
        let over = &sim.clients[c].received_over;
        assert_eq!(over.get(&Transport::Udp), None, "{over:?}");
        assert!(over[&Transport::Tcp] > 20, "{over:?}");
    }
}

#[test]
fn udp_and_tcp_clients_share_a_call() {
    let mut sim = Sim::with_tcp();
    let (_, publisher) = sim.publisher();
    sim.clients_use(Transport::Tcp);
    let (tcp, _) = sim.subscriber(publisher);
    sim.clients_use(Transport::Udp);
    let (udp, _) = sim.subscriber(publisher);
    sim.run(Duration::from_secs(3));
    for c in [tcp, udp] {
        let client = &sim.clients[c];
        assert!(
            client.frames(MediaKind::Video) > 60,
            "video {}",
            client.frames(MediaKind::Video)
        );
    }
    assert_eq!(sim.clients[udp].received_over.get(&Transport::Tcp), None);
}

#[test]
fn without_tcp_candidates_a_tcp_only_client_never_connects() {
    let mut sim = Sim::new();
    sim.clients_use(Transport::Tcp);
    let (_, publisher) = sim.publisher();
    sim.run(Duration::from_secs(3));
    assert!(
        !sim.has_event(&Event::Connected(publisher)),
        "{:?}",
        sim.events
    );
}

#[test]
fn offers_and_answers_announce_a_passive_tcp_candidate() {
    let now = Instant::now();
    let server: std::net::SocketAddr = SERVER.parse().unwrap();
    let mut config = EngineConfig::new(vec![server]);
    config.tcp_candidates = vec![server];
    let mut engine = Engine::new(config, now);
    let offer = BrowserPeer::new(now).publish_offer().unwrap();
    let (publisher, answer) = engine
        .add_publisher(now, &offer, VideoCodecChoice::Vp8Preferred)
        .unwrap();
    let (_, sub_offer) = engine.add_subscriber(now, publisher, "label").unwrap();
    for sdp in [answer, sub_offer] {
        let candidates: Vec<&str> = sdp
            .lines()
            .filter(|l| l.starts_with("a=candidate"))
            .collect();
        assert!(
            candidates
                .iter()
                .any(|c| c.contains(" udp ") && c.contains("127.0.0.1 5000 typ host")),
            "{candidates:?}"
        );
        assert!(
            candidates.iter().any(|c| c.to_lowercase().contains(" tcp ")
                && c.contains("127.0.0.1 5000 typ host tcptype passive")),
            "{candidates:?}"
        );
    }
}

#[test]
fn a_route_learnt_over_tcp_is_not_one_over_udp() {
    let mut sim = Sim::with_tcp();
    sim.clients_use(Transport::Tcp);
    let (c, publisher) = sim.publisher();
    sim.run(Duration::from_millis(500));
    assert!(sim.has_event(&Event::Connected(publisher)));
    let (now, from, server) = (sim.now, sim.clients[c].addr, SERVER.parse().unwrap());
    // An RTCP-looking packet: routed by address only.
    let packet = [0x80, 200, 0, 1, 0, 0, 0, 1];
    assert!(
        sim.engine
            .handle_packet(now, Transport::Tcp, from, server, &packet)
    );
    assert!(
        !sim.engine
            .handle_packet(now, Transport::Udp, from, server, &packet)
    );
}
