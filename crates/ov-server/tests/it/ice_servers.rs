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

/// With the embedded TURN server off and no ICE servers configured, `joinRoom` hands its
/// STUN-only stand-in (or openvidu-browser would use public STUN servers), which answers a
/// browser's Binding request with the address it came from; and it is not the media port
/// (a browser drops everything that comes from its STUN server's address).
#[tokio::test]
async fn without_turn_participants_get_the_servers_own_stun_server() {
    let t = TestServer::start().await;
    let sid = t.new_session(json!({})).await;
    let token = t.token(&sid, "PUBLISHER").await;
    let mut a = RpcClient::open(&t.ws_url()).await;
    let joined = a.join_with(&token, "A").await.unwrap();
    let servers = joined["customIceServers"].as_array().cloned().unwrap();
    assert_eq!(servers.len(), 1, "{joined}");
    assert_eq!(
        servers[0].as_object().unwrap().len(),
        1,
        "no credentials: {}",
        servers[0]
    );
    let url = servers[0]["url"].as_str().unwrap();
    let port: u16 = url
        .strip_prefix("stun:127.0.0.1:")
        .unwrap_or_else(|| panic!("a stun: URL of the server: {url}"))
        .parse()
        .unwrap();
    assert_ne!(port, t.server.media_addr.port(), "not the media port");

    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut request = vec![0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42];
    request.extend_from_slice(b"transaction!");
    socket.send_to(&request, ("127.0.0.1", port)).await.unwrap();
    let mut buf = [0u8; 512];
    let (n, _) = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        socket.recv_from(&mut buf),
    )
    .await
    .expect("an answer within 5 s")
    .unwrap();
    let answer = &buf[..n];
    assert_eq!(answer[0..2], [0x01, 0x01], "Binding success");
    assert_eq!(&answer[8..20], b"transaction!");
    assert_eq!(
        xor_mapped_address(answer),
        Some(socket.local_addr().unwrap()),
        "the address the request came from"
    );
    a.close().await;
    t.stop().await;
}

/// The IPv4 XOR-MAPPED-ADDRESS of a STUN message, decoded as a browser does.
fn xor_mapped_address(message: &[u8]) -> Option<std::net::SocketAddr> {
    const COOKIE: [u8; 4] = [0x21, 0x12, 0xA4, 0x42];
    let mut at = 20;
    while at + 4 <= message.len() {
        let kind = u16::from_be_bytes([message[at], message[at + 1]]);
        let len = usize::from(u16::from_be_bytes([message[at + 2], message[at + 3]]));
        let value = message.get(at + 4..at + 4 + len)?;
        if kind == 0x0020 && len == 8 && value[1] == 1 {
            let port = u16::from_be_bytes([value[2], value[3]]) ^ 0x2112;
            let ip: [u8; 4] = std::array::from_fn(|i| value[4 + i] ^ COOKIE[i]);
            return Some((ip, port).into());
        }
        at += 4 + len.div_ceil(4) * 4;
    }
    None
}
