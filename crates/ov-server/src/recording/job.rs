//! One recording from start to end: a task that owns the recorder process, the engine
//! taps feeding it, and the Recording object, and writes each status to the store, the
//! webhook and the session's participants.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ov_protocol::ids::{ConnectionId, RecordingId, StreamId};
use ov_protocol::rest::{OutputMode, Recording, RecordingStatus};
use tokio::sync::{mpsc, oneshot};

use super::individual;
use super::process::{Heard, Recorder};
use super::store::Store;
use super::{STOP_TIMEOUT, StopReason};
use crate::clock::now_ms;
use crate::domain::SessionHandle;
use crate::media::{MediaKind, PeerId, TapCodec, TapId};
use ov_protocol::recorder::{Command, ComposedFile, Report, StreamFile, TrackCodec};

/// How long the recorder may take to start.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How often free disk space is checked while recording.
const DISK_CHECK: Duration = Duration::from_secs(2);

/// A stream the domain hands to a recording.
#[derive(Debug, Clone)]
pub struct StreamSource {
    pub stream_id: StreamId,
    pub connection_id: ConnectionId,
    pub peer: PeerId,
    pub type_of_video: Option<String>,
    pub has_audio: bool,
    pub has_video: bool,
    /// `joinRoom` metadata.
    pub client_data: String,
    /// The connection's `data`.
    pub server_data: String,
}

/// What the domain tells a job.
#[derive(Debug)]
pub enum JobCommand {
    /// A stream was published (or was there at the start).
    AddStream(StreamSource),
    /// A stream ended.
    RemoveStream(StreamId),
    /// Stop; the final Recording goes to `reply`.
    Stop {
        reason: StopReason,
        reply: Option<oneshot::Sender<Recording>>,
    },
}

/// A stream inside the recording.
#[derive(Debug)]
pub(super) struct Entry {
    pub source: StreamSource,
    /// INDIVIDUAL: its file name.
    pub file: Option<String>,
    pub audio: bool,
    pub video: bool,
    pub tap: Option<TapId>,
    /// Wall clock of when it joined and left (the fallback of the recorder's own times).
    pub joined_at: u64,
    pub left_at: Option<u64>,
    /// What the recorder reported when it finished the stream.
    pub finished: Option<StreamFile>,
}

/// The task's state.
pub struct Job {
    recording: Recording,
    store: Store,
    program: PathBuf,
    /// Bytes that must stay free while recording (`OPENVIDU_RECORDING_MIN_FREE_SPACE`).
    min_free_space: u64,
    session: Arc<SessionHandle>,
    commands: mpsc::UnboundedReceiver<JobCommand>,
    streams: Vec<Entry>,
    /// How many files each stream id has had (`<stream>-1.webm` for the second).
    file_counts: HashMap<StreamId, usize>,
}

impl Job {
    pub(super) fn new(
        recording: Recording,
        store: Store,
        program: PathBuf,
        min_free_space: u64,
        session: Arc<SessionHandle>,
        commands: mpsc::UnboundedReceiver<JobCommand>,
    ) -> Job {
        Job {
            recording,
            store,
            program,
            min_free_space,
            session,
            commands,
            streams: Vec::new(),
            file_counts: HashMap::new(),
        }
    }

    fn id(&self) -> RecordingId {
        RecordingId::new(self.recording.id.clone())
    }

    fn recordings(&self) -> Arc<super::Recordings> {
        self.session.services.recordings.clone()
    }

    fn media(&self) -> &crate::media::MediaHandle {
        &self.session.services.media
    }

    /// Runs the recording: answers `started` once the recorder runs, then follows the
    /// session's streams until it is stopped or its recorder dies.
    pub async fn run(
        mut self,
        started: oneshot::Sender<Result<Recording, String>>,
        initial: Vec<StreamSource>,
    ) {
        let (mut recorder, mut heard) = match self.launch().await {
            Ok(r) => r,
            Err(why) => {
                self.fail_start(&why);
                let _ = started.send(Err(why));
                return;
            }
        };
        self.recording.status = RecordingStatus::Started;
        if let Err(e) = self.store.write(&self.recording) {
            recorder.kill().await;
            let why = format!("cannot write the recording's metadata: {e}");
            self.fail_start(&why);
            let _ = started.send(Err(why));
            return;
        }
        let session_ref = self.session.lock().session_ref();
        let events = self.session.services.events.clone();
        events.recording_status_changed(&session_ref, &self.public(), None);
        for s in initial {
            self.add_stream(&mut recorder, s).await;
        }
        let _ = started.send(Ok(self.public()));

        let mut disk = tokio::time::interval(DISK_CHECK);
        let (reason, reply) = loop {
            tokio::select! {
                command = self.commands.recv() => match command {
                    Some(JobCommand::AddStream(s)) => self.add_stream(&mut recorder, s).await,
                    Some(JobCommand::RemoveStream(id)) => self.remove_stream(&mut recorder, &id).await,
                    Some(JobCommand::Stop { reason, reply }) => break (reason, reply),
                    None => break (StopReason::OpenviduServerStopped, None),
                },
                h = heard.recv() => match h {
                    Some(Heard::Report(report)) => {
                        if let Some(why) = self.on_report(report).await {
                            self.crashed(&mut recorder, &why).await;
                            return;
                        }
                    }
                    Some(Heard::Exited) | None => {
                        let how = recorder.wait().await;
                        self.crashed(&mut recorder, &format!("the recorder process exited ({how})")).await;
                        return;
                    }
                },
                _ = disk.tick() => {
                    if self.store.available_space().is_some_and(|s| s < self.min_free_space) {
                        tracing::warn!(recording_id = %self.recording.id, "recordings disk nearly full: recording stopped");
                        self.session.lock().stop_recording_if(&self.id(), StopReason::DiskFull);
                    }
                }
            }
        };
        let mut final_recording = self.finish(&mut recorder, &mut heard, reason).await;
        self.seal(&mut final_recording, reason);
        if let Some(reply) = reply {
            let _ = reply.send(final_recording);
        }
    }

    /// The Recording as REST shows it.
    fn public(&self) -> Recording {
        let mut r = self.recording.clone();
        r.unique_session_id = None;
        r
    }

    async fn launch(&mut self) -> Result<(Recorder, mpsc::Receiver<Heard>), String> {
        let id = self.id();
        let (mut recorder, mut heard) = Recorder::spawn(&self.program, &id)
            .map_err(|e| format!("cannot run the recorder {}: {e}", self.program.display()))?;
        let dir = self.store.folder(&self.recording.id);
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let r = &self.recording;
        let composed_video = r.is_composed_video();
        let (width, height) = r
            .resolution
            .as_deref()
            .and_then(|s| s.split_once('x'))
            .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
            .unzip();
        let start = Command::Start {
            mode: if r.output_mode.is_composed() {
                "COMPOSED"
            } else {
                "INDIVIDUAL"
            }
            .to_owned(),
            dir: dir.to_string_lossy().into_owned(),
            name: r.name.clone(),
            has_audio: r.has_audio,
            has_video: r.has_video,
            width,
            height,
            frame_rate: r.frame_rate.map(|f| f as u32),
            layout: r.recording_layout.map(|l| {
                serde_json::to_value(l)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            }),
            thumbnail: composed_video.then(|| {
                dir.join(format!("{}.jpg", r.id))
                    .to_string_lossy()
                    .into_owned()
            }),
        };
        recorder
            .send(&start)
            .await
            .map_err(|e| format!("the recorder did not take its start command: {e}"))?;
        let wait = async {
            loop {
                match heard.recv().await {
                    Some(Heard::Report(Report::Started)) => return Ok(()),
                    Some(Heard::Report(Report::Error { message })) => return Err(message),
                    Some(Heard::Report(_)) => continue,
                    Some(Heard::Exited) | None => {
                        return Err("the recorder exited before it started".to_owned());
                    }
                }
            }
        };
        match tokio::time::timeout(START_TIMEOUT, wait).await {
            Ok(Ok(())) => Ok((recorder, heard)),
            Ok(Err(why)) => {
                recorder.kill().await;
                Err(why)
            }
            Err(_) => {
                recorder.kill().await;
                Err(format!(
                    "the recorder did not start within {START_TIMEOUT:?}"
                ))
            }
        }
    }

    /// A start that failed: `failed` in the webhook; no metadata is left behind (OpenVidu
    /// lists a failed start only when a file existed).
    fn fail_start(&mut self, why: &str) {
        self.recording.status = RecordingStatus::Failed;
        let _ = std::fs::remove_dir_all(self.store.folder(&self.recording.id));
        let session_ref = self.session.lock().session_ref();
        self.session
            .services
            .events
            .recording_status_changed(&session_ref, &self.public(), None);
        tracing::warn!(recording_id = %self.recording.id, error = %why, "recording start failed");
    }

    async fn add_stream(&mut self, recorder: &mut Recorder, s: StreamSource) {
        if self
            .streams
            .iter()
            .any(|e| e.source.stream_id == s.stream_id && e.left_at.is_none())
        {
            return;
        }
        let audio = s.has_audio && self.recording.has_audio;
        let video = s.has_video && self.recording.has_video;
        if !audio && !video {
            tracing::info!(recording_id = %self.recording.id, stream_id = %s.stream_id, "stream has nothing this recording records: skipped");
            return;
        }
        let codecs = match self.media().tap_codecs(s.peer).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(recording_id = %self.recording.id, stream_id = %s.stream_id, error = %e, "stream not recorded");
                return;
            }
        };
        let codec_of = |kind: MediaKind| -> Option<TrackCodec> {
            codecs.iter().find(|c| c.kind == kind).map(track_codec)
        };
        let audio_codec = audio.then(|| codec_of(MediaKind::Audio)).flatten();
        let video_codec = video.then(|| codec_of(MediaKind::Video)).flatten();
        let file = (self.recording.output_mode == OutputMode::Individual).then(|| {
            let n = self.file_counts.entry(s.stream_id.clone()).or_default();
            let ext = if video_codec.as_ref().is_some_and(|c| c.codec == "H264") {
                "mkv"
            } else {
                "webm"
            };
            let name = match *n {
                0 => format!("{}.{ext}", s.stream_id),
                k => format!("{}-{k}.{ext}", s.stream_id),
            };
            *n += 1;
            name
        });
        let command = Command::AddStream {
            stream_id: s.stream_id.to_string(),
            type_of_video: s.type_of_video.clone(),
            file: file.clone(),
            audio: audio_codec.clone(),
            video: video_codec.clone(),
        };
        if recorder.send(&command).await.is_err() {
            return;
        }
        self.streams.push(Entry {
            source: s,
            file,
            audio: audio_codec.is_some(),
            video: video_codec.is_some(),
            tap: None,
            joined_at: now_ms(),
            left_at: None,
            finished: None,
        });
    }

    async fn remove_stream(&mut self, recorder: &mut Recorder, id: &StreamId) {
        let media = self.media().clone();
        let Some(e) = self
            .streams
            .iter_mut()
            .find(|e| e.source.stream_id == *id && e.left_at.is_none())
        else {
            return;
        };
        e.left_at = Some(now_ms());
        if let Some(tap) = e.tap.take() {
            media.remove_tap(e.source.peer, tap);
        }
        let _ = recorder
            .send(&Command::RemoveStream {
                stream_id: id.to_string(),
            })
            .await;
    }

    /// Acts on a report; `Some(why)` when the recorder failed for good.
    async fn on_report(&mut self, report: Report) -> Option<String> {
        match report {
            Report::StreamReady {
                stream_id,
                audio_port,
                video_port,
            } => {
                let media = self.media().clone();
                let e = self
                    .streams
                    .iter_mut()
                    .find(|e| *e.source.stream_id == stream_id && e.left_at.is_none())?;
                let mut destinations = Vec::new();
                let local = |port: u16| SocketAddr::from(([127, 0, 0, 1], port));
                if let Some(p) = audio_port.filter(|_| e.audio) {
                    destinations.push((MediaKind::Audio, local(p)));
                }
                if let Some(p) = video_port.filter(|_| e.video) {
                    destinations.push((MediaKind::Video, local(p)));
                }
                match media.add_tap(e.source.peer, destinations).await {
                    Ok(tap) => e.tap = Some(tap),
                    Err(err) => {
                        tracing::warn!(recording_id = %self.recording.id, %stream_id, error = %err, "stream could not be tapped")
                    }
                }
            }
            Report::Keyframe { stream_id } => {
                if let Some(e) = self
                    .streams
                    .iter()
                    .find(|e| *e.source.stream_id == stream_id && e.left_at.is_none())
                {
                    self.media().request_keyframe(e.source.peer);
                }
            }
            Report::StreamStopped(f) => self.stream_finished(f),
            Report::Error { message } => return Some(message),
            Report::Started | Report::Stopped(_) | Report::Unknown => {}
        }
        None
    }

    fn stream_finished(&mut self, f: StreamFile) {
        let entry = self.streams.iter_mut().find(|e| {
            *e.source.stream_id == f.stream_id
                && e.finished.is_none()
                && (f.file.is_none() || e.file == f.file)
        });
        if let Some(e) = entry {
            e.left_at.get_or_insert_with(now_ms);
            e.finished = Some(f);
        }
    }

    fn remove_all_taps(&mut self) {
        let media = self.media().clone();
        for e in &mut self.streams {
            if let Some(tap) = e.tap.take() {
                media.remove_tap(e.source.peer, tap);
            }
        }
    }

    /// The stop sequence: `stopped` (metadata, webhook), the recorder finishes its files,
    /// the participants are told, then the files are measured (and zipped).
    async fn finish(
        &mut self,
        recorder: &mut Recorder,
        heard: &mut mpsc::Receiver<Heard>,
        reason: StopReason,
    ) -> Recording {
        self.recording.status = RecordingStatus::Stopped;
        let _ = self.store.write(&self.recording);
        let session_ref = self.session.lock().session_ref();
        let events = self.session.services.events.clone();
        events.recording_status_changed(&session_ref, &self.public(), Some(reason.as_str()));
        // The taps stay until the recorder has finished, so its last frames still show
        // everyone.
        let stopped = self.wait_stopped(recorder, heard).await;
        self.remove_all_taps();
        let composed = match stopped {
            Ok(c) => Some(c),
            Err(why) => {
                tracing::warn!(recording_id = %self.recording.id, error = %why, "recorder did not finish: recording failed");
                recorder.kill().await;
                None
            }
        };
        self.session.lock().notify_recording_stopped(
            &self.recording.id,
            &self.recording.name,
            reason.as_str(),
        );
        let mut r = self.recording.clone();
        let ok = self.measure(&mut r, composed.as_ref());
        // A recording cut short by a full disk is kept, but is not what was asked for.
        r.status = if ok && composed.is_some() && reason != StopReason::DiskFull {
            RecordingStatus::Ready
        } else {
            RecordingStatus::Failed
        };
        r
    }

    /// Sends `stop` and collects the reports until `stopped` (bounded by STOP_TIMEOUT).
    async fn wait_stopped(
        &mut self,
        recorder: &mut Recorder,
        heard: &mut mpsc::Receiver<Heard>,
    ) -> Result<ComposedFile, String> {
        recorder
            .send(&Command::Stop)
            .await
            .map_err(|e| format!("the recorder did not take its stop command: {e}"))?;
        let collect = async {
            loop {
                match heard.recv().await {
                    Some(Heard::Report(Report::Stopped(c))) => return Ok(c),
                    Some(Heard::Report(Report::StreamStopped(f))) => self.stream_finished(f),
                    Some(Heard::Report(Report::Error { message })) => return Err(message),
                    Some(Heard::Report(_)) => {}
                    Some(Heard::Exited) | None => {
                        return Err("the recorder exited before it finished".to_owned());
                    }
                }
            }
        };
        let result = tokio::time::timeout(STOP_TIMEOUT, collect)
            .await
            .map_err(|_| format!("the recorder did not finish within {STOP_TIMEOUT:?}"))?;
        let _ = tokio::time::timeout(Duration::from_secs(5), recorder.wait()).await;
        result
    }

    /// Size, duration and media of the files (INDIVIDUAL: the sync file and the ZIP);
    /// whether there is something to serve.
    fn measure(&mut self, r: &mut Recording, composed: Option<&ComposedFile>) -> bool {
        let folder = self.store.folder(&r.id);
        if r.output_mode == OutputMode::Individual {
            match individual::package(&folder, r, &self.streams) {
                Ok((size, duration)) => {
                    r.size = size;
                    r.duration = duration;
                    true
                }
                Err(e) => {
                    tracing::warn!(recording_id = %r.id, error = %e, "individual recording not packaged");
                    false
                }
            }
        } else {
            let size = std::fs::metadata(self.store.served_file(r))
                .map(|m| m.len())
                .unwrap_or(0);
            r.size = size;
            if let Some(c) = composed {
                r.duration = c.duration.max(0.0);
                if r.has_video {
                    if let (Some(w), Some(h)) = (c.width, c.height) {
                        let res = format!("{w}x{h}");
                        if ov_protocol::rest::is_acceptable_resolution(&res) {
                            r.resolution = Some(res);
                        }
                    }
                    if let Some(f) = c.frame_rate.filter(|f| (1..=120).contains(f)) {
                        r.frame_rate = Some(i64::from(f));
                    }
                }
            }
            size > 0
        }
    }

    /// The last status: metadata, URL, webhook; the service forgets the recording.
    fn seal(&mut self, r: &mut Recording, reason: StopReason) {
        let recordings = self.recordings();
        // Every recording with a file gets its URL, an empty INDIVIDUAL one (a ZIP with
        // only the sync file, size 0) included, as in OpenVidu.
        if r.size > 0 || self.store.served_file(r).is_file() {
            r.url = Some(recordings.url_of(r));
        }
        if let Err(e) = self.store.write(r) {
            tracing::warn!(recording_id = %r.id, error = %e, "recording metadata not written");
        }
        r.unique_session_id = None;
        let session_ref = self.session.lock().session_ref();
        self.session.services.events.recording_status_changed(
            &session_ref,
            r,
            Some(reason.as_str()),
        );
        recordings.forget(&self.id());
        tracing::info!(recording_id = %r.id, status = ?r.status, size = r.size, duration = r.duration, "recording finished");
    }

    /// The recorder died while recording: the recording fails with what it wrote, the
    /// session forgets it and its participants are told; the call goes on.
    async fn crashed(&mut self, recorder: &mut Recorder, why: &str) {
        tracing::warn!(recording_id = %self.recording.id, error = %why, "recorder failed: recording failed");
        recorder.kill().await;
        self.remove_all_taps();
        let reason = StopReason::NodeCrashed;
        {
            let mut state = self.session.lock();
            state.forget_recording(&self.id());
        }
        self.recording.status = RecordingStatus::Stopped;
        let session_ref = self.session.lock().session_ref();
        self.session.services.events.recording_status_changed(
            &session_ref,
            &self.public(),
            Some(reason.as_str()),
        );
        self.session.lock().notify_recording_stopped(
            &self.recording.id,
            &self.recording.name,
            reason.as_str(),
        );
        let mut r = self.recording.clone();
        let _ = self.measure(&mut r, None);
        r.status = RecordingStatus::Failed;
        self.seal(&mut r, reason);
        // Stops arriving now find the session without a recording (404 over REST); one
        // already queued is answered with the failed recording.
        while let Ok(command) = self.commands.try_recv() {
            if let JobCommand::Stop {
                reply: Some(reply), ..
            } = command
            {
                let _ = reply.send(r.clone());
            }
        }
    }
}

fn track_codec(c: &TapCodec) -> TrackCodec {
    TrackCodec {
        codec: c.codec.to_owned(),
        payload_type: c.payload_type,
        clock_rate: c.clock_rate,
        channels: c.channels,
    }
}
