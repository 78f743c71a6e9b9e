//! ICE-TCP through the real media driver: str0m peers whose only candidate is an active TCP
//! one (a browser that may not use UDP) publish and subscribe over RFC 4571 framed TCP
//! connections to the server's passive candidate; and what the driver does with TCP
//! connections that are not ICE.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ov_server::Config;
use ov_server::config::RtcTcp;
use ov_testkit::frames::{opus_frame, vp8_frame};
use ov_testkit::rpc::{RpcClient, publish_params};
use ov_testkit::{BrowserPeer, PeerEvent};
use serde_json::json;
use str0m::media::{Frequency, MediaKind, MediaTime};
use str0m::net::Protocol;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::mpsc;

use crate::support::TestServer;

/// The active candidate a TCP-only peer announces (RFC 6544: port 9, the discard port).
fn active_candidate() -> SocketAddr {
    "127.0.0.1:9".parse().unwrap()
}

/// What a running TCP peer counts.
#[derive(Default)]
struct Counts {
    connected: AtomicUsize,
    video_frames: AtomicUsize,
    udp_transmits: AtomicUsize,
}

/// Drives `peer` over TCP until the test ends: connects to whatever address str0m sends
/// to, frames what it sends (RFC 4571), de-frames what arrives; publishes audio and video
/// once connected when `publish`.
fn run_over_tcp(mut peer: BrowserPeer, publish: bool) -> Arc<Counts> {
    let counts = Arc::new(Counts::default());
    let c = counts.clone();
    tokio::spawn(async move {
        let local = active_candidate();
        let (packets, mut incoming) = mpsc::channel::<(SocketAddr, Vec<u8>)>(1024);
        let mut writers: Vec<(SocketAddr, OwnedWriteHalf)> = Vec::new();
        let start = Instant::now();
        let mut frames_sent = 0u64;
        loop {
            let mut out = Vec::new();
            let Ok(deadline) = peer.drain(
                |t| out.push(t),
                |e| match e {
                    PeerEvent::Connected => {
                        c.connected.fetch_add(1, Ordering::SeqCst);
                    }
                    PeerEvent::Frame(f) if f.kind == MediaKind::Video => {
                        c.video_frames.fetch_add(1, Ordering::SeqCst);
                    }
                    _ => {}
                },
            ) else {
                return;
            };
            for t in out {
                if t.proto != Protocol::Tcp {
                    c.udp_transmits.fetch_add(1, Ordering::SeqCst);
                    continue;
                }
                if !writers.iter().any(|(a, _)| *a == t.destination) {
                    let Ok(stream) = TcpStream::connect(t.destination).await else {
                        continue;
                    };
                    let (mut reader, writer) = stream.into_split();
                    writers.push((t.destination, writer));
                    let (packets, from) = (packets.clone(), t.destination);
                    tokio::spawn(async move {
                        let mut len = [0u8; 2];
                        while reader.read_exact(&mut len).await.is_ok() {
                            let mut p = vec![0u8; usize::from(u16::from_be_bytes(len))];
                            if reader.read_exact(&mut p).await.is_err()
                                || packets.send((from, p)).await.is_err()
                            {
                                return;
                            }
                        }
                    });
                }
                let (_, w) = writers
                    .iter_mut()
                    .find(|(a, _)| *a == t.destination)
                    .unwrap();
                let mut frame = (t.contents.len() as u16).to_be_bytes().to_vec();
                frame.extend_from_slice(&t.contents);
                let _ = w.write_all(&frame).await;
            }
            let tick = tokio::time::Instant::now() + Duration::from_millis(20);
            let wake = tokio::time::Instant::from_std(deadline).min(tick);
            tokio::select! {
                packet = incoming.recv() => {
                    let Some((from, packet)) = packet else { return };
                    let _ = peer.handle_packet(Instant::now(), Protocol::Tcp, from, local, &packet);
                }
                _ = tokio::time::sleep_until(wake) => {
                    let now = Instant::now();
                    if publish && c.connected.load(Ordering::SeqCst) > 0 {
                        let ms = (now - start).as_millis() as u64;
                        let key = frames_sent.is_multiple_of(30);
                        frames_sent += 1;
                        let video = MediaTime::new(ms * 90, Frequency::NINETY_KHZ);
                        let audio = MediaTime::new(ms * 48, Frequency::FORTY_EIGHT_KHZ);
                        let _ = peer.write(MediaKind::Video, now, video, vp8_frame(key, 1200));
                        let _ = peer.write(MediaKind::Audio, now, audio, opus_frame());
                    }
                    let _ = peer.handle_timeout(now);
                }
            }
        }
    });
    counts
}

async fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn tcp_only_peers_publish_and_receive_media() {
    let t = TestServer::start().await;
    let sid = t.new_session(json!({})).await;

    let mut a = RpcClient::join(&t.ws_url(), &t.token(&sid, "PUBLISHER").await, "A").await;
    let mut publisher =
        BrowserPeer::with_tcp_candidate(active_candidate(), Instant::now()).unwrap();
    let offer = publisher.publish_offer().unwrap();
    let result = a
        .call("publishVideo", publish_params(&offer, 30, 640, 480))
        .await
        .unwrap();
    let answer = result["sdpAnswer"].as_str().unwrap();
    // The passive candidate is on the number of the UDP media port.
    let port = t.server.media_addr.port();
    assert!(
        answer.contains(&format!("127.0.0.1 {port} typ host tcptype passive")),
        "{answer}"
    );
    publisher.accept_answer(answer).unwrap();
    let stream = result["id"].as_str().unwrap().to_owned();
    let sent = run_over_tcp(publisher, true);
    wait_until("the publisher to connect", || {
        sent.connected.load(Ordering::SeqCst) > 0
    })
    .await;

    let mut b = RpcClient::join(&t.ws_url(), &t.token(&sid, "SUBSCRIBER").await, "B").await;
    let prepared = b
        .call("prepareReceiveVideoFrom", json!({"sender": stream}))
        .await
        .unwrap();
    let mut subscriber =
        BrowserPeer::with_tcp_candidate(active_candidate(), Instant::now()).unwrap();
    let answer = subscriber
        .answer(prepared["sdpOffer"].as_str().unwrap())
        .unwrap();
    b.call(
        "receiveVideoFrom",
        json!({"sender": stream, "sdpAnswer": answer}),
    )
    .await
    .unwrap();
    let got = run_over_tcp(subscriber, false);
    wait_until("30 video frames over TCP", || {
        got.video_frames.load(Ordering::SeqCst) >= 30
    })
    .await;
    assert_eq!(sent.udp_transmits.load(Ordering::SeqCst), 0);
    assert_eq!(got.udp_transmits.load(Ordering::SeqCst), 0);
    t.stop().await;
}

/// Reads until the server closes the connection; fails after `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) {
    let mut buf = [0u8; 256];
    let read = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(within, read)
        .await
        .expect("the server closes the connection");
}

#[tokio::test]
async fn connections_that_are_not_ice_are_closed() {
    let t = TestServer::start().await;
    let addr = t.server.media_addr;
    // A first packet that is not STUN.
    let mut junk = TcpStream::connect(addr).await.unwrap();
    junk.write_all(&[0, 4, 0x80, 0xc8, 0, 1]).await.unwrap();
    closed_within(&mut junk, Duration::from_secs(2)).await;
    // A STUN Binding request for no peer of this server.
    let mut stranger = TcpStream::connect(addr).await.unwrap();
    let mut stun = vec![0, 0, 0, 0, 0x21, 0x12, 0xA4, 0x42];
    stun[1] = 1;
    stun.extend_from_slice(&[7; 12]);
    let username = b"nobody:x";
    stun[3] = (4 + username.len()) as u8;
    stun.extend_from_slice(&[0, 6, 0, username.len() as u8]);
    stun.extend_from_slice(username);
    let mut frame = (stun.len() as u16).to_be_bytes().to_vec();
    frame.extend_from_slice(&stun);
    stranger.write_all(&frame).await.unwrap();
    closed_within(&mut stranger, Duration::from_secs(2)).await;
    // A frame longer than any packet.
    let mut huge = TcpStream::connect(addr).await.unwrap();
    huge.write_all(&[0xff, 0xff, 0, 1]).await.unwrap();
    closed_within(&mut huge, Duration::from_secs(2)).await;
    // Silence: closed after the first-packet timeout (5 s), not kept forever.
    let mut silent = TcpStream::connect(addr).await.unwrap();
    closed_within(&mut silent, Duration::from_secs(8)).await;
    // Signaling is unaffected.
    let sid = t.new_session(json!({})).await;
    let mut c = RpcClient::join(&t.ws_url(), &t.token(&sid, "PUBLISHER").await, "C").await;
    assert_eq!(
        c.call("ping", json!({})).await.unwrap(),
        json!({"value": "pong"})
    );
    t.stop().await;
}

#[tokio::test]
async fn with_tcp_off_there_is_no_listener_and_no_tcp_candidate() {
    let mut config = Config::for_loopback(crate::support::SECRET);
    config.rtc_tcp = RtcTcp::Off;
    let t = TestServer::start_with(config).await;
    assert!(TcpStream::connect(t.server.media_addr).await.is_err());
    let sid = t.new_session(json!({})).await;
    let mut a = RpcClient::join(&t.ws_url(), &t.token(&sid, "PUBLISHER").await, "A").await;
    let offer = BrowserPeer::default().publish_offer().unwrap();
    let result = a
        .call("publishVideo", publish_params(&offer, 30, 640, 480))
        .await
        .unwrap();
    let answer = result["sdpAnswer"].as_str().unwrap();
    assert!(answer.contains("typ host"), "{answer}");
    assert!(!answer.contains("tcptype"), "{answer}");
    t.stop().await;
}
