//! The media task: reads the UDP socket (and the packets of its ICE-TCP connections,
//! [`super::tcp`]), feeds the engine, sends what it returns, wakes it on its deadlines, and
//! executes commands. The only place media touches I/O.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ov_media::{Engine, EngineConfig, Output, Transport};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::tcp::{self, TcpConnections, TcpEvent};
use super::{Command, MediaEvent, MediaHandle, StatsBoard, Worker, candidate_addresses};
use crate::config::{Config, RtcTcp};

/// Datagrams read in one go before the engine's output is flushed.
const READ_BATCH: usize = 64;
/// Size of the command queue.
const COMMAND_QUEUE: usize = 1024;
/// Largest datagram read (above any path MTU).
const MAX_DATAGRAM: usize = 2048;
/// How often the statistics board is refreshed.
const STATS_REFRESH: Duration = Duration::from_secs(1);

/// Times a free UDP port is drawn again when its number is taken on TCP.
const SAME_PORT_ATTEMPTS: usize = 20;

/// Binds the media sockets and starts one driver task per worker
/// (`OPENVIDU_RTC_WORKERS`): worker `i` on port `bind.port() + i` (or a free port each
/// when `bind.port()` is 0), with its ICE-TCP listener as `OPENVIDU_RTC_TCP_PORT` says.
/// Events go to `events`; `OPENVIDU_RTC_PEER_TIMEOUT` bounds how long a peer may stay
/// unconnected, disconnected or parked.
pub async fn start(
    bind: SocketAddr,
    settings: &Config,
    events: mpsc::UnboundedSender<MediaEvent>,
    stopped: watch::Receiver<bool>,
) -> std::io::Result<(MediaHandle, Vec<tokio::task::JoinHandle<()>>)> {
    let (workers, advertised, tcp, peer_timeout) = (
        settings.rtc_workers,
        &settings.rtc_advertised_ips,
        settings.rtc_tcp,
        settings.rtc_peer_timeout,
    );
    let recv_bandwidth = super::recv_bandwidth(
        settings.streams.video_max_recv_bandwidth.into(),
        settings.streams.video_min_recv_bandwidth.into(),
    );
    let stats: StatsBoard = Arc::new(Mutex::new(HashMap::new()));
    let mut handles = Vec::new();
    let mut tasks = Vec::new();
    for index in 0..workers.max(1) {
        let port = if bind.port() == 0 {
            0
        } else {
            bind.port().checked_add(index as u16).ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "media port range overflows",
                )
            })?
        };
        let (socket, listener) = bind_worker(bind.ip(), port, tcp, index).await?;
        let local_addr = socket.local_addr()?;
        let candidates = candidate_addresses(advertised, local_addr.port());
        let loopback_only = candidates.iter().all(|c| c.ip().is_loopback());
        let mut config = EngineConfig::new(candidates.clone());
        let (tcp_events, tcp_rx) = mpsc::channel(tcp::INBOUND_QUEUE);
        let tcp_rx = match listener {
            Some(listener) => {
                let tcp_addr = listener.local_addr()?;
                config.tcp_candidates = candidate_addresses(advertised, tcp_addr.port());
                tracing::info!(%tcp_addr, worker = index, "ICE-TCP media listener bound");
                tasks.push(tokio::spawn(tcp::accept(
                    listener,
                    tcp_events,
                    loopback_only,
                    stopped.clone(),
                )));
                Some(tcp_rx)
            }
            None => None,
        };
        config.first_peer_id = super::first_peer_id(index);
        config.connect_timeout = peer_timeout;
        config.disconnect_timeout = peer_timeout;
        config.park_timeout = peer_timeout;
        config.recv_bandwidth = recv_bandwidth;
        config.send_bandwidth =
            super::send_bandwidth(settings.streams.video_max_send_bandwidth.into());
        config.congestion_pause = settings.streams.congestion_pause;
        let tcp_candidates = config.tcp_candidates.clone();
        let engine = Engine::new(config, Instant::now().into_std());
        let (tx, rx) = mpsc::channel(COMMAND_QUEUE);
        handles.push(Worker {
            commands: tx,
            local_addr,
            candidates,
            tcp_candidates,
        });
        let driver = Driver {
            socket,
            tcp_rx,
            tcp: TcpConnections::default(),
            local_addr,
            engine,
            commands: rx,
            events: events.clone(),
            stats: stats.clone(),
            loopback_only,
        };
        tracing::info!(%local_addr, worker = index, "media socket bound");
        tasks.push(tokio::spawn(driver.run(stopped.clone())));
    }
    Ok((MediaHandle::new(handles, stats), tasks))
}

/// Worker `index`'s UDP socket on `port` and, unless TCP is off, its ICE-TCP listener. On
/// the UDP port's number (`SameAsUdp`), a free UDP port (0) is drawn again until that
/// number is free on TCP too.
async fn bind_worker(
    ip: std::net::IpAddr,
    port: u16,
    tcp: RtcTcp,
    index: usize,
) -> std::io::Result<(UdpSocket, Option<TcpListener>)> {
    let tcp_port = |udp: u16| -> std::io::Result<Option<u16>> {
        match tcp {
            RtcTcp::Off => Ok(None),
            RtcTcp::SameAsUdp => Ok(Some(udp)),
            RtcTcp::Port(0) => Ok(Some(0)),
            RtcTcp::Port(p) => u16::try_from(usize::from(p) + index)
                .map(Some)
                .map_err(|_| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        "TCP media port range overflows",
                    )
                }),
        }
    };
    let mut attempt = 0;
    loop {
        attempt += 1;
        let socket = UdpSocket::bind(SocketAddr::new(ip, port)).await?;
        let Some(tcp_port) = tcp_port(socket.local_addr()?.port())? else {
            return Ok((socket, None));
        };
        match TcpListener::bind(SocketAddr::new(ip, tcp_port)).await {
            Ok(listener) => return Ok((socket, Some(listener))),
            Err(e)
                if port == 0
                    && tcp == RtcTcp::SameAsUdp
                    && e.kind() == std::io::ErrorKind::AddrInUse
                    && attempt < SAME_PORT_ATTEMPTS => {}
            Err(e) => return Err(e),
        }
    }
}

struct Driver {
    socket: UdpSocket,
    /// Packets of the ICE-TCP connections (`None`: TCP is off).
    tcp_rx: Option<mpsc::Receiver<TcpEvent>>,
    tcp: TcpConnections,
    local_addr: SocketAddr,
    engine: Engine,
    commands: mpsc::Receiver<Command>,
    events: mpsc::UnboundedSender<MediaEvent>,
    stats: StatsBoard,
    /// When every candidate is loopback, datagrams from elsewhere are dropped.
    loopback_only: bool,
}

impl Driver {
    async fn run(mut self, mut stopped: watch::Receiver<bool>) {
        let mut buf = vec![0u8; MAX_DATAGRAM];
        let mut next_stats = Instant::now() + STATS_REFRESH;
        loop {
            let deadline = self.flush();
            let wake = deadline.min(next_stats);
            tokio::select! {
                biased;
                _ = stopped.wait_for(|s| *s) => return,
                command = self.commands.recv() => match command {
                    Some(c) => self.execute(c),
                    None => return,
                },
                received = self.socket.recv_from(&mut buf) => {
                    if let Ok((n, source)) = received {
                        self.input(source, &buf[..n]);
                        for _ in 1..READ_BATCH {
                            match self.socket.try_recv_from(&mut buf) {
                                Ok((n, source)) => self.input(source, &buf[..n]),
                                Err(_) => break,
                            }
                        }
                    }
                }
                event = recv_tcp(&mut self.tcp_rx) => {
                    self.tcp.on_event(&mut self.engine, event);
                    for _ in 1..READ_BATCH {
                        let Some(Ok(event)) = self.tcp_rx.as_mut().map(|rx| rx.try_recv()) else {
                            break;
                        };
                        self.tcp.on_event(&mut self.engine, event);
                    }
                }
                _ = tokio::time::sleep_until(wake) => {
                    let now = Instant::now();
                    if now >= next_stats {
                        self.refresh_stats();
                        next_stats = now + STATS_REFRESH;
                    }
                    self.engine.handle_timeout(now.into_std());
                }
            }
        }
    }

    fn input(&mut self, source: SocketAddr, datagram: &[u8]) {
        if self.loopback_only && !source.ip().is_loopback() {
            return;
        }
        self.engine
            .handle_datagram(Instant::now().into_std(), source, self.local_addr, datagram);
    }

    /// Sends every pending datagram and event; returns the engine's next deadline.
    fn flush(&mut self) -> Instant {
        loop {
            match self.engine.poll_output() {
                Output::Transmit(t) if t.transport == Transport::Tcp => {
                    self.tcp.send(t.destination, &t.contents);
                }
                Output::Transmit(t) => {
                    // UDP semantics: a full socket buffer drops the datagram.
                    if let Err(e) = self.socket.try_send_to(&t.contents, t.destination)
                        && e.kind() != std::io::ErrorKind::WouldBlock
                    {
                        tracing::debug!(destination = %t.destination, error = %e, "send failed");
                    }
                }
                Output::Event(e) => {
                    if let MediaEvent::Closed(peer, _) = &e {
                        self.forget(*peer);
                    }
                    let _ = self.events.send(e);
                }
                Output::Timeout(t) => return Instant::from_std(t),
            }
        }
    }

    fn execute(&mut self, command: Command) {
        let now = Instant::now().into_std();
        match command {
            Command::AddPublisher {
                offer,
                video,
                reply,
            } => {
                let _ = reply.send(self.engine.add_publisher(now, &offer, video));
            }
            Command::ReplacePublisher {
                peer,
                offer,
                video,
                reply,
            } => {
                let _ = reply.send(self.engine.replace_publisher(now, peer, &offer, video));
            }
            Command::AddSubscriber {
                source,
                label,
                reply,
            } => {
                let _ = reply.send(self.engine.add_subscriber(now, source, &label));
            }
            Command::AcceptAnswer {
                peer,
                answer,
                reply,
            } => {
                let _ = reply.send(self.engine.accept_answer(now, peer, &answer));
            }
            Command::AddCandidate { peer, candidate } => {
                if let Err(e) = self.engine.add_remote_candidate(now, peer, &candidate) {
                    tracing::debug!(%peer, error = %e, "candidate ignored");
                }
            }
            Command::RemovePeer { peer } => {
                self.engine.remove_peer(now, peer);
                self.forget(peer);
            }
            Command::TapCodecs { peer, reply } => {
                let _ = reply.send(self.engine.tap_codecs(peer));
            }
            Command::AddTap {
                peer,
                destinations,
                reply,
            } => {
                let _ = reply.send(self.engine.add_tap(now, peer, &destinations));
            }
            Command::RemoveTap { peer, tap } => self.engine.remove_tap(peer, tap),
            Command::RequestKeyframe { peer } => self.engine.request_keyframe(now, peer),
            Command::SetRecvBandwidth { peer, limit } => {
                if let Err(e) = self.engine.set_recv_bandwidth(peer, limit) {
                    tracing::debug!(%peer, error = %e, "receive limit ignored");
                }
            }
            Command::SetSendBandwidth { peer, limit } => {
                if let Err(e) = self.engine.set_send_bandwidth(peer, limit) {
                    tracing::debug!(%peer, error = %e, "send limit ignored");
                }
            }
            Command::SetVideoSize { peer, top, wanted } => {
                if let Err(e) = self.engine.set_video_size(now, peer, top, wanted) {
                    tracing::debug!(%peer, error = %e, "video size ignored");
                }
            }
        }
    }

    /// Drops a peer that is gone from the shared statistics board.
    fn forget(&mut self, peer: ov_media::PeerId) {
        self.stats
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&peer);
    }

    /// Updates this worker's entries of the shared board (others' are theirs to keep).
    fn refresh_stats(&self) {
        let mut board = self.stats.lock().unwrap_or_else(|e| e.into_inner());
        for peer in self.engine.peer_ids() {
            if let Some(s) = self.engine.stats(peer) {
                board.insert(peer, s);
            }
        }
    }
}

/// The next event of the ICE-TCP connections; never, when TCP is off (or its listener is
/// gone: the driver goes on with UDP).
async fn recv_tcp(rx: &mut Option<mpsc::Receiver<TcpEvent>>) -> TcpEvent {
    if let Some(r) = rx
        && let Some(event) = r.recv().await
    {
        return event;
    }
    std::future::pending().await
}
