//! `openvidu-recorder run`: waits for `start`, then turns commands into pipeline changes
//! until `stop` or the end of input, reporting as it goes.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use ov_protocol::recorder::{Command, Report, StreamFile, TrackCodec};

use crate::composed::{Composed, ComposedSpec};
use crate::individual::StreamRecording;
use crate::io::{self, Reporter};
use crate::layout::Layout;

/// What the main loop hears.
pub enum Input {
    Command(Command),
    /// stdin ended: the server is gone.
    ServerGone,
    /// A stream's video needs a keyframe.
    Keyframe(String),
    /// A pipeline ([`COMPOSED_PIPELINE`], else an INDIVIDUAL stream's key) failed.
    Failed(u64, String),
    /// A pipeline's latency changed.
    Latency,
}

/// The owner key of the COMPOSED pipeline in [`Input::Failed`] (INDIVIDUAL streams
/// count from 2).
pub const COMPOSED_PIPELINE: u64 = 0;

/// An `addStream` command.
pub struct StreamSpec {
    pub stream_id: String,
    pub type_of_video: Option<String>,
    pub file: Option<String>,
    pub audio: Option<TrackCodec>,
    pub video: Option<TrackCodec>,
}

/// Keyframe requests of one stream closer together than this are one request.
const KEYFRAME_GAP: Duration = Duration::from_millis(500);
const TICK: Duration = Duration::from_secs(1);

enum Mode {
    Composed(Composed),
    Individual {
        dir: PathBuf,
        streams: Vec<StreamRecording>,
        next_key: u64,
    },
}

pub fn run() -> Result<(), String> {
    let (tx, rx) = mpsc::channel();
    io::spawn_stdin(tx.clone());
    let out = Reporter::stdout();
    let mut mode = match wait_for_start(&rx)? {
        Command::Start {
            mode,
            dir,
            name,
            has_audio,
            has_video,
            width,
            height,
            frame_rate,
            layout,
            thumbnail,
        } => {
            let dir = PathBuf::from(dir);
            if !dir.is_dir() {
                return Err(format!(
                    "the recording folder {} does not exist",
                    dir.display()
                ));
            }
            match mode.as_str() {
                "COMPOSED" => Mode::Composed(Composed::start(
                    ComposedSpec {
                        dir,
                        name,
                        has_audio,
                        has_video,
                        width: width.unwrap_or(1280).clamp(16, 3840) & !1,
                        height: height.unwrap_or(720).clamp(16, 2160) & !1,
                        frame_rate: frame_rate.unwrap_or(25).clamp(1, 60),
                        layout: Layout::from_name(layout.as_deref()),
                        thumbnail: thumbnail.map(PathBuf::from),
                    },
                    &tx,
                )?),
                "INDIVIDUAL" => Mode::Individual {
                    dir,
                    streams: Vec::new(),
                    next_key: 1,
                },
                other => return Err(format!("unknown recording mode {other:?}")),
            }
        }
        _ => unreachable!("wait_for_start returns a start"),
    };
    out.send(&Report::Started);

    let mut keyframes: HashMap<String, Instant> = HashMap::new();
    let mut next_tick = Instant::now() + TICK;
    loop {
        let input = match rx.recv_timeout(next_tick.saturating_duration_since(Instant::now())) {
            Ok(i) => i,
            Err(RecvTimeoutError::Timeout) => {
                if let Mode::Composed(c) = &mut mode {
                    c.tick();
                }
                next_tick = Instant::now() + TICK;
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => Input::ServerGone,
        };
        match input {
            Input::Command(Command::AddStream {
                stream_id,
                type_of_video,
                file,
                audio,
                video,
            }) => {
                let spec = StreamSpec {
                    stream_id,
                    type_of_video,
                    file,
                    audio,
                    video,
                };
                add_stream(&mut mode, &spec, &tx, &out);
            }
            Input::Command(Command::RemoveStream { stream_id }) => {
                if let Some(f) = remove_stream(&mut mode, &stream_id) {
                    out.send(&Report::StreamStopped(f));
                }
            }
            Input::Command(Command::Stop) | Input::ServerGone => break,
            Input::Command(Command::Start { .. } | Command::Unknown) => {
                eprintln!("ignored a second start")
            }
            Input::Keyframe(id) => {
                let now = Instant::now();
                if keyframes
                    .get(&id)
                    .is_none_or(|t| now.duration_since(*t) >= KEYFRAME_GAP)
                {
                    keyframes.insert(id.clone(), now);
                    out.send(&Report::Keyframe { stream_id: id });
                }
            }
            Input::Failed(COMPOSED_PIPELINE, why) => {
                // The composed pipeline is the recording: finish what can be finished.
                if let Mode::Composed(c) = mode {
                    let _ = c.finish();
                }
                return Err(why);
            }
            Input::Failed(key, why) => {
                if let Mode::Individual { streams, .. } = &mut mode
                    && let Some(i) = streams.iter().position(|s| s.key == key)
                {
                    let s = streams.remove(i);
                    eprintln!(
                        "{}: its recording failed ({why}); its file is closed",
                        s.stream_id
                    );
                    out.send(&Report::StreamStopped(s.finish()));
                }
            }
            Input::Latency => {
                if let Mode::Composed(c) = &mode {
                    c.recalculate_latency();
                }
            }
        }
    }

    let stopped = match mode {
        Mode::Composed(c) => {
            let ids = c.stream_ids();
            let file = c.finish();
            for stream_id in ids {
                out.send(&Report::StreamStopped(StreamFile {
                    stream_id,
                    ..Default::default()
                }));
            }
            Report::Stopped(file)
        }
        Mode::Individual { streams, .. } => {
            for s in streams {
                out.send(&Report::StreamStopped(s.finish()));
            }
            Report::Stopped(Default::default())
        }
    };
    out.send(&stopped);
    Ok(())
}

fn wait_for_start(rx: &Receiver<Input>) -> Result<Command, String> {
    loop {
        match rx.recv() {
            Ok(Input::Command(c @ Command::Start { .. })) => return Ok(c),
            Ok(Input::Command(c)) => eprintln!("ignored {c:?} before start"),
            Ok(Input::ServerGone) | Err(_) => return Err("input ended before start".into()),
            Ok(_) => {}
        }
    }
}

fn add_stream(mode: &mut Mode, spec: &StreamSpec, tx: &mpsc::Sender<Input>, out: &Reporter) {
    let ports = match mode {
        Mode::Composed(c) => {
            c.remove(&spec.stream_id);
            c.add(spec)
        }
        Mode::Individual {
            dir,
            streams,
            next_key,
        } => {
            *next_key += 1;
            StreamRecording::start(*next_key, dir, spec, tx).map(|s| {
                let ports = s.ports();
                streams.push(s);
                ports
            })
        }
    };
    match ports {
        Ok((audio_port, video_port)) => out.send(&Report::StreamReady {
            stream_id: spec.stream_id.clone(),
            audio_port,
            video_port,
        }),
        Err(e) => {
            eprintln!("{}: not recorded: {e}", spec.stream_id);
            out.send(&Report::StreamReady {
                stream_id: spec.stream_id.clone(),
                audio_port: None,
                video_port: None,
            });
        }
    }
}

fn remove_stream(mode: &mut Mode, stream_id: &str) -> Option<StreamFile> {
    match mode {
        Mode::Composed(c) => c.remove(stream_id).then(|| StreamFile {
            stream_id: stream_id.to_owned(),
            ..Default::default()
        }),
        Mode::Individual { streams, .. } => {
            let i = streams.iter().position(|s| s.stream_id == stream_id)?;
            Some(streams.remove(i).finish())
        }
    }
}
