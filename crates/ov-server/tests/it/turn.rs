//! The embedded TURN server: credentials, no open relay, quotas, and a str0m peer that
//! reaches the SFU through the relay only.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ov_server::config::TurnConfig;
use ov_server::domain::turn::credential;
use ov_testkit::rpc::{RpcClient, publish_params};
use ov_testkit::{BrowserPeer, PeerEvent};
use reqwest::Method;
use serde_json::json;

use crate::support::{SECRET, TestServer};
use crate::turn_client::{Received, TurnClient, code};

async fn server(user_quota: usize) -> TestServer {
    let mut config = ov_server::Config::for_loopback(SECRET);
    config.turn = Some(TurnConfig {
        port: 0,
        tls_port: None,
        host: "127.0.0.1".into(),
        secret: SECRET.into(),
        user_quota,
        max_allocations: 50,
    });
    TestServer::start_with(config).await
}

fn turn_addrs(t: &TestServer) -> (SocketAddr, SocketAddr) {
    let turn = t.server.turn.as_ref().expect("TURN is on");
    (turn.udp, turn.tcp)
}

/// A user name valid `secs` seconds from now (negative: expired) and its password.
fn user(secs: i64, id: &str) -> (String, String) {
    let now = (ov_server::clock::now_ms() / 1000) as i64;
    let name = format!("{}:{id}", now + secs);
    let password = credential(SECRET, &name);
    (name, password)
}

#[tokio::test]
async fn join_room_hands_out_the_embedded_turn_unless_the_connection_has_servers() {
    let t = server(10).await;
    let (udp, tcp) = turn_addrs(&t);
    let sid = t.new_session(json!({})).await;
    let connection = t.new_connection(&sid, json!({"role": "PUBLISHER"})).await;
    let mut a = RpcClient::open(&t.ws_url()).await;
    let joined = a
        .join_with(connection["token"].as_str().unwrap(), "A")
        .await
        .unwrap();
    let servers = joined["customIceServers"].as_array().unwrap();
    let urls: Vec<&str> = servers.iter().map(|s| s["url"].as_str().unwrap()).collect();
    assert_eq!(
        urls,
        [
            format!("turn:127.0.0.1:{}?transport=udp", udp.port()),
            format!("turn:127.0.0.1:{}?transport=tcp", tcp.port())
        ]
    );
    let username = servers[0]["username"].as_str().unwrap();
    assert_eq!(servers[0]["credential"], credential(SECRET, username));
    assert_eq!(servers[1]["username"], username, "one user per participant");
    // The credentials work on the server they name.
    let password = servers[0]["credential"].as_str().unwrap();
    let mut client = TurnClient::tcp(tcp, username, password).await;
    client.allocate().await.expect("allocates");
    // REST shows the connection's own servers only, as OpenVidu does: none.
    let (_, rest) = t
        .call(
            Method::GET,
            &format!(
                "/sessions/{sid}/connection/{}",
                connection["connectionId"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(rest["customIceServers"], json!([]));

    crate::ice_servers::the_connections_own_servers_win(&t, &sid).await;
    a.close().await;
    t.stop().await;
}

#[tokio::test]
async fn allocations_need_valid_unexpired_credentials_and_a_fresh_nonce() {
    let t = server(10).await;
    let (udp, _) = turn_addrs(&t);
    let (name, password) = user(600, "good");
    let mut good = TurnClient::udp(udp, &name, &password).await;
    let relayed = good.allocate().await.expect("valid credentials allocate");
    assert_eq!(
        relayed.ip(),
        t.server.media_addr.ip(),
        "relay on the media address"
    );

    let mut wrong = TurnClient::udp(udp, &name, "not-the-password").await;
    assert_eq!(wrong.allocate().await, Err(401));
    let (old, old_password) = user(-1, "old");
    let mut expired = TurnClient::udp(udp, &old, &old_password).await;
    assert_eq!(expired.allocate().await, Err(401));
    let (other_name, other_password) = user(600, "other");
    let mut other = TurnClient::udp(udp, &other_name, &other_password).await;
    assert_eq!(wrong.allocate().await, Err(401), "still 401");
    // A nonce issued to another client is stale here: 438 with a fresh nonce, which
    // then works (what Chromium does on 438).
    other.allocate().await.expect("allocates");
    let mut late = TurnClient::udp(udp, &other_name, &other_password).await;
    let mut m = TurnClient::request(stun_codec::rfc5766::methods::ALLOCATE);
    m.add_attribute(stun_codec::rfc5766::attributes::RequestedTransport::new(17));
    let challenge = late.transact(m).await;
    late.learn(&challenge);
    late.nonce = other.nonce.clone();
    let mut m = TurnClient::request(stun_codec::rfc5766::methods::ALLOCATE);
    m.add_attribute(stun_codec::rfc5766::attributes::RequestedTransport::new(17));
    let stale = late.signed(m.clone()).await;
    assert_eq!(code(&stale), Some(438));
    late.learn(&stale);
    assert_eq!(
        code(&late.signed(m).await),
        None,
        "the fresh nonce is accepted"
    );
    t.stop().await;
}

#[tokio::test]
async fn the_relay_reaches_the_media_sockets_only() {
    let t = server(10).await;
    let (udp, tcp) = turn_addrs(&t);
    let (name, password) = user(600, "p");
    let mut client = TurnClient::tcp(tcp, &name, &password).await;
    client.allocate().await.unwrap();
    let elsewhere: SocketAddr = "127.0.0.2:9".parse().unwrap();
    assert_eq!(client.create_permission(elsewhere).await, Some(403));
    assert_eq!(client.channel_bind(0x4000, elsewhere).await, Some(403));
    assert_eq!(
        client.channel_bind(0x4000, udp).await,
        Some(403),
        "the media IP but not a media port"
    );
    let media = t.server.media_addr;
    assert_eq!(client.create_permission(media).await, None);
    assert_eq!(client.channel_bind(0x4000, media).await, None);
    // Unsolicited data to a refused peer is dropped, not relayed: nothing comes back.
    let probe = tokio::net::UdpSocket::bind("127.0.0.2:0").await.unwrap();
    client.send(probe.local_addr().unwrap(), b"x").await;
    let mut buf = [0u8; 8];
    assert!(
        tokio::time::timeout(Duration::from_millis(300), probe.recv_from(&mut buf))
            .await
            .is_err(),
        "nothing reached a non-media address"
    );
    t.stop().await;
}

#[tokio::test]
async fn each_participant_has_an_allocation_quota() {
    let t = server(2).await;
    let (udp, tcp) = turn_addrs(&t);
    let (name, password) = user(600, "q");
    let mut first = TurnClient::udp(udp, &name, &password).await;
    first.allocate().await.unwrap();
    let mut second = TurnClient::tcp(tcp, &name, &password).await;
    second.allocate().await.unwrap();
    let mut third = TurnClient::udp(udp, &name, &password).await;
    assert_eq!(third.allocate().await, Err(486));
    let (other, other_password) = user(600, "r");
    let mut someone_else = TurnClient::udp(udp, &other, &other_password).await;
    someone_else
        .allocate()
        .await
        .expect("the quota is per user");
    // Releasing one (Refresh with lifetime 0) frees a slot.
    assert_eq!(first.refresh(0).await, None);
    assert_eq!(third.allocate().await.map(|_| ()), Ok(()));
    drop(second); // closing a TCP connection ends its allocation
    let turn = t.server.turn.clone().unwrap();
    ov_testkit::wait::until("the TCP allocation to end", Duration::from_secs(5), || {
        let n = turn.server.allocation_count();
        async move { (n == 2).then_some(()) }
    })
    .await;
    t.stop().await;
}

#[tokio::test]
async fn a_peer_behind_the_relay_connects_to_the_sfu() {
    let t = server(10).await;
    let (_, tcp) = turn_addrs(&t);
    let (name, password) = user(600, "media");
    let mut client = TurnClient::tcp(tcp, &name, &password).await;
    let relayed = client.allocate().await.unwrap();
    let media = t.server.media_addr;
    assert_eq!(client.create_permission(media).await, None);

    let sid = t.new_session(json!({})).await;
    let mut rpc = RpcClient::join(&t.ws_url(), &t.token(&sid, "PUBLISHER").await, "P").await;
    let mut browser = BrowserPeer::with_host_candidate(relayed, Instant::now()).unwrap();
    let offer = browser.publish_offer().unwrap();
    let answer = rpc
        .call("publishVideo", publish_params(&offer, 30, 640, 480))
        .await
        .unwrap();
    browser
        .accept_answer(answer["sdpAnswer"].as_str().unwrap())
        .unwrap();

    // Everything the peer sends goes through the relay (Send indications over TCP), and
    // what the SFU answers comes back as Data indications.
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut connected = false;
    let mut relayed_in = 0;
    while !connected {
        assert!(
            Instant::now() < deadline,
            "no connection through the relay ({relayed_in} datagrams back)"
        );
        let mut out = Vec::new();
        let next = browser
            .drain(
                |t| out.push((t.destination, t.contents.to_vec())),
                |e| connected |= matches!(e, PeerEvent::Connected),
            )
            .unwrap();
        for (destination, data) in out {
            assert_eq!(
                destination, media,
                "the peer only knows the SFU's candidate"
            );
            client.send(destination, &data).await;
        }
        let wait = next
            .saturating_duration_since(Instant::now())
            .clamp(Duration::from_millis(1), Duration::from_millis(50));
        match tokio::time::timeout(wait, client.next_data()).await {
            Ok(Some(Received::Indication(peer, data))) => {
                assert_eq!(peer, media);
                relayed_in += 1;
                browser
                    .handle_datagram(Instant::now(), peer, relayed, &data)
                    .unwrap();
            }
            Ok(other) => panic!("unexpected {other:?}"),
            Err(_) => browser.handle_timeout(Instant::now()).unwrap(),
        }
    }
    assert!(relayed_in > 0);
    rpc.close().await;
    t.stop().await;
}

#[tokio::test]
async fn data_goes_both_ways_on_channels_and_indications() {
    // A TURN server whose only "media socket" is an echo socket of the test.
    let echo = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let echo_addr = echo.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = [0u8; 2048];
        while let Ok((n, from)) = echo.recv_from(&mut buf).await {
            let _ = echo.send_to(&buf[..n], from).await;
        }
    });
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let config = TurnConfig {
        port: 0,
        tls_port: None,
        host: "127.0.0.1".into(),
        secret: SECRET.into(),
        user_quota: 5,
        max_allocations: 5,
    };
    let loopback = echo_addr.ip();
    let peers = ov_server::turn::MediaPeers::new([(echo_addr, &[][..])]);
    let (turn, _tasks) = ov_server::turn::start(&config, loopback, None, peers, loopback, stopped)
        .await
        .unwrap();
    for tcp in [false, true] {
        let (name, password) = user(600, "echo");
        let mut client = if tcp {
            TurnClient::tcp(turn.tcp, &name, &password).await
        } else {
            TurnClient::udp(turn.udp, &name, &password).await
        };
        client.allocate().await.unwrap();
        // No permission yet: nothing goes out.
        client.send(echo_addr, b"early").await;
        assert_eq!(client.create_permission(echo_addr).await, None);
        client.send(echo_addr, b"indication").await;
        assert_eq!(
            client.next_data().await,
            Some(Received::Indication(echo_addr, b"indication".to_vec())),
            "tcp: {tcp}"
        );
        assert_eq!(client.channel_bind(0x4001, echo_addr).await, None);
        client.channel_send(0x4001, b"odd-length").await;
        assert_eq!(
            client.next_data().await,
            Some(Received::Channel(0x4001, b"odd-length".to_vec())),
            "tcp: {tcp}"
        );
    }
    let _ = stop.send(true);
}

#[tokio::test]
async fn tls_uses_the_deployment_certificate() {
    let certificate = crate::tls::Certificate::new("turn-tls");
    let mut config = ov_server::Config::for_loopback(SECRET);
    config.tls = Some(ov_server::config::TlsFiles {
        certificate: certificate.cert.clone(),
        key: certificate.key.clone(),
    });
    config.turn = Some(TurnConfig {
        port: 0,
        tls_port: Some(0),
        host: "localhost".into(),
        secret: SECRET.into(),
        user_quota: 5,
        max_allocations: 5,
    });
    let t = TestServer::start_with(config).await;
    let turn = t.server.turn.clone().unwrap();
    let tls = turn.tls.expect("a TLS listener");
    let (name, password) = user(600, "tls");
    let trust = ov_testkit::rpc::trusting(&certificate.der).unwrap();
    let mut client = TurnClient::tls(tls, trust, &name, &password).await;
    client.allocate().await.expect("allocates over TLS");
    assert_eq!(client.create_permission(t.server.media_addr).await, None);
    t.stop().await;
    let _ = std::fs::remove_dir_all(&certificate.dir);
}
