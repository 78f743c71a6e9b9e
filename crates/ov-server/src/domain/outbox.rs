//! Where a participant's outgoing JSON-RPC frames go: the writer of its current WebSocket.
//!
//! While the socket is gone (the reconnection grace period) frames are kept, up to a
//! bound, and delivered when the participant reconnects, so nothing that happened in
//! between is lost to it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use tokio::sync::{Notify, mpsc};

/// Frames kept for a participant whose socket dropped.
const MAX_BUFFERED: usize = 1000;
/// Bytes kept for a participant whose socket dropped. Past this (or [`MAX_BUFFERED`]) the
/// kept frames are dropped and its reconnection is refused: delivering only part of what
/// happened would leave the client with a wrong picture of the session.
pub const MAX_BUFFERED_BYTES: usize = 1024 * 1024;

/// Frames queued for a socket before it is considered stuck. A client that does not read
/// its socket cannot make the server hold unbounded memory: its socket is closed instead
/// (and it may reconnect, receiving what was kept for it).
pub const MAX_QUEUED: usize = 4096;
/// Bytes queued for a socket before it is considered stuck (frames are up to 1 MiB, so a
/// count alone would let one socket hold gigabytes).
pub const MAX_QUEUED_BYTES: usize = 4 * 1024 * 1024;

/// Sender side of one WebSocket's writer.
#[derive(Debug, Clone)]
pub struct Outbox {
    socket: u64,
    tx: mpsc::Sender<String>,
    queued_bytes: Arc<AtomicUsize>,
    stuck: Arc<Notify>,
}

/// Receiver side of one WebSocket's writer: the frames to write, in order.
#[derive(Debug)]
pub struct Frames {
    rx: mpsc::Receiver<String>,
    queued_bytes: Arc<AtomicUsize>,
}

impl Frames {
    /// The next frame to write; `None` once every [`Outbox`] is gone.
    pub async fn recv(&mut self) -> Option<String> {
        let frame = self.rx.recv().await?;
        self.queued_bytes.fetch_sub(frame.len(), Ordering::Relaxed);
        Some(frame)
    }

    /// The next frame if one is queued already.
    pub fn try_recv(&mut self) -> Result<String, mpsc::error::TryRecvError> {
        let frame = self.rx.try_recv()?;
        self.queued_bytes.fetch_sub(frame.len(), Ordering::Relaxed);
        Ok(frame)
    }
}

impl Outbox {
    /// An outbox for a new socket, the receiver its writer task drains, and the signal
    /// raised when the socket stops keeping up.
    pub fn new() -> (Outbox, Frames, Arc<Notify>) {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let (tx, rx) = mpsc::channel(MAX_QUEUED);
        let stuck = Arc::new(Notify::new());
        let queued_bytes = Arc::new(AtomicUsize::new(0));
        (
            Outbox {
                socket: NEXT.fetch_add(1, Ordering::Relaxed),
                tx,
                queued_bytes: queued_bytes.clone(),
                stuck: stuck.clone(),
            },
            Frames { rx, queued_bytes },
            stuck,
        )
    }

    /// Identifies the socket behind this outbox.
    pub fn socket_id(&self) -> u64 {
        self.socket
    }

    /// Queues a frame (dropped silently if the socket is already closed; the socket is
    /// closed if its queue is full, in frames or in bytes).
    pub fn send(&self, frame: String) {
        let size = frame.len();
        let before = self.queued_bytes.fetch_add(size, Ordering::Relaxed);
        let full = before + size > MAX_QUEUED_BYTES
            || matches!(
                self.tx.try_send(frame),
                Err(mpsc::error::TrySendError::Full(_))
            );
        if full {
            self.queued_bytes.fetch_sub(size, Ordering::Relaxed);
            tracing::warn!(
                socket = self.socket,
                queued_bytes = before,
                "a client does not read its socket: closing it"
            );
            self.stuck.notify_one();
        }
    }
}

/// What is kept for a participant while its socket is gone.
#[derive(Debug, Default)]
pub struct Kept {
    frames: Vec<String>,
    bytes: usize,
    overflowed: bool,
}

impl Kept {
    fn push(&mut self, frame: String) {
        if self.overflowed {
            return;
        }
        if self.frames.len() >= MAX_BUFFERED || self.bytes + frame.len() > MAX_BUFFERED_BYTES {
            self.overflowed = true;
            self.frames = Vec::new();
            self.bytes = 0;
            return;
        }
        self.bytes += frame.len();
        self.frames.push(frame);
    }

    /// The frames to deliver on reconnection, or `None` when too much happened meanwhile
    /// to keep it all.
    pub fn into_frames(self) -> Option<Vec<String>> {
        (!self.overflowed).then_some(self.frames)
    }

    /// Whether frames were dropped.
    pub fn overflowed(&self) -> bool {
        self.overflowed
    }
}

/// The delivery state of a participant: attached to a socket, or detached and buffering.
#[derive(Debug)]
pub enum Delivery {
    /// Frames go straight to the socket.
    Attached(Outbox),
    /// The socket dropped; frames wait for a reconnection.
    Detached {
        /// Frames kept so far.
        kept: Kept,
        /// Incremented on each detach, so that a stale eviction timer does nothing.
        generation: u64,
    },
}

impl Delivery {
    /// Delivers or keeps `frame`.
    pub fn send(&mut self, frame: String) {
        match self {
            Delivery::Attached(outbox) => outbox.send(frame),
            Delivery::Detached { kept, .. } => kept.push(frame),
        }
    }

    /// The socket id, when attached.
    pub fn socket_id(&self) -> Option<u64> {
        match self {
            Delivery::Attached(o) => Some(o.socket_id()),
            Delivery::Detached { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_raises_the_stuck_signal() {
        let (outbox, mut rx, stuck) = Outbox::new();
        for i in 0..MAX_QUEUED {
            outbox.send(i.to_string());
        }
        let signalled =
            tokio::time::timeout(std::time::Duration::from_millis(50), stuck.notified());
        assert!(
            signalled.await.is_err(),
            "not stuck while the queue has room"
        );
        outbox.send("one too many".into());
        tokio::time::timeout(std::time::Duration::from_secs(1), stuck.notified())
            .await
            .expect("stuck signalled");
        assert_eq!(rx.recv().await.as_deref(), Some("0"));
    }

    #[tokio::test]
    async fn a_queue_full_in_bytes_raises_the_stuck_signal() {
        let (outbox, mut rx, stuck) = Outbox::new();
        let big = "x".repeat(900 * 1024);
        for _ in 0..MAX_QUEUED_BYTES / big.len() {
            outbox.send(big.clone());
        }
        let signalled =
            tokio::time::timeout(std::time::Duration::from_millis(50), stuck.notified());
        assert!(signalled.await.is_err(), "not stuck while bytes fit");
        outbox.send(big.clone());
        tokio::time::timeout(std::time::Duration::from_secs(1), stuck.notified())
            .await
            .expect("stuck signalled by bytes, long before the frame count");
        // Written frames free their bytes.
        rx.recv().await.unwrap();
        assert!(outbox.queued_bytes.load(Ordering::Relaxed) < MAX_QUEUED_BYTES - big.len());
    }

    #[test]
    fn detached_delivery_keeps_a_bounded_buffer_then_gives_up() {
        let mut kept = Kept::default();
        for i in 0..MAX_BUFFERED {
            kept.push(i.to_string());
        }
        assert!(!kept.overflowed());
        kept.push("one too many".into());
        assert!(kept.overflowed());
        assert_eq!(kept.into_frames(), None);

        let mut kept = Kept::default();
        let big = "x".repeat(MAX_BUFFERED_BYTES / 2);
        kept.push(big.clone());
        kept.push(big.clone());
        assert_eq!(kept.bytes, MAX_BUFFERED_BYTES);
        kept.push("x".into());
        assert!(kept.overflowed());
        assert!(kept.frames.is_empty(), "the memory is released at once");
    }
}
