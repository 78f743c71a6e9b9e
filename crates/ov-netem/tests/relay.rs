//! The relay forwards both ways, its bottleneck holds the rate down, and commands on its
//! input change the shaping while it runs.

use std::io::{BufRead, BufReader, Write};
use std::net::UdpSocket;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

struct Relay {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
}

impl Relay {
    fn start(forward: std::net::SocketAddr, args: &[&str]) -> (Relay, std::net::SocketAddr) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_openvidu-netem"))
            .args(["--listen", "127.0.0.1:0", "--forward", &forward.to_string()])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the relay starts");
        let input = child.stdin.take().unwrap();
        let mut output = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        output.read_line(&mut line).unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening ")
            .expect("it says where it listens")
            .parse()
            .unwrap();
        (
            Relay {
                child,
                input,
                output,
            },
            addr,
        )
    }

    fn command(&mut self, c: &str) -> String {
        writeln!(self.input, "{c}").unwrap();
        let mut line = String::new();
        self.output.read_line(&mut line).unwrap();
        line.trim().to_owned()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends `n` datagrams of `size` bytes to `to` from `client` at once, then counts the
/// echoes of that size (earlier bursts' stragglers have other sizes) that come back within
/// `wait`, stopping early once all have.
fn burst(
    client: &UdpSocket,
    to: std::net::SocketAddr,
    n: usize,
    size: usize,
    wait: Duration,
) -> usize {
    for i in 0..n {
        client.send_to(&vec![i as u8; size], to).unwrap();
    }
    let mut got = 0;
    let mut buf = [0u8; 2000];
    let end = Instant::now() + wait;
    while got < n && Instant::now() < end {
        let left = end
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1));
        client.set_read_timeout(Some(left)).unwrap();
        if matches!(client.recv(&mut buf), Ok(len) if len == size) {
            got += 1;
        }
    }
    got
}

#[test]
fn relays_shapes_and_takes_commands() {
    // An echo server standing in for the media server.
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    let server_addr = server.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 2000];
        while let Ok((n, from)) = server.recv_from(&mut buf) {
            let _ = server.send_to(&buf[..n], from);
        }
    });
    // 80 kbit/s down with a 300 ms queue: 3 KB queued, 10 KB/s drained.
    let (mut relay, relay_addr) = Relay::start(server_addr, &["--down-kbps", "80"]);
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();

    // 100 KB at once: the queue keeps what fits, the rest is dropped.
    let through = burst(&client, relay_addr, 100, 1000, Duration::from_millis(1500));
    assert!(through > 0, "something gets through");
    assert!(
        through < 40,
        "the bottleneck holds: {through} of 100 datagrams"
    );

    assert_eq!(relay.command("down rate off"), "ok");
    // 50 at once: a socket's default receive buffer holds about 90 datagrams of 1 KB.
    let through = burst(&client, relay_addr, 50, 999, Duration::from_secs(3));
    assert_eq!(through, 50, "without the bottleneck every one comes back");

    assert!(
        relay
            .command("down speed 3")
            .starts_with("error: not a command")
    );
    assert_eq!(relay.command("up loss 100"), "ok");
    assert_eq!(
        burst(&client, relay_addr, 20, 100, Duration::from_millis(300)),
        0
    );
}
