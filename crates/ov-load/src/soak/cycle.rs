//! One join-and-leave cycle, and the idle-connection flood.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use openvidu_client::{ConnectionProperties, OpenVidu, SessionProperties};
use ov_protocol::rpc::method;
use ov_testkit::BrowserPeer;
use ov_testkit::rpc::{join_params, publish_params};
use serde_json::json;
use tokio::net::{TcpSocket, TcpStream};

use crate::LoadError;

/// How long one connect of the flood may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Creates a session and a token, joins, publishes (SDP only: the server creates its peer,
/// which is never connected) unless `publish` is false, and leaves. The session ends with
/// its last participant.
pub async fn join_and_leave(
    openvidu: &OpenVidu,
    ws_url: &str,
    publish: bool,
) -> Result<(), LoadError> {
    let session = openvidu
        .create_session(SessionProperties::default())
        .await?;
    let connection = session
        .create_connection(ConnectionProperties::default())
        .await?;
    let (rpc, _notes) = ov_testkit::rpc::connect(ws_url).await?;
    rpc.call(
        method::JOIN_ROOM,
        join_params(connection.token(), "", "openvidu-load soak"),
    )
    .await?;
    if publish {
        let mut browser = BrowserPeer::default();
        let offer = browser.publish_offer()?;
        rpc.call(method::PUBLISH_VIDEO, publish_params(&offer, 15, 320, 240))
            .await?;
    }
    rpc.call(method::LEAVE_ROOM, json!({})).await?;
    rpc.close().await;
    Ok(())
}

/// Opens up to `count` idle TCP connections to `server` from 127.0.0.1; returns those
/// that connected.
pub async fn flood(server: SocketAddr, count: usize) -> Vec<TcpStream> {
    let mut held = Vec::with_capacity(count);
    for _ in 0..count {
        let Ok(socket) = TcpSocket::new_v4() else {
            break;
        };
        if socket
            .bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0))
            .is_err()
        {
            break;
        }
        match tokio::time::timeout(CONNECT_TIMEOUT, socket.connect(server)).await {
            Ok(Ok(stream)) => held.push(stream),
            _ => break,
        }
    }
    held
}

/// How many of `held` the server has closed (end of stream or reset).
pub async fn closed_by_server(held: &[TcpStream]) -> usize {
    let mut closed = 0;
    let mut buf = [0u8; 1];
    for s in held {
        // Readable with nothing to read is an end of stream (idle peers send nothing).
        match s.try_read(&mut buf) {
            Ok(0) => closed += 1,
            Err(e) if e.kind() != std::io::ErrorKind::WouldBlock => closed += 1,
            _ => {}
        }
    }
    closed
}

/// `GET /openvidu/api/config` from 127.0.0.2 (another source than the flood); the status
/// and the time it took, or the error.
pub async fn rest_from_another_address(url: &str, secret: &str) -> (Result<u16, String>, Duration) {
    let started = std::time::Instant::now();
    let status = async {
        let client = reqwest::Client::builder()
            .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)))
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| e.to_string())?;
        let response = client
            .get(format!("{url}/openvidu/api/config"))
            .basic_auth("OPENVIDUAPP", Some(secret))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        Ok(response.status().as_u16())
    }
    .await;
    (status, started.elapsed())
}
