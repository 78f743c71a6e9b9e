//! JSON-RPC: publishing, subscribing, stream properties, and what REST shows of them.

use reqwest::{Method, StatusCode};
use serde_json::json;

use ov_testkit::BrowserPeer;
use ov_testkit::rpc::RpcClient;

use crate::support::TestServer;
use crate::support::{join_and_publish, subscribe};

#[tokio::test]
async fn publish_subscribe_and_rest_reflection() {
    let t = TestServer::start().await;
    let sid = t.new_session(json!({})).await;
    let (mut a, stream, _pub_browser) =
        join_and_publish(&t, &t.token(&sid, "PUBLISHER").await, "A").await;
    assert!(
        stream.starts_with("str_CAM_") && stream.ends_with(&a.connection_id),
        "{stream}"
    );
    let mut b = RpcClient::join(&t.ws_url(), &t.token(&sid, "SUBSCRIBER").await, "B").await;

    let prepared = b
        .call(
            "prepareReceiveVideoFrom",
            json!({"sender": stream, "reconnect": false}),
        )
        .await
        .unwrap();
    let offer = prepared["sdpOffer"].as_str().unwrap();
    assert!(
        offer.contains("m=audio") && offer.contains("m=video"),
        "{offer}"
    );
    assert!(offer.contains("a=ice-lite"));
    let answer = BrowserPeer::default().answer(offer).unwrap();
    b.call(
        "receiveVideoFrom",
        json!({"sender": stream, "sdpAnswer": answer}),
    )
    .await
    .unwrap();
    b.call(
        "onIceCandidate",
        json!({"endpointName": a.connection_id, "candidate": "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host",
               "sdpMid": "0", "sdpMLineIndex": 0}),
    )
    .await
    .unwrap();

    // REST: publishers and subscribers of the active connections.
    let (_, conns) = t
        .call(Method::GET, &format!("/sessions/{sid}/connection"), None)
        .await;
    let by_id = |id: &str| {
        conns["content"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()
            .clone()
    };
    let ca = by_id(&a.connection_id);
    assert_eq!(ca["publishers"][0]["streamId"], stream.as_str());
    assert_eq!(
        ca["publishers"][0]["mediaOptions"],
        json!({"hasAudio": true, "audioActive": true, "hasVideo": true, "videoActive": true,
               "typeOfVideo": "CAMERA", "frameRate": 30, "videoDimensions": "{\"width\":640,\"height\":480}", "filter": {}})
    );
    let cb = by_id(&b.connection_id);
    assert_eq!(cb["subscribers"][0]["streamId"], stream.as_str());
    assert!(cb["subscribers"][0]["createdAt"].as_u64().is_some());

    // With webRtcStats, the endpoints carry their SDPs and candidates.
    let (_, s) = t
        .call(
            Method::GET,
            &format!("/sessions/{sid}?webRtcStats=true"),
            None,
        )
        .await;
    let content = s["connections"]["content"].as_array().unwrap();
    let p = content
        .iter()
        .find(|c| c["id"] == a.connection_id.as_str())
        .unwrap();
    let publisher = &p["publishers"][0];
    assert_eq!(publisher["webrtcEndpointName"], stream.as_str());
    assert!(publisher["localSdp"].as_str().unwrap().starts_with("v=0"));
    assert!(publisher["remoteSdp"].as_str().unwrap().starts_with("v=0"));
    assert!(
        publisher["serverIceCandidates"][0]["candidate"]
            .as_str()
            .unwrap()
            .contains("typ host")
    );
    let sub = &content
        .iter()
        .find(|c| c["id"] == b.connection_id.as_str())
        .unwrap()["subscribers"][0];
    assert_eq!(
        sub["webrtcEndpointName"],
        format!("{}_{}", b.connection_id, stream)
    );
    assert_eq!(sub["remoteSdp"], answer.as_str());

    // Stream properties: recorded, and relayed to the others with OpenVidu's encodings.
    for (property, value, encoded) in [
        ("audioActive", json!(false), json!("false")),
        (
            "videoDimensions",
            json!("{\"width\":320,\"height\":240}"),
            json!("\"{\\\"width\\\":320,\\\"height\\\":240}\""),
        ),
    ] {
        a.call(
            "streamPropertyChanged",
            json!({"streamId": stream, "property": property, "newValue": value, "reason": "test"}),
        )
        .await
        .unwrap();
        let n = b.notification("streamPropertyChanged").await;
        assert_eq!(
            n,
            json!({"connectionId": a.connection_id, "streamId": stream, "property": property,
                   "newValue": encoded, "reason": "test"})
        );
    }
    a.no_notification("streamPropertyChanged").await;
    let c = t.connection(&sid, &a.connection_id).await;
    assert_eq!(c["publishers"][0]["mediaOptions"]["audioActive"], false);
    assert_eq!(
        c["publishers"][0]["mediaOptions"]["videoDimensions"],
        "{\"width\":320,\"height\":240}"
    );

    // Unsubscribe, by the publisher's *connection* id.
    b.call("unsubscribeFromVideo", json!({"sender": a.connection_id}))
        .await
        .unwrap();
    let c = t.connection(&sid, &b.connection_id).await;
    assert_eq!(c["subscribers"], json!([]));
    assert_eq!(
        b.fail("unsubscribeFromVideo", json!({"sender": a.connection_id}))
            .await
            .code,
        102
    );

    // Unpublish: the others hear it; a second one is an error.
    a.call("unpublishVideo", json!({})).await.unwrap();
    assert_eq!(
        b.notification("participantUnpublished").await,
        json!({"connectionId": a.connection_id, "reason": "unpublish"})
    );
    a.no_notification("participantUnpublished").await;
    assert_eq!(a.fail("unpublishVideo", json!({})).await.code, 105);
    t.stop().await;
}

#[tokio::test]
async fn others_are_told_of_new_streams() {
    let t = TestServer::start().await;
    let sid = t.new_session(json!({})).await;
    let mut b = RpcClient::join(&t.ws_url(), &t.token(&sid, "PUBLISHER").await, "B").await;
    let (mut a, stream, _browser) =
        join_and_publish(&t, &t.token(&sid, "PUBLISHER").await, "A").await;
    b.notification("participantJoined").await;
    let published = b.notification("participantPublished").await;
    assert_eq!(published["id"], a.connection_id.as_str());
    let s = &published["streams"][0];
    assert_eq!(s["id"], stream.as_str());
    assert_eq!(
        (s["hasAudio"].clone(), s["hasVideo"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(s["typeOfVideo"], "CAMERA");
    assert_eq!(s["filter"], json!({}));
    a.no_notification("participantPublished").await;
    t.stop().await;
}

#[tokio::test]
async fn publishing_and_subscribing_errors() {
    let t = TestServer::start().await;
    let sid = t.new_session(json!({})).await;
    let mut sub = RpcClient::join(&t.ws_url(), &t.token(&sid, "SUBSCRIBER").await, "S").await;
    let offer = BrowserPeer::default().publish_offer().unwrap();
    let publish =
        json!({"sdpOffer": offer, "doLoopback": false, "hasAudio": true, "hasVideo": true});
    let e = sub.fail("publishVideo", publish.clone()).await;
    assert_eq!(e.code, 401);
    assert_eq!(
        e.message,
        "Unable to publish video. The user does not have a valid token"
    );

    let (mut p, stream, _browser) =
        join_and_publish(&t, &t.token(&sid, "PUBLISHER").await, "P").await;
    let e = p.fail("publishVideo", publish.clone()).await;
    assert_eq!(e.code, 106);
    let mut q = RpcClient::join(&t.ws_url(), &t.token(&sid, "PUBLISHER").await, "Q").await;
    for garbage in [
        "",
        "v=0",
        "not an sdp at all",
        "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n",
    ] {
        let params =
            json!({"sdpOffer": garbage, "doLoopback": false, "hasAudio": true, "hasVideo": true});
        let e = q.fail("publishVideo", params).await;
        assert_eq!(e.code, 302, "{garbage:?}: {e:?}");
    }
    assert_eq!(
        q.fail("publishVideo", json!({"sdpOffer": offer}))
            .await
            .code,
        -1
    );

    let e = sub
        .fail(
            "prepareReceiveVideoFrom",
            json!({"sender": "str_CAM_Abcd_con_Nobody"}),
        )
        .await;
    assert_eq!(e.code, 102);
    let not_streaming = format!("str_CAM_Zzzz_{}", q.connection_id);
    assert_eq!(
        sub.fail("prepareReceiveVideoFrom", json!({"sender": not_streaming}))
            .await
            .code,
        105
    );
    let e = sub
        .fail(
            "receiveVideoFrom",
            json!({"sender": stream, "sdpOffer": "v=0"}),
        )
        .await;
    assert_eq!(e.code, 302);
    assert!(e.message.contains("prepareReceiveVideoFrom"), "{e:?}");
    assert_eq!(
        sub.fail(
            "receiveVideoFrom",
            json!({"sender": stream, "sdpAnswer": "v=0"})
        )
        .await
        .code,
        102
    );
    let prepared = sub
        .call("prepareReceiveVideoFrom", json!({"sender": stream}))
        .await
        .unwrap();
    assert!(prepared["sdpOffer"].is_string());
    assert_eq!(
        sub.fail(
            "receiveVideoFrom",
            json!({"sender": stream, "sdpAnswer": "garbage"})
        )
        .await
        .code,
        302
    );
    // Candidates are always answered, even for endpoints that do not exist (yet).
    sub.call(
        "onIceCandidate",
        json!({"endpointName": "con_Unknown", "candidate": "", "sdpMid": "0", "sdpMLineIndex": 0}),
    )
    .await
    .unwrap();
    p.call("onIceCandidate", json!({"endpointName": p.connection_id, "candidate": "candidate:garbage", "sdpMid": "0", "sdpMLineIndex": 0}))
        .await
        .unwrap();

    // REST DELETE of a stream: everyone hears forceUnpublishByServer.
    let (status, _) = t
        .call(
            Method::DELETE,
            &format!("/sessions/{sid}/stream/{stream}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let n = json!({"connectionId": p.connection_id, "reason": "forceUnpublishByServer"});
    assert_eq!(p.notification("participantUnpublished").await, n);
    assert_eq!(sub.notification("participantUnpublished").await, n);
    let (status, _) = t
        .call(
            Method::DELETE,
            &format!("/sessions/{sid}/stream/{stream}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    t.stop().await;
}

#[tokio::test]
async fn media_reconnection_keeps_the_stream_and_its_subscribers() {
    let t = TestServer::start().await;
    let sid = t.new_session(json!({})).await;
    let (mut a, stream, _old) = join_and_publish(&t, &t.token(&sid, "PUBLISHER").await, "A").await;
    let mut b = RpcClient::join(&t.ws_url(), &t.token(&sid, "PUBLISHER").await, "B").await;
    subscribe(&mut b, &stream).await;

    // The publisher reconnects from a new peer connection: same id and creation time.
    let before = t
        .call(
            Method::GET,
            &format!("/sessions/{sid}/connection/{}", a.connection_id),
            None,
        )
        .await
        .1;
    let mut fresh = BrowserPeer::default();
    let r = a
        .call(
            "reconnectStream",
            json!({"stream": stream, "sdpString": fresh.publish_offer().unwrap()}),
        )
        .await
        .unwrap();
    fresh
        .accept_answer(r["sdpAnswer"].as_str().unwrap())
        .unwrap();
    assert_eq!(r["id"], stream.as_str());
    assert_eq!(r["createdAt"], before["publishers"][0]["createdAt"]);
    b.no_notification("participantUnpublished").await;
    b.no_notification("participantPublished").await;

    // The subscriber reconnects: a new server offer, answered through reconnectStream.
    let offer = b
        .call(
            "prepareReceiveVideoFrom",
            json!({"sender": stream, "reconnect": true}),
        )
        .await
        .unwrap();
    let answer = BrowserPeer::default()
        .answer(offer["sdpOffer"].as_str().unwrap())
        .unwrap();
    b.call(
        "reconnectStream",
        json!({"stream": stream, "sdpString": answer, "forciblyReconnect": false}),
    )
    .await
    .unwrap();
    let c = t.connection(&sid, &b.connection_id).await;
    assert_eq!(
        c["subscribers"].as_array().unwrap().len(),
        1,
        "still one subscription: {c}"
    );

    // Errors: a browser-made subscriber offer, a stream of somebody else's, no offer.
    let e = b
        .fail(
            "reconnectStream",
            json!({"stream": stream, "sdpOffer": "v=0"}),
        )
        .await;
    assert_eq!(e.code, 302);
    let e = b
        .fail(
            "reconnectStream",
            json!({"stream": format!("str_CAM_Xxxx_{}", b.connection_id), "sdpString": "v=0"}),
        )
        .await;
    assert_eq!(e.code, 105);
    assert_eq!(
        a.fail("reconnectStream", json!({"stream": stream}))
            .await
            .code,
        -1
    );
    t.stop().await;
}

#[tokio::test]
async fn sessions_are_pinned_to_media_workers() {
    let mut config = ov_server::Config::for_loopback(crate::support::SECRET);
    config.rtc_workers = 2;
    let t = TestServer::start_with(config).await;
    let ports: Vec<u16> = t
        .server
        .registry
        .media()
        .local_addrs()
        .iter()
        .map(|a| a.port())
        .collect();
    assert_eq!(ports.len(), 2);
    assert_ne!(ports[0], ports[1]);
    let candidate_port = |sdp: &str| -> u16 {
        let line = sdp
            .lines()
            .find(|l| l.starts_with("a=candidate"))
            .expect("a candidate");
        line.split(' ').nth(5).unwrap().parse().unwrap()
    };
    let mut used = std::collections::BTreeSet::new();
    for i in 0..8 {
        let sid = t
            .new_session(json!({"customSessionId": format!("room-{i}")}))
            .await;
        let mut a = RpcClient::join(&t.ws_url(), &t.token(&sid, "PUBLISHER").await, "A").await;
        let mut browser = BrowserPeer::default();
        let published = a
            .call(
                "publishVideo",
                json!({"sdpOffer": browser.publish_offer().unwrap(), "doLoopback": false, "hasAudio": true, "hasVideo": true}),
            )
            .await
            .unwrap();
        let publisher_port = candidate_port(published["sdpAnswer"].as_str().unwrap());
        let mut b = RpcClient::join(&t.ws_url(), &t.token(&sid, "PUBLISHER").await, "B").await;
        let offer = b
            .call(
                "prepareReceiveVideoFrom",
                json!({"sender": published["id"]}),
            )
            .await
            .unwrap();
        // A subscriber is served by its publisher's worker.
        assert_eq!(
            candidate_port(offer["sdpOffer"].as_str().unwrap()),
            publisher_port
        );
        used.insert(publisher_port);
    }
    let workers: std::collections::BTreeSet<u16> = ports.into_iter().collect();
    assert_eq!(used, workers, "sessions use both workers");
    t.stop().await;
}
