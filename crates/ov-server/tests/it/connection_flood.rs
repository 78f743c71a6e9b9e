//! The attack of issue 9 against the real binary: under a low file-descriptor limit, one
//! address opens more idle connections than the process has descriptors. The per-address
//! cap (set through the environment, as an operator would) keeps descriptors free, so the
//! REST API still answers another address and a joined participant's WebSocket still
//! answers. Without the cap the descriptors run out and the REST request is never accepted.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ov_testkit::rpc::RpcClient;
use reqwest::StatusCode;
use serde_json::json;

use crate::connection_limits::{BYSTANDER, FLOODER, connect_from, rest_from};
use crate::support::SECRET;

/// Descriptors the server process may have (soft and hard, so it cannot raise them).
const FD_LIMIT: u32 = 256;
/// More idle connections than that.
const FLOOD: usize = 300;

/// The binary under `ulimit -n FD_LIMIT`, on a free port; returns it and its address.
fn start_server() -> (Child, SocketAddr) {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("ulimit -n {FD_LIMIT} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_openvidu-rs"))
        .args(["--address", "127.0.0.1", "--port", "0", "--rtc-port", "0"])
        .args(["--domain", "127.0.0.1", "--secret", SECRET]);
    for s in ov_server::config::SETTINGS {
        cmd.env_remove(s.env);
    }
    let mut child = cmd
        .env_remove("OPENVIDU_CONFIG")
        .env("OPENVIDU_HTTP_MAX_CONNECTIONS_PER_IP", "50")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            if let Some(addr) = line.split("(listening on ").nth(1) {
                let _ = tx.send(addr.trim_end_matches(')').parse::<SocketAddr>());
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the banner names the address")
        .expect("a socket address");
    (child, addr)
}

#[tokio::test]
async fn rest_and_a_joined_participant_are_served_while_one_address_floods_past_the_fd_limit() {
    // reqwest needs the process's TLS provider, which no in-process server installed here.
    ov_server::app::install_crypto_provider();
    let (mut child, addr) = start_server();
    let url = format!("http://{addr}");
    let api = |path: &str| format!("{url}/openvidu/api{path}");
    let post = |path: String| async move {
        reqwest::Client::new()
            .post(path)
            .basic_auth("OPENVIDUAPP", Some(SECRET))
            .json(&json!({}))
            .send()
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap()
    };
    let session = post(api("/sessions")).await;
    let id = session["id"].as_str().unwrap();
    let connection = post(api(&format!("/sessions/{id}/connection"))).await;
    let mut participant = RpcClient::join(
        &format!("ws://{addr}/openvidu"),
        connection["token"].as_str().unwrap(),
        "in-call",
    )
    .await;

    let mut flood = Vec::new();
    for _ in 0..FLOOD {
        flood.push(connect_from(FLOODER, addr).await);
    }
    let rest = rest_from(BYSTANDER, &url).await;
    let ping = participant.call("ping", json!({"interval": 5000})).await;
    drop(flood);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        rest.expect("the REST API answers another address during the flood"),
        StatusCode::OK
    );
    ping.expect("the participant's WebSocket answers during the flood");
}
