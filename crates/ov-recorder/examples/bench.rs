//! How much CPU a recording costs, and whether several keep up in real time.
//!
//! ```sh
//! cargo build --release -p ov-recorder --examples
//! target/release/examples/bench COMPOSED 4 1 20   # mode, streams per recording, recordings, seconds
//! ```
//!
//! The streams are encoded once (VP8 640×480 at 30 fps, ~800 kbps, and Opus, as a browser
//! publishes), then replayed as RTP on a timer to every recorder, so the senders cost
//! almost nothing and the recorders' own CPU (user + system, from /proc) is what is
//! measured. A recording keeps up when its file is as long as the wall-clock time.

use std::io::{BufRead, BufReader, Write};
use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app::AppSink;
use serde_json::{Value, json};

/// RTP packets of a clip, with their send times from its start.
struct Clip {
    packets: Vec<(Duration, Vec<u8>)>,
    length: Duration,
    clock_rate: u32,
}

fn encode(desc: &str, clock_rate: u32) -> Clip {
    let pipeline = gst::parse::launch(&format!("{desc} ! appsink name=out sync=false"))
        .unwrap()
        .downcast::<gst::Pipeline>()
        .unwrap();
    let sink = pipeline
        .by_name("out")
        .unwrap()
        .downcast::<AppSink>()
        .unwrap();
    pipeline.set_state(gst::State::Playing).unwrap();
    let mut packets = Vec::new();
    while let Ok(sample) = sink.pull_sample() {
        let buffer = sample.buffer().unwrap();
        let at = Duration::from_nanos(buffer.pts().map_or(0, |t| t.nseconds()));
        packets.push((at, buffer.map_readable().unwrap().to_vec()));
    }
    pipeline.set_state(gst::State::Null).unwrap();
    let length = packets.last().map_or(Duration::ZERO, |p| p.0) + Duration::from_millis(34);
    Clip {
        packets,
        length,
        clock_rate,
    }
}

/// One recorder process and the ports of its streams.
struct Recording {
    child: Child,
    lines: std::sync::mpsc::Receiver<Value>,
    ports: Vec<(u16, u16)>,
    start_time: Duration,
}

impl Recording {
    fn start(mode: &str, streams: usize, dir: &std::path::Path) -> Recording {
        let exe = std::env::current_exe().unwrap();
        let recorder = exe
            .parent()
            .unwrap()
            .parent()
            .unwrap()
            .join("openvidu-recorder");
        let mut child = Command::new(recorder)
            .arg("run")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("build the recorder first: cargo build --release -p ov-recorder");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for l in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(serde_json::from_str(&l).unwrap());
            }
        });
        let mut r = Recording {
            child,
            lines,
            ports: Vec::new(),
            start_time: Duration::ZERO,
        };
        let begun = Instant::now();
        r.send(
            json!({"type": "start", "mode": mode, "dir": dir, "name": "bench", "hasAudio": true,
            "hasVideo": true, "width": 1280, "height": 720, "frameRate": 25, "layout": "BEST_FIT",
            "thumbnail": dir.join("bench.jpg")}),
        );
        r.expect("started");
        r.start_time = begun.elapsed();
        for i in 0..streams {
            r.send(json!({"type": "addStream", "streamId": format!("str_{i}"), "file": format!("str_{i}.webm"),
                "audio": {"codec": "opus", "payloadType": 111, "clockRate": 48000, "channels": 2},
                "video": {"codec": "VP8", "payloadType": 96, "clockRate": 90000}}));
            let ready = r.expect("streamReady");
            let port = |k: &str| ready[k].as_u64().unwrap() as u16;
            r.ports.push((port("audioPort"), port("videoPort")));
        }
        r
    }

    fn send(&mut self, v: Value) {
        let stdin = self.child.stdin.as_mut().unwrap();
        writeln!(stdin, "{v}").unwrap();
    }

    fn expect(&self, kind: &str) -> Value {
        loop {
            let v = self
                .lines
                .recv_timeout(Duration::from_secs(60))
                .expect("a report");
            if v["type"] == kind {
                return v;
            }
        }
    }

    /// CPU seconds used so far (user + system).
    fn cpu(&self) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .unwrap()
            .1
            .split_whitespace()
            .collect();
        let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
        ticks / 100.0
    }
}

/// Sends every clip packet to every port on time, looping the clips, until `until`;
/// each stream gets its own SSRC, and looped packets continue its sequence and timestamps.
fn replay(audio: &Clip, video: &Clip, targets: &[(u16, u16)], until: Instant) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let begun = Instant::now();
    let mut queue: Vec<(Duration, usize, bool, usize, u64)> = Vec::new(); // at, target, video, index, loop
    for t in 0..targets.len() {
        queue.push((Duration::ZERO, t, false, 0, 0));
        queue.push((Duration::ZERO, t, true, 0, 0));
    }
    while Instant::now() < until {
        queue.sort_by_key(|q| std::cmp::Reverse(q.0));
        let (at, t, is_video, i, lap) = queue.pop().unwrap();
        if let Some(wait) = at.checked_sub(begun.elapsed()) {
            std::thread::sleep(wait);
        }
        let clip = if is_video { video } else { audio };
        let mut packet = clip.packets[i].1.clone();
        let n = clip.packets.len() as u64;
        let seq = u16::from_be_bytes([packet[2], packet[3]]).wrapping_add((lap * n) as u16);
        packet[2..4].copy_from_slice(&seq.to_be_bytes());
        let ts_step = (clip.length.as_secs_f64() * f64::from(clip.clock_rate)) as u64;
        let ts = u32::from_be_bytes(packet[4..8].try_into().unwrap())
            .wrapping_add((lap * ts_step) as u32);
        packet[4..8].copy_from_slice(&ts.to_be_bytes());
        packet[8..12].copy_from_slice(&(0x1000 + t as u32 * 2 + u32::from(is_video)).to_be_bytes());
        let port = if is_video { targets[t].1 } else { targets[t].0 };
        let _ = socket.send_to(&packet, ("127.0.0.1", port));
        let (next, next_lap) = if i + 1 == clip.packets.len() {
            (0, lap + 1)
        } else {
            (i + 1, lap)
        };
        let next_at = clip.length * next_lap as u32 + clip.packets[next].0;
        queue.push((next_at, t, is_video, next, next_lap));
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map_or("COMPOSED", String::as_str).to_owned();
    let streams: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(4);
    let recordings: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(1);
    let seconds: u64 = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(20);
    gst::init().unwrap();
    let video = encode(
        "videotestsrc num-buffers=300 pattern=ball ! video/x-raw,width=640,height=480,framerate=30/1 \
         ! vp8enc deadline=1 target-bitrate=800000 keyframe-max-dist=300 ! rtpvp8pay pt=96 mtu=1200",
        90_000,
    );
    let audio = encode(
        "audiotestsrc num-buffers=500 samplesperbuffer=960 freq=440 ! audio/x-raw,rate=48000,channels=2 \
         ! opusenc ! rtpopuspay pt=111",
        48_000,
    );
    let dirs: Vec<_> = (0..recordings)
        .map(|_| tempfile::tempdir().unwrap())
        .collect();
    let mut running: Vec<Recording> = dirs
        .iter()
        .map(|d| Recording::start(&mode, streams, d.path()))
        .collect();
    let targets: Vec<(u16, u16)> = running.iter().flat_map(|r| r.ports.clone()).collect();
    let begun = Instant::now();
    let until = begun + Duration::from_secs(seconds);
    let sender = std::thread::spawn({
        let (audio, video) = (audio, video);
        move || replay(&audio, &video, &targets, until)
    });
    // Warm-up (jitter buffers, first keyframes) is left out of the CPU figure.
    std::thread::sleep(Duration::from_secs(3));
    let cpu0: Vec<f64> = running.iter().map(Recording::cpu).collect();
    let measured = Instant::now();
    sender.join().unwrap();
    let wall = measured.elapsed().as_secs_f64();
    let cpu: Vec<f64> = running
        .iter()
        .zip(&cpu0)
        .map(|(r, c0)| (r.cpu() - c0) / wall)
        .collect();
    let recorded = begun.elapsed().as_secs_f64();
    let mut durations = Vec::new();
    for (r, d) in running.iter_mut().zip(&dirs) {
        r.send(json!({"type": "stop"}));
        r.expect("stopped");
        // How long the file plays (INDIVIDUAL: the first stream's).
        let file = d.path().join(if mode == "COMPOSED" {
            "bench.mp4"
        } else {
            "str_0.webm"
        });
        let duration = duration_of(&file);
        durations.push(duration);
        let _ = r.child.wait();
    }
    let starts: Vec<String> = running
        .iter()
        .map(|r| format!("{:.0}", r.start_time.as_secs_f64() * 1000.0))
        .collect();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mean_cpu = cpu.iter().sum::<f64>() / cpu.len() as f64;
    println!(
        "{mode}: {recordings} recording(s) of {streams} stream(s), {seconds} s on {cores} cores\n  \
         start (ms): {}\n  CPU per recording (cores): {}\n  mean {:.3} cores => about {:.0} fit on this machine\n  \
         file durations (s) vs recorded {recorded:.1} s: {}",
        starts.join(" "),
        cpu.iter()
            .map(|c| format!("{c:.3}"))
            .collect::<Vec<_>>()
            .join(" "),
        mean_cpu,
        (cores as f64 / mean_cpu).floor(),
        durations
            .iter()
            .map(|d| format!("{d:.1}"))
            .collect::<Vec<_>>()
            .join(" "),
    );
}

fn duration_of(path: &std::path::Path) -> f64 {
    let uri = gst::glib::filename_to_uri(path, None).unwrap();
    let discoverer = gstreamer_pbutils::Discoverer::new(gst::ClockTime::from_seconds(10)).unwrap();
    discoverer
        .discover_uri(&uri)
        .ok()
        .and_then(|i| i.duration())
        .map_or(0.0, |d| d.nseconds() as f64 / 1e9)
}
