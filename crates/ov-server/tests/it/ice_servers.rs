//! `OPENVIDU_WEBRTC_ICE_SERVERS`: the deployment's STUN/TURN servers reach the browser in
//! `joinRoom`'s `customIceServers`, unless the connection was created with its own.

use ov_testkit::rpc::RpcClient;
use serde_json::json;

use crate::support::{SECRET, TestServer};

/// A loopback server whose ICE servers come from the environment variable, parsed as a
/// deployment's are.
async fn server_with_ice_servers(value: &str) -> TestServer {
    let env = |key: &str| (key == "OPENVIDU_WEBRTC_ICE_SERVERS").then(|| value.to_owned());
    let from_env = ov_server::Config::load(["openvidu-rs".into()], env).expect("a valid value");
    let mut config = ov_server::Config::for_loopback(SECRET);
    config.webrtc_ice_servers = from_env.webrtc_ice_servers;
    TestServer::start_with(config).await
}

#[tokio::test]
async fn the_configured_ice_servers_reach_join_room_unless_the_connection_has_its_own() {
    let t = server_with_ice_servers(
        r#"["url=turn:127.0.0.1:3478,username=u,credential=p","url=stun:127.0.0.1:3478"]"#,
    )
    .await;
    let sid = t.new_session(json!({})).await;

    let plain = t.token(&sid, "PUBLISHER").await;
    let mut a = RpcClient::open(&t.ws_url()).await;
    let joined = a.join_with(&plain, "A").await.unwrap();
    assert_eq!(
        joined["customIceServers"],
        json!([
            {"url": "turn:127.0.0.1:3478", "username": "u", "credential": "p"},
            {"url": "stun:127.0.0.1:3478"}
        ])
    );

    the_connections_own_servers_win(&t, &sid).await;
    a.close().await;
    t.stop().await;
}

/// A connection created with its own `customIceServers` gets exactly those in `joinRoom`.
pub async fn the_connections_own_servers_win(t: &TestServer, sid: &str) {
    let own = json!([{"url": "stun:stun.example.com:19302"}]);
    let connection = t
        .new_connection(sid, json!({"customIceServers": own}))
        .await;
    let mut b = RpcClient::open(&t.ws_url()).await;
    let joined = b
        .join_with(connection["token"].as_str().unwrap(), "B")
        .await
        .unwrap();
    assert_eq!(joined["customIceServers"], own, "the connection's own win");
    b.close().await;
}
