//! Where a participant's outgoing JSON-RPC frames go: the writer of its current WebSocket.
//!
//! While the socket is gone (the reconnection grace period) frames are kept, up to a
//! bound, and delivered when the participant reconnects, so nothing that happened in
//! between is lost to it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{Notify, mpsc};

/// Frames kept for a participant whose socket dropped.
const MAX_BUFFERED: usize = 1000;

/// Frames queued for a socket before it is considered stuck. A client that does not read
/// its socket cannot make the server hold unbounded memory: its socket is closed instead
/// (and it may reconnect, receiving what was kept for it).
pub const MAX_QUEUED: usize = 4096;

/// Sender side of one WebSocket's writer.
#[derive(Debug, Clone)]
pub struct Outbox {
    socket: u64,
    tx: mpsc::Sender<String>,
    stuck: Arc<Notify>,
}

impl Outbox {
    /// An outbox for a new socket, the receiver its writer task drains, and the signal
    /// raised when the socket stops keeping up.
    pub fn new() -> (Outbox, mpsc::Receiver<String>, Arc<Notify>) {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let (tx, rx) = mpsc::channel(MAX_QUEUED);
        let stuck = Arc::new(Notify::new());
        (
            Outbox {
                socket: NEXT.fetch_add(1, Ordering::Relaxed),
                tx,
                stuck: stuck.clone(),
            },
            rx,
            stuck,
        )
    }

    /// Identifies the socket behind this outbox.
    pub fn socket_id(&self) -> u64 {
        self.socket
    }

    /// Queues a frame (dropped silently if the socket is already closed; the socket is
    /// closed if its queue is full).
    pub fn send(&self, frame: String) {
        if let Err(mpsc::error::TrySendError::Full(_)) = self.tx.try_send(frame) {
            tracing::warn!(
                socket = self.socket,
                "a client does not read its socket: closing it"
            );
            self.stuck.notify_one();
        }
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
        buffer: Vec<String>,
        /// Incremented on each detach, so that a stale eviction timer does nothing.
        generation: u64,
    },
}

impl Delivery {
    /// Delivers or keeps `frame`.
    pub fn send(&mut self, frame: String) {
        match self {
            Delivery::Attached(outbox) => outbox.send(frame),
            Delivery::Detached { buffer, .. } => {
                if buffer.len() < MAX_BUFFERED {
                    buffer.push(frame);
                }
            }
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

    #[test]
    fn detached_delivery_keeps_a_bounded_buffer() {
        let mut d = Delivery::Detached {
            buffer: Vec::new(),
            generation: 1,
        };
        for i in 0..MAX_BUFFERED + 10 {
            d.send(i.to_string());
        }
        match d {
            Delivery::Detached { buffer, .. } => assert_eq!(buffer.len(), MAX_BUFFERED),
            Delivery::Attached(_) => unreachable!(),
        }
    }
}
