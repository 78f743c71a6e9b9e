//! `networkQualityLevelChanged` (OpenVidu Pro's): a publisher's level, sampled every
//! second here, reaches every participant; loss on its uplink lowers it, its recovery
//! raises it again, and media that stops makes it 0. (With Chromium and the unmodified
//! openvidu-browser: tests/e2e/network-quality.test.mjs.)

use std::time::Duration;

use ov_server::Config;
use ov_testkit::rpc::RpcClient;
use serde_json::{Value, json};

use crate::media_pump::join_and_send;
use crate::support::TestServer;

/// Long enough for a level to settle at one sample a second.
const SETTLE: Duration = Duration::from_secs(30);

/// The next level `clients[0]` is told for connection `of` that satisfies `want`. Every
/// client pings meanwhile (a silent socket is closed after 20 s).
async fn level(
    clients: &mut [&mut RpcClient],
    of: &str,
    what: &str,
    want: impl Fn(u64) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + SETTLE;
    let mut seen = Vec::new();
    while tokio::time::Instant::now() < deadline {
        let wait = Duration::from_secs(2);
        if let Some(n) = clients[0]
            .try_notification("networkQualityLevelChanged", wait)
            .await
        {
            if n["connectionId"] == of && want(n["newValue"].as_u64().unwrap()) {
                return n;
            }
            seen.push(n);
        }
        for c in clients.iter_mut() {
            c.call("ping", json!({})).await.unwrap();
        }
    }
    panic!("no networkQualityLevelChanged for {of} {what} within {SETTLE:?}, only {seen:?}");
}

#[tokio::test]
async fn a_publishers_level_follows_its_uplink_and_reaches_everyone() {
    let mut config = Config::for_loopback(crate::support::SECRET);
    config.network_quality_interval = Some(Duration::from_secs(1));
    let t = TestServer::start_with(config).await;
    let sid = t.new_session(json!({})).await;
    let mut viewer = RpcClient::join(&t.ws_url(), &t.token(&sid, "SUBSCRIBER").await, "V").await;
    let (mut publisher, _stream, pump) =
        join_and_send(&t, &t.token(&sid, "PUBLISHER").await, "P").await;
    let joined = viewer.notification("participantJoined").await;
    let id = joined["id"].as_str().unwrap().to_owned();

    // A clean loopback link: excellent, told to the viewer and to the publisher itself.
    let first = level(&mut [&mut viewer, &mut publisher], &id, "5 at first", |l| {
        l == 5
    })
    .await;
    assert_eq!(
        first["oldValue"], 5,
        "the first level has no other before it: {first}"
    );
    level(
        &mut [&mut publisher, &mut viewer],
        &id,
        "5 at first, to itself",
        |l| l == 5,
    )
    .await;
    let rest = t.connection(&sid, &id).await;
    assert!(
        rest.get("networkQualityLevel").is_none(),
        "only with webRtcStats: {rest}"
    );
    let path = format!("/sessions/{sid}/connection?webRtcStats=true");
    let (_, page) = t.call(reqwest::Method::GET, &path, None).await;
    let rest = page["content"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id.as_str());
    assert_eq!(rest.unwrap()["networkQualityLevel"], 5, "{page}");

    // 10 % of its RTP lost: its audio shows it (this peer resends lost video on the same
    // SSRC, which then counts as received), 8 points a percent: level 1 or 2.
    pump.set_loss(10);
    let worse = level(
        &mut [&mut viewer, &mut publisher],
        &id,
        "2 or less with loss",
        |l| l <= 2,
    )
    .await;
    assert!(worse["oldValue"].as_u64().unwrap() > 2, "{worse}");
    // The link recovers: the level climbs back.
    pump.set_loss(0);
    level(
        &mut [&mut viewer, &mut publisher],
        &id,
        "4 or more without loss",
        |l| l >= 4,
    )
    .await;

    // Media stops: the link is broken.
    drop(pump);
    level(
        &mut [&mut viewer, &mut publisher],
        &id,
        "0 once media stops",
        |l| l == 0,
    )
    .await;
    t.stop().await;
}
