//! The HTTP listener under a connection flood: connections over the per-address or global
//! cap are closed at once, silent and slow-header connections are closed after the header
//! timeout, idle keep-alive connections after the idle timeout, while the REST API keeps
//! answering other addresses and requests in progress and WebSockets are left alone.
//! (Loopback accepts any 127/8 source, so 127.0.0.2 is "another address".)

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use ov_server::Config;
use ov_server::serve::limiter::ConnectionStats;
use ov_testkit::rpc::RpcClient;
use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::support::{SECRET, TestServer};

pub const FLOODER: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
pub const BYSTANDER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

/// Longer than any close the server owes us; shorter than a test timeout.
const PROMPTLY: Duration = Duration::from_secs(5);

/// A TCP connection to `server` from the source address `from`.
pub async fn connect_from(from: IpAddr, server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(from, 0)).unwrap();
    socket.connect(server).await.expect("TCP connect")
}

/// Whether the server closes `stream` (end of stream or reset) within `wait`; bytes it
/// sends (a response) are skipped.
pub async fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

/// `GET /openvidu/api/config` from the source address `from`.
pub async fn rest_from(from: IpAddr, url: &str) -> reqwest::Result<StatusCode> {
    let client = reqwest::Client::builder()
        .local_address(from)
        .timeout(PROMPTLY)
        .build()
        .unwrap();
    Ok(client
        .get(format!("{url}/openvidu/api/config"))
        .basic_auth("OPENVIDUAPP", Some(SECRET))
        .send()
        .await?
        .status())
}

fn config(per_address: usize, total: Option<usize>) -> Config {
    let mut c = Config::for_loopback(SECRET);
    c.connections.max_connections_per_address = per_address;
    c.connections.max_connections = total;
    c
}

/// Splits `conns` into those the server closed promptly and those it kept open.
async fn closed_and_open(conns: Vec<TcpStream>) -> (usize, Vec<TcpStream>) {
    let mut open = Vec::new();
    let mut closed = 0;
    for mut c in conns {
        // Refused connections were closed before we look; kept ones stay silent.
        if closed_within(&mut c, Duration::from_millis(200)).await {
            closed += 1;
        } else {
            open.push(c);
        }
    }
    (closed, open)
}

async fn wait_for_stats(t: &TestServer, what: &str, ok: impl Fn(ConnectionStats) -> bool) {
    ov_testkit::wait::until(what, PROMPTLY, || {
        let holds = ok(t.server.connection_stats()).then_some(());
        async move { holds }
    })
    .await;
}

#[tokio::test]
async fn one_address_over_its_cap_is_closed_at_once_and_the_rest_api_answers_others() {
    let t = TestServer::start_with(config(20, Some(1000))).await;
    let addr = t.server.local_addr;
    let mut flood = Vec::new();
    for _ in 0..30 {
        flood.push(connect_from(FLOODER, addr).await);
    }
    let (closed, kept) = closed_and_open(flood).await;
    assert_eq!(
        (closed, kept.len()),
        (10, 20),
        "the 10 over the cap are closed"
    );
    wait_for_stats(&t, "20 admitted, 10 refused", |s| {
        s.open == 20 && s.refused_per_address == 10
    })
    .await;
    assert_eq!(
        rest_from(BYSTANDER, &t.server.local_url()).await.unwrap(),
        StatusCode::OK
    );
    assert!(
        rest_from(FLOODER, &t.server.local_url()).await.is_err(),
        "the flooding address gets no more connections"
    );
    drop(kept);
    wait_for_stats(&t, "slots freed", |s| s.open == 0).await;
    assert_eq!(
        rest_from(FLOODER, &t.server.local_url()).await.unwrap(),
        StatusCode::OK
    );
    t.stop().await;
}

#[tokio::test]
async fn the_global_cap_closes_connections_from_every_address() {
    let t = TestServer::start_with(config(0, Some(10))).await;
    let addr = t.server.local_addr;
    let mut conns = Vec::new();
    for from in [FLOODER, BYSTANDER] {
        for _ in 0..6 {
            conns.push(connect_from(from, addr).await);
        }
    }
    let (closed, kept) = closed_and_open(conns).await;
    assert_eq!(
        (closed, kept.len()),
        (2, 10),
        "the 2 over the cap are closed"
    );
    wait_for_stats(&t, "10 admitted, 2 refused", |s| {
        s.open == 10 && s.refused_global == 2
    })
    .await;
    assert!(rest_from(BYSTANDER, &t.server.local_url()).await.is_err());
    drop(kept);
    wait_for_stats(&t, "slots freed", |s| s.open == 0).await;
    t.stop().await;
}

fn short_timeouts(header: Duration, idle: Duration) -> Config {
    let mut c = Config::for_loopback(SECRET);
    c.connections.header_timeout = header;
    c.connections.idle_timeout = idle;
    c
}

/// Asserts `stream` is closed no sooner than `at_least` after `since` and within
/// [`PROMPTLY`] of it.
async fn closed_after(stream: &mut TcpStream, since: Instant, at_least: Duration) {
    assert!(
        closed_within(stream, at_least + PROMPTLY).await,
        "never closed"
    );
    let after = since.elapsed();
    assert!(
        after >= at_least,
        "closed after {after:?}, before {at_least:?}"
    );
}

#[tokio::test]
async fn silent_and_slow_header_connections_are_closed_after_the_header_timeout() {
    let header = Duration::from_millis(800);
    let t = TestServer::start_with(short_timeouts(header, Duration::from_secs(60))).await;
    let addr = t.server.local_addr;
    let opened = Instant::now();
    let mut silent = connect_from(FLOODER, addr).await;
    let mut slow = connect_from(FLOODER, addr).await;
    slow.write_all(b"GET /openvidu/api/config HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let (mut reader, mut writer) = slow.into_split();
    // One header line every 100 ms: always sending, never finishing.
    let trickle = tokio::spawn(async move {
        while writer.write_all(b"X-Slow: a\r\n").await.is_ok() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    closed_after(&mut silent, opened, header).await;
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(PROMPTLY, async {
        loop {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the slow-header connection was never closed");
    assert!(opened.elapsed() >= header);
    trickle.abort();
    wait_for_stats(&t, "both counted", |s| s.timed_out == 2 && s.open == 0).await;
    t.stop().await;
}

#[tokio::test]
async fn idle_keep_alive_connections_are_closed_after_the_idle_timeout() {
    let idle = Duration::from_millis(800);
    let t = TestServer::start_with(short_timeouts(Duration::from_secs(60), idle)).await;
    let mut c = connect_from(FLOODER, t.server.local_addr).await;
    c.write_all(b"GET /openvidu/api/config HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 4096];
    let n = tokio::time::timeout(PROMPTLY, c.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert!(
        buf[..n].starts_with(b"HTTP/1.1 401"),
        "a response, keep-alive"
    );
    let answered = Instant::now();
    closed_after(&mut c, answered, idle).await;
    t.stop().await;
}

#[tokio::test]
async fn a_request_in_progress_and_a_websocket_outlive_both_timeouts() {
    let short = Duration::from_millis(500);
    let t = TestServer::start_with(short_timeouts(short, short)).await;
    let session = t.new_session(json!({})).await;
    let token = t.token(&session, "PUBLISHER").await;
    let mut ws = RpcClient::join(&t.ws_url(), &token, "ws").await;

    // A body sent over 3 timeouts: the request is in progress once its headers are read.
    let body = br#"{"customSessionId":"slow-body"}"#;
    let mut c = connect_from(FLOODER, t.server.local_addr).await;
    let auth = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("OPENVIDUAPP:{SECRET}")
        )
    );
    let head = format!(
        "POST /openvidu/api/sessions HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    c.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    for chunk in body.chunks(body.len() / 3 + 1) {
        tokio::time::sleep(short).await;
        c.write_all(chunk).await.expect("still open mid-body");
    }
    assert!(started.elapsed() >= short * 3);
    let mut buf = [0u8; 4096];
    let n = tokio::time::timeout(PROMPTLY, c.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert!(
        buf[..n].starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&buf[..n])
    );

    // The WebSocket has been idle for longer than both timeouts and still answers.
    assert!(started.elapsed() >= short * 2);
    ws.call("ping", json!({"interval": 5000}))
        .await
        .expect("the WebSocket still answers");
    t.stop().await;
}

#[tokio::test]
async fn a_silent_tls_connection_is_closed_after_the_header_timeout() {
    let header = Duration::from_millis(800);
    let cert = crate::tls::Certificate::new("header-timeout");
    let mut config = cert.config();
    config.connections.header_timeout = header;
    let t = TestServer::start_with(config).await;
    let opened = Instant::now();
    let mut silent = connect_from(FLOODER, t.server.local_addr).await;
    closed_after(&mut silent, opened, header).await;
    wait_for_stats(&t, "counted", |s| s.timed_out == 1 && s.open == 0).await;
    t.stop().await;
}
