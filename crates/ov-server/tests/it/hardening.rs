//! What a hostile client used to get away with, one test per defect: oversized elements,
//! oversized bodies, oversized frames, unparsable SDPs and secret joins. (Log injection
//! has its own test binary, `tests/logs.rs`: it needs the process's logger to itself.)

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use ov_testkit::rpc::RpcClient;

use crate::support::{SECRET, TestServer};

#[tokio::test]
async fn every_element_that_is_kept_or_broadcast_has_a_cap() {
    let t = TestServer::start().await;
    let sid = t.new_session(json!({})).await;
    let token = t.token(&sid, "PUBLISHER").await;
    let mut c = RpcClient::open(&t.ws_url()).await;
    let join = |metadata: String, platform: String| json!({"token": token, "session": sid, "metadata": metadata, "platform": platform});
    let e = c
        .fail("joinRoom", join("m".repeat(64 * 1024 + 1), "p".into()))
        .await;
    assert_eq!(e.code, 500, "{e:?}");
    assert!(e.message.contains("'metadata'") && e.message.contains("at most 65536"));
    let e = c.fail("joinRoom", join("m".into(), "p".repeat(1025))).await;
    assert_eq!(e.code, -1, "{e:?}");
    assert!(e.message.contains("'platform'"), "{e:?}");
    // Within the caps the same join works.
    c.call("joinRoom", join("m".repeat(64 * 1024), "p".repeat(1024)))
        .await
        .unwrap();

    let signal = |data: usize, kind: usize| json!({"message": json!({"to": [], "data": "d".repeat(data), "type": "t".repeat(kind)}).to_string()});
    let e = c.fail("sendMessage", signal(1, 1025)).await;
    assert_eq!(e.code, 600, "{e:?}");
    assert!(e.message.contains("type"), "{e:?}");
    let e = c.fail("sendMessage", signal(64 * 1024 + 1, 1)).await;
    assert_eq!(e.code, 600, "{e:?}");
    c.call("sendMessage", signal(64 * 1024, 1024))
        .await
        .unwrap();

    let e = c
        .fail(
            "streamPropertyChanged",
            json!({"streamId": "x", "property": "videoActive", "newValue": "v".repeat(4097)}),
        )
        .await;
    assert!(e.message.contains("'newValue'"), "{e:?}");
    let e = c
        .fail(
            "streamPropertyChanged",
            json!({"streamId": "x", "property": "videoActive", "newValue": true, "reason": "r".repeat(257)}),
        )
        .await;
    assert!(e.message.contains("'reason'"), "{e:?}");
    let e = c
        .fail(
            "publishVideo",
            json!({"sdpOffer": "v=0", "hasAudio": true, "hasVideo": true, "videoDimensions": "x".repeat(257)}),
        )
        .await;
    assert!(e.message.contains("'videoDimensions'"), "{e:?}");

    // REST signals have the same caps.
    let (status, body) = t
        .call(
            Method::POST,
            "/signal",
            Some(json!({"session": sid, "type": "t".repeat(1025), "data": "d"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("'type'"),
        "{body}"
    );
    t.stop().await;
}

#[tokio::test]
async fn an_oversized_body_gets_the_same_json_413_on_every_route() {
    let t = TestServer::start().await;
    let sid = t.new_session(json!({"customSessionId": "s"})).await;
    let cid = t.new_connection(&sid, json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let routes = [
        (Method::POST, "/sessions".to_owned()),
        (Method::POST, "/sessions/s/connection".to_owned()),
        (Method::PATCH, format!("/sessions/s/connection/{cid}")),
        (Method::POST, "/tokens".to_owned()),
        (Method::POST, "/signal".to_owned()),
        (Method::POST, "/recordings/start".to_owned()),
    ];
    let huge = format!(r#"{{"data":"{}"}}"#, "a".repeat(1024 * 1024));
    for (method, path) in routes {
        let (status, body) = crate::support::read(
            t.http
                .request(method.clone(), t.url(&path))
                .basic_auth("OPENVIDUAPP", Some(SECRET))
                .header("content-type", "application/json")
                .body(huge.clone())
                .send()
                .await
                .unwrap(),
        )
        .await;
        check_413(&path, status.as_u16(), &body);
        // Without a Content-Length the body is cut at the limit all the same.
        let (status, body) = chunked_request(&t, &method, &path, &huge).await;
        check_413(&path, status, &body);
    }
    // Without credentials, the answer is 401 whatever the body.
    let res = t
        .http
        .post(t.url("/sessions"))
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    t.stop().await;
}

fn check_413(path: &str, status: u16, body: &serde_json::Value) {
    assert_eq!(status, 413, "{path}: {body}");
    assert_eq!(body["status"], 413, "{path}: {body}");
    assert_eq!(body["path"], format!("/openvidu/api{path}"));
    assert!(
        body["message"].as_str().unwrap().contains("1048576 bytes"),
        "{body}"
    );
}

/// Sends `body` with `Transfer-Encoding: chunked` over a raw socket; the status and the
/// JSON body of the answer.
async fn chunked_request(
    t: &TestServer,
    method: &Method,
    path: &str,
    body: &str,
) -> (u16, serde_json::Value) {
    use base64::Engine;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(t.server.local_addr)
        .await
        .unwrap();
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("OPENVIDUAPP:{SECRET}"));
    let head = format!(
        "{method} /openvidu/api{path} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {auth}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let (mut reader, mut writer) = tcp.split();
    let write = async {
        let _ = writer.write_all(head.as_bytes()).await;
        for chunk in body.as_bytes().chunks(64 * 1024) {
            let frame = format!("{:x}\r\n", chunk.len());
            if writer.write_all(frame.as_bytes()).await.is_err()
                || writer.write_all(chunk).await.is_err()
                || writer.write_all(b"\r\n").await.is_err()
            {
                return;
            }
        }
        let _ = writer.write_all(b"0\r\n\r\n").await;
    };
    let mut answer = Vec::new();
    let read = reader.read_to_end(&mut answer);
    let ((), _) = tokio::join!(write, read);
    let text = String::from_utf8_lossy(&answer);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let json = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.trim())
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or(serde_json::Value::Null);
    (status, json)
}

#[tokio::test]
async fn a_frame_over_one_mebibyte_is_closed_with_1009() {
    let t = TestServer::start().await;
    let (mut ws, _) = tokio_tungstenite::connect_async(t.ws_url()).await.unwrap();
    let huge = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"ping","params":{{"x":"{}"}}}}"#,
        "a".repeat(1024 * 1024)
    );
    // The server may reset the connection while the frame is still being written.
    let _ = ws.send(Message::Text(huge.into())).await;
    let close = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(message)) = ws.next().await {
            if let Message::Close(frame) = message {
                return frame;
            }
        }
        None
    })
    .await
    .expect("the server answers");
    let frame = close.expect("a close frame with a code");
    assert_eq!(frame.code, CloseCode::Size);
    assert!(frame.reason.contains("1048576"), "{frame:?}");
    t.stop().await;
}

#[tokio::test]
async fn an_unparsable_sdp_is_named_by_line_never_by_address() {
    let t = TestServer::start().await;
    let sid = t.new_session(json!({})).await;
    let mut c = RpcClient::join(&t.ws_url(), &t.token(&sid, "PUBLISHER").await, "").await;
    let e = c
        .fail(
            "publishVideo",
            json!({"sdpOffer": "v=0\r\nzzz\r\n", "hasAudio": true, "hasVideo": true}),
        )
        .await;
    assert_eq!(e.code, 302, "{e:?}");
    assert!(
        !e.message.contains("0x") && !e.message.contains("Pointer"),
        "{e:?}"
    );
    assert!(e.message.contains("line 2 (`zzz`)"), "{e:?}");
    t.stop().await;
}

#[tokio::test]
async fn a_secret_join_is_a_subscriber_that_passes_every_check() {
    let t = TestServer::start().await;
    let sid = t.new_session(json!({"customSessionId": "room"})).await;
    let mut other = RpcClient::join(&t.ws_url(), &t.token(&sid, "SUBSCRIBER").await, "").await;
    let mut insecure = RpcClient::open(&t.ws_url()).await;
    let token = format!(
        "ws://{}?sessionId=room&secret={SECRET}",
        t.server.local_addr
    );
    let joined = insecure
        .call(
            "joinRoom",
            json!({"token": token, "session": "room", "secret": SECRET, "platform": "bot"}),
        )
        .await
        .unwrap();
    assert_eq!(joined["role"], "SUBSCRIBER", "{joined}");
    let id = joined["id"].as_str().unwrap();
    let conn = t.connection("room", id).await;
    assert_eq!(conn["role"], "SUBSCRIBER", "{conn}");
    // Publishing is allowed: the refusal is about the SDP, not the role (401).
    let e = insecure
        .fail(
            "publishVideo",
            json!({"sdpOffer": "garbage", "hasAudio": true, "hasVideo": false}),
        )
        .await;
    assert_eq!(e.code, 302, "{e:?}");
    // Moderating is allowed too.
    insecure
        .call(
            "forceDisconnect",
            json!({"connectionId": other.connection_id}),
        )
        .await
        .unwrap();
    other.notification("participantEvicted").await;
    t.stop().await;
}

#[tokio::test]
async fn what_is_kept_during_the_grace_is_bounded() {
    let mut config = ov_server::Config::for_loopback(SECRET);
    config.reconnection_grace = Duration::from_secs(30);
    let t = TestServer::start_with(config).await;
    let sid = t.new_session(json!({})).await;
    let mut sender = RpcClient::join(&t.ws_url(), &t.token(&sid, "PUBLISHER").await, "").await;
    let away = RpcClient::join(&t.ws_url(), &t.token(&sid, "PUBLISHER").await, "").await;
    sender.notification("participantJoined").await;
    let rpc_session = away.rpc_session_id.clone();
    away.requester.close().await;
    // Wait until the server has noticed: the sender's signal to it still succeeds (it is
    // kept), and the REST connection stays active.
    let signal = json!({"message": json!({"to": [], "data": "x".repeat(60_000)}).to_string()});
    for _ in 0..20 {
        sender.call("sendMessage", signal.clone()).await.unwrap();
    }
    // 1.2 MB were kept: more than the 1 MiB bound, so the reconnection is refused.
    let mut back = RpcClient::open(&t.ws_url()).await;
    let e = back
        .fail("connect", json!({"sessionId": rpc_session}))
        .await;
    assert_eq!(e.code, 40007, "{e:?}");
    t.stop().await;
}
