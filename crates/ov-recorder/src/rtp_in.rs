//! One recorded track's way in: a UDP socket on 127.0.0.1 that the SFU sends plain RTP
//! to, read on its own thread and pushed into the track's `appsrc`.

use std::net::UdpSocket;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use gstreamer_app::AppSrc;

/// How often the reading thread looks at its stop flag when nothing arrives.
const POLL: Duration = Duration::from_millis(100);
/// Larger datagrams are not RTP from our SFU (its MTU is far below).
const MAX_DATAGRAM: usize = 2048;

/// A socket being read into an `appsrc`.
pub struct RtpIn {
    port: u16,
    stop: Arc<AtomicBool>,
    first_ms: Arc<AtomicU64>,
    last_ms: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

impl RtpIn {
    /// Binds a fresh port and starts pushing what it receives into `sink`.
    pub fn spawn(sink: AppSrc) -> Result<RtpIn, String> {
        let socket = UdpSocket::bind(("127.0.0.1", 0))
            .map_err(|e| format!("cannot open a UDP port: {e}"))?;
        socket
            .set_read_timeout(Some(POLL))
            .map_err(|e| e.to_string())?;
        let port = socket.local_addr().map_err(|e| e.to_string())?.port();
        let stop = Arc::new(AtomicBool::new(false));
        let first_ms = Arc::new(AtomicU64::new(0));
        let last_ms = Arc::new(AtomicU64::new(0));
        let thread = {
            let (stop, first_ms, last_ms) = (stop.clone(), first_ms.clone(), last_ms.clone());
            std::thread::Builder::new()
                .name(format!("rtp-in-{port}"))
                .spawn(move || {
                    let mut buf = [0u8; MAX_DATAGRAM];
                    while !stop.load(Ordering::Relaxed) {
                        let Ok(n) = socket.recv(&mut buf) else {
                            continue;
                        };
                        // RTP version 2 with at least a fixed header; anything else is not ours.
                        if n < 12 || buf[0] >> 6 != 2 {
                            continue;
                        }
                        let now = now_ms();
                        let _ =
                            first_ms.compare_exchange(0, now, Ordering::Relaxed, Ordering::Relaxed);
                        last_ms.store(now, Ordering::Relaxed);
                        if sink
                            .push_buffer(gstreamer::Buffer::from_mut_slice(buf[..n].to_vec()))
                            .is_err()
                        {
                            break;
                        }
                    }
                })
                .map_err(|e| format!("cannot start a thread: {e}"))?
        };
        Ok(RtpIn {
            port,
            stop,
            first_ms,
            last_ms,
            thread: Some(thread),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops reading; returns the wall-clock times (epoch ms) of the first and last
    /// packet, 0 and 0 if none came.
    pub fn stop(&mut self) -> (u64, u64) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        (
            self.first_ms.load(Ordering::Relaxed),
            self.last_ms.load(Ordering::Relaxed),
        )
    }

    /// Whether any packet came so far.
    pub fn received(&self) -> bool {
        self.first_ms.load(Ordering::Relaxed) != 0
    }
}

impl Drop for RtpIn {
    fn drop(&mut self) {
        self.stop();
    }
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
