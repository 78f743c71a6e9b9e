//! `updateSubscription`, openvidu-rs's own request: a subscriber reports the size it shows
//! a stream at (the layer choice itself is tested in ov-media's simulcast tests and in
//! the browser, tests/e2e/simulcast.test.mjs).

use serde_json::json;

use ov_testkit::rpc::RpcClient;

use crate::support::{self, TestServer};
use crate::support::{join_and_publish, subscribe};

#[tokio::test]
async fn a_subscriber_reports_its_video_size() {
    let t = TestServer::start().await;
    let sid = t.new_session(json!({})).await;
    let (_p, stream, _browser) = join_and_publish(&t, &t.token(&sid, "PUBLISHER").await, "P").await;
    let mut sub = RpcClient::join(&t.ws_url(), &t.token(&sid, "SUBSCRIBER").await, "S").await;

    // Before subscribing: the stream is not received.
    let size = json!({"sender": stream, "width": 320, "height": 180});
    let e = sub.fail("updateSubscription", size.clone()).await;
    assert_eq!(e.code, 102, "{e:?}");
    assert!(e.message.contains(&stream), "{e:?}");

    let _peer = subscribe(&mut sub, &stream).await;
    // Answered as every request without a result: only the RPC session id.
    let r = sub.call("updateSubscription", size).await.unwrap();
    assert_eq!(support::keys(&r), support::set(&["sessionId"]), "{r}");
    // Hidden.
    let hidden = json!({"sender": stream, "width": 0, "height": 0});
    sub.call("updateSubscription", hidden).await.unwrap();

    // Sizes are whole, non-negative pixels; the refusal names the element.
    for bad in [
        json!({"sender": stream, "width": -1, "height": 180}),
        json!({"sender": stream, "width": 320}),
        json!({"sender": stream, "width": "320", "height": 180}),
    ] {
        let e = sub.fail("updateSubscription", bad.clone()).await;
        assert!(
            e.message.contains("width") || e.message.contains("height"),
            "{bad}: {e:?}"
        );
    }
    t.stop().await;
}
