//! A publisher that really sends: a browser-like str0m peer on its own UDP socket,
//! publishing synthetic Opus and VP8 frames (50 and 30 a second, a keyframe on request
//! and every second) until it is dropped. For tests whose server must receive media.
//! Its uplink can lose RTP ([`MediaPump::set_loss`]).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
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
    loss_percent: Arc<AtomicU32>,
}

impl MediaPump {
    /// Drops `percent` of the RTP packets it sends from now on (every one in `100 /
    /// percent`; RTCP, STUN and DTLS go through).
    pub fn set_loss(&self, percent: u32) {
        self.loss_percent.store(percent, Ordering::Relaxed);
    }
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
    let loss_percent = Arc::new(AtomicU32::new(0));
    let task = tokio::spawn(pump(browser, socket, local, loss_percent.clone()));
    (c, stream, MediaPump { task, loss_percent })
}

async fn pump(
    mut browser: BrowserPeer,
    socket: UdpSocket,
    local: SocketAddr,
    loss_percent: Arc<AtomicU32>,
) {
    let mut rtp_sent = 0u32;
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
            let percent = loss_percent.load(Ordering::Relaxed);
            if percent > 0 && is_rtp(&bytes) {
                rtp_sent = rtp_sent.wrapping_add(1);
                if rtp_sent.is_multiple_of(100 / percent.min(100)) {
                    continue;
                }
            }
            let _ = socket.send_to(&bytes, to).await;
        }
    }
}

/// An (S)RTP packet, not RTCP (RFC 5761: payload types 192–223 are RTCP's).
fn is_rtp(bytes: &[u8]) -> bool {
    bytes.len() > 12 && bytes[0] >> 6 == 2 && !(192..=223).contains(&bytes[1])
}
