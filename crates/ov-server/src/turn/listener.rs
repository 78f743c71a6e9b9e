//! The TURN listeners: one UDP socket, and TCP and TLS acceptors whose connections carry
//! STUN and ChannelData frames back to back (RFC 8656 §12.5). Every connection has a
//! bounded read buffer (one frame), a bounded write queue, a cap on their number, and an
//! idle timeout while it holds no allocation.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio_rustls::TlsAcceptor;

use super::allocation::{ClientKey, Transport};
use super::server::TurnServer;
use super::sink::{ClientSink, STREAM_QUEUE};
use super::wire::{self, FrameLen};

/// A stream connection without an allocation is closed after this long without a frame.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Time a TLS client has to finish its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest frame on a stream: ChannelData of 65,535 bytes, padded.
const MAX_FRAME: usize = 4 + 65_536;

async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Serves the UDP listener until `stop`.
pub async fn serve_udp(socket: UdpSocket, server: Arc<TurnServer>, stop: watch::Receiver<bool>) {
    let Ok((socket, sender)) = with_sender(socket) else {
        tracing::error!("TURN: cannot set up the UDP listener");
        return;
    };
    let mut buf = vec![0u8; 65_536];
    let stopping = stopped(stop);
    tokio::pin!(stopping);
    loop {
        tokio::select! {
            received = socket.recv_from(&mut buf) => {
                let Ok((len, from)) = received else { continue };
                let client = ClientKey { transport: Transport::Udp, addr: from };
                let sink = ClientSink::Datagram { socket: sender.clone(), to: from };
                server.handle(client, &sink, &buf[..len]);
            }
            _ = &mut stopping => return,
        }
    }
}

/// Serves a TCP (or, with `tls`, TLS) listener until `stop`; at most `max_connections`
/// connections at once (more are closed at once).
pub async fn serve_stream(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    server: Arc<TurnServer>,
    max_connections: usize,
    stop: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(max_connections));
    let transport = if tls.is_some() {
        Transport::Tls
    } else {
        Transport::Tcp
    };
    let stopping = stopped(stop.clone());
    tokio::pin!(stopping);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = &mut stopping => return,
        };
        let Ok((stream, addr)) = accepted else {
            // Out of file descriptors and the like: do not spin.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let server = server.clone();
        let tls = tls.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            let client = ClientKey { transport, addr };
            match tls {
                None => connection(stream, client, server, stop).await,
                Some(acceptor) => {
                    if let Ok(Ok(stream)) =
                        tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
                    {
                        connection(stream, client, server, stop).await;
                    }
                }
            }
            drop(slot);
        });
    }
}

/// One stream client: frames in, frames out through a bounded queue; its allocation
/// ends with the connection.
async fn connection<S>(
    stream: S,
    client: ClientKey,
    server: Arc<TurnServer>,
    stop: watch::Receiver<bool>,
) where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let (mut reader, mut writer) = tokio::io::split(stream);
    let (queue, mut outgoing) = mpsc::channel::<Vec<u8>>(STREAM_QUEUE);
    let writing = tokio::spawn(async move {
        while let Some(frame) = outgoing.recv().await {
            if writer.write_all(&frame).await.is_err() {
                return;
            }
        }
    });
    let sink = ClientSink::Stream(queue);
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut chunk = vec![0u8; 16 * 1024];
    let stopping = stopped(stop);
    tokio::pin!(stopping);
    'read: loop {
        let read = tokio::select! {
            read = tokio::time::timeout(IDLE_TIMEOUT, reader.read(&mut chunk)) => read,
            _ = &mut stopping => break,
        };
        let n = match read {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => n,
            Err(_) if server.has_allocation(&client) => continue,
            Err(_) => break,
        };
        buf.extend_from_slice(&chunk[..n]);
        loop {
            let len = match wire::frame_len(&buf) {
                FrameLen::Frame(len) if len <= MAX_FRAME => len,
                FrameLen::Frame(_) | FrameLen::Invalid => break 'read,
                FrameLen::Incomplete => break,
            };
            if buf.len() < len {
                break;
            }
            server.handle(client, &sink, &buf[..len]);
            buf.drain(..len);
        }
    }
    server.client_gone(&client);
    drop(sink);
    writing.abort();
}

/// A tokio socket for receiving and a std handle of the same socket for sending without
/// waiting (see [`ClientSink::Datagram`]).
pub fn with_sender(socket: UdpSocket) -> std::io::Result<(UdpSocket, Arc<std::net::UdpSocket>)> {
    let std_socket = socket.into_std()?;
    let sender = Arc::new(std_socket.try_clone()?);
    Ok((UdpSocket::from_std(std_socket)?, sender))
}

/// Binds the UDP and TCP listeners on the same port; with port 0, one free for both.
pub async fn bind_pair(
    ip: std::net::IpAddr,
    port: u16,
) -> std::io::Result<(UdpSocket, TcpListener)> {
    let mut last = None;
    for _ in 0..if port == 0 { 20 } else { 1 } {
        let udp = UdpSocket::bind(SocketAddr::new(ip, port)).await?;
        let bound = udp.local_addr()?;
        match TcpListener::bind(bound).await {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free port")))
}
