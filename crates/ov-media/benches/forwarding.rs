//! The forwarding hot path: one encrypted RTP packet from a publisher in, one packet out
//! to each of N connected subscribers (decrypt once, rewrite, encrypt N times).
//!
//! `cargo bench -p ov-media --bench forwarding`. The time reported per element is the
//! time per *forwarded* packet (criterion's throughput is set to N packets per input).

#![allow(
    clippy::disallowed_methods,
    reason = "a benchmark reads the clock; the engine it measures does not (clippy.toml)"
)]

#[path = "../tests/sim/mod.rs"]
mod sim;

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ov_media::Output;

fn forwarding(c: &mut Criterion) {
    let mut group = c.benchmark_group("forward_one_packet");
    for subscribers in [1usize, 10, 50] {
        // One layer, so no bandwidth estimation: its pacer would hold back packets pushed
        // 50 µs apart. Its cost shows in the load tester's figures.
        let (mut world, publisher_client) = sim::Sim::fanout(subscribers);
        let source = world.clients[publisher_client].addr;
        let server = sim::SERVER.parse().unwrap();
        group.throughput(Throughput::Elements(subscribers as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(subscribers),
            &subscribers,
            |b, _| {
                b.iter_custom(|iters| {
                    // Fresh packets every time: SRTP refuses replays.
                    let mut packets = Vec::new();
                    while (packets.len() as u64) < iters {
                        packets.extend(world.produce_video(publisher_client, 64));
                    }
                    packets.truncate(iters as usize);
                    let mut now = world.now;
                    let started = std::time::Instant::now();
                    let mut sent = 0usize;
                    for packet in &packets {
                        now += Duration::from_micros(50);
                        world.engine.handle_datagram(now, source, server, packet);
                        while let Output::Transmit(_) | Output::Event(_) =
                            world.engine.poll_output()
                        {
                            sent += 1;
                        }
                    }
                    let elapsed = started.elapsed();
                    world.now = now;
                    // A few captured datagrams are RTCP reports, not forwarded media.
                    assert!(
                        sent * 10 >= packets.len() * subscribers * 9,
                        "every subscriber gets the packets: {sent} for {} x {subscribers}",
                        packets.len()
                    );
                    elapsed
                })
            },
        );
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(3));
    targets = forwarding
}
criterion_main!(benches);
