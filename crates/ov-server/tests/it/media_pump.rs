//! A publisher that really sends: a browser-like str0m peer on its own UDP socket,
//! publishing synthetic Opus and VP8 frames (50 and 30 a second, a keyframe on request
//! and every second) until it is dropped. For tests whose server must receive media.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ov_testkit::frames::{opus_frame, vp8_frame};
use ov_testkit::rpc::RpcClient;
use ov_testkit::{BrowserPeer, PeerEvent};
use str0m::media::{Frequency, MediaKind, MediaTime};
use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

use crate::support::TestServer;

/// A sending publisher; dropping it stops the media.
pub struct MediaPump {
    task: JoinHandle<()>,
}

impl Drop for MediaPump {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Joins with `token`, publishes audio and video and starts sending; returns the client,
/// its stream id and the pump.
pub async fn join_and_send(
    t: &TestServer,
    token: &str,
    name: &str,
) -> (RpcClient, String, MediaPump) {
    let mut c = RpcClient::join(&t.ws_url(), token, name).await;
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let local = socket.local_addr().unwrap();
    let mut browser = BrowserPeer::with_host_candidate(local, Instant::now()).unwrap();
    let stream = crate::support::publish(&mut c, &mut browser).await;
    let task = tokio::spawn(pump(browser, socket, local));
    (c, stream, MediaPump { task })
}

async fn pump(mut browser: BrowserPeer, socket: UdpSocket, local: SocketAddr) {
    let start = Instant::now();
    let mut buf = vec![0u8; 2048];
    let mut tick = tokio::time::interval(Duration::from_millis(5));
    let (mut next_audio, mut next_video) = (start, start);
    let mut last_key = start;
    let mut want_key = true;
    loop {
        tokio::select! {
            r = socket.recv_from(&mut buf) => {
                if let Ok((n, from)) = r {
                    let _ = browser.handle_datagram(Instant::now(), from, local, &buf[..n]);
                }
            }
            _ = tick.tick() => {}
        }
        let now = Instant::now();
        let _ = browser.handle_timeout(now);
        let elapsed = now - start;
        if now >= next_audio {
            let t = MediaTime::new(elapsed.as_millis() as u64 * 48, Frequency::FORTY_EIGHT_KHZ);
            let _ = browser.write(MediaKind::Audio, now, t, opus_frame());
            next_audio += Duration::from_millis(20);
        }
        if now >= next_video {
            let key = want_key || now - last_key >= Duration::from_secs(1);
            if key {
                last_key = now;
                want_key = false;
            }
            let t = MediaTime::new(elapsed.as_millis() as u64 * 90, Frequency::NINETY_KHZ);
            let _ = browser.write(
                MediaKind::Video,
                now,
                t,
                vp8_frame(key, if key { 3000 } else { 1200 }),
            );
            next_video += Duration::from_millis(33);
        }
        let mut out = Vec::new();
        let _ = browser.drain(
            |t| out.push((t.destination, t.contents.to_vec())),
            |e| {
                if matches!(e, PeerEvent::KeyframeRequest(..)) {
                    want_key = true;
                }
            },
        );
        for (to, bytes) in out {
            let _ = socket.send_to(&bytes, to).await;
        }
    }
}
