//! Where frames for one TURN client go: back out of the UDP listener, or into the bounded
//! queue of its TCP/TLS connection. Sending never waits: a full queue drops the frame,
//! as a congested UDP path would, so a client that stops reading costs bounded memory.

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;

use tokio::sync::mpsc;

/// Frames queued per stream connection before new ones are dropped.
pub const STREAM_QUEUE: usize = 256;

/// The way back to one client.
#[derive(Debug, Clone)]
pub enum ClientSink {
    /// A UDP client: the listener's socket and the client's address.
    Datagram {
        /// The listener socket (a non-blocking std handle: tokio's `try_send_to` fails
        /// until its reactor has seen the socket writable once).
        socket: Arc<UdpSocket>,
        /// The client.
        to: SocketAddr,
    },
    /// A TCP or TLS client: its connection's writer queue.
    Stream(mpsc::Sender<Vec<u8>>),
}

impl ClientSink {
    /// Sends one frame, or drops it when the way is congested.
    pub fn send(&self, frame: Vec<u8>) {
        match self {
            ClientSink::Datagram { socket, to } => {
                let _ = socket.send_to(&frame, *to);
            }
            ClientSink::Stream(queue) => {
                let _ = queue.try_send(frame);
            }
        }
    }

    /// Whether frames travel on a stream (ChannelData is then padded to 4 bytes).
    pub fn is_stream(&self) -> bool {
        matches!(self, ClientSink::Stream(_))
    }
}
