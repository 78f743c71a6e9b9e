//! The media task: reads the UDP socket, feeds the engine, sends what it returns, wakes it
//! on its deadlines, and executes commands. The only place media touches I/O.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ov_media::{Engine, EngineConfig, Output};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::{Command, MediaEvent, MediaHandle, StatsBoard, Worker, candidate_addresses};

/// Datagrams read in one go before the engine's output is flushed.
const READ_BATCH: usize = 64;
/// Size of the command queue.
const COMMAND_QUEUE: usize = 1024;
/// Largest datagram read (above any path MTU).
const MAX_DATAGRAM: usize = 2048;
/// How often the statistics board is refreshed.
const STATS_REFRESH: Duration = Duration::from_secs(1);

/// Binds the media sockets and starts one driver task per worker: worker `i` on port
/// `bind.port() + i` (or a free port each when `bind.port()` is 0). Events go to `events`;
/// `peer_timeout` bounds how long a peer may stay unconnected, disconnected or parked.
pub async fn start(
    bind: SocketAddr,
    workers: usize,
    advertised: &[std::net::IpAddr],
    peer_timeout: Duration,
    events: mpsc::UnboundedSender<MediaEvent>,
    stopped: watch::Receiver<bool>,
) -> std::io::Result<(MediaHandle, Vec<tokio::task::JoinHandle<()>>)> {
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
        let socket = UdpSocket::bind(SocketAddr::new(bind.ip(), port)).await?;
        let local_addr = socket.local_addr()?;
        let candidates = candidate_addresses(advertised, local_addr.port());
        let loopback_only = candidates.iter().all(|c| c.ip().is_loopback());
        let mut config = EngineConfig::new(candidates.clone());
        config.first_peer_id = super::first_peer_id(index);
        config.connect_timeout = peer_timeout;
        config.disconnect_timeout = peer_timeout;
        config.park_timeout = peer_timeout;
        let engine = Engine::new(config, Instant::now().into_std());
        let (tx, rx) = mpsc::channel(COMMAND_QUEUE);
        handles.push(Worker {
            commands: tx,
            local_addr,
            candidates,
        });
        let driver = Driver {
            socket,
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

struct Driver {
    socket: UdpSocket,
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
