//! Where a participant's outgoing JSON-RPC frames go: the writer of its current WebSocket.
//!
//! While the socket is gone (the reconnection grace period) frames are kept, up to a
//! bound, and delivered when the participant reconnects, so nothing that happened in
//! between is lost to it.

use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::mpsc;

/// Frames kept for a participant whose socket dropped.
const MAX_BUFFERED: usize = 1000;

/// Sender side of one WebSocket's writer.
#[derive(Debug, Clone)]
pub struct Outbox {
    socket: u64,
    tx: mpsc::UnboundedSender<String>,
}

impl Outbox {
    /// An outbox for a new socket, and the receiver its writer task drains.
    pub fn new() -> (Outbox, mpsc::UnboundedReceiver<String>) {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let (tx, rx) = mpsc::unbounded_channel();
        (
            Outbox {
                socket: NEXT.fetch_add(1, Ordering::Relaxed),
                tx,
            },
            rx,
        )
    }

    /// Identifies the socket behind this outbox.
    pub fn socket_id(&self) -> u64 {
        self.socket
    }

    /// Queues a frame (dropped silently if the socket is already closed).
    pub fn send(&self, frame: String) {
        let _ = self.tx.send(frame);
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
