//! The application server over HTTP, against a real openvidu-rs started in-process.

use app_server::router;
use openvidu_client::OpenVidu;
use reqwest::StatusCode;
use serde_json::{Value, json};

const SECRET: &str = "APP_TEST";

async fn start_app(openvidu_url: &str, static_dir: Option<std::path::PathBuf>) -> String {
    let openvidu = OpenVidu::new(openvidu_url, SECRET).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, router(openvidu, static_dir))
            .await
            .unwrap()
    });
    url
}

/// POSTs `body` as JSON (or nothing) to the application server.
async fn post(app: &str, path: &str, body: Option<Value>) -> reqwest::Response {
    let req = reqwest::Client::new().post(format!("{app}{path}"));
    let req = match body {
        Some(body) => req.json(&body),
        None => req,
    };
    req.send().await.unwrap()
}

#[tokio::test]
async fn sessions_and_tokens_as_the_tutorials_expect() {
    let ov = ov_server::start(ov_server::Config::for_loopback(SECRET))
        .await
        .unwrap();
    let app = start_app(&ov.local_url(), None).await;
    let http = reqwest::Client::new();

    let res = post(
        &app,
        "/api/sessions",
        Some(json!({"customSessionId": "SessionA"})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "SessionA");
    // An existing id is returned again, not an error.
    let res = post(
        &app,
        "/api/sessions",
        Some(json!({"customSessionId": "SessionA"})),
    )
    .await;
    assert_eq!(res.text().await.unwrap(), "SessionA");
    // Without a body: a generated id.
    let res = post(&app, "/api/sessions", None).await;
    assert!(res.text().await.unwrap().starts_with("ses_"));

    let res = post(&app, "/api/sessions/SessionA/connections", Some(json!({}))).await;
    assert_eq!(res.status(), StatusCode::OK);
    let token = res.text().await.unwrap();
    assert!(
        token.starts_with("ws://127.0.0.1:") && token.contains("sessionId=SessionA&token=tok_"),
        "{token}"
    );

    let res = post(&app, "/api/sessions/Nope/connections", Some(json!({}))).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    let res = http
        .post(format!("{app}/api/sessions"))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = post(
        &app,
        "/api/sessions",
        Some(json!({"customSessionId": "bad id"})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("customSessionId"));

    // CORS: a front end on another origin may call it.
    let res = http
        .request(reqwest::Method::OPTIONS, format!("{app}/api/sessions"))
        .header("origin", "http://localhost:5173")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "http://localhost:5173"
    );

    ov.shutdown().await;
    // OpenVidu gone: a 502, not a hang or a 500.
    let res = post(&app, "/api/sessions", None).await;
    assert_eq!(res.status(), StatusCode::BAD_GATEWAY);
}

#[tokio::test]
async fn serves_the_front_end() {
    let dir = std::env::temp_dir().join(format!("app-static-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<h1>front end</h1>").unwrap();
    let app = start_app("http://127.0.0.1:9", Some(dir.clone())).await;
    let body = reqwest::get(format!("{app}/"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, "<h1>front end</h1>");
    let res = reqwest::get(format!("{app}/missing.js")).await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    std::fs::remove_dir_all(&dir).unwrap();
}
