//! Capacity and rate limits: each refusal is OpenVidu's status or code, with a message
//! naming the limit and its setting.

use reqwest::{Method, StatusCode};
use serde_json::json;

use ov_server::config::Limits;
use ov_testkit::rpc::RpcClient;

use crate::support::{SECRET, TestServer, join_and_publish, subscribe};

async fn server_with(limits: Limits) -> TestServer {
    let mut config = ov_server::Config::for_loopback(SECRET);
    config.limits = limits;
    TestServer::start_with(config).await
}

#[tokio::test]
async fn sessions_and_connections_are_refused_over_rest_with_429() {
    let t = server_with(Limits {
        sessions: Some(1),
        session_connections: Some(1),
        ..Limits::NONE
    })
    .await;
    let sid = t.new_session(json!({})).await;
    let (status, body) = t.call(Method::POST, "/sessions", Some(json!({}))).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("1 sessions per server is reached (setting OPENVIDU_LIMIT_SESSIONS)"),
        "{body}"
    );
    t.new_connection(&sid, json!({})).await;
    let path = format!("/sessions/{sid}/connection");
    let (status, body) = t.call(Method::POST, &path, Some(json!({}))).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("OPENVIDU_LIMIT_SESSION_CONNECTIONS"),
        "{body}"
    );
    let (status, _) = t
        .call(Method::POST, "/tokens", Some(json!({"session": sid})))
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // Freeing a place lets the next one in.
    t.call(Method::DELETE, &format!("/sessions/{sid}"), None)
        .await;
    t.new_session(json!({})).await;
    t.stop().await;
}

#[tokio::test]
async fn publishers_subscriptions_and_signals_are_refused_over_rpc_with_401() {
    let t = server_with(Limits {
        session_publishers: Some(1),
        session_subscriptions: Some(1),
        signals_per_second: Some(2),
        ..Limits::NONE
    })
    .await;
    let sid = t.new_session(json!({})).await;
    let (_a, stream, _peer) = join_and_publish(&t, &t.token(&sid, "PUBLISHER").await, "A").await;
    let mut b = RpcClient::join(&t.ws_url(), &t.token(&sid, "PUBLISHER").await, "B").await;
    let e = b
        .fail(
            "publishVideo",
            json!({"sdpOffer": "v=0", "hasAudio": true, "hasVideo": true}),
        )
        .await;
    assert_eq!(e.code, 401, "{e:?}");
    assert!(
        e.message.contains("OPENVIDU_LIMIT_SESSION_PUBLISHERS"),
        "{e:?}"
    );

    let _sub = subscribe(&mut b, &stream).await;
    let mut c = RpcClient::join(&t.ws_url(), &t.token(&sid, "PUBLISHER").await, "C").await;
    let e = c
        .fail("prepareReceiveVideoFrom", json!({"sender": stream}))
        .await;
    assert_eq!(e.code, 401, "{e:?}");
    assert!(e.message.contains("1 subscriptions per session"), "{e:?}");

    // A burst of twice the rate passes; the next signal is refused.
    let signal = json!({"message": json!({"to": [], "data": "hi"}).to_string()});
    for _ in 0..4 {
        c.call("sendMessage", signal.clone()).await.unwrap();
    }
    let e = c.fail("sendMessage", signal.clone()).await;
    assert_eq!(e.code, 401, "{e:?}");
    assert!(e.message.contains("signals per second"), "{e:?}");
    // Another connection has its own rate.
    b.call("sendMessage", signal).await.unwrap();
    t.stop().await;
}

#[tokio::test]
async fn the_rest_rate_is_per_client_address() {
    let t = server_with(Limits {
        rest_requests_per_second: Some(5),
        ..Limits::NONE
    })
    .await;
    let mut refused = None;
    for i in 0..40 {
        let (status, body) = t.call(Method::GET, "/sessions", None).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            refused = Some((i, body));
            break;
        }
    }
    let (count, body) = refused.expect("refused within 40 requests");
    assert!(
        count >= 10,
        "the burst of twice the rate passed first: {count}"
    );
    assert_eq!(body["status"], 429);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("OPENVIDU_LIMIT_REST_REQUESTS_PER_SECOND"),
        "{body}"
    );
    // Another address is not affected.
    let other = reqwest::Client::builder()
        .local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    let res = other
        .get(t.url("/sessions"))
        .basic_auth("OPENVIDUAPP", Some(SECRET))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    t.stop().await;
}
