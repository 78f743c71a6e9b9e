//! `/dashboard`: behind the secret, a live feed of the sessions pushed as they change, and
//! the self-test's session and tokens.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use ov_testkit::rpc::RpcClient;

use crate::support::{SECRET, TestServer, join_and_publish};

fn dashboard(t: &TestServer, path: &str) -> String {
    format!("{}/dashboard{path}", t.server.local_url())
}

/// `method` on a dashboard path, with the secret.
fn with_secret(t: &TestServer, method: Method, path: &str) -> reqwest::RequestBuilder {
    t.http
        .request(method, dashboard(t, path))
        .basic_auth("OPENVIDUAPP", Some(SECRET))
}

/// Reads Server-Sent Events from `res` until `until` accepts a snapshot (or 10 s pass).
async fn snapshot_where(res: &mut reqwest::Response, until: impl Fn(&Value) -> bool) -> Value {
    let mut buffer = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let event: String = buffer.drain(..end + 2).collect();
            if let Some(data) = event
                .lines()
                .find_map(|l| l.strip_prefix("data:"))
                .map(str::trim)
            {
                assert!(event.contains("event: snapshot"), "{event}");
                let snapshot: Value = serde_json::from_str(data).expect("a JSON snapshot");
                if until(&snapshot) {
                    return snapshot;
                }
            }
        }
        let chunk = tokio::time::timeout_at(deadline, res.chunk())
            .await
            .expect("a snapshot in time")
            .expect("the feed is readable")
            .expect("the feed stays open");
        buffer.push_str(std::str::from_utf8(&chunk).expect("UTF-8"));
    }
}

#[tokio::test]
async fn without_the_secret_every_route_answers_401_and_asks_for_it() {
    let t = TestServer::start().await;
    for (method, path) in [
        (Method::GET, ""),
        (Method::GET, "/"),
        (Method::GET, "/dashboard.mjs"),
        (Method::GET, "/events"),
        (Method::POST, "/selftest"),
        (Method::DELETE, "/selftest/dashboard-selftest-x"),
    ] {
        for auth in [None, Some("WRONG")] {
            let mut req = t.http.request(method.clone(), dashboard(&t, path));
            if let Some(secret) = auth {
                req = req.basic_auth("OPENVIDUAPP", Some(secret));
            }
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
            assert!(
                res.headers()["www-authenticate"]
                    .to_str()
                    .unwrap()
                    .starts_with("Basic "),
                "a browser must be asked for the credentials"
            );
        }
    }
    t.stop().await;
}

#[tokio::test]
async fn the_page_and_its_script_are_served_with_the_secret() {
    let t = TestServer::start().await;
    for (path, kind, needle) in [
        ("", "text/html", "Live sessions"),
        ("/dashboard.mjs", "text/javascript", "EventSource"),
    ] {
        let res = with_secret(&t, Method::GET, path).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(kind)
        );
        assert!(res.text().await.unwrap().contains(needle));
    }
    t.stop().await;
}

#[tokio::test]
async fn the_feed_pushes_sessions_connections_and_streams_as_they_change() {
    let t = TestServer::start().await;
    let mut feed = with_secret(&t, Method::GET, "/events")
        .send()
        .await
        .unwrap();
    assert_eq!(feed.status(), StatusCode::OK);
    assert!(
        feed.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    snapshot_where(&mut feed, |s| s["sessions"] == json!([])).await;

    let sid = t.new_session(json!({"customSessionId": "watched"})).await;
    let (mut a, stream, _browser) =
        join_and_publish(&t, &t.token(&sid, "PUBLISHER").await, "A").await;
    let seen = snapshot_where(&mut feed, |s| {
        s["sessions"][0]["connections"][0]["publishers"][0]["streamId"] == json!(stream)
    })
    .await;
    let session = &seen["sessions"][0];
    assert_eq!(session["id"], "watched");
    assert_eq!(session["connections"][0]["id"], json!(a.connection_id));
    assert_eq!(session["connections"][0]["role"], "PUBLISHER");
    let publisher = &session["connections"][0]["publishers"][0];
    for field in [
        "bitrate",
        "loss",
        "rttMs",
        "speaking",
        "connected",
        "hasAudio",
    ] {
        assert!(publisher.get(field).is_some(), "{field} in {publisher}");
    }

    a.call("leaveRoom", json!({})).await.unwrap();
    snapshot_where(&mut feed, |s| {
        s["sessions"]
            .as_array()
            .is_some_and(|all| all.iter().all(|s| s["connections"] == json!([])))
    })
    .await;
    t.stop().await;
}

#[tokio::test]
async fn the_self_test_gets_its_own_session_and_may_close_only_those() {
    let t = TestServer::start().await;
    let res = with_secret(&t, Method::POST, "/selftest")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    let sid = body["sessionId"].as_str().unwrap().to_owned();
    assert!(sid.starts_with("dashboard-selftest-"), "{sid}");
    let tokens = body["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 2);
    // The tokens are real: a client joins with one.
    let joined = RpcClient::join(&t.ws_url(), tokens[0].as_str().unwrap(), "self").await;
    assert!(!joined.connection_id.is_empty());

    let other = t.new_session(json!({})).await;
    let status = |path: String| {
        let req = with_secret(&t, Method::DELETE, &path);
        async move { req.send().await.unwrap().status() }
    };
    assert_eq!(
        status(format!("/selftest/{other}")).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.call(Method::GET, &format!("/sessions/{other}"), None)
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        status(format!("/selftest/{sid}")).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        status(format!("/selftest/{sid}")).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.call(Method::GET, &format!("/sessions/{sid}"), None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    t.stop().await;
}
