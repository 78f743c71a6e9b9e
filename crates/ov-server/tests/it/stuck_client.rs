//! A client that never reads its socket cannot make the server hold unbounded memory: once
//! its outbox is full (4096 frames, or 4 MiB) its socket is closed, it gets the
//! reconnection grace period, and then the others hear `participantLeft` with
//! `networkDisconnect`.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use ov_testkit::rpc::{RpcClient, join_params, request};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::support::{SECRET, TestServer};

/// Frames the server queues for one socket before it closes it (`domain::outbox`).
const OUTBOX: usize = 4096;
/// Bytes the server queues for one socket before it closes it (`domain::outbox`).
const OUTBOX_BYTES: usize = 4 * 1024 * 1024;
/// The reconnection grace period of the test's server.
const GRACE: Duration = Duration::from_millis(1500);
/// Signals sent before waiting for the server to have handled them.
const BATCH: usize = 100;

/// The most the server's send buffer can grow to, in bytes.
fn send_buffer_max() -> usize {
    std::fs::read_to_string("/proc/sys/net/ipv4/tcp_wmem")
        .ok()
        .and_then(|s| s.split_whitespace().nth(2)?.parse::<usize>().ok())
        .unwrap_or(4 << 20)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_is_closed_then_evicted_after_the_grace() {
    // Small signals: the frame count fills first.
    let size = 1000;
    flood_a_stuck_client(size, send_buffer_max() / size + OUTBOX + 1000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outbox_is_bounded_in_bytes_not_only_in_frames() {
    // Large signals: far fewer than 4096 frames must be enough.
    let size = 60_000;
    let count = (send_buffer_max() + OUTBOX_BYTES) / size + 50;
    assert!(count < OUTBOX / 4, "{count} signals");
    flood_a_stuck_client(size, count).await;
}

/// Sends `count` signals of `size` bytes of data to a client that never reads, and checks
/// that it is closed, then evicted after the grace.
async fn flood_a_stuck_client(size: usize, count: usize) {
    let mut config = ov_server::Config::for_loopback(SECRET);
    config.reconnection_grace = GRACE;
    // The flood is far over the signal rate limit, which is not what this test is about.
    config.limits.signals_per_second = None;
    let t = TestServer::start_with(config).await;
    let sid = t.new_session(json!({})).await;
    let mut observer = RpcClient::join(&t.ws_url(), &t.token(&sid, "PUBLISHER").await, "O").await;
    let flooder = RpcClient::join(&t.ws_url(), &t.token(&sid, "PUBLISHER").await, "F").await;
    observer.notification("participantJoined").await;

    // The stuck client: a tiny receive buffer, joins, then never reads again.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let tcp = socket.connect(t.server.local_addr).await.unwrap();
    let (mut stuck, _) = tokio_tungstenite::client_async(t.ws_url(), tcp)
        .await
        .unwrap();
    let token = t.token(&sid, "PUBLISHER").await;
    let join = request(0, "joinRoom", join_params(&token, "S", "Rust test"));
    stuck.send(Message::Text(join.into())).await.unwrap();
    let stuck_id = observer.notification("participantJoined").await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let signal = json!({"to": [stuck_id], "data": "x".repeat(size), "type": "signal"}).to_string();
    let flood_started = std::time::Instant::now();
    // In batches, each followed by a ping: requests are handled in order, so its answer
    // means the batch is done, and the flooder's own outbox (its answers) stays small.
    for _ in 0..count.div_ceil(BATCH) {
        for _ in 0..BATCH {
            flooder
                .requester
                .send("sendMessage", json!({"message": signal}));
        }
        flooder
            .requester
            .call_within("ping", json!({}), Duration::from_secs(30))
            .await
            .expect("the flooder's requests are handled");
    }

    let left = observer
        .try_notification("participantLeft", Duration::from_secs(10))
        .await
        .expect("the stuck client is evicted");
    // Its socket was closed after the flood began; the eviction waited for the grace.
    assert!(
        flood_started.elapsed() >= GRACE,
        "evicted {:?} after the flood began, before the grace of {GRACE:?}",
        flood_started.elapsed()
    );
    assert_eq!(
        left,
        json!({"connectionId": stuck_id, "reason": "networkDisconnect"})
    );
    // Its socket was closed: reading it now ends, after what was already on its way.
    let drained = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(Ok(_)) = stuck.next().await {}
    });
    drained.await.expect("the server closed the stuck socket");
    flooder.close().await;
    observer.close().await;
    t.stop().await;
}
