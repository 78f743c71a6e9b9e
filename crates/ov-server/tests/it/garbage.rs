//! OpenVidu's garbage collector: every `OPENVIDU_SESSIONS_GARBAGE_INTERVAL`, sessions older
//! than `OPENVIDU_SESSIONS_GARBAGE_THRESHOLD` that nobody ever joined are removed; joined
//! ones stay; an interval of 0 turns the sweep off.

use std::time::Duration;

use ov_testkit::rpc::RpcClient;
use ov_testkit::wait::until;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{SECRET, TestServer};

/// How long a sweep may take to come, at the small intervals below.
const SWEEP_WAIT: Duration = Duration::from_secs(5);

/// A server sweeping every `interval` the sessions older than 300 ms.
async fn sweeping_every(interval: Duration) -> TestServer {
    let mut config = ov_server::Config::for_loopback(SECRET);
    config.garbage_interval = interval;
    config.garbage_threshold = Duration::from_millis(300);
    TestServer::start_with(config).await
}

/// Waits until session `id` of `t` is gone.
async fn collected(t: &TestServer, id: &str) {
    until(
        &format!("session {id} to be collected"),
        SWEEP_WAIT,
        || async {
            let status = t
                .status(Method::GET, &format!("/sessions/{id}"), None)
                .await;
            (status == StatusCode::NOT_FOUND).then_some(())
        },
    )
    .await;
}

#[tokio::test]
async fn never_joined_sessions_are_collected_and_joined_ones_spared() {
    let t = sweeping_every(Duration::from_millis(200)).await;
    // Created first, so at least as old as the collected one when it goes.
    let joined = t.new_session(json!({"customSessionId": "joined"})).await;
    let a = RpcClient::join(&t.ws_url(), &t.token(&joined, "PUBLISHER").await, "A").await;
    let old = t.new_session(json!({"customSessionId": "old"})).await;
    t.token(&old, "PUBLISHER").await; // a connection nobody used does not save it
    collected(&t, &old).await;
    assert_eq!(
        t.status(Method::GET, &format!("/sessions/{joined}"), None)
            .await,
        StatusCode::OK,
        "a session with a participant survives the sweep"
    );
    // The id is free again.
    t.new_session(json!({"customSessionId": "old"})).await;
    a.close().await;
    t.stop().await;
}

#[tokio::test]
async fn an_interval_of_zero_turns_the_sweep_off() {
    let off = sweeping_every(Duration::ZERO).await;
    let on = sweeping_every(Duration::from_millis(200)).await;
    off.new_session(json!({"customSessionId": "kept"})).await;
    on.new_session(json!({"customSessionId": "swept"})).await;
    // Once the sweeping server has collected its session, as old a session of the other
    // would have been collected too, were it sweeping.
    collected(&on, "swept").await;
    assert_eq!(
        off.status(Method::GET, "/sessions/kept", None).await,
        StatusCode::OK
    );
    off.stop().await;
    on.stop().await;
}

#[tokio::test]
async fn sessions_younger_than_the_threshold_survive_the_sweep() {
    let t = TestServer::start().await;
    t.new_session(json!({"customSessionId": "young"})).await;
    assert!(
        t.server
            .registry
            .sweep_unused_sessions(Duration::from_secs(60))
            .is_empty()
    );
    assert_eq!(
        t.server.registry.sweep_unused_sessions(Duration::ZERO),
        vec!["young".to_string()]
    );
    t.stop().await;
}
