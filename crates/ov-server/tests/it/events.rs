//! Webhooks and the CDR file: the events of a whole call, in order, with OpenVidu's bodies.

use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::post;
use reqwest::Method;
use serde_json::{Value, json};

use ov_testkit::rpc::RpcClient;
use ov_testkit::wait::until;

use crate::support::{SECRET, TestServer};
use crate::support::{join_and_publish, subscribe};

type Received = Arc<Mutex<Vec<(HeaderMap, Value)>>>;

/// An HTTP receiver on loopback recording every POST.
async fn receiver() -> (String, Received) {
    let received: Received = Arc::default();
    let store = received.clone();
    let app = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: String| {
            let store = store.clone();
            async move {
                store
                    .lock()
                    .unwrap()
                    .push((headers, serde_json::from_str(&body).unwrap_or(Value::Null)));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

/// The bodies received so far.
fn bodies(received: &Received) -> Vec<Value> {
    received
        .lock()
        .unwrap()
        .iter()
        .map(|(_, b)| b.clone())
        .collect()
}

/// Waits until at least `n` events were received; returns them all.
async fn wait_for_events(received: &Received, n: usize) -> Vec<Value> {
    until(&format!("{n} webhook events"), EVENTS_WAIT, || async {
        let got = bodies(received);
        (got.len() >= n).then_some(got)
    })
    .await
}

/// How long webhook events may take to arrive.
const EVENTS_WAIT: Duration = Duration::from_secs(5);

#[tokio::test]
async fn a_whole_call_in_webhooks_and_the_cdr() {
    let (url, received) = receiver().await;
    let cdr = std::env::temp_dir().join(format!("ovrs-cdr-{}", std::process::id()));
    let mut config = ov_server::Config::for_loopback(SECRET);
    config.webhook = Some(ov_server::config::WebhookConfig {
        endpoint: url,
        headers: vec![("Authorization".into(), "Basic dGVzdDp0ZXN0".into())],
        events: ov_server::config::WEBHOOK_EVENT_NAMES
            .iter()
            .map(|s| s.to_string())
            .collect(),
    });
    config.cdr_path = Some(cdr.clone());
    let t = TestServer::start_with(config).await;
    let sid = t.new_session(json!({"customSessionId": "hooked"})).await;
    let (mut a, stream_a, _pa) = join_and_publish(&t, &t.token(&sid, "PUBLISHER").await, "A").await;
    let mut b = RpcClient::join(&t.ws_url(), &t.token(&sid, "PUBLISHER").await, "B").await;
    subscribe(&mut b, &stream_a).await;
    let signal = json!({"to": [], "data": "hello", "type": "signal:chat"}).to_string();
    a.call("sendMessage", json!({"message": signal}))
        .await
        .unwrap();
    let (status, _) = t
        .call(
            Method::POST,
            "/signal",
            Some(json!({"session": sid, "type": "rest-type", "data": "from server"})),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK);
    b.call("leaveRoom", json!({})).await.unwrap();
    a.call("leaveRoom", json!({})).await.unwrap();

    let events = wait_for_events(&received, 12).await;
    assert_eq!(events.len(), 12, "{events:?}");
    let names: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "sessionCreated",
            "participantJoined",
            "webrtcConnectionCreated",
            "participantJoined",
            "webrtcConnectionCreated",
            "signalSent",
            "signalSent",
            "webrtcConnectionDestroyed",
            "participantLeft",
            "webrtcConnectionDestroyed",
            "participantLeft",
            "sessionDestroyed",
        ]
    );
    let created_at = events[0]["timestamp"].as_u64().unwrap();
    for e in &events {
        assert_eq!(e["sessionId"], "hooked");
        assert_eq!(e["uniqueSessionId"], format!("hooked_{created_at}"));
        assert!(e["timestamp"].as_u64().unwrap() >= created_at);
    }
    let joined_a = &events[1];
    assert_eq!(joined_a["connectionId"], a.connection_id.as_str());
    assert_eq!(joined_a["participantId"], a.connection_id.as_str());
    assert_eq!(joined_a["clientData"], "A");
    assert_eq!(joined_a["serverData"], "PUBLISHER-data");
    assert_eq!(joined_a["platform"], "Rust test");
    assert_eq!(joined_a["location"], "unknown");
    let outbound = &events[2];
    assert_eq!(outbound["connection"], "OUTBOUND");
    assert_eq!(outbound["streamId"], stream_a.as_str());
    assert_eq!(outbound["videoSource"], "CAMERA");
    assert_eq!(outbound["videoFramerate"], 30);
    assert_eq!(
        (
            outbound["audioEnabled"].clone(),
            outbound["videoEnabled"].clone()
        ),
        (json!(true), json!(true))
    );
    assert!(outbound.get("receivingFrom").is_none());
    let inbound = &events[4];
    assert_eq!(inbound["connection"], "INBOUND");
    assert_eq!(inbound["connectionId"], b.connection_id.as_str());
    assert_eq!(inbound["receivingFrom"], a.connection_id.as_str());
    let signal = &events[5];
    assert_eq!(signal["from"], a.connection_id.as_str());
    assert_eq!(signal["type"], "chat");
    assert_eq!(signal["data"], "hello");
    assert_eq!(signal["to"].as_array().unwrap().len(), 2);
    let rest_signal = &events[6];
    assert_eq!(
        (rest_signal["from"].clone(), rest_signal["type"].clone()),
        (Value::Null, json!("rest-type"))
    );
    // B leaves: its subscription ends, then B itself.
    assert_eq!(events[7]["connection"], "INBOUND");
    assert_eq!(events[7]["reason"], "disconnect");
    assert_eq!(events[8]["connectionId"], b.connection_id.as_str());
    assert_eq!(events[8]["reason"], "disconnect");
    assert!(events[8]["duration"].is_u64());
    assert!(events[8]["startTime"].as_u64().unwrap() >= created_at);
    // A leaves: its publication ends, then A, then the session.
    assert_eq!(events[9]["connection"], "OUTBOUND");
    assert_eq!(events[11]["reason"], "lastParticipantLeft");
    assert_eq!(events[11]["startTime"], created_at);

    // Every request carried the custom header and the JSON content type.
    for (headers, _) in received.lock().unwrap().iter() {
        assert_eq!(headers["authorization"], "Basic dGVzdDp0ZXN0");
        assert_eq!(headers["content-type"], "application/json");
    }

    // The CDR file has the same events, one {"<event>": {...}} per line.
    let file = std::fs::read_dir(&cdr)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert!(
        file.file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("CDR.")
    );
    let lines: Vec<Value> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let cdr_names: Vec<String> = lines
        .iter()
        .map(|l| l.as_object().unwrap().keys().next().unwrap().clone())
        .collect();
    assert_eq!(cdr_names, names);
    assert!(lines[0]["sessionCreated"].get("event").is_none());
    t.stop().await;
    std::fs::remove_dir_all(&cdr).unwrap();
}

/// A webhook configuration sending every event to `endpoint`.
fn all_events_to(endpoint: String) -> ov_server::Config {
    let mut config = ov_server::Config::for_loopback(SECRET);
    config.webhook = Some(ov_server::config::WebhookConfig {
        endpoint,
        headers: vec![],
        events: ov_server::config::WEBHOOK_EVENT_NAMES
            .iter()
            .map(|s| s.to_string())
            .collect(),
    });
    config
}

#[tokio::test]
async fn only_the_configured_events_are_sent() {
    let (url, received) = receiver().await;
    let mut config = ov_server::Config::for_loopback(SECRET);
    config.webhook = Some(ov_server::config::WebhookConfig {
        endpoint: url,
        headers: vec![],
        events: vec!["sessionCreated".into()],
    });
    let t = TestServer::start_with(config).await;
    t.new_session(json!({"customSessionId": "one"})).await;
    let mut a = RpcClient::join(&t.ws_url(), &t.token("one", "PUBLISHER").await, "A").await;
    a.call("leaveRoom", json!({})).await.unwrap();
    // Events are delivered in order: once the next session's sessionCreated is in, A's
    // participantJoined, participantLeft and sessionDestroyed would have been too.
    t.new_session(json!({"customSessionId": "two"})).await;
    let events = wait_for_events(&received, 2).await;
    let got: Vec<(Value, Value)> = events
        .iter()
        .map(|e| (e["event"].clone(), e["sessionId"].clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            (json!("sessionCreated"), json!("one")),
            (json!("sessionCreated"), json!("two"))
        ]
    );
    t.stop().await;
}

/// An endpoint that accepts connections and never answers: every attempt waits for the
/// webhook's own timeout.
async fn black_hole() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    url
}

#[test]
fn a_dead_endpoint_blocks_nobody() {
    // A delivery takes 2 s of retries to a refusing endpoint and 10 s per attempt to one
    // that never answers; 2 × 21 events waited for in line would take far longer. The
    // bound is kept by this thread, outside the server's runtime, so that it holds even
    // if a session blocked its runtime's threads.
    const BOUND: Duration = Duration::from_secs(10);
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            for endpoint in ["http://127.0.0.1:9/nobody".to_owned(), black_hole().await] {
                let t = TestServer::start_with(all_events_to(endpoint)).await;
                for i in 0..20 {
                    t.new_session(json!({"customSessionId": format!("s{i}")}))
                        .await;
                }
                let token = t.token("s0", "PUBLISHER").await;
                let mut c = RpcClient::join(&t.ws_url(), &token, "C").await;
                assert_eq!(
                    c.call("ping", json!({})).await.unwrap(),
                    json!({"value": "pong"})
                );
                c.call("leaveRoom", json!({})).await.unwrap();
                t.stop().await;
            }
        });
        let _ = done.send(());
    });
    match finished.recv_timeout(BOUND) {
        Ok(()) => {}
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("sessions were still busy after {BOUND:?}: the webhook blocked them")
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("the sessions failed (see above)"),
    }
}

#[tokio::test]
async fn unsubscribing_and_unpublishing_end_the_right_connections() {
    let (url, received) = receiver().await;
    let mut config = ov_server::Config::for_loopback(SECRET);
    config.webhook = Some(ov_server::config::WebhookConfig {
        endpoint: url,
        headers: vec![],
        events: vec!["webrtcConnectionDestroyed".into()],
    });
    let t = TestServer::start_with(config).await;
    let sid = t.new_session(json!({})).await;
    let (mut a, stream, _pa) = join_and_publish(&t, &t.token(&sid, "PUBLISHER").await, "A").await;
    let mut subscribers = Vec::new();
    for name in ["B", "C"] {
        let mut s = RpcClient::join(&t.ws_url(), &t.token(&sid, "PUBLISHER").await, name).await;
        subscribe(&mut s, &stream).await;
        subscribers.push(s);
    }
    subscribers[0]
        .call("unsubscribeFromVideo", json!({"sender": a.connection_id}))
        .await
        .unwrap();
    a.call("unpublishVideo", json!({})).await.unwrap();
    let events = wait_for_events(&received, 3).await;
    let summary: Vec<(Value, Value, Value)> = events
        .iter()
        .map(|e| {
            (
                e["connectionId"].clone(),
                e["connection"].clone(),
                e["reason"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                json!(subscribers[0].connection_id),
                json!("INBOUND"),
                json!("unsubscribe")
            ),
            (
                json!(subscribers[1].connection_id),
                json!("INBOUND"),
                json!("unpublish")
            ),
            (
                json!(a.connection_id),
                json!("OUTBOUND"),
                json!("unpublish")
            ),
        ]
    );
    t.stop().await;
}
