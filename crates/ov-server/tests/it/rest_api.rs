//! REST: sessions, authentication, bad input and configuration.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{SECRET, TestServer, keys, set};

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
        (r#"{"forcedVideoCodec":"H265"}"#, "forcedVideoCodec"),
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
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
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
            t.status(method, path, body).await,
            StatusCode::NOT_IMPLEMENTED,
            "{path}"
        );
    }
    assert_eq!(
        t.status(Method::POST, "/recordings/start", None).await,
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
