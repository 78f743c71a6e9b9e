//! openvidu-netem: a userspace UDP relay that shapes what passes through it, for tests of
//! how openvidu-rs copes with bad networks on machines whose kernel has no `netem`.
//!
//! A participant is given the relay's address as the server's (the server advertises it
//! to that participant only, see `tests/e2e/README.md`); the relay forwards each
//! participant's datagrams to the server from a socket of its own, and the server's
//! answers back, each direction through a [`str0m_netem::Netem`]: a bottleneck rate with a
//! tail-drop queue, random loss, delay and jitter. The shaping changes while running, by
//! commands on standard input (see [`shaping::Command`]); each is answered `ok` or
//! `error: …` on standard output. The relay stops when its input closes.
//!
//! ```text
//! openvidu-netem --listen 127.0.0.2:40000 --forward 127.0.0.1:40000 --down-kbps 300
//! ```

mod shaping;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use str0m_netem::{Input, Netem, Output};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use shaping::{Command, Shape, Way};

/// Most participants one relay serves; datagrams from more are dropped.
const MAX_PEERS: usize = 64;

#[derive(Parser, Debug)]
#[command(name = "openvidu-netem", version, about)]
struct Args {
    /// Address participants send to (the one advertised to the shaped participant).
    #[arg(long)]
    listen: SocketAddr,
    /// The server's media address, where their datagrams go.
    #[arg(long)]
    forward: SocketAddr,
    /// Bottleneck from the server to participants, kbit/s (default: none).
    #[arg(long)]
    down_kbps: Option<u64>,
    /// Bottleneck from participants to the server, kbit/s (default: none).
    #[arg(long)]
    up_kbps: Option<u64>,
    /// Queue of each bottleneck, in milliseconds at its rate.
    #[arg(long, default_value_t = 300)]
    buffer_ms: u64,
    /// Random loss, percent, both ways.
    #[arg(long, default_value_t = 0.0)]
    loss: f32,
    /// One-way delay, milliseconds, both ways.
    #[arg(long, default_value_t = 0)]
    delay_ms: u64,
    /// Delay variation, milliseconds, both ways.
    #[arg(long, default_value_t = 0)]
    jitter_ms: u64,
}

/// One participant: its address, the relay's socket towards the server for it, and the
/// shaping of each direction.
struct Peer {
    addr: SocketAddr,
    upstream: Arc<UdpSocket>,
    down: Netem<Vec<u8>>,
    up: Netem<Vec<u8>>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("openvidu-netem: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> std::io::Result<()> {
    let both = Shape {
        kbps: None,
        buffer: Duration::from_millis(args.buffer_ms),
        loss: (args.loss / 100.0).clamp(0.0, 1.0),
        delay: Duration::from_millis(args.delay_ms),
        jitter: Duration::from_millis(args.jitter_ms),
    };
    let mut down = Shape {
        kbps: args.down_kbps,
        ..both
    };
    let mut up = Shape {
        kbps: args.up_kbps,
        ..both
    };
    let listen = UdpSocket::bind(args.listen).await?;
    let mut stdout = tokio::io::stdout();
    stdout
        .write_all(format!("listening {}\n", listen.local_addr()?).as_bytes())
        .await?;
    stdout.flush().await?;

    let (from_server, mut answers) = mpsc::channel::<(usize, Vec<u8>)>(4096);
    let mut control = BufReader::new(tokio::io::stdin()).lines();
    let mut peers: Vec<Peer> = Vec::new();
    let mut buf = vec![0u8; 65_536];
    loop {
        let wake = peers
            .iter()
            .flat_map(|p| [p.down.poll_timeout(), p.up.poll_timeout()])
            .min()
            .unwrap_or_else(Instant::now)
            .min(Instant::now() + Duration::from_secs(1));
        tokio::select! {
            received = listen.recv_from(&mut buf) => {
                let Ok((n, from)) = received else { continue };
                let i = match peers.iter().position(|p| p.addr == from) {
                    Some(i) => i,
                    None if peers.len() < MAX_PEERS => {
                        let bind = SocketAddr::new(args.forward.ip(), 0);
                        let upstream = Arc::new(UdpSocket::bind(bind).await?);
                        tokio::spawn(read_answers(upstream.clone(), peers.len(), from_server.clone()));
                        peers.push(Peer { addr: from, upstream, down: Netem::new(down.netem()), up: Netem::new(up.netem()) });
                        peers.len() - 1
                    }
                    None => continue,
                };
                peers[i].up.handle_input(Input::Packet(Instant::now(), buf[..n].to_vec()));
            }
            Some((i, data)) = answers.recv() => {
                peers[i].down.handle_input(Input::Packet(Instant::now(), data));
            }
            line = control.next_line() => {
                let Ok(Some(line)) = line else { return Ok(()) };
                let reply = match Command::parse(&line) {
                    Ok(c) => {
                        let shape = match c.way { Way::Down => &mut down, Way::Up => &mut up };
                        c.apply(shape);
                        for p in &mut peers {
                            match c.way {
                                Way::Down => p.down.set_config(down.netem()),
                                Way::Up => p.up.set_config(up.netem()),
                            }
                        }
                        "ok\n".to_owned()
                    }
                    Err(e) => format!("error: {e}\n"),
                };
                stdout.write_all(reply.as_bytes()).await?;
                stdout.flush().await?;
            }
            _ = tokio::time::sleep_until(tokio::time::Instant::from_std(wake)) => {}
        }
        let now = Instant::now();
        for p in &mut peers {
            for (netem, towards_server) in [(&mut p.up, true), (&mut p.down, false)] {
                netem.handle_input(Input::Timeout(now));
                while let Some(out) = netem.poll_output() {
                    let Output::Packet(data) = out else { continue };
                    // A datagram that cannot be sent is lost, as on a network.
                    let _ = if towards_server {
                        p.upstream.send_to(&data, args.forward).await
                    } else {
                        listen.send_to(&data, p.addr).await
                    };
                }
            }
        }
    }
}

/// Passes the server's datagrams for participant `peer` to the relay's loop.
async fn read_answers(socket: Arc<UdpSocket>, peer: usize, to: mpsc::Sender<(usize, Vec<u8>)>) {
    let mut buf = vec![0u8; 65_536];
    while let Ok(n) = socket.recv(&mut buf).await {
        if to.send((peer, buf[..n].to_vec())).await.is_err() {
            return;
        }
    }
}
