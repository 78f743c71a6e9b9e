//! The messages of the recorder protocol (`docs/recorder-protocol.md`), one JSON object
//! per line on the recorder's stdin (commands) and stdout (reports). The server writes
//! commands and reads reports; `openvidu-recorder` does the opposite, so both derive both.

use serde::{Deserialize, Serialize};

/// What the server tells the recorder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Command {
    /// The first line: what to record and where.
    #[serde(rename_all = "camelCase")]
    Start {
        /// `COMPOSED` or `INDIVIDUAL`.
        mode: String,
        /// Absolute folder of the recording.
        dir: String,
        /// File name without extension (COMPOSED).
        name: String,
        has_audio: bool,
        has_video: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        width: Option<u32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        height: Option<u32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        frame_rate: Option<u32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        layout: Option<String>,
        /// Absolute path of the thumbnail to write (COMPOSED with video).
        #[serde(skip_serializing_if = "Option::is_none")]
        thumbnail: Option<String>,
    },
    /// A stream joins the recording.
    #[serde(rename_all = "camelCase")]
    AddStream {
        stream_id: String,
        type_of_video: Option<String>,
        /// INDIVIDUAL: the stream's file name in the recording's folder.
        #[serde(skip_serializing_if = "Option::is_none")]
        file: Option<String>,
        audio: Option<TrackCodec>,
        video: Option<TrackCodec>,
    },
    /// A stream leaves the recording.
    #[serde(rename_all = "camelCase")]
    RemoveStream { stream_id: String },
    /// Finish and exit.
    Stop,
    /// Anything newer than this recorder: logged and ignored.
    #[serde(other)]
    Unknown,
}

/// How one track's RTP reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrackCodec {
    /// `opus`, `VP8`, `VP9`, `H264` or `AV1`.
    pub codec: String,
    pub payload_type: u8,
    pub clock_rate: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channels: Option<u8>,
}

/// What the recorder reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Report {
    /// The pipeline runs (COMPOSED: the file exists and is not empty).
    Started,
    /// Where a stream's RTP goes (127.0.0.1).
    #[serde(rename_all = "camelCase")]
    StreamReady {
        stream_id: String,
        audio_port: Option<u16>,
        video_port: Option<u16>,
    },
    /// A keyframe of that stream is needed.
    #[serde(rename_all = "camelCase")]
    Keyframe { stream_id: String },
    /// A stream is finished (INDIVIDUAL: with its file).
    #[serde(rename_all = "camelCase")]
    StreamStopped(StreamFile),
    /// Everything is finished (COMPOSED: with the file's figures).
    Stopped(ComposedFile),
    /// A fatal error; the process exits.
    Error { message: String },
    /// Anything newer than this server: ignored.
    #[serde(other)]
    Unknown,
}

/// A finished stream.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamFile {
    pub stream_id: String,
    #[serde(default)]
    pub file: Option<String>,
    #[serde(default)]
    pub size: u64,
    /// Wall clock (epoch ms) of the first media written; 0 if none was.
    #[serde(default)]
    pub start_time: u64,
    /// Wall clock (epoch ms) of the last media written.
    #[serde(default)]
    pub end_time: u64,
    #[serde(default)]
    pub has_audio: bool,
    #[serde(default)]
    pub has_video: bool,
}

/// A finished composed recording.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComposedFile {
    #[serde(default)]
    pub file: Option<String>,
    #[serde(default)]
    pub size: u64,
    /// Seconds, as a player reads the file.
    #[serde(default)]
    pub duration: f64,
    #[serde(default)]
    pub has_audio: bool,
    #[serde(default)]
    pub has_video: bool,
    #[serde(default)]
    pub width: Option<u32>,
    #[serde(default)]
    pub height: Option<u32>,
    #[serde(default)]
    pub frame_rate: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_json_lines_with_a_type() {
        let c = Command::RemoveStream {
            stream_id: "str_A".into(),
        };
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            r#"{"type":"removeStream","streamId":"str_A"}"#
        );
        assert_eq!(
            serde_json::to_string(&Command::Stop).unwrap(),
            r#"{"type":"stop"}"#
        );
    }

    #[test]
    fn reports_parse_and_unknown_ones_are_tolerated() {
        let r: Report = serde_json::from_str(
            r#"{"type":"streamReady","streamId":"s","audioPort":5000,"videoPort":null}"#,
        )
        .unwrap();
        assert_eq!(
            r,
            Report::StreamReady {
                stream_id: "s".into(),
                audio_port: Some(5000),
                video_port: None
            }
        );
        let r: Report = serde_json::from_str(r#"{"type":"progress","x":1}"#).unwrap();
        assert_eq!(r, Report::Unknown);
        let r: Report = serde_json::from_str(
            r#"{"type":"streamStopped","streamId":"s","file":"s.webm","size":9,"startTime":1,"endTime":2,"hasAudio":true,"hasVideo":false}"#,
        )
        .unwrap();
        assert!(
            matches!(r, Report::StreamStopped(f) if f.size == 9 && f.file.as_deref() == Some("s.webm"))
        );
    }
}
