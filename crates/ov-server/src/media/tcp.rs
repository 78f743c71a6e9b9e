//! ICE-TCP (RFC 6544) for browsers whose network blocks UDP: a TCP listener per media
//! worker, announced as a passive host candidate. Browsers connect (active) and send
//! RFC 4571 frames (a 2-byte big-endian length, then one STUN, DTLS, RTP or RTCP packet).
//!
//! Each accepted connection gets a task that de-frames what it reads into the worker's
//! channel and writes the frames the driver queues for it, so the driver never waits on a
//! TCP socket. The driver keeps the table of connections ([`TcpConnections`]) and hands
//! every packet to the engine as coming from the connection's remote address over
//! [`Transport::Tcp`]. Everything is bounded: frame size, queued writes per connection,
//! connections per worker, time to the first packet and between packets. A connection
//! whose first packet is not a STUN Binding request for a known peer is closed; a broken
//! connection only ends its own task.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ov_media::{Engine, Transport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::time::Instant;

/// Largest frame accepted: above any packet a browser sends (they stay under the path MTU
/// over TCP too). A bigger one closes the connection.
pub(super) const MAX_FRAME: usize = 2048;
/// Frames queued for writing on one connection; beyond that new ones are dropped (as a
/// full UDP socket buffer drops datagrams), never waited for.
const WRITE_QUEUE: usize = 256;
/// Bytes gathered into one write.
const WRITE_BATCH: usize = 64 * 1024;
/// Open TCP media connections per worker; the excess is closed at once.
pub(super) const MAX_CONNECTIONS: usize = 1024;
/// Time a new connection has to send its first packet.
const FIRST_PACKET_TIMEOUT: Duration = Duration::from_secs(5);
/// Time a connection may stay silent (browsers send ICE consent checks every few seconds).
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Packets and notices waiting for the driver, all connections of a worker together.
pub(super) const INBOUND_QUEUE: usize = 1024;
/// Pause after a failed `accept` (e.g. out of file descriptors), instead of spinning.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// What the connection tasks tell the driver.
#[derive(Debug)]
pub(super) enum TcpEvent {
    /// A connection was accepted; `writer` takes its outgoing frames.
    Opened {
        id: u64,
        remote: SocketAddr,
        local: SocketAddr,
        writer: mpsc::Sender<Vec<u8>>,
    },
    /// One de-framed packet.
    Packet { id: u64, packet: Vec<u8> },
    /// The connection ended (closed by the browser, broken, timed out, or too big a frame).
    Closed { id: u64 },
}

/// Accepts connections until the server stops; each one becomes a [`serve`] task.
pub(super) async fn accept(
    listener: TcpListener,
    events: mpsc::Sender<TcpEvent>,
    loopback_only: bool,
    mut stopped: watch::Receiver<bool>,
) {
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut next_id = 0u64;
    loop {
        let accepted = tokio::select! {
            _ = stopped.wait_for(|s| *s) => return,
            accepted = listener.accept() => accepted,
        };
        let (stream, remote) = match accepted {
            Ok(a) => a,
            Err(e) => {
                tracing::debug!(error = %e, "TCP media accept failed");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        if loopback_only && !remote.ip().is_loopback() {
            continue;
        }
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            tracing::debug!(%remote, "TCP media connection refused: too many");
            continue;
        };
        next_id += 1;
        let id = next_id;
        let events = events.clone();
        tokio::spawn(async move {
            serve(stream, remote, id, events).await;
            drop(permit);
        });
    }
}

/// One connection: reads frames into the driver's channel and writes what the driver
/// queues, until either side ends it (the driver by dropping the writer).
async fn serve(stream: TcpStream, remote: SocketAddr, id: u64, events: mpsc::Sender<TcpEvent>) {
    let Ok(local) = stream.local_addr() else {
        return;
    };
    let _ = stream.set_nodelay(true);
    let (writer, queued) = mpsc::channel(WRITE_QUEUE);
    let opened = TcpEvent::Opened {
        id,
        remote,
        local,
        writer,
    };
    if events.send(opened).await.is_err() {
        return;
    }
    let (reader, writer) = stream.into_split();
    tokio::select! {
        _ = read_frames(reader, id, &events) => {}
        _ = write_frames(writer, queued) => {}
    }
    let _ = events.send(TcpEvent::Closed { id }).await;
}

/// Reads RFC 4571 frames until the connection ends, breaks a limit, or the driver is gone.
async fn read_frames(
    mut reader: tokio::net::tcp::OwnedReadHalf,
    id: u64,
    events: &mpsc::Sender<TcpEvent>,
) {
    let mut timeout = FIRST_PACKET_TIMEOUT;
    loop {
        let frame = tokio::time::timeout(timeout, read_frame(&mut reader)).await;
        let Ok(Some(packet)) = frame else {
            return;
        };
        timeout = IDLE_TIMEOUT;
        if events.send(TcpEvent::Packet { id, packet }).await.is_err() {
            return;
        }
    }
}

/// One frame's packet; `None` at the end of the stream, on an error or an oversized frame.
async fn read_frame(reader: &mut tokio::net::tcp::OwnedReadHalf) -> Option<Vec<u8>> {
    let mut length = [0u8; 2];
    reader.read_exact(&mut length).await.ok()?;
    let length = usize::from(u16::from_be_bytes(length));
    if length > MAX_FRAME {
        return None;
    }
    let mut packet = vec![0u8; length];
    reader.read_exact(&mut packet).await.ok()?;
    Some(packet)
}

/// Writes the queued frames (already framed), several per system call when they pile up.
async fn write_frames(
    mut writer: tokio::net::tcp::OwnedWriteHalf,
    mut queued: mpsc::Receiver<Vec<u8>>,
) {
    let mut batch = Vec::with_capacity(WRITE_BATCH);
    while let Some(frame) = queued.recv().await {
        batch.extend_from_slice(&frame);
        while batch.len() < WRITE_BATCH {
            match queued.try_recv() {
                Ok(frame) => batch.extend_from_slice(&frame),
                Err(_) => break,
            }
        }
        if writer.write_all(&batch).await.is_err() {
            return;
        }
        batch.clear();
    }
}

/// A connection as the driver knows it.
struct Connection {
    id: u64,
    local: SocketAddr,
    writer: mpsc::Sender<Vec<u8>>,
    /// Its first packet was a STUN Binding request the engine routed to a peer.
    trusted: bool,
}

/// The driver's table of TCP media connections, by remote address (how the engine names
/// them).
#[derive(Default)]
pub(super) struct TcpConnections {
    by_remote: HashMap<SocketAddr, Connection>,
    /// Remote address of each connection id, to find it from its task's events.
    remotes: HashMap<u64, SocketAddr>,
}

impl TcpConnections {
    /// Handles one event of a connection task, feeding its packets to `engine`.
    pub fn on_event(&mut self, engine: &mut Engine, event: TcpEvent) {
        match event {
            TcpEvent::Opened {
                id,
                remote,
                local,
                writer,
            } => {
                // Two connections from one address (to different local addresses): the
                // engine could not tell them apart; the newcomer is refused.
                if self.by_remote.contains_key(&remote) {
                    return;
                }
                self.remotes.insert(id, remote);
                let connection = Connection {
                    id,
                    local,
                    writer,
                    trusted: false,
                };
                self.by_remote.insert(remote, connection);
            }
            TcpEvent::Packet { id, packet } => {
                let Some(&remote) = self.remotes.get(&id) else {
                    return;
                };
                let Some(c) = self.by_remote.get_mut(&remote) else {
                    return;
                };
                let now = Instant::now().into_std();
                if !c.trusted && !ov_media::stun::is_binding_request(&packet) {
                    tracing::debug!(%remote, "TCP media connection closed: first packet is not a STUN binding request");
                    self.close(id);
                    return;
                }
                let routed = engine.handle_packet(now, Transport::Tcp, remote, c.local, &packet);
                if c.trusted {
                    return;
                }
                if routed {
                    c.trusted = true;
                } else {
                    tracing::debug!(%remote, "TCP media connection closed: STUN for no known peer");
                    self.close(id);
                }
            }
            TcpEvent::Closed { id } => self.close(id),
        }
    }

    /// Queues `packet` for the connection from `destination`, framed. A full queue drops
    /// it; a connection that is gone is forgotten.
    pub fn send(&mut self, destination: SocketAddr, packet: &[u8]) {
        let Some(c) = self.by_remote.get(&destination) else {
            return;
        };
        let Ok(length) = u16::try_from(packet.len()) else {
            return;
        };
        let mut frame = Vec::with_capacity(packet.len() + 2);
        frame.extend_from_slice(&length.to_be_bytes());
        frame.extend_from_slice(packet);
        match c.writer.try_send(frame) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::trace!(%destination, "TCP media write queue full: packet dropped");
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                let id = c.id;
                self.close(id);
            }
        }
    }

    /// Forgets connection `id`; dropping its writer ends its task and closes the socket.
    fn close(&mut self, id: u64) {
        if let Some(remote) = self.remotes.remove(&id)
            && self.by_remote.get(&remote).is_some_and(|c| c.id == id)
        {
            self.by_remote.remove(&remote);
        }
    }
}
