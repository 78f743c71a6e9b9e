//! The media engine's ends reach the domain: a subscription or a publication whose
//! WebRTC connection never completes is ended by the server once the peer timeout has
//! passed, as if its owner had ended it, with OpenVidu's reason for it.

use std::path::Path;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use ov_testkit::BrowserPeer;
use ov_testkit::rpc::RpcClient;
use ov_testkit::wait::until;

use crate::support::{SECRET, TestServer, join_and_publish, subscribe};

const PEER_TIMEOUT: Duration = Duration::from_secs(1);

fn cdr_events(folder: &Path) -> Vec<(String, Value)> {
    let Some(Ok(entry)) = std::fs::read_dir(folder).ok().and_then(|mut d| d.next()) else {
        return Vec::new();
    };
    std::fs::read_to_string(entry.path())
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| {
            let (name, body) = v.as_object()?.iter().next()?;
            Some((name.clone(), body.clone()))
        })
        .collect()
}

#[tokio::test]
async fn connections_that_never_complete_end_their_subscription_then_their_stream() {
    let cdr = std::env::temp_dir().join(format!("ovrs-media-events-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cdr);
    let mut config = ov_server::Config::for_loopback(SECRET);
    config.rtc_peer_timeout = PEER_TIMEOUT;
    config.cdr_path = Some(cdr.clone());
    let t = TestServer::start_with(config).await;
    let sid = t.new_session(json!({"customSessionId": "lost"})).await;
    // Neither "browser" ever sends a STUN check: ICE never completes.
    let published = Instant::now();
    let (mut a, stream_a, _pa) = join_and_publish(&t, &t.token(&sid, "PUBLISHER").await, "A").await;
    let mut b = RpcClient::join(&t.ws_url(), &t.token(&sid, "PUBLISHER").await, "B").await;
    let started = Instant::now();
    subscribe(&mut b, &stream_a).await;
    assert_eq!(
        t.connection(&sid, &b.connection_id).await["subscribers"][0]["streamId"],
        stream_a.as_str()
    );

    // The subscriber's peer times out first (subscribers are not kept for a reconnection):
    // the subscription is gone from REST while A still publishes.
    until(
        "the subscription to end",
        Duration::from_secs(5),
        || async {
            let b_rest = t.connection(&sid, &b.connection_id).await;
            b_rest["subscribers"]
                .as_array()
                .unwrap()
                .is_empty()
                .then_some(())
        },
    )
    .await;
    assert!(
        started.elapsed() >= PEER_TIMEOUT,
        "not before the peer timeout"
    );
    let a_rest = t.connection(&sid, &a.connection_id).await;
    assert_eq!(a_rest["publishers"][0]["streamId"], stream_a.as_str());

    // The publisher's peer is kept one more timeout for a media reconnection, then its
    // stream ends: everybody, the owner included, is told.
    let owner = a.connection_id.clone();
    for c in [&mut b, &mut a] {
        let n = c.notification("participantUnpublished").await;
        assert_eq!(n["connectionId"], owner.as_str(), "{n}");
        assert_eq!(n["reason"], "mediaServerDisconnect", "{n}");
    }
    assert!(
        published.elapsed() >= 2 * PEER_TIMEOUT,
        "not before the reconnection chance passed"
    );
    let a_rest = t.connection(&sid, &a.connection_id).await;
    assert_eq!(a_rest["publishers"], json!([]));
    assert_eq!(a_rest["status"], "active", "the participant itself stays");
    // The domain let go of every engine peer.
    assert_eq!(t.server.registry.services().peer_count(), 0);

    // The CDR reports both connections' ends with the reason.
    let ends = until("both ends in the CDR", Duration::from_secs(5), || async {
        let ends: Vec<Value> = cdr_events(&cdr)
            .into_iter()
            .filter(|(name, _)| name == "webrtcConnectionDestroyed")
            .map(|(_, body)| body)
            .collect();
        (ends.len() == 2).then_some(ends)
    })
    .await;
    assert_eq!(ends[0]["connection"], "INBOUND");
    assert_eq!(ends[0]["connectionId"], b.connection_id.as_str());
    assert_eq!(ends[1]["connection"], "OUTBOUND");
    assert_eq!(ends[1]["connectionId"], a.connection_id.as_str());
    for e in &ends {
        assert_eq!(e["reason"], "mediaServerDisconnect", "{e}");
        assert_eq!(e["streamId"], stream_a.as_str());
    }

    // The call goes on: A can publish again.
    let offer = BrowserPeer::default().publish_offer().unwrap();
    let again = a
        .call(
            "publishVideo",
            json!({"sdpOffer": offer, "hasAudio": true, "hasVideo": true}),
        )
        .await
        .expect("a new publication");
    assert_ne!(again["id"], stream_a.as_str());
    let (status, _) = t.call(Method::GET, &format!("/sessions/{sid}"), None).await;
    assert_eq!(status, reqwest::StatusCode::OK);
    t.stop().await;
    let _ = std::fs::remove_dir_all(&cdr);
}
