//! JSON-RPC: malformed frames and unsupported methods get an error reply, never silence,
//! and do not disturb anybody else.

use serde_json::json;

use ov_testkit::rpc::RpcClient;

use crate::support::TestServer;

#[tokio::test]
async fn malformed_frames_and_unknown_methods() {
    let t = TestServer::start().await;
    let sid = t.new_session(json!({})).await;
    let mut other = RpcClient::join(&t.ws_url(), &t.token(&sid, "PUBLISHER").await, "O").await;
    let mut c = RpcClient::join(&t.ws_url(), &t.token(&sid, "PUBLISHER").await, "C").await;

    c.send_raw("{not json").await;
    let e = c.response_to(json!(null)).await.unwrap_err();
    assert_eq!(e.code, -32700);
    c.send_raw(r#"{"method":"ping","id":900}"#).await;
    assert_eq!(c.response_to(json!(900)).await.unwrap_err().code, -32600);
    c.send_raw(r#"{"jsonrpc":"2.0","id":901}"#).await;
    assert_eq!(c.response_to(json!(901)).await.unwrap_err().code, -32600);
    c.send_raw(r#"{"jsonrpc":"2.0","method":"ping","id":902,"params":[1,2]}"#)
        .await;
    assert_eq!(
        c.response_to(json!(902)).await.unwrap(),
        json!({"value": "pong"})
    );
    let huge = format!(
        r#"{{"jsonrpc":"2.0","method":"echo","id":903,"params":{{"x":"{}"}}}}"#,
        "y".repeat(100_000)
    );
    c.send_raw(&huge).await;
    assert!(c.response_to(json!(903)).await.is_ok());

    assert_eq!(c.fail("noSuchMethod", json!({})).await.code, -32601);
    assert_eq!(
        c.fail(
            "applyFilter",
            json!({"streamId": "s", "type": "GStreamerFilter", "options": "{}"})
        )
        .await
        .code,
        406
    );
    assert_eq!(
        c.fail(
            "subscribeToSpeechToText",
            json!({"connectionId": "c", "lang": "en"})
        )
        .await
        .code,
        997
    );
    assert_eq!(c.fail("sendMessage", json!({})).await.code, -1);
    assert_eq!(c.fail("sendMessage", json!({"message": 5})).await.code, -1);
    assert_eq!(
        c.fail(
            "streamPropertyChanged",
            json!({"property": "audioActive", "newValue": true})
        )
        .await
        .code,
        105
    );
    assert_eq!(
        c.fail("forceDisconnect", json!({"connectionId": 7}))
            .await
            .code,
        -1
    );

    // The other participant is undisturbed and the server still answers.
    assert_eq!(
        other.call("ping", json!({})).await.unwrap(),
        json!({"value": "pong"})
    );
    let to_c = json!({"to": [c.connection_id], "data": "still here"}).to_string();
    other
        .call("sendMessage", json!({"message": to_c}))
        .await
        .unwrap();
    assert_eq!(c.notification("sendMessage").await["data"], "still here");
    t.stop().await;
}

#[tokio::test]
async fn random_datagrams_on_the_media_port_change_nothing() {
    let t = TestServer::start().await;
    let sid = t.new_session(json!({})).await;
    let (mut a, stream, _browser) =
        crate::support::join_and_publish(&t, &t.token(&sid, "PUBLISHER").await, "A").await;
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    for i in 0..2000usize {
        let len = i % 300;
        let mut datagram: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        if let Some(first) = datagram.first_mut() {
            *first = [0, 1, 22, 0x80, 0x90, 0xff][i % 6];
        }
        if datagram.len() >= 8 && i % 4 == 0 {
            datagram[4..8].copy_from_slice(&[0x21, 0x12, 0xA4, 0x42]);
        }
        let _ = socket.send_to(&datagram, t.server.media_addr).await;
    }
    // Everything still works: signaling, subscribing.
    let mut b = RpcClient::join(&t.ws_url(), &t.token(&sid, "PUBLISHER").await, "B").await;
    let prepared = b
        .call("prepareReceiveVideoFrom", json!({"sender": stream}))
        .await
        .unwrap();
    assert!(prepared["sdpOffer"].as_str().unwrap().contains("m=video"));
    assert_eq!(
        a.call("ping", json!({})).await.unwrap(),
        json!({"value": "pong"})
    );
    t.stop().await;
}
