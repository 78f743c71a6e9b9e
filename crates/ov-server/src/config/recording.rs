//! Settings of the recording module (`crate::recording`): where recordings go, who may
//! download them, who is told, when a recording stops by itself, and which recorder
//! program does the media work.

use std::path::PathBuf;
use std::time::Duration;

use super::{ConfigError, RawConfig};

/// The recording module's settings (present only when `OPENVIDU_RECORDING` is true).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingConfig {
    /// Folder of the recordings, absolute, as text ending in `/` (OpenVidu reports it so).
    pub path: String,
    /// Whether recording files are served without the secret.
    pub public_access: bool,
    /// Who receives `recordingStarted` / `recordingStopped`.
    pub notification: RecordingNotification,
    /// How long a recording goes on after its session has no publisher left.
    pub autostop_timeout: Duration,
    /// `OPENVIDU_RECORDING_CUSTOM_LAYOUT` (reported; custom layouts fall back to BEST_FIT).
    pub custom_layout: String,
    /// `OPENVIDU_RECORDING_COMPOSED_URL` (reported; no browser needs it here).
    pub composed_url: String,
    /// `OPENVIDU_RECORDING_VERSION` (reported).
    pub version: String,
    /// The recorder program (`openvidu-recorder`).
    pub recorder: PathBuf,
    /// Bytes that must stay free in the recordings folder (checked before a recording
    /// starts and every few seconds while it runs).
    pub min_free_space: u64,
}

/// `OPENVIDU_RECORDING_NOTIFICATION`: which roles hear about recordings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordingNotification {
    /// Nobody.
    None,
    /// Moderators.
    Moderator,
    /// Publishers and moderators (OpenVidu's default).
    PublisherModerator,
    /// Every participant.
    All,
}

impl RecordingNotification {
    /// The setting's value as OpenVidu spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordingNotification::None => "none",
            RecordingNotification::Moderator => "moderator",
            RecordingNotification::PublisherModerator => "publisher_moderator",
            RecordingNotification::All => "all",
        }
    }
}

impl RawConfig {
    /// `OPENVIDU_RECORDING*`; `None` when recording is off.
    pub(super) fn recording(&self) -> Result<Option<RecordingConfig>, ConfigError> {
        if !self.boolean("OPENVIDU_RECORDING")? {
            return Ok(None);
        }
        let raw_path = self.text("OPENVIDU_RECORDING_PATH")?;
        let mut path = std::path::absolute(&raw_path)
            .map_err(|_| self.invalid("OPENVIDU_RECORDING_PATH", "must be a folder path"))?
            .to_string_lossy()
            .into_owned();
        if !path.ends_with('/') {
            path.push('/');
        }
        let notification = match self.text("OPENVIDU_RECORDING_NOTIFICATION")?.as_str() {
            "none" => RecordingNotification::None,
            "moderator" => RecordingNotification::Moderator,
            "publisher_moderator" => RecordingNotification::PublisherModerator,
            "all" => RecordingNotification::All,
            _ => {
                return Err(self.invalid(
                    "OPENVIDU_RECORDING_NOTIFICATION",
                    "must be none, moderator, publisher_moderator or all",
                ));
            }
        };
        let recorder = match self.optional_text("OPENVIDU_RECORDING_RECORDER") {
            Some(p) => PathBuf::from(p),
            None => default_recorder(),
        };
        Ok(Some(RecordingConfig {
            path,
            public_access: self.boolean("OPENVIDU_RECORDING_PUBLIC_ACCESS")?,
            notification,
            autostop_timeout: Duration::from_secs(
                self.number("OPENVIDU_RECORDING_AUTOSTOP_TIMEOUT")?,
            ),
            custom_layout: self.text("OPENVIDU_RECORDING_CUSTOM_LAYOUT")?,
            composed_url: self
                .optional_text("OPENVIDU_RECORDING_COMPOSED_URL")
                .unwrap_or_default(),
            version: self.text("OPENVIDU_RECORDING_VERSION")?,
            recorder,
            min_free_space: self
                .number::<u64>("OPENVIDU_RECORDING_MIN_FREE_SPACE")?
                .saturating_mul(1 << 20),
        }))
    }
}

/// `openvidu-recorder` next to the server's own executable (where `cargo build` puts
/// both), else the one on `PATH`.
fn default_recorder() -> PathBuf {
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.join("openvidu-recorder")));
    match beside {
        Some(p) if p.is_file() => p,
        _ => PathBuf::from("openvidu-recorder"),
    }
}
