//! The forwarding hot path of `forwarding.rs`, as a fixed amount of work for an instruction
//! counter: `valgrind --tool=callgrind` counts the same total for the same binary and input
//! whatever else the machine does, where criterion's times on a shared 2-core VM drift by
//! 10–20 %. Forwards `OV_BENCH_PACKETS` (default 2000) video packets to each of 1, 10 and
//! 50 subscribers, each count in a function of its own so that callgrind reports it apart:
//!
//! ```sh
//! cargo bench -p ov-media --bench forwarding_count --no-run
//! valgrind --tool=callgrind --callgrind-out-file=cg.out target/release/deps/forwarding_count-<hash>
//! callgrind_annotate cg.out | grep forward_to_
//! ```
//!
//! Divide a function's inclusive count by packets × subscribers: instructions per forwarded
//! packet.

#![allow(
    clippy::disallowed_methods,
    reason = "the simulation starts its virtual clock from a real `Instant` (clippy.toml)"
)]

#[path = "../tests/sim/mod.rs"]
mod sim;

use std::time::Duration;

use ov_media::Output;

/// The packets `forward_to_*` sends: (source address, server address, datagrams).
type Input = (std::net::SocketAddr, std::net::SocketAddr, Vec<Vec<u8>>);

/// A publisher of video and `subscribers` connected subscribers, and `packets` of its
/// packets ready to enter the engine.
fn setup(subscribers: usize, packets: usize) -> (sim::Sim, Input) {
    let (mut world, publisher_client) = sim::Sim::fanout(subscribers);
    let source = world.clients[publisher_client].addr;
    let server = sim::SERVER.parse().unwrap();
    let mut input = Vec::new();
    while input.len() < packets {
        input.extend(world.produce_video(publisher_client, 64));
    }
    input.truncate(packets);
    (world, (source, server, input))
}

/// Feeds the packets to the engine and drains it; returns how many datagrams left.
fn forward(world: &mut sim::Sim, (source, server, input): &Input) -> usize {
    let mut now = world.now;
    let mut sent = 0;
    for packet in input {
        now += Duration::from_micros(50);
        world.engine.handle_datagram(now, *source, *server, packet);
        while let Output::Transmit(_) | Output::Event(_) = world.engine.poll_output() {
            sent += 1;
        }
    }
    sent
}

#[inline(never)]
fn forward_to_1(world: &mut sim::Sim, input: &Input) -> usize {
    forward(world, input)
}

#[inline(never)]
fn forward_to_10(world: &mut sim::Sim, input: &Input) -> usize {
    forward(world, input)
}

#[inline(never)]
fn forward_to_50(world: &mut sim::Sim, input: &Input) -> usize {
    forward(world, input)
}

fn main() {
    let packets = std::env::var("OV_BENCH_PACKETS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    type Step = fn(&mut sim::Sim, &Input) -> usize;
    for (n, step) in [
        (1, forward_to_1 as Step),
        (10, forward_to_10),
        (50, forward_to_50),
    ] {
        let (mut world, input) = setup(n, packets);
        let sent = step(&mut world, &input);
        println!("{n} subscribers: {packets} packets in, {sent} datagrams out");
    }
}
