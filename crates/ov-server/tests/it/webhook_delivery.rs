//! Webhook delivery as OpenVidu does it: an endpoint that cannot be reached gets 5
//! attempts per event, an endpoint that answers (whatever the status) gets one, and the
//! events after a failed one still go out, in order.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use ov_testkit::wait::until;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::support::{SECRET, TestServer};

/// Retries of one event take 4 pauses of 500 ms; this leaves room for a busy machine.
const DELIVERY_WAIT: Duration = Duration::from_secs(15);

/// A server sending `sessionCreated` events to `endpoint`.
async fn server_hooked_to(endpoint: String) -> TestServer {
    let mut config = ov_server::Config::for_loopback(SECRET);
    config.webhook = Some(ov_server::config::WebhookConfig {
        endpoint,
        headers: vec![],
        events: vec!["sessionCreated".into()],
    });
    TestServer::start_with(config).await
}

/// What a receiver saw: the session of every request (attempt), in arrival order, and of
/// those it answered 200.
#[derive(Default)]
struct Seen {
    attempts: Vec<String>,
    delivered: Vec<String>,
}

type Shared = Arc<Mutex<Seen>>;

/// An endpoint that reads its first `refused` requests and resets their connections
/// without answering (a transport error for the sender), then answers `200 OK`.
async fn flaky_receiver(refused: usize) -> (String, Shared) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let seen: Shared = Arc::default();
    let store = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let Some(body) = read_request(&mut socket).await else {
                continue;
            };
            let session = body["sessionId"].as_str().unwrap_or("?").to_owned();
            let refuse = {
                let mut s = store.lock().unwrap();
                s.attempts.push(session.clone());
                s.attempts.len() <= refused
            };
            if refuse {
                // SO_LINGER 0: the close is a reset.
                let _ = socket.set_zero_linger();
                continue;
            }
            let answered = socket
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .await;
            if answered.is_ok() {
                store.lock().unwrap().delivered.push(session);
            }
        }
    });
    (url, seen)
}

/// Reads one HTTP/1.1 request (head and `content-length` body); returns the body as JSON.
async fn read_request(socket: &mut TcpStream) -> Option<Value> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    serde_json::from_slice(&buf[head_end..head_end + length]).ok()
}

/// Waits until `seen` has `n` delivered events; returns (attempts, delivered).
async fn wait_for_deliveries(seen: &Shared, n: usize) -> (Vec<String>, Vec<String>) {
    until(
        &format!("{n} webhook deliveries"),
        DELIVERY_WAIT,
        || async {
            let s = seen.lock().unwrap();
            (s.delivered.len() >= n).then(|| (s.attempts.clone(), s.delivered.clone()))
        },
    )
    .await
}

#[tokio::test]
async fn an_unreachable_endpoint_gets_five_attempts_then_the_next_events_in_order() {
    let (url, seen) = flaky_receiver(5).await;
    let t = server_hooked_to(url).await;
    for id in ["lost", "second", "third"] {
        t.new_session(json!({"customSessionId": id})).await;
    }
    let (attempts, delivered) = wait_for_deliveries(&seen, 2).await;
    // Retries of an event come before the next event: none can be missing here.
    assert_eq!(
        attempts,
        ["lost", "lost", "lost", "lost", "lost", "second", "third"]
    );
    assert_eq!(delivered, ["second", "third"]);
    t.stop().await;
}

#[tokio::test]
async fn a_retry_that_gets_through_delivers_the_event_once() {
    let (url, seen) = flaky_receiver(2).await;
    let t = server_hooked_to(url).await;
    t.new_session(json!({"customSessionId": "late"})).await;
    t.new_session(json!({"customSessionId": "next"})).await;
    let (attempts, delivered) = wait_for_deliveries(&seen, 2).await;
    assert_eq!(attempts, ["late", "late", "late", "next"]);
    assert_eq!(delivered, ["late", "next"]);
    t.stop().await;
}

#[tokio::test]
async fn an_endpoint_answering_an_error_gets_each_event_once() {
    let seen: Shared = Arc::default();
    let store = seen.clone();
    let app = Router::new().route(
        "/hook",
        post(move |body: String| {
            let store = store.clone();
            async move {
                let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                let session = body["sessionId"].as_str().unwrap_or("?").to_owned();
                let mut s = store.lock().unwrap();
                s.attempts.push(session.clone());
                s.delivered.push(session);
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let t = server_hooked_to(url).await;
    for id in ["one", "two", "three"] {
        t.new_session(json!({"customSessionId": id})).await;
    }
    // A retry of "one" or "two" would have come before "three".
    let (attempts, _) = wait_for_deliveries(&seen, 3).await;
    assert_eq!(attempts, ["one", "two", "three"]);
    t.stop().await;
}
