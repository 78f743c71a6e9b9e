//! Every REST endpoint, its status codes and JSON shapes, authentication and bad input.

use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{SECRET, TestServer};

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

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
async fn session_lifecycle_and_shapes() {
    let t = TestServer::start().await;
    let (status, s) = t.call(Method::POST, "/sessions", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        keys(&s),
        set(&[
            "id",
            "object",
            "sessionId",
            "createdAt",
            "recording",
            "broadcasting",
            "mediaMode",
            "recordingMode",
            "defaultRecordingProperties",
            "customSessionId",
            "forcedVideoCodec",
            "allowTranscoding",
            "connections"
        ])
    );
    let id = s["id"].as_str().unwrap();
    assert!(id.starts_with("ses_") && id.len() == 14, "{id}");
    assert_eq!(s["sessionId"], s["id"]);
    assert_eq!(s["object"], "session");
    assert_eq!(s["customSessionId"], "");
    assert_eq!(s["forcedVideoCodec"], "MEDIA_SERVER_PREFERRED");
    assert_eq!(
        s["connections"],
        json!({"numberOfElements": 0, "content": []})
    );

    let (status, got) = t.call(Method::GET, &format!("/sessions/{id}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got, s);
    let (status, list) = t.call(Method::GET, "/sessions", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["numberOfElements"], 1);
    assert_eq!(list["content"][0]["id"], s["id"]);

    let (status, body) = t
        .call(Method::DELETE, &format!("/sessions/{id}"), None)
        .await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));
    let (status, _) = t
        .call(Method::DELETE, &format!("/sessions/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = t.call(Method::GET, &format!("/sessions/{id}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    t.stop().await;
}

#[tokio::test]
async fn custom_session_ids_conflict_and_node_client_body() {
    let t = TestServer::start().await;
    // The exact body openvidu-node-client 2.32 sends.
    let body = json!({"mediaMode":"ROUTED","recordingMode":"MANUAL","customSessionId":"room-1",
        "defaultRecordingProperties":{"name":"","hasAudio":true,"hasVideo":true,"outputMode":"COMPOSED",
        "recordingLayout":"BEST_FIT","resolution":"1280x720","frameRate":25,"shmSize":536870912}});
    let id = t.new_session(body.clone()).await;
    assert_eq!(id, "room-1");
    let (status, conflict) = t.call(Method::POST, "/sessions", Some(body)).await;
    assert_eq!((status, conflict), (StatusCode::CONFLICT, Value::Null));
    let (status, s) = t
        .call(
            Method::GET,
            "/sessions/room-1?pendingConnections=true",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(s["customSessionId"], "room-1");
    // `customSessionId: ""` means "generate one".
    let generated = t.new_session(json!({"customSessionId": ""})).await;
    assert!(generated.starts_with("ses_"));
    t.stop().await;
}

#[tokio::test]
async fn concurrent_creates_of_one_custom_id_yield_one_success() {
    let t = TestServer::start().await;
    let mut calls = Vec::new();
    for _ in 0..24 {
        let http = t.http.clone();
        let url = t.url("/sessions");
        calls.push(tokio::spawn(async move {
            http.post(url)
                .basic_auth("OPENVIDUAPP", Some(SECRET))
                .json(&json!({"customSessionId": "race"}))
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    let mut ok = 0;
    let mut conflict = 0;
    for c in calls {
        match c.await.unwrap() {
            StatusCode::OK => ok += 1,
            StatusCode::CONFLICT => conflict += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!((ok, conflict), (1, 23));
    let (_, list) = t.call(Method::GET, "/sessions", None).await;
    assert_eq!(list["numberOfElements"], 1);
    t.stop().await;
}

#[tokio::test]
async fn bad_session_bodies_get_400_naming_the_field() {
    let t = TestServer::start().await;
    let cases: &[(&'static str, &str)] = &[
        (r#"{"customSessionId":"has space"}"#, "customSessionId"),
        (r#"{"customSessionId":5}"#, "customSessionId"),
        (r#"{"mediaMode":"P2P"}"#, "mediaMode"),
        (r#"{"recordingMode":true}"#, "recordingMode"),
        (r#"{"forcedVideoCodec":"AV1"}"#, "forcedVideoCodec"),
        (r#"{"allowTranscoding":"yes"}"#, "allowTranscoding"),
        (
            r#"{"defaultRecordingProperties":{"frameRate":"x"}}"#,
            "defaultRecordingProperties.frameRate",
        ),
        (
            r#"{"defaultRecordingProperties":{"resolution":"5000x1"}}"#,
            "resolution",
        ),
        (
            r#"{"defaultRecordingProperties":{"outputMode":"FANCY"}}"#,
            "outputMode",
        ),
        (r#"{"mediaNode":"x"}"#, "mediaNode"),
        (r#"{"mediaMode":"ROUTED""#, "not valid JSON"),
        ("[1,2]", "JSON object"),
        ("\"text\"", "JSON object"),
    ];
    for (body, field) in cases {
        let (status, json) = t.raw(Method::POST, "/sessions", body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(json["status"], 400, "{body}: {json}");
        assert_eq!(json["path"], "/openvidu/api/sessions");
        let message = json["message"].as_str().unwrap();
        assert!(message.contains(field), "{body}: {message}");
    }
    let (status, json) = t
        .call(
            Method::POST,
            "/sessions",
            Some(json!({"customSessionId": "a".repeat(257)})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{json}");
    // Oversized bodies are refused before parsing.
    let huge = format!(r#"{{"customSessionId":"{}"}}"#, "a".repeat(2 * 1024 * 1024));
    let res = t
        .http
        .post(t.url("/sessions"))
        .basic_auth("OPENVIDUAPP", Some(SECRET))
        .body(huge)
        .send()
        .await
        .unwrap();
    let (status, json) = crate::support::read(res).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        json["message"].as_str().unwrap().contains("limit"),
        "{json}"
    );
    // Nothing was created along the way.
    let (_, list) = t.call(Method::GET, "/sessions", None).await;
    assert_eq!(list["numberOfElements"], 0);
    t.stop().await;
}

#[tokio::test]
async fn authentication() {
    let t = TestServer::start().await;
    let url = t.url("/sessions");
    let res = t.http.get(&url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(
        res.headers()
            .get("www-authenticate")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    for (user, pass) in [
        ("OPENVIDUAPP", "wrong"),
        ("admin", SECRET),
        ("OPENVIDUAPP", ""),
    ] {
        let res = t
            .http
            .get(&url)
            .basic_auth(user, Some(pass))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{user}:{pass}");
    }
    let res = t
        .http
        .get(&url)
        .header("authorization", "Basic !!!notbase64")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // Unknown paths under the API also need credentials.
    let res = t.http.get(t.url("/nope")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // Public: the public URL, and CORS preflights.
    let res = t
        .http
        .get(t.url("/config/openvidu-publicurl"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.text().await.unwrap(),
        format!("{}/", t.server.public_url)
    );
    let res = t
        .http
        .request(Method::OPTIONS, &url)
        .header("origin", "http://app.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    // Mirrored, not `*`: a wildcard would not cover Authorization in browsers.
    assert_eq!(res.headers()["access-control-allow-methods"], "POST");
    assert_eq!(
        res.headers()["access-control-allow-headers"],
        "authorization,content-type"
    );
    t.stop().await;
}

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
        t.call(Method::DELETE, &path, None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.call(Method::GET, &path, None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.call(Method::PATCH, &path, Some(json!({}))).await.0,
        StatusCode::NOT_FOUND
    );
    t.stop().await;
}

#[tokio::test]
async fn connection_errors() {
    let t = TestServer::start().await;
    let sid = t.new_session(json!({})).await;
    // Unknown session: 404 to create/list, but 400 to a connection or stream path.
    assert_eq!(
        t.call(Method::POST, "/sessions/nope/connection", None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.call(Method::GET, "/sessions/nope/connection", None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.call(Method::GET, "/sessions/nope/connection/con_X", None)
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        t.call(Method::DELETE, "/sessions/nope/connection/con_X", None)
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        t.call(
            Method::DELETE,
            "/sessions/nope/stream/str_CAM_X_con_X",
            None
        )
        .await
        .0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        t.call(
            Method::DELETE,
            &format!("/sessions/{sid}/stream/str_CAM_Abcd_con_X"),
            None
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
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
        t.call(Method::POST, "/tokens", None).await.0,
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
        t.call(Method::POST, "/signal", Some(json!({"session": "nope"})))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    // Nobody joined yet: 406, as OpenVidu.
    assert_eq!(
        t.call(
            Method::POST,
            "/signal",
            Some(json!({"session": sid, "type": "chat", "data": "hi"}))
        )
        .await
        .0,
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
        t.call(Method::POST, "/signal", None).await.0,
        StatusCode::BAD_REQUEST
    );
    t.stop().await;
}

#[tokio::test]
async fn config_health_recordings_and_broadcasts() {
    let t = TestServer::start().await;
    let (status, c) = t.call(Method::GET, "/config", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(c["VERSION"], "2.32.2");
    assert_eq!(c["OPENVIDU_PUBLICURL"], t.server.public_url.as_str());
    assert_eq!(c["OPENVIDU_RECORDING"], false);
    assert_eq!(c["OPENVIDU_WEBHOOK"], false);
    assert_eq!(c["OPENVIDU_SESSIONS_GARBAGE_THRESHOLD"], 3600);
    assert_eq!(c["HTTPS_PORT"], t.server.local_addr.port());
    assert_eq!(
        t.call(Method::GET, "/config/openvidu-version", None)
            .await
            .1,
        json!("2.32.2")
    );
    assert_eq!(
        t.call(Method::GET, "/config/openvidu-recording", None)
            .await
            .1,
        json!(false)
    );
    assert_eq!(t.call(Method::GET, "/health", None).await.1["status"], "UP");
    for (method, path, body) in [
        (
            Method::POST,
            "/recordings/start",
            Some(json!({"session": "s"})),
        ),
        (Method::POST, "/recordings/stop/s", None),
        (Method::GET, "/recordings", None),
        (Method::GET, "/recordings/s", None),
        (Method::DELETE, "/recordings/s", None),
    ] {
        assert_eq!(
            t.call(method, path, body).await.0,
            StatusCode::NOT_IMPLEMENTED,
            "{path}"
        );
    }
    assert_eq!(
        t.call(Method::POST, "/recordings/start", None).await.0,
        StatusCode::BAD_REQUEST
    );
    let (status, json) = t
        .call(Method::POST, "/broadcast/start", Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(json["message"].as_str().unwrap().contains("Pro"));
    t.stop().await;
}

#[tokio::test]
async fn deprecated_api_alias() {
    let t = TestServer::start().await;
    let url = format!("{}/api/sessions", t.server.local_url());
    let res = t
        .http
        .post(&url)
        .basic_auth("OPENVIDUAPP", Some(SECRET))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = t.http.post(&url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    t.stop().await;
}

#[tokio::test]
async fn never_joined_sessions_are_garbage_collected() {
    let mut config = ov_server::Config::for_loopback(SECRET);
    config.garbage_interval = Duration::from_millis(200);
    config.garbage_threshold = Duration::from_millis(300);
    let t = TestServer::start_with(config).await;
    let sid = t.new_session(json!({"customSessionId": "old"})).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let (status, _) = t.call(Method::GET, &format!("/sessions/{sid}"), None).await;
        if status == StatusCode::NOT_FOUND {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "session was never collected"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The id is free again.
    t.new_session(json!({"customSessionId": "old"})).await;
    t.stop().await;
}

#[tokio::test]
async fn sessions_younger_than_the_threshold_survive_the_sweep() {
    let t = TestServer::start().await;
    t.new_session(json!({"customSessionId": "young"})).await;
    assert!(
        t.server
            .registry
            .sweep_unused_sessions(Duration::from_secs(60))
            .is_empty()
    );
    assert_eq!(
        t.server.registry.sweep_unused_sessions(Duration::ZERO),
        vec!["young".to_string()]
    );
    t.stop().await;
}
