//! Development mode's application-server API at `/openvidu/dev/` (the OpenVidu tutorials'
//! two endpoints): on with the default secret or `OPENVIDU_DEV=true`, off otherwise; and
//! the ICE servers its tokens get in `joinRoom`.

use ov_server::Config;
use ov_server::config::DevMode;
use ov_testkit::rpc::RpcClient;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{SECRET, TestServer};

async fn post(t: &TestServer, path: &str, body: &str) -> (StatusCode, String, String) {
    let res = t
        .http
        .post(format!("{}/openvidu/dev/{path}", t.server.local_url()))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = res.status();
    let content_type = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, res.text().await.unwrap())
}

#[tokio::test]
async fn the_tutorials_endpoints_create_or_reuse_sessions_and_give_tokens() {
    let t = TestServer::start_with(Config::for_loopback("MY_SECRET")).await;
    let (status, content_type, id) =
        post(&t, "api/sessions", r#"{"customSessionId":"room-1"}"#).await;
    assert_eq!(status, StatusCode::OK, "{id}");
    assert_eq!(content_type, "text/plain; charset=utf-8");
    assert_eq!(
        id, "room-1",
        "the id as text, as the tutorials' servers answer"
    );
    let (status, _, again) = post(&t, "api/sessions", r#"{"customSessionId":"room-1"}"#).await;
    assert_eq!(
        (status, again.as_str()),
        (StatusCode::OK, "room-1"),
        "reused"
    );
    let (status, _, generated) = post(&t, "api/sessions", "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(generated.starts_with("ses_"), "{generated}");

    let (status, _, token) = post(&t, "api/sessions/room-1/connections", "{}").await;
    assert_eq!(status, StatusCode::OK, "{token}");
    assert!(
        token.starts_with("ws://") && token.contains("sessionId=room-1"),
        "{token}"
    );
    let mut client = RpcClient::open(&format!("ws://{}/openvidu", t.server.local_addr)).await;
    client
        .join_with(&token, "Alice")
        .await
        .expect("the token joins");
    client.close().await;

    let (status, _, text) = post(&t, "api/sessions/nope/connections", "{}").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(text.contains("nope"), "{text}");
    let (status, _, text) = post(&t, "api/sessions", r#"{"customSessionId":"bad id!"}"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    let (status, _, text) = post(&t, "api/sessions", "not json").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    let (status, _, text) = post(&t, "api/nothing", "{}").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(text.contains("POST /openvidu/dev/api/sessions"), "{text}");

    // No authentication, but the deployment's own REST API still needs the secret.
    let rest = t
        .http
        .get(format!("{}/openvidu/api/sessions", t.server.local_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(rest.status(), StatusCode::UNAUTHORIZED);
    t.stop().await;
}

#[tokio::test]
async fn a_secret_of_ones_own_turns_it_off_unless_asked_for() {
    let t = TestServer::start_with(Config::for_loopback(SECRET)).await;
    let (status, _, text) = post(&t, "api/sessions", r#"{"customSessionId":"x"}"#).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(text.contains("OPENVIDU_DEV=true"), "{text}");
    let (status, _, _) = post(&t, "api/sessions/x/connections", "{}").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        t.server.registry.session(&"x".into()).is_none(),
        "nothing created"
    );
    t.stop().await;

    let mut config = Config::for_loopback(SECRET);
    config.dev = Some(DevMode::Asked);
    let t = TestServer::start_with(config).await;
    let (status, _, id) = post(&t, "api/sessions", r#"{"customSessionId":"x"}"#).await;
    assert_eq!((status, id.as_str()), (StatusCode::OK, "x"));
    t.stop().await;
}

#[tokio::test]
async fn it_is_rate_limited_like_the_rest_api() {
    let mut config = Config::for_loopback("MY_SECRET");
    config.limits = ov_server::config::Config::load(
        ["openvidu-rs", "--limit-rest-requests-per-second", "2"].map(Into::into),
        |_| None,
    )
    .unwrap()
    .limits;
    let t = TestServer::start_with(config).await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(
            post(&t, "api/sessions", r#"{"customSessionId":"r"}"#)
                .await
                .0,
        );
    }
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    assert_eq!(statuses[0], StatusCode::OK);
    t.stop().await;
}

/// In the default configuration (the embedded TURN server on), a token of the development
/// API joins with the deployment's own ICE servers only: the browser is never left to pick
/// public STUN servers.
#[tokio::test]
async fn its_connections_get_the_deployments_own_ice_servers() {
    let args = [
        "openvidu-rs",
        "--address",
        "127.0.0.1",
        "--port",
        "0",
        "--rtc-port",
        "0",
        "--domain",
        "127.0.0.1",
    ];
    let config = Config::load(args.map(Into::into), |_| None).unwrap();
    assert!(
        config.turn.is_some() && config.dev.is_some(),
        "the defaults"
    );
    let t = TestServer::start_with(config).await;
    post(&t, "api/sessions", r#"{"customSessionId":"ice"}"#).await;
    let (_, _, token) = post(&t, "api/sessions/ice/connections", "{}").await;
    let mut client = RpcClient::open(&format!("ws://{}/openvidu", t.server.local_addr)).await;
    let joined = client.join_with(&token, "A").await.unwrap();
    let servers = joined["customIceServers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!servers.is_empty(), "{joined}");
    for server in &servers {
        let url = server["url"].as_str().unwrap();
        assert!(
            url.starts_with("turn:127.0.0.1:") || url.starts_with("turns:127.0.0.1:"),
            "only the embedded TURN server: {url}"
        );
        assert!(server["username"].is_string() && server["credential"].is_string());
    }
    assert_eq!(json!(servers.len() >= 2), json!(true), "UDP and TCP");
    client.close().await;
    t.stop().await;
}
