//! JSON-RPC: joining, leaving, signals, moderation and reconnection, with a test client.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use ov_testkit::rpc::RpcClient;

use crate::support::TestServer;
use crate::support::join_and_publish;

#[tokio::test]
async fn ping_and_join_shapes() {
    let t = TestServer::start().await;
    let sid = t.new_session(json!({"customSessionId": "room"})).await;
    let token = t.token(&sid, "PUBLISHER").await;
    let mut c = RpcClient::open(&t.ws_url()).await;
    let pong = c.call("ping", json!({"interval": 5000})).await.unwrap();
    assert_eq!(pong, json!({"value": "pong"}));
    let r = c
        .join_with(&token, "{\"clientData\":\"Alice\"}")
        .await
        .unwrap();
    assert_eq!(r["session"], "room");
    assert_eq!(r["version"], "2.32.2");
    assert_eq!(r["mediaServer"], "mediasoup");
    assert_eq!(r["role"], "PUBLISHER");
    assert_eq!(r["value"], json!([]));
    assert_eq!(r["metadata"], "{\"clientData\":\"Alice\"}%/%PUBLISHER-data");
    assert_eq!(r["record"], true);
    // TURN is off in the tests: the media port is the STUN server (ice_servers.rs).
    assert_eq!(r["customIceServers"].as_array().map(Vec::len), Some(1));
    assert!(
        r["customIceServers"][0]["url"]
            .as_str()
            .unwrap()
            .starts_with("stun:127.0.0.1:")
    );
    assert_eq!(r["sessionId"].as_str().unwrap().len(), 26);
    assert!(r["id"].as_str().unwrap().starts_with("con_"));
    // Every later result carries the RPC session id too.
    assert_eq!(
        c.call("echo", json!({})).await.unwrap(),
        json!({"sessionId": r["sessionId"]})
    );
    // REST: the connection is active now.
    let cid = r["id"].as_str().unwrap();
    let (_, conn) = t
        .call(
            Method::GET,
            &format!("/sessions/room/connection/{cid}"),
            None,
        )
        .await;
    assert_eq!(conn["status"], "active");
    assert_eq!(conn["platform"], "Rust test");
    assert_eq!(conn["clientData"], "{\"clientData\":\"Alice\"}");
    assert_eq!(conn["ip"], "127.0.0.1");
    assert_eq!(conn["publishers"], json!([]));
    t.stop().await;
}

#[tokio::test]
async fn join_errors() {
    let t = TestServer::start().await;
    let sid = t.new_session(json!({})).await;
    let token = t.token(&sid, "PUBLISHER").await;
    let mut c = RpcClient::open(&t.ws_url()).await;
    let e = c.fail("publishVideo", json!({"sdpOffer": "x"})).await;
    assert_eq!(e.code, 803, "{e:?}");
    let unknown_session = token.replace(&sid, "nope");
    assert_eq!(
        c.join_with(&unknown_session, "").await.unwrap_err().code,
        202
    );
    let bad = format!("ws://127.0.0.1:1?sessionId={sid}&token=tok_Nope");
    let e = c.join_with(&bad, "").await.unwrap_err();
    assert_eq!(e.code, 401);
    assert!(e.message.contains("is not valid"), "{e:?}");
    assert_eq!(
        c.join_with("https://not-a-token", "")
            .await
            .unwrap_err()
            .code,
        202
    );
    c.join_with(&token, "").await.unwrap();
    // A second joinRoom on the same socket, and the same token from another socket.
    assert_eq!(c.join_with(&token, "").await.unwrap_err().code, 104);
    let mut other = RpcClient::open(&t.ws_url()).await;
    assert_eq!(other.join_with(&token, "").await.unwrap_err().code, 401);
    let e = other.fail("joinRoom", json!({"token": token})).await;
    assert_eq!(e.code, -1);
    assert!(e.message.contains("'session' is missing"), "{e:?}");
    t.stop().await;
}

#[tokio::test]
async fn participants_see_each_other_and_leave() {
    let t = TestServer::start().await;
    let sid = t.new_session(json!({})).await;
    let (mut a, stream_a, _browser) =
        join_and_publish(&t, &t.token(&sid, "PUBLISHER").await, "A").await;
    let mut b = RpcClient::open(&t.ws_url()).await;
    let r = b
        .join_with(&t.token(&sid, "SUBSCRIBER").await, "B")
        .await
        .unwrap();
    let others = r["value"].as_array().unwrap();
    assert_eq!(others.len(), 1);
    assert_eq!(others[0]["id"], a.connection_id.as_str());
    assert!(others[0].get("role").is_none());
    assert_eq!(others[0]["streams"][0]["id"], stream_a.as_str());
    assert_eq!(
        others[0]["streams"][0]["videoDimensions"],
        "{\"width\":640,\"height\":480}"
    );
    let joined = a.notification("participantJoined").await;
    assert_eq!(joined["id"], r["id"]);
    assert_eq!(joined["metadata"], "B%/%SUBSCRIBER-data");
    assert!(joined.get("role").is_none() && joined.get("streams").is_none());

    b.call("leaveRoom", json!({})).await.unwrap();
    let left = a.notification("participantLeft").await;
    assert_eq!(
        left,
        json!({"connectionId": r["id"], "reason": "disconnect"})
    );
    a.call("leaveRoom", json!({})).await.unwrap();
    // The last participant left: the session is gone.
    let (status, _) = t.call(Method::GET, &format!("/sessions/{sid}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    t.stop().await;
}

#[tokio::test]
async fn signals_reach_exactly_their_recipients() {
    let t = TestServer::start().await;
    let sid = t.new_session(json!({})).await;
    let mut a = RpcClient::join(&t.ws_url(), &t.token(&sid, "PUBLISHER").await, "A").await;
    let mut b = RpcClient::join(&t.ws_url(), &t.token(&sid, "PUBLISHER").await, "B").await;
    let mut c = RpcClient::join(&t.ws_url(), &t.token(&sid, "PUBLISHER").await, "C").await;
    let broadcast = json!({"to": [], "data": "hi all", "type": "signal:chat"}).to_string();
    a.call("sendMessage", json!({"message": broadcast}))
        .await
        .unwrap();
    for client in [&mut a, &mut b, &mut c] {
        let m = client.notification("sendMessage").await;
        assert_eq!(m["type"], "signal:chat");
        assert_eq!(m["data"], "hi all");
        assert!(m["from"].as_str().unwrap().starts_with("con_"));
    }
    let to_b = json!({"to": [b.connection_id], "data": "only b", "type": "signal"}).to_string();
    a.call("sendMessage", json!({"message": to_b}))
        .await
        .unwrap();
    let m = b.notification("sendMessage").await;
    assert_eq!(m["from"], a.connection_id.as_str());
    assert_eq!(m["data"], "only b");
    a.no_notification("sendMessage").await;
    c.no_notification("sendMessage").await;
    let bad_to = json!({"to": ["con_Nobody"], "data": "x"}).to_string();
    assert_eq!(
        a.fail("sendMessage", json!({"message": bad_to})).await.code,
        601
    );
    assert_eq!(
        a.fail("sendMessage", json!({"message": "{not json"}))
            .await
            .code,
        600
    );
    // REST signals have no "from".
    let (status, _) = t
        .call(
            Method::POST,
            "/signal",
            Some(json!({"session": sid, "to": [c.connection_id], "type": "rest", "data": "d"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        c.notification("sendMessage").await,
        json!({"data": "d", "type": "rest"})
    );
    let (status, _) = t
        .call(
            Method::POST,
            "/signal",
            Some(json!({"session": sid, "to": ["con_Nobody"]})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_ACCEPTABLE);
    t.stop().await;
}

#[tokio::test]
async fn moderation_and_rest_evictions() {
    let t = TestServer::start().await;
    let sid = t.new_session(json!({})).await;
    let mut m = RpcClient::join(&t.ws_url(), &t.token(&sid, "MODERATOR").await, "M").await;
    let (mut p, stream_p, _bp) = join_and_publish(&t, &t.token(&sid, "PUBLISHER").await, "P").await;
    let mut s = RpcClient::join(&t.ws_url(), &t.token(&sid, "SUBSCRIBER").await, "S").await;

    // Only moderators moderate.
    let e = p
        .fail("forceDisconnect", json!({"connectionId": s.connection_id}))
        .await;
    assert_eq!(e.code, 401);
    assert_eq!(
        p.fail("forceUnpublish", json!({"streamId": stream_p}))
            .await
            .code,
        401
    );
    assert_eq!(
        m.fail("forceDisconnect", json!({"connectionId": "con_Nobody"}))
            .await
            .code,
        102
    );

    // forceUnpublish: everyone, the owner included, hears it.
    m.call("forceUnpublish", json!({"streamId": stream_p}))
        .await
        .unwrap();
    let unpublished =
        json!({"connectionId": p.connection_id.clone(), "reason": "forceUnpublishByUser"});
    for c in [&mut m, &mut p, &mut s] {
        assert_eq!(c.notification("participantUnpublished").await, unpublished);
    }

    // forceDisconnect: the evicted gets participantEvicted, the others participantLeft.
    m.call("forceDisconnect", json!({"connectionId": s.connection_id}))
        .await
        .unwrap();
    let evicted = json!({"connectionId": s.connection_id, "reason": "forceDisconnectByUser"});
    assert_eq!(s.notification("participantEvicted").await, evicted);
    for c in [&mut p, &mut m] {
        assert_eq!(c.notification("participantLeft").await, evicted);
        // Everybody present also gets participantEvicted (the browser ignores others').
        assert_eq!(c.notification("participantEvicted").await, evicted);
    }

    // REST: DELETE an active connection, then the session.
    let (status, _) = t
        .call(
            Method::DELETE,
            &format!("/sessions/{sid}/connection/{}", p.connection_id),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let by_server = json!({"connectionId": p.connection_id, "reason": "forceDisconnectByServer"});
    assert_eq!(p.notification("participantEvicted").await, by_server);
    assert_eq!(m.notification("participantLeft").await, by_server);
    assert_eq!(m.notification("participantEvicted").await, by_server);
    let (status, _) = t
        .call(Method::DELETE, &format!("/sessions/{sid}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        m.notification("participantEvicted").await,
        json!({"connectionId": m.connection_id, "reason": "sessionClosedByServer"})
    );
    t.stop().await;
}

#[tokio::test]
async fn reconnection_within_and_after_the_grace_period() {
    let mut config = ov_server::Config::for_loopback(crate::support::SECRET);
    config.reconnection_grace = Duration::from_millis(800);
    let t = TestServer::start_with(config).await;
    let sid = t.new_session(json!({})).await;
    let mut a = RpcClient::join(&t.ws_url(), &t.token(&sid, "PUBLISHER").await, "A").await;
    let b = RpcClient::join(&t.ws_url(), &t.token(&sid, "PUBLISHER").await, "B").await;
    let b_id = b.connection_id.clone();
    let b_rpc = b.rpc_session_id.clone();
    // Once the server has answered B's close, it has let the socket go (B is detached):
    // it answers only after dropping the participant's outbox.
    b.close().await;
    // While B is away, a signal is sent to it: kept and delivered on reconnection.
    let to_b = json!({"to": [b_id], "data": "while away"}).to_string();
    a.call("sendMessage", json!({"message": to_b}))
        .await
        .unwrap();
    let mut b2 = RpcClient::open(&t.ws_url()).await;
    let r = b2
        .call("connect", json!({"sessionId": b_rpc, "reconnect": true}))
        .await
        .unwrap();
    assert_eq!(r["value"], "reconnection successful");
    assert_eq!(b2.notification("sendMessage").await["data"], "while away");
    a.no_notification("participantLeft").await;
    b2.close().await;
    // Past the grace period: evicted with networkDisconnect; the RPC session is gone.
    let left = a.notification("participantLeft").await;
    assert_eq!(
        left,
        json!({"connectionId": b_id, "reason": "networkDisconnect"})
    );
    let mut b3 = RpcClient::open(&t.ws_url()).await;
    let e = b3
        .fail("connect", json!({"sessionId": b_rpc, "reconnect": true}))
        .await;
    assert_eq!((e.code, e.message.as_str()), (40007, "reconnection error"));
    t.stop().await;
}

#[tokio::test]
async fn a_patched_role_applies_to_the_live_connection() {
    let t = TestServer::start().await;
    let sid = t.new_session(json!({})).await;
    let mut p = RpcClient::join(&t.ws_url(), &t.token(&sid, "PUBLISHER").await, "P").await;
    let (mut q, stream_q, _b) = join_and_publish(&t, &t.token(&sid, "PUBLISHER").await, "Q").await;
    assert_eq!(
        p.fail("forceUnpublish", json!({"streamId": stream_q}))
            .await
            .code,
        401
    );
    let (status, _) = t
        .call(
            Method::PATCH,
            &format!("/sessions/{sid}/connection/{}", p.connection_id),
            Some(json!({"role": "MODERATOR", "record": false})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        p.notification("connectionPropertyChanged").await,
        json!({"property": "role", "newValue": "MODERATOR"})
    );
    assert_eq!(
        p.notification("connectionPropertyChanged").await,
        json!({"property": "record", "newValue": "false"})
    );
    q.no_notification("connectionPropertyChanged").await;
    p.call("forceUnpublish", json!({"streamId": stream_q}))
        .await
        .unwrap();
    assert_eq!(
        q.notification("participantUnpublished").await["reason"],
        "forceUnpublishByUser"
    );
    t.stop().await;
}

#[tokio::test]
async fn oversized_signals_are_refused() {
    let t = TestServer::start().await;
    let sid = t.new_session(json!({})).await;
    let mut a = RpcClient::join(&t.ws_url(), &t.token(&sid, "PUBLISHER").await, "A").await;
    let big = "x".repeat(64 * 1024 + 1);
    let message = json!({"to": [], "data": big, "type": "signal"}).to_string();
    let e = a.fail("sendMessage", json!({"message": message})).await;
    assert_eq!(e.code, 600);
    assert!(e.message.contains("too large"), "{e:?}");
    a.no_notification("sendMessage").await;
    let (status, body) = t
        .call(
            Method::POST,
            "/signal",
            Some(json!({"session": sid, "data": big})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["message"].as_str().unwrap().contains("too large"));
    let fits = json!({"to": [], "data": "x".repeat(64 * 1024), "type": "signal"}).to_string();
    a.call("sendMessage", json!({"message": fits}))
        .await
        .unwrap();
    assert_eq!(
        a.notification("sendMessage").await["data"]
            .as_str()
            .unwrap()
            .len(),
        64 * 1024
    );
    t.stop().await;
}
