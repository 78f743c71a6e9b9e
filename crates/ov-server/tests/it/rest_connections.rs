//! REST: connections, legacy tokens and signals.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestServer, keys, set};

const CONNECTION_KEYS: &[&str] = &[
    "id",
    "object",
    "status",
    "connectionId",
    "sessionId",
    "createdAt",
    "type",
    "record",
    "role",
    "kurentoOptions",
    "customIceServers",
    "rtspUri",
    "adaptativeBitrate",
    "onlyPlayWithSubscribers",
    "networkCache",
    "serverData",
    "token",
    "activeAt",
    "location",
    "ip",
    "platform",
    "clientData",
    "publishers",
    "subscribers",
];

#[tokio::test]
async fn connections_pending_shapes_and_roles() {
    let t = TestServer::start().await;
    let sid = t.new_session(json!({"customSessionId": "s1"})).await;
    for role in ["SUBSCRIBER", "PUBLISHER", "MODERATOR"] {
        let c = t
            .new_connection(
                &sid,
                json!({"role": role, "data": "server-data", "record": false}),
            )
            .await;
        assert_eq!(keys(&c), set(CONNECTION_KEYS));
        assert_eq!(c["role"], role);
        assert_eq!(c["status"], "pending");
        assert_eq!(c["connectionId"], c["id"]);
        assert_eq!(c["serverData"], "server-data");
        assert_eq!(c["record"], false);
        assert_eq!(c["type"], "WEBRTC");
        for null_key in [
            "activeAt",
            "location",
            "ip",
            "platform",
            "clientData",
            "publishers",
            "subscribers",
            "kurentoOptions",
            "rtspUri",
        ] {
            assert_eq!(c[null_key], Value::Null, "{null_key}");
        }
        let token = c["token"].as_str().unwrap();
        let prefix = format!(
            "ws://127.0.0.1:{}?sessionId=s1&token=tok_",
            t.server.local_addr.port()
        );
        assert!(token.starts_with(&prefix), "{token}");
        assert_eq!(token.len(), prefix.len() + 16);
    }
    // The node client's all-null body means every default.
    let c = t
        .new_connection(
            &sid,
            json!({"type":null,"data":null,"record":null,"role":null,"kurentoOptions":null,"rtspUri":null,
                   "adaptativeBitrate":null,"onlyPlayWithSubscribers":null,"networkCache":null,"customIceServers":null}),
        )
        .await;
    assert_eq!(
        (
            c["role"].clone(),
            c["record"].clone(),
            c["serverData"].clone()
        ),
        (json!("PUBLISHER"), json!(true), json!(""))
    );
    let cid = c["id"].as_str().unwrap().to_owned();

    let (status, one) = t
        .call(
            Method::GET,
            &format!("/sessions/{sid}/connection/{cid}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one, c);
    // The connection list includes pending ones by default; the session does not.
    let (_, list) = t
        .call(Method::GET, &format!("/sessions/{sid}/connection"), None)
        .await;
    assert_eq!(list["numberOfElements"], 4);
    let (_, list) = t
        .call(
            Method::GET,
            &format!("/sessions/{sid}/connection?pendingConnections=false"),
            None,
        )
        .await;
    assert_eq!(list["numberOfElements"], 0);
    let (_, s) = t.call(Method::GET, &format!("/sessions/{sid}"), None).await;
    assert_eq!(s["connections"]["numberOfElements"], 0);
    let (_, s) = t
        .call(
            Method::GET,
            &format!("/sessions/{sid}?pendingConnections=true"),
            None,
        )
        .await;
    assert_eq!(s["connections"]["numberOfElements"], 4);
    let (_, all) = t
        .call(
            Method::GET,
            "/sessions?pendingConnections=true&webRtcStats=true",
            None,
        )
        .await;
    assert_eq!(all["content"][0]["connections"]["numberOfElements"], 4);
    let (status, _) = t
        .call(
            Method::GET,
            &format!("/sessions/{sid}?pendingConnections=maybe"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // PATCH role and record.
    let (status, patched) = t
        .call(
            Method::PATCH,
            &format!("/sessions/{sid}/connection/{cid}"),
            Some(json!({"role": "MODERATOR", "record": false})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (patched["role"].clone(), patched["record"].clone()),
        (json!("MODERATOR"), json!(false))
    );

    // DELETE a pending connection: 204, then 404.
    let path = format!("/sessions/{sid}/connection/{cid}");
    let (status, body) = t.call(Method::DELETE, &path, None).await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));
    assert_eq!(
        t.status(Method::DELETE, &path, None).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.status(Method::GET, &path, None).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.status(Method::PATCH, &path, Some(json!({}))).await,
        StatusCode::NOT_FOUND
    );
    t.stop().await;
}

#[tokio::test]
async fn connection_errors() {
    let t = TestServer::start().await;
    let sid = t.new_session(json!({})).await;
    // Unknown session: 404 to create/list, but 400 to a connection or stream path.
    let stream_of_nobody = format!("/sessions/{sid}/stream/str_CAM_Abcd_con_X");
    let expected = [
        (Method::POST, "/sessions/nope/connection", 404),
        (Method::GET, "/sessions/nope/connection", 404),
        (Method::GET, "/sessions/nope/connection/con_X", 400),
        (Method::DELETE, "/sessions/nope/connection/con_X", 400),
        (Method::DELETE, "/sessions/nope/stream/str_CAM_X_con_X", 400),
        (Method::DELETE, &stream_of_nobody, 404),
    ];
    for (method, path, status) in expected {
        let got = t.status(method.clone(), path, None).await;
        assert_eq!(got.as_u16(), status, "{method} {path}");
    }
    let path = format!("/sessions/{sid}/connection");
    let bad: &[(Value, &str)] = &[
        (json!({"role": "ADMIN"}), "role"),
        (json!({"type": "SIP"}), "type"),
        (json!({"type": "IPCAM", "rtspUri": "rtsp://cam"}), "IPCAM"),
        (json!({"record": "yes"}), "record"),
        (json!({"data": 5}), "data"),
        (json!({"data": "x".repeat(70_000)}), "data"),
        (
            json!({"kurentoOptions": {"videoMaxRecvBandwidth": "fast"}}),
            "kurentoOptions",
        ),
        (
            json!({"customIceServers": [{"url": "turn:h:3478"}]}),
            "credentials",
        ),
        (
            json!({"customIceServers": [{"url": "http://h"}]}),
            "protocol",
        ),
        (json!({"customIceServers": "stun:h"}), "customIceServers"),
    ];
    for (body, needle) in bad {
        let (status, json) = t.call(Method::POST, &path, Some(body.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            json["message"].as_str().unwrap().contains(needle),
            "{body}: {json}"
        );
    }
    let good = json!({"customIceServers": [
        {"url": "stun:stun.example.com:3478"},
        {"url": "turn:turn.example.com:3478?transport=tcp", "username": "u", "credential": "p"},
        {"url": "turns:turn.example.com:5349", "staticAuthSecret": "shh"}
    ], "kurentoOptions": {"videoMaxRecvBandwidth": 500, "allowedFilters": ["GStreamerFilter"]}});
    let c = t.new_connection(&sid, good).await;
    let ice = c["customIceServers"].as_array().unwrap();
    assert_eq!(ice.len(), 3);
    assert_eq!(ice[0], json!({"url": "stun:stun.example.com:3478"}));
    assert!(ice[2]["username"].as_str().unwrap().contains(':'));
    assert!(ice[2].get("staticAuthSecret").is_none());
    assert_eq!(
        c["kurentoOptions"],
        json!({"videoMaxRecvBandwidth": 500, "allowedFilters": ["GStreamerFilter"]})
    );
    t.stop().await;
}

#[tokio::test]
async fn legacy_tokens() {
    let t = TestServer::start().await;
    let sid = t.new_session(json!({})).await;
    let (status, tok) = t
        .call(
            Method::POST,
            "/tokens",
            Some(
                json!({"session": sid, "role": "SUBSCRIBER", "data": "d", "kurentoOptions": null}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{tok}");
    assert_eq!(
        keys(&tok),
        set(&[
            "id",
            "token",
            "createdAt",
            "connectionId",
            "session",
            "data",
            "role"
        ])
    );
    assert_eq!(tok["id"], tok["token"]);
    assert_eq!(tok["role"], "SUBSCRIBER");
    let cid = tok["connectionId"].as_str().unwrap();
    let (status, c) = t
        .call(
            Method::GET,
            &format!("/sessions/{sid}/connection/{cid}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(c["token"], tok["token"]);
    let (status, json) = t
        .call(Method::POST, "/tokens", Some(json!({"role": "PUBLISHER"})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(json["message"].as_str().unwrap().contains("session"));
    let (status, json) = t
        .call(Method::POST, "/tokens", Some(json!({"session": "nope"})))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(json["message"], "Session nope not found");
    assert_eq!(
        t.status(Method::POST, "/tokens", None).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        t.raw(Method::POST, "/tokens", r#"{"session": 1}"#).await.0,
        StatusCode::BAD_REQUEST
    );
    t.stop().await;
}

#[tokio::test]
async fn signals_validate_before_delivery() {
    let t = TestServer::start().await;
    let sid = t.new_session(json!({})).await;
    let (status, json) = t
        .call(Method::POST, "/signal", Some(json!({"data": "x"})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(json["message"].as_str().unwrap().contains("session"));
    assert_eq!(
        t.status(Method::POST, "/signal", Some(json!({"session": "nope"})))
            .await,
        StatusCode::NOT_FOUND
    );
    // Nobody joined yet: 406, as OpenVidu.
    assert_eq!(
        t.status(
            Method::POST,
            "/signal",
            Some(json!({"session": sid, "type": "chat", "data": "hi"}))
        )
        .await,
        StatusCode::NOT_ACCEPTABLE
    );
    assert_eq!(
        t.raw(Method::POST, "/signal", r#"{"session":"x","to":"con_A"}"#)
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        t.raw(Method::POST, "/signal", r#"{"session":"x","to":[1]}"#)
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        t.status(Method::POST, "/signal", None).await,
        StatusCode::BAD_REQUEST
    );
    t.stop().await;
}
