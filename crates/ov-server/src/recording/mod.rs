//! Recording, as OpenVidu 2.32 does it, without Docker or a browser: every recording is a
//! [`job`] (a task) driving one recorder process (`openvidu-recorder`, GStreamer; see
//! `docs/recorder-protocol.md`) that the SFU feeds with plain RTP through engine taps.
//!
//! * [`Recordings`] is the service: the store, the recordings running now, and the REST
//!   operations (start, stop, get, list, delete) with OpenVidu's checks and codes.
//! * [`ActiveRecording`] is what a session knows of its running recording: the domain
//!   hands it the streams that come and go ([`job::JobCommand`]) and it answers
//!   `session.recording`, the `joinRoom` recording fields and the autostop rules.
//! * [`store`] is the folder layout and the metadata files; [`individual`] the sync
//!   file and the ZIP of INDIVIDUAL recordings; [`files`] serves them over HTTP.
//!
//! A recorder that crashes fails its recording (status `failed`, the webhook and the
//! participants are told) and nothing else: taps only send datagrams to local ports.

pub mod files;
mod individual;
pub mod job;
mod process;

pub mod store;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use ov_protocol::ids::{RecordingId, SessionId};
use ov_protocol::rest::{MediaMode, Recording, RecordingProperties, RecordingPropertiesError};
use tokio::sync::{mpsc, oneshot};

use crate::config::{RecordingConfig, RecordingNotification};
use crate::domain::{Registry, SessionHandle};
use job::{Job, JobCommand};
use store::Store;

/// How long a stop may take before the recorder is killed and the recording fails.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a recording stopped: OpenVidu's `EndReason`s for recordings, and two of ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// REST stop.
    RecordingStoppedByServer,
    /// The autostop countdown ended with participants left.
    AutomaticStop,
    /// The autostop countdown (of 0 s) ended with nobody left.
    LastParticipantLeft,
    /// REST `DELETE /sessions/{id}`.
    SessionClosedByServer,
    /// The server is shutting down.
    OpenviduServerStopped,
    /// The recorder process died (OpenVidu's name for a lost recording node).
    NodeCrashed,
    /// The recordings disk is nearly full (openvidu-rs's own reason).
    DiskFull,
}

impl StopReason {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            StopReason::RecordingStoppedByServer => "recordingStoppedByServer",
            StopReason::AutomaticStop => "automaticStop",
            StopReason::LastParticipantLeft => "lastParticipantLeft",
            StopReason::SessionClosedByServer => "sessionClosedByServer",
            StopReason::OpenviduServerStopped => "openviduServerStopped",
            StopReason::NodeCrashed => "nodeCrashed",
            StopReason::DiskFull => "diskFull",
        }
    }
}

/// Why a recording operation failed, with OpenVidu's status code (see
/// `crate::rest::error`).
#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    /// `OPENVIDU_RECORDING=false`: 501.
    #[error("the recording module is disabled (OPENVIDU_RECORDING=false)")]
    Disabled,
    /// No such session (404).
    #[error("session {0} not found")]
    SessionNotFound(SessionId),
    /// Not ROUTED, or being recorded already (409).
    #[error(
        "session {0} cannot be recorded now: it is not ROUTED or a recording is already running"
    )]
    Conflict(SessionId),
    /// Nobody joined (406).
    #[error("session {0} has no participant connected")]
    NoParticipants(SessionId),
    /// Bad properties (400 or 422).
    #[error(transparent)]
    Properties(#[from] RecordingPropertiesError),
    /// A property of the wrong JSON type (400).
    #[error("{0}")]
    PropertyType(String),
    /// No such recording (404).
    #[error("recording {0} not found")]
    NotFound(String),
    /// Still starting (406).
    #[error("recording {0} is still starting")]
    Starting(String),
    /// Running: cannot be deleted (409).
    #[error("recording {0} is in progress")]
    InProgress(String),
    /// The start failed (500).
    #[error("Error starting recording: {0}")]
    StartFailed(String),
    /// Stopping or deleting failed (500).
    #[error("{0}")]
    Internal(String),
}

/// What a session knows of its running recording.
#[derive(Debug)]
pub struct ActiveRecording {
    /// Recording id.
    pub id: RecordingId,
    /// Final name (the id when none was given).
    pub name: String,
    /// False while starting (REST stop answers 406 then).
    pub started: bool,
    /// INDIVIDUAL: only streams of `record: true` connections are recorded.
    pub individual: bool,
    /// Where the session's streams go.
    pub commands: mpsc::UnboundedSender<JobCommand>,
    /// The autostop countdown, when one runs.
    pub autostop: Option<tokio::task::AbortHandle>,
}

impl ActiveRecording {
    /// Tells the job; a job that ended already has nothing to do with it.
    pub fn tell(&self, command: JobCommand) {
        let _ = self.commands.send(command);
    }

    /// Stops the countdown, if one runs.
    pub fn cancel_autostop(&mut self) {
        if let Some(a) = self.autostop.take() {
            a.abort();
        }
    }
}

/// The recording service.
#[derive(Debug)]
pub struct Recordings {
    config: Option<RecordingConfig>,
    store: Option<Store>,
    /// Running recordings and their sessions.
    active: Mutex<HashMap<RecordingId, SessionId>>,
    registry: OnceLock<Weak<Registry>>,
    public_url: OnceLock<String>,
}

impl Recordings {
    /// The service for `config` (disabled when recording is off). Opens the store: the
    /// server refuses to start when the recordings folder cannot be written.
    pub fn new(config: Option<RecordingConfig>) -> std::io::Result<Recordings> {
        let store = match &config {
            Some(c) => Some(Store::open(&PathBuf::from(&c.path))?),
            None => None,
        };
        Ok(Recordings {
            config,
            store,
            active: Mutex::default(),
            registry: OnceLock::new(),
            public_url: OnceLock::new(),
        })
    }

    /// The service the server starts with: with recording on, the folder must be
    /// writable and `openvidu-recorder check` must pass (the recorder program exists and
    /// finds every GStreamer element it needs); otherwise one line says what to do.
    pub fn start_up(config: Option<RecordingConfig>) -> Result<Recordings, String> {
        if let Some(c) = &config {
            check_recorder(&c.recorder)?;
        }
        let path = config.as_ref().map(|c| c.path.clone()).unwrap_or_default();
        let recordings = Recordings::new(config).map_err(|e| {
            format!("OPENVIDU_RECORDING_PATH {path} cannot be written ({e}): set it to a writable folder")
        })?;
        recordings.recover_interrupted();
        Ok(recordings)
    }

    /// A disabled service (for tests of other parts).
    pub fn disabled() -> Recordings {
        Recordings::new(None).expect("no store to open")
    }

    /// Gives the service its registry (for automatic starts and stops) and the public
    /// URL of the recordings' `url`; once, at start-up.
    pub fn attach(&self, registry: &Arc<Registry>, public_url: &str) {
        let _ = self.registry.set(Arc::downgrade(registry));
        let mut url = public_url.to_owned();
        if !url.ends_with('/') {
            url.push('/');
        }
        let _ = self.public_url.set(url);
    }

    /// The settings, if recording is on.
    pub fn config(&self) -> Option<&RecordingConfig> {
        self.config.as_ref()
    }

    /// Whether recording is on.
    pub fn enabled(&self) -> bool {
        self.config.is_some()
    }

    fn parts(&self) -> Result<(&RecordingConfig, &Store), RecordingError> {
        match (&self.config, &self.store) {
            (Some(c), Some(s)) => Ok((c, s)),
            _ => Err(RecordingError::Disabled),
        }
    }

    fn lock_active(&self) -> std::sync::MutexGuard<'_, HashMap<RecordingId, SessionId>> {
        self.active.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn forget(&self, id: &RecordingId) {
        self.lock_active().remove(id);
    }

    fn registry(&self) -> Option<Arc<Registry>> {
        self.registry.get()?.upgrade()
    }

    /// The `url` of a finished recording.
    pub fn url_of(&self, r: &Recording) -> String {
        let base = self.public_url.get().map(String::as_str).unwrap_or("/");
        format!(
            "{base}openvidu/recordings/{}/{}.{}",
            r.id,
            r.name,
            r.extension()
        )
    }

    /// Whether `role` hears `recordingStarted` / `recordingStopped`.
    pub fn notifies(&self, role: ov_protocol::rest::Role) -> bool {
        use ov_protocol::rest::Role;
        match self.config.as_ref().map(|c| c.notification) {
            None | Some(RecordingNotification::None) => false,
            Some(RecordingNotification::Moderator) => role == Role::Moderator,
            Some(RecordingNotification::PublisherModerator) => role != Role::Subscriber,
            Some(RecordingNotification::All) => true,
        }
    }

    /// `POST /recordings/start`, with OpenVidu's checks in OpenVidu's order. Returns once
    /// the recorder runs (and, COMPOSED, its file exists).
    pub async fn start(
        &self,
        session: &Arc<SessionHandle>,
        body: &serde_json::Value,
    ) -> Result<Recording, RecordingError> {
        let (config, store) = self.parts()?;
        let (id, job, initial) = {
            let mut state = session
                .lock_open()
                .map_err(|_| RecordingError::SessionNotFound(session.id.clone()))?;
            if state.settings.media_mode != MediaMode::Routed || state.recording.is_some() {
                return Err(RecordingError::Conflict(session.id.clone()));
            }
            if !state.has_participants() {
                return Err(RecordingError::NoParticipants(session.id.clone()));
            }
            let request: RecordingProperties =
                serde_json::from_value(body.clone()).map_err(|e| {
                    RecordingError::PropertyType(format!("Type error in some parameter: {e}"))
                })?;
            let props = request.resolve(Some(&state.settings.default_recording_properties))?;
            if store
                .available_space()
                .is_some_and(|s| s < config.min_free_space)
            {
                return Err(RecordingError::StartFailed(format!(
                    "less than {} MiB free in {} (OPENVIDU_RECORDING_MIN_FREE_SPACE)",
                    config.min_free_space >> 20,
                    config.path
                )));
            }
            let id = {
                let mut active = self.lock_active();
                let taken: HashSet<RecordingId> = active.keys().cloned().collect();
                let id = store.free_id(&state.id, &taken);
                active.insert(id.clone(), state.id.clone());
                id
            };
            let mut recording = Recording::new(
                id.to_string(),
                state.id.to_string(),
                crate::clock::now_ms(),
                &props,
                ov_protocol::rest::RecordingStatus::Starting,
            );
            recording.unique_session_id = Some(format!("{}_{}", state.id, state.created_at));
            let (commands, rx) = mpsc::unbounded_channel();
            let individual = !recording.output_mode.is_composed();
            let initial = state.recorded_streams(individual);
            state.recording = Some(ActiveRecording {
                id: id.clone(),
                name: recording.name.clone(),
                started: false,
                individual,
                commands,
                autostop: None,
            });
            let job = Job::new(
                recording,
                store.clone(),
                config.recorder.clone(),
                config.min_free_space,
                session.clone(),
                rx,
            );
            (id, job, initial)
        };
        let (started_tx, started_rx) = oneshot::channel();
        tokio::spawn(job.run(started_tx, initial));
        let outcome = started_rx
            .await
            .unwrap_or_else(|_| Err("the recording task ended".into()));
        let mut state = session.lock();
        match outcome {
            Ok(recording) => {
                let publishers = state.publisher_count();
                if let Some(active) = state.recording.as_mut().filter(|a| a.id == id) {
                    active.started = true;
                }
                state.notify_recording_started(&recording);
                if publishers == 0 {
                    self.arm_autostop(&mut state, StopReason::AutomaticStop);
                }
                tracing::info!(session_id = %session.id, recording_id = %id, "recording started");
                Ok(recording)
            }
            Err(why) => {
                if state.recording.as_ref().is_some_and(|a| a.id == id) {
                    state.recording = None;
                }
                self.forget(&id);
                tracing::warn!(session_id = %session.id, recording_id = %id, error = %why, "recording failed to start");
                Err(RecordingError::StartFailed(why))
            }
        }
    }

    /// `POST /recordings/stop/{id}`: returns the final recording (`ready` or `failed`).
    pub async fn stop(&self, id: &str) -> Result<Recording, RecordingError> {
        self.parts()?;
        let session_id = self
            .lock_active()
            .get(id)
            .cloned()
            .ok_or_else(|| RecordingError::NotFound(id.to_owned()))?;
        let registry = self
            .registry()
            .ok_or_else(|| RecordingError::Internal("the server is stopping".into()))?;
        let handle = registry
            .session(&session_id)
            .ok_or_else(|| RecordingError::NotFound(id.to_owned()))?;
        let (reply, answer) = oneshot::channel();
        {
            let mut state = handle.lock();
            match &state.recording {
                Some(a) if a.id.as_str() == id && !a.started => {
                    return Err(RecordingError::Starting(id.to_owned()));
                }
                Some(a) if a.id.as_str() == id => {}
                _ => return Err(RecordingError::NotFound(id.to_owned())),
            }
            state.recording_manually_stopped = true;
            state.stop_recording(StopReason::RecordingStoppedByServer, Some(reply));
            if !state.has_participants() {
                state.recording_end_reason = Some(StopReason::RecordingStoppedByServer);
            }
        }
        // Stopped during the countdown with nobody left: the session closes too.
        registry.close_if_abandoned(&handle);
        answer
            .await
            .map_err(|_| RecordingError::Internal("the recording task ended".into()))
    }

    /// `GET /recordings/{id}`.
    pub fn get(&self, id: &str) -> Result<Recording, RecordingError> {
        let (_, store) = self.parts()?;
        let r = store
            .read(id)
            .ok_or_else(|| RecordingError::NotFound(id.to_owned()))?;
        Ok(self.reported(r))
    }

    /// `GET /recordings`.
    pub fn list(&self) -> Result<Vec<Recording>, RecordingError> {
        let (_, store) = self.parts()?;
        Ok(store.list().into_iter().map(|r| self.reported(r)).collect())
    }

    /// A stored recording as REST reports it: no `uniqueSessionId`, `starting` while its
    /// start has not returned, the current public URL.
    fn reported(&self, mut r: Recording) -> Recording {
        r.unique_session_id = None;
        use ov_protocol::rest::RecordingStatus::*;
        if matches!(r.status, Ready | Failed) && r.url.is_some() {
            r.url = Some(self.url_of(&r));
        }
        r
    }

    /// `DELETE /recordings/{id}`.
    pub fn delete(&self, id: &str) -> Result<(), RecordingError> {
        let (_, store) = self.parts()?;
        if self.lock_active().contains_key(id) {
            return Err(RecordingError::InProgress(id.to_owned()));
        }
        match store.delete(id) {
            Ok(true) => Ok(()),
            Ok(false) => Err(RecordingError::NotFound(id.to_owned())),
            Err(e) => Err(RecordingError::Internal(format!(
                "could not delete recording {id}: {e}"
            ))),
        }
    }

    /// Starts the autostop countdown of the session's recording (if none runs): when it
    /// ends, the recording stops and, if nobody is left, the session closes.
    pub(crate) fn arm_autostop(&self, state: &mut crate::domain::SessionState, reason: StopReason) {
        let Some(config) = &self.config else { return };
        let timeout = config.autostop_timeout;
        let Some(active) = state.recording.as_mut() else {
            return;
        };
        if active.autostop.is_some() {
            return;
        }
        let reason = if timeout.is_zero() {
            StopReason::LastParticipantLeft
        } else {
            reason
        };
        let session = state.id.clone();
        let recording = active.id.clone();
        let registry = self.registry.get().cloned();
        tracing::info!(session_id = %session, recording_id = %recording, timeout_s = timeout.as_secs(), "recording autostop countdown");
        let task = tokio::spawn(async move {
            tokio::time::sleep(timeout).await;
            if let Some(registry) = registry.and_then(|w| w.upgrade()) {
                registry.autostop_recording(&session, &recording, reason);
            }
        });
        active.autostop = Some(task.abort_handle());
    }

    /// Starts an `ALWAYS` recording of `session` (in the background: its errors are only
    /// visible through the `failed` webhook and the log, as in OpenVidu).
    pub(crate) fn start_automatically(&self, session: SessionId) {
        let Some(registry) = self.registry() else {
            return;
        };
        tokio::spawn(async move {
            let Some(handle) = registry.session(&session) else {
                return;
            };
            let recordings = registry.services().recordings.clone();
            if let Err(e) = recordings.start(&handle, &serde_json::json!({})).await {
                tracing::warn!(session_id = %session, error = %e, "automatic recording did not start");
            }
        });
    }

    /// Recordings a previous run left `started` or `stopped` (the server was killed):
    /// reported `failed`, with whatever file is playable. Called once at start-up.
    pub fn recover_interrupted(&self) {
        let Ok((_, store)) = self.parts() else { return };
        for mut r in store.list() {
            use ov_protocol::rest::RecordingStatus::*;
            if !matches!(r.status, Starting | Started | Stopped) {
                continue;
            }
            let folder = store.folder(&r.id);
            let (size, playable) = individual::salvage(&folder, &r);
            r.status = Failed;
            r.size = size;
            if playable {
                r.url = Some(self.url_of(&r));
            }
            if let Err(e) = store.write(&r) {
                tracing::warn!(recording_id = %r.id, error = %e, "interrupted recording not updated");
            } else {
                tracing::warn!(recording_id = %r.id, size, playable, "recording interrupted by a server stop: reported failed");
            }
        }
    }
}

/// What to install when the recorder cannot run: the one line of a refused start-up.
const INSTALL_HINT: &str = "install GStreamer (apt install gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev), then build the recorder: cargo build --release -p ov-recorder";

/// Runs `openvidu-recorder check`.
fn check_recorder(program: &std::path::Path) -> Result<(), String> {
    let output = std::process::Command::new(program)
        .arg("check")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| {
            format!(
                "OPENVIDU_RECORDING=true needs the recorder program {} ({e}): {INSTALL_HINT}",
                program.display()
            )
        })?;
    if output.status.success() {
        return Ok(());
    }
    let said = String::from_utf8_lossy(&output.stderr);
    let said = said.lines().next().unwrap_or("").trim();
    Err(format!(
        "OPENVIDU_RECORDING=true but the recorder cannot record ({}): {said}",
        output.status
    ))
}
