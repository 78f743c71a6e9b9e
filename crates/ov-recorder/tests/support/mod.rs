//! Drives `openvidu-recorder run` as the server does, feeds it RTP made by GStreamer
//! senders, and reads its files back with ffprobe/ffmpeg, as a player would.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use gstreamer as gst;
use gstreamer::prelude::*;
use serde_json::{Value, json};

pub const REPORT_WAIT: Duration = Duration::from_secs(20);

/// A running recorder.
pub struct Recorder {
    pub child: Child,
    stdin: Option<ChildStdin>,
    reports: Receiver<Value>,
    pub dir: tempfile::TempDir,
}

impl Recorder {
    pub fn spawn() -> Recorder {
        let mut child = Command::new(env!("CARGO_BIN_EXE_openvidu-recorder"))
            .arg("run")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the recorder runs");
        let stdout = child.stdout.take().unwrap();
        let (tx, reports) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let v: Value = serde_json::from_str(&line).expect("reports are JSON lines");
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        Recorder {
            stdin: child.stdin.take(),
            child,
            reports,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.path().join(file)
    }

    pub fn send(&mut self, command: Value) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{command}").unwrap();
        stdin.flush().unwrap();
    }

    pub fn send_raw(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// The next report of `kind`, skipping others (keyframe requests come any time).
    pub fn expect(&self, kind: &str) -> Value {
        loop {
            let r = self
                .reports
                .recv_timeout(REPORT_WAIT)
                .unwrap_or_else(|_| panic!("no {kind} report"));
            if r["type"] == kind {
                return r;
            }
            assert_ne!(r["type"], "error", "the recorder failed: {r}");
        }
    }

    pub fn start_composed(&mut self, extra: Value) -> Value {
        let mut start = json!({
            "type": "start", "mode": "COMPOSED", "dir": self.dir.path(), "name": "rec",
            "hasAudio": true, "hasVideo": true, "width": 640, "height": 360, "frameRate": 25,
            "layout": "BEST_FIT", "thumbnail": self.path("rec.jpg"),
        });
        merge(&mut start, extra);
        self.send(start);
        self.expect("started")
    }

    pub fn start_individual(&mut self) -> Value {
        self.send(
            json!({"type": "start", "mode": "INDIVIDUAL", "dir": self.dir.path(), "name": "rec",
            "hasAudio": true, "hasVideo": true}),
        );
        self.expect("started")
    }

    /// Adds a stream and starts a sender of `video` ("VP8"/"H264"/None) and Opus to its ports.
    pub fn add(
        &mut self,
        id: &str,
        video: Option<&str>,
        pattern: &str,
        file: Option<&str>,
    ) -> Sender {
        let video_codec = video.map(|c| json!({"codec": c, "payloadType": 96, "clockRate": 90000}));
        self.send(
            json!({"type": "addStream", "streamId": id, "typeOfVideo": "CAMERA", "file": file,
            "audio": {"codec": "opus", "payloadType": 111, "clockRate": 48000, "channels": 2},
            "video": video_codec}),
        );
        let ready = self.expect("streamReady");
        assert_eq!(ready["streamId"], id);
        Sender::start(
            ready["audioPort"].as_u64().map(|p| p as u16),
            ready["videoPort"].as_u64().map(|p| p as u16).zip(video),
            pattern,
        )
    }

    pub fn wait_exit(&mut self) -> std::process::ExitStatus {
        for _ in 0..200 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the recorder did not exit");
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn merge(into: &mut Value, extra: Value) {
    if let (Some(a), Value::Object(b)) = (into.as_object_mut(), extra) {
        a.extend(b);
    }
}

/// A publisher stand-in: test video and a tone, encoded and sent as RTP to loopback.
pub struct Sender(gst::Pipeline);

impl Sender {
    pub fn start(audio_port: Option<u16>, video: Option<(u16, &str)>, pattern: &str) -> Sender {
        gst::init().unwrap();
        let mut desc = String::new();
        if let Some((port, codec)) = video {
            let encode = match codec {
                "H264" => {
                    "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 ! rtph264pay config-interval=-1"
                }
                _ => "vp8enc deadline=1 keyframe-max-dist=30 ! rtpvp8pay",
            };
            desc += &format!(
                "videotestsrc is-live=true pattern={pattern} ! video/x-raw,width=320,height=240,framerate=15/1 ! {encode} pt=96 ! udpsink host=127.0.0.1 port={port} "
            );
        }
        if let Some(port) = audio_port {
            desc += &format!(
                "audiotestsrc is-live=true freq=440 volume=0.5 ! audioconvert ! opusenc ! rtpopuspay pt=111 ! udpsink host=127.0.0.1 port={port}"
            );
        }
        let pipeline = gst::parse::launch(&desc)
            .unwrap()
            .downcast::<gst::Pipeline>()
            .unwrap();
        pipeline.set_state(gst::State::Playing).unwrap();
        Sender(pipeline)
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        let _ = self.0.set_state(gst::State::Null);
    }
}

/// What ffprobe reads of a file: codec names (in stream order) and the duration.
pub fn probe(path: &Path) -> (Vec<String>, f64) {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=duration:stream=codec_name",
            "-of",
            "json",
        ])
        .arg(path)
        .output()
        .expect("ffprobe (Debian ffmpeg) is installed");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    let codecs = v["streams"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["codec_name"].as_str().map(str::to_owned))
        .collect();
    let duration = v["format"]["duration"]
        .as_str()
        .and_then(|d| d.parse().ok())
        .unwrap_or_else(|| last_packet(path));
    (codecs, duration)
}

/// The time of the last packet: how far a player gets in a file that was never
/// finished (a killed muxer wrote no duration).
fn last_packet(path: &Path) -> f64 {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "packet=pts_time",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .expect("ffprobe is installed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().trim_end_matches(',').parse::<f64>().ok())
        .fold(0.0, f64::max)
}

/// The frame at `seconds`, decoded by ffmpeg to `w`×`h` grey pixels.
pub fn luma(path: &Path, seconds: f64, w: usize, h: usize) -> Vec<u8> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-ss", &seconds.to_string(), "-i"])
        .arg(path)
        .args([
            "-frames:v",
            "1",
            "-vf",
            &format!("scale={w}:{h},format=gray"),
            "-f",
            "rawvideo",
            "-",
        ])
        .output()
        .expect("ffmpeg is installed");
    assert_eq!(
        out.stdout.len(),
        w * h,
        "a frame at {seconds} s: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Mean luma of columns `x0..x1` of a grey frame `w` wide.
pub fn mean(frame: &[u8], w: usize, x0: usize, x1: usize) -> f64 {
    let (sum, n) = frame
        .chunks(w)
        .flat_map(|row| &row[x0..x1])
        .fold((0u64, 0u64), |(s, n), &p| (s + u64::from(p), n + 1));
    sum as f64 / n as f64
}

/// The loudest sample of the audio, in dB (ffmpeg's volumedetect); -91 for silence.
pub fn peak_db(path: &Path) -> f64 {
    let out = Command::new("ffmpeg")
        .args(["-v", "info", "-i"])
        .arg(path)
        .args(["-vn", "-af", "volumedetect", "-f", "null", "-"])
        .output()
        .expect("ffmpeg is installed");
    let log = String::from_utf8_lossy(&out.stderr);
    log.lines()
        .find_map(|l| l.split("max_volume:").nth(1))
        .and_then(|v| v.trim().trim_end_matches(" dB").parse().ok())
        .unwrap_or(-91.0)
}
