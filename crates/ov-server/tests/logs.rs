//! Client values cannot forge or flood log lines. In a test binary of its own: it installs
//! the process's logger, which other tests running in the same process would race with.

use ov_server::Config;
use ov_server::logging::MemoryLog;
use ov_testkit::rpc::RpcClient;
use serde_json::{Value, json};

const SECRET: &str = "TEST_SECRET";

#[tokio::test]
async fn client_values_cannot_forge_or_flood_log_lines() {
    let logs = MemoryLog::default();
    tracing::subscriber::set_global_default(ov_server::logging::subscriber(
        "debug",
        logs.clone(),
        false,
    ))
    .unwrap();
    let server = ov_server::start(Config::for_loopback(SECRET))
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let api = |path: &str| format!("{}/openvidu/api{path}", server.local_url());
    let post = |path: String, body: Value| {
        http.post(path)
            .basic_auth("OPENVIDUAPP", Some(SECRET))
            .json(&body)
            .send()
    };
    let session: Value = post(api("/sessions"), json!({}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sid = session["id"].as_str().unwrap().to_owned();
    let connection: Value = post(api(&format!("/sessions/{sid}/connection")), json!({}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut c = RpcClient::open(&format!("ws://{}/openvidu", server.local_addr)).await;
    let forged = "Chrome\n2026-12-01T00:00:00.000000Z  INFO ov_server: FORGED \u{1b}[31mred";
    c.call(
        "joinRoom",
        json!({"token": connection["token"], "session": sid, "platform": forged}),
    )
    .await
    .unwrap();
    let method = "m".repeat(900_000);
    c.fail(&method, json!({})).await;
    server.shutdown().await;

    let text = logs.text();
    assert!(text.contains("participant joined"), "{text}");
    assert!(text.contains("FORGED"), "the value is logged, escaped");
    assert!(
        !text
            .lines()
            .any(|l| l.trim_start().starts_with("2026-12-01T00:00:00")),
        "a forged line: {text}"
    );
    assert!(!text.contains('\u{1b}'), "an ANSI escape reached the log");
    let longest = text.lines().map(str::len).max().unwrap_or(0);
    assert!(longest < 4096, "a log line of {longest} bytes");
}
