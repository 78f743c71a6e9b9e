//! Recording properties and the Recording object.

use serde::{Deserialize, Serialize};

/// `outputMode` of a recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OutputMode {
    /// One file with every stream composed.
    #[default]
    Composed,
    /// Composed, with the recording container started ahead of time.
    ComposedQuickStart,
    /// One file per stream.
    Individual,
}

impl OutputMode {
    /// `COMPOSED` or `COMPOSED_QUICK_START`.
    pub fn is_composed(self) -> bool {
        matches!(self, OutputMode::Composed | OutputMode::ComposedQuickStart)
    }
}

/// `recordingLayout` of a composed recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RecordingLayout {
    /// A grid.
    #[default]
    BestFit,
    /// One big stream and a small one.
    PictureInPicture,
    /// A presentation with the cameras stacked vertically.
    VerticalPresentation,
    /// A presentation with the cameras in a row.
    HorizontalPresentation,
    /// A layout of your own.
    Custom,
}

/// Recording properties: the body of `POST /recordings/start`, the
/// `defaultRecordingProperties` of a session, and (resolved) part of a Recording.
///
/// As a request every field is optional. As a response, the fields present depend on the
/// output mode exactly as in OpenVidu: the composed fields only for composed recordings
/// with video, `ignoreFailedStreams` only for individual ones.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordingProperties {
    /// Session to record (only in `POST /recordings/start`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// File name, `[a-zA-Z0-9_~-]+`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Record audio (default `true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_audio: Option<bool>,
    /// Record video (default `true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_video: Option<bool>,
    /// Output mode (default `COMPOSED`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_mode: Option<OutputMode>,
    /// Layout of composed recordings (default `BEST_FIT`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_layout: Option<RecordingLayout>,
    /// `WIDTHxHEIGHT`, each 100–1999 (default `1280x720`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
    /// 1–120 (default 25).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame_rate: Option<i64>,
    /// Shared memory of the recording container, bytes, at least 128 MiB (default 512 MiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shm_size: Option<i64>,
    /// Path of a custom layout (only with `CUSTOM`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_layout: Option<String>,
    /// Individual recordings: go on when a stream fails (default `false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_failed_streams: Option<bool>,
    /// Pro feature, echoed back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_node: Option<serde_json::Value>,
}

/// Default values of recording properties.
pub mod recording_defaults {
    /// Resolution.
    pub const RESOLUTION: &str = "1280x720";
    /// Frames per second.
    pub const FRAME_RATE: i64 = 25;
    /// 512 MiB.
    pub const SHM_SIZE: i64 = 536_870_912;
    /// The smallest shared memory size OpenVidu accepts: 128 MiB.
    pub const MIN_SHM_SIZE: i64 = 134_217_728;
}

/// Why recording properties are not acceptable. The variants map to OpenVidu's status
/// codes: [`RecordingPropertiesError::is_unprocessable`] ones are 422, the others 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordingPropertiesError {
    /// The name has characters outside `[a-zA-Z0-9_~-]`.
    #[error("Parameter 'name' is wrong. Must be an alphanumeric string [a-zA-Z0-9_-~]+")]
    Name,
    /// Both `hasAudio` and `hasVideo` are false.
    #[error("Cannot start a recording with both \"hasAudio\" and \"hasVideo\" set to false")]
    NoMedia,
    /// Bad `resolution`.
    #[error(
        "Wrong 'resolution' parameter. Acceptable values from 100 to 1999 for both width and height"
    )]
    Resolution,
    /// Bad `frameRate`.
    #[error("Wrong 'frameRate' parameter. Acceptable values are within range [1,120]")]
    FrameRate,
    /// Bad `shmSize`.
    #[error("Wrong 'shmSize' parameter. Must be 134217728 (128 MB) minimum")]
    ShmSize,
}

impl RecordingPropertiesError {
    /// OpenVidu answers these with 422 Unprocessable Entity (the rest with 400).
    pub fn is_unprocessable(&self) -> bool {
        !matches!(self, RecordingPropertiesError::Name)
    }
}

/// Whether `resolution` is `WxH` with each side 100–1999 and no leading zero.
pub fn is_acceptable_resolution(resolution: &str) -> bool {
    fn side(s: &str) -> bool {
        (3..=4).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_digit())
            && !s.starts_with('0')
            && (s.len() == 3 || s.starts_with('1'))
    }
    resolution
        .split_once('x')
        .is_some_and(|(w, h)| side(w) && side(h))
}

impl RecordingProperties {
    /// Resolves these (request) properties against `defaults`, validating them, into the
    /// normalized form OpenVidu reports (fields present according to the output mode).
    ///
    /// As in OpenVidu, asking for `COMPOSED` when the default is `COMPOSED_QUICK_START`
    /// (or the reverse) keeps the default's flavour.
    pub fn resolve(
        &self,
        defaults: Option<&RecordingProperties>,
    ) -> Result<RecordingProperties, RecordingPropertiesError> {
        use recording_defaults::*;
        let d = defaults.cloned().unwrap_or_default();
        let name = match self.name.as_deref() {
            Some(n) if !n.is_empty() => {
                if !crate::ids::is_valid_recording_name(n) {
                    return Err(RecordingPropertiesError::Name);
                }
                n.to_owned()
            }
            _ => d.name.clone().unwrap_or_default(),
        };
        let has_audio = self.has_audio.or(d.has_audio).unwrap_or(true);
        let has_video = self.has_video.or(d.has_video).unwrap_or(true);
        if !has_audio && !has_video {
            return Err(RecordingPropertiesError::NoMedia);
        }
        let default_mode = d.output_mode.unwrap_or_default();
        let output_mode = match (self.output_mode, default_mode) {
            (Some(OutputMode::Composed), OutputMode::ComposedQuickStart) => {
                OutputMode::ComposedQuickStart
            }
            (Some(OutputMode::ComposedQuickStart), OutputMode::Composed) => OutputMode::Composed,
            (Some(m), _) => m,
            (None, m) => m,
        };
        let mut out = RecordingProperties {
            session: None,
            name: Some(name),
            has_audio: Some(has_audio),
            has_video: Some(has_video),
            output_mode: Some(output_mode),
            media_node: self.media_node.clone().or(d.media_node.clone()),
            ..Default::default()
        };
        if output_mode.is_composed() {
            let resolution = match &self.resolution {
                Some(r) if !is_acceptable_resolution(r) => {
                    return Err(RecordingPropertiesError::Resolution);
                }
                Some(r) => r.clone(),
                None => d.resolution.clone().unwrap_or_else(|| RESOLUTION.into()),
            };
            let frame_rate = match self.frame_rate {
                Some(f) if !(1..=120).contains(&f) => {
                    return Err(RecordingPropertiesError::FrameRate);
                }
                Some(f) => f,
                None => d.frame_rate.unwrap_or(FRAME_RATE),
            };
            let shm_size = match self.shm_size {
                Some(s) if s < MIN_SHM_SIZE => return Err(RecordingPropertiesError::ShmSize),
                Some(s) => s,
                None => d.shm_size.unwrap_or(SHM_SIZE),
            };
            if has_video {
                let layout = self
                    .recording_layout
                    .or(d.recording_layout)
                    .unwrap_or_default();
                out.recording_layout = Some(layout);
                out.resolution = Some(resolution);
                out.frame_rate = Some(frame_rate);
                out.shm_size = Some(shm_size);
                if layout == RecordingLayout::Custom {
                    out.custom_layout = Some(
                        self.custom_layout
                            .clone()
                            .or(d.custom_layout.clone())
                            .unwrap_or_default(),
                    );
                }
            }
        } else {
            out.ignore_failed_streams = Some(
                self.ignore_failed_streams
                    .or(d.ignore_failed_streams)
                    .unwrap_or(false),
            );
        }
        Ok(out)
    }
}

/// Status of a recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordingStatus {
    /// Being set up.
    Starting,
    /// In progress.
    Started,
    /// Stopped, file not final yet.
    Stopped,
    /// File available.
    Ready,
    /// Failed.
    Failed,
}

/// The Recording object, with OpenVidu's keys in OpenVidu's order. `shmSize` and
/// `ignoreFailedStreams` are never part of it (clients fill their defaults); the composed
/// fields only for composed recordings with video.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recording {
    /// Recording id: the session id, then `<sessionId>~1`, `~2`, …
    pub id: String,
    /// Always `"recording"`.
    pub object: String,
    /// File name (the id when none was given).
    pub name: String,
    /// `COMPOSED`, `COMPOSED_QUICK_START` or `INDIVIDUAL`.
    pub output_mode: OutputMode,
    /// `WxH` (composed with video).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
    /// Frames per second (composed with video).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame_rate: Option<i64>,
    /// Layout (composed with video).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_layout: Option<RecordingLayout>,
    /// Custom layout path (layout `CUSTOM`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_layout: Option<String>,
    /// Session recorded.
    pub session_id: String,
    /// `<sessionId>_<createdAt of the session>`: only in the metadata file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unique_session_id: Option<String>,
    /// Media node, echoed when the request named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_node: Option<String>,
    /// Start time, epoch milliseconds.
    pub created_at: u64,
    /// File size in bytes (0 until ready).
    pub size: u64,
    /// Duration in seconds (0 until ready).
    pub duration: f64,
    /// Download URL, `null` until ready.
    pub url: Option<String>,
    /// Whether audio is recorded.
    pub has_audio: bool,
    /// Whether video is recorded.
    pub has_video: bool,
    /// Status.
    pub status: RecordingStatus,
}

impl Recording {
    /// A recording of `session_id` with resolved `properties` (see
    /// [`RecordingProperties::resolve`]), sized 0 and without a URL. An empty name
    /// becomes the id.
    pub fn new(
        id: String,
        session_id: String,
        created_at: u64,
        properties: &RecordingProperties,
        status: RecordingStatus,
    ) -> Recording {
        let name = properties
            .name
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| id.clone());
        let media_node = properties.media_node.as_ref().and_then(|m| match m {
            serde_json::Value::String(s) => Some(s.clone()),
            other => other.get("id")?.as_str().map(str::to_owned),
        });
        Recording {
            id,
            object: "recording".into(),
            name,
            output_mode: properties.output_mode.unwrap_or_default(),
            resolution: properties.resolution.clone(),
            frame_rate: properties.frame_rate,
            recording_layout: properties.recording_layout,
            custom_layout: properties.custom_layout.clone(),
            session_id,
            unique_session_id: None,
            media_node,
            created_at,
            size: 0,
            duration: 0.0,
            url: None,
            has_audio: properties.has_audio.unwrap_or(true),
            has_video: properties.has_video.unwrap_or(true),
            status,
        }
    }

    /// Whether this is a composed recording with video (an MP4).
    pub fn is_composed_video(&self) -> bool {
        self.output_mode.is_composed() && self.has_video
    }

    /// The extension of the file served: `zip` (individual), `mp4` (composed with video)
    /// or `webm` (composed audio only).
    pub fn extension(&self) -> &'static str {
        if self.output_mode == OutputMode::Individual {
            "zip"
        } else if self.has_video {
            "mp4"
        } else {
            "webm"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolutions() {
        for ok in ["1280x720", "100x100", "1999x1999", "640x480"] {
            assert!(is_acceptable_resolution(ok), "{ok}");
        }
        for bad in [
            "2000x720", "99x100", "0640x480", "1280X720", "1280x", "x", "", "2x2x2",
        ] {
            assert!(!is_acceptable_resolution(bad), "{bad}");
        }
    }

    #[test]
    fn resolves_defaults_like_openvidu() {
        let r = RecordingProperties::default().resolve(None).unwrap();
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"name":"","hasAudio":true,"hasVideo":true,"outputMode":"COMPOSED",
                "recordingLayout":"BEST_FIT","resolution":"1280x720","frameRate":25,"shmSize":536870912})
        );
        let individual = RecordingProperties {
            output_mode: Some(OutputMode::Individual),
            ..Default::default()
        };
        let json = serde_json::to_value(individual.resolve(None).unwrap()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"name":"","hasAudio":true,"hasVideo":true,"outputMode":"INDIVIDUAL",
                "ignoreFailedStreams":false})
        );
    }

    #[test]
    fn validation_errors() {
        let bad = |p: RecordingProperties| p.resolve(None).unwrap_err();
        assert_eq!(
            bad(RecordingProperties {
                has_audio: Some(false),
                has_video: Some(false),
                ..Default::default()
            }),
            RecordingPropertiesError::NoMedia
        );
        assert_eq!(
            bad(RecordingProperties {
                frame_rate: Some(0),
                ..Default::default()
            }),
            RecordingPropertiesError::FrameRate
        );
        assert_eq!(
            bad(RecordingProperties {
                name: Some("a b".into()),
                ..Default::default()
            }),
            RecordingPropertiesError::Name
        );
        assert!(!RecordingPropertiesError::Name.is_unprocessable());
        assert!(RecordingPropertiesError::ShmSize.is_unprocessable());
    }

    #[test]
    fn quick_start_flavour_is_kept() {
        let defaults = RecordingProperties {
            output_mode: Some(OutputMode::ComposedQuickStart),
            ..Default::default()
        };
        let asked = RecordingProperties {
            output_mode: Some(OutputMode::Composed),
            ..Default::default()
        };
        let r = asked.resolve(Some(&defaults)).unwrap();
        assert_eq!(r.output_mode, Some(OutputMode::ComposedQuickStart));
    }

    #[test]
    fn recording_json_has_openvidus_keys_in_order() {
        let props = RecordingProperties::default().resolve(None).unwrap();
        let r = Recording::new(
            "ses_A".into(),
            "ses_A".into(),
            7,
            &props,
            RecordingStatus::Started,
        );
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"id":"ses_A","object":"recording","name":"ses_A","outputMode":"COMPOSED","resolution":"1280x720","frameRate":25,"recordingLayout":"BEST_FIT","sessionId":"ses_A","createdAt":7,"size":0,"duration":0.0,"url":null,"hasAudio":true,"hasVideo":true,"status":"started"}"#
        );
        assert_eq!(r.extension(), "mp4");
        let individual = RecordingProperties {
            output_mode: Some(OutputMode::Individual),
            name: Some("n".into()),
            media_node: Some(serde_json::json!({"id": "media_1"})),
            ..Default::default()
        }
        .resolve(None)
        .unwrap();
        let r = Recording::new(
            "ses_A~1".into(),
            "ses_A".into(),
            7,
            &individual,
            RecordingStatus::Ready,
        );
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["name"], "n");
        assert_eq!(json["mediaNode"], "media_1");
        assert!(json.get("ignoreFailedStreams").is_none() && json.get("resolution").is_none());
        assert_eq!(r.extension(), "zip");
    }
}
