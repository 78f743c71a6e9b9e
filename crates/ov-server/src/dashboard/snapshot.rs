//! What the dashboard shows: the live sessions, their connections and streams, with rates
//! derived from the byte counters between two samples.
//!
//! Built from the REST objects (`GET /sessions?webRtcStats=true`) rather than from the
//! domain state, so the dashboard shows exactly what the API reports, plus the rates the API
//! cannot give (they need two samples).

use std::collections::HashMap;
use std::time::Instant;

use ov_protocol::rest;
use serde::Serialize;
use serde_json::Value;

/// The whole picture at one instant.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    /// Live sessions, oldest first.
    pub sessions: Vec<SessionView>,
}

/// One session.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    pub id: String,
    pub created_at: u64,
    pub recording: bool,
    /// Active connections (joined; pending ones are not shown).
    pub connections: Vec<ConnectionView>,
}

/// One participant.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionView {
    pub id: String,
    pub role: Option<rest::Role>,
    pub client_data: Option<String>,
    pub platform: Option<String>,
    pub ip: Option<String>,
    pub active_at: Option<u64>,
    /// Its network quality level, 0 (broken) to 5 (excellent), once it has one.
    pub network_quality: Option<u8>,
    /// What it publishes (at most one stream in OpenVidu 2).
    pub publishers: Vec<StreamView>,
    /// What it receives.
    pub subscriptions: Vec<StreamView>,
}

/// One media stream as the server sees it: received from a publisher or sent to a
/// subscriber.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamView {
    pub stream_id: String,
    /// Whether ICE and DTLS are up.
    pub connected: bool,
    /// Bits per second since the previous sample (`None` on the first one).
    pub bitrate: Option<u64>,
    /// Highest loss fraction reported on any of its tracks, 0..1.
    pub loss: Option<f64>,
    /// Round-trip time in milliseconds.
    pub rtt_ms: Option<f64>,
    /// Publishers only: whether the server hears speech.
    pub speaking: bool,
    /// Publishers only.
    pub has_audio: Option<bool>,
    pub has_video: Option<bool>,
    pub audio_active: Option<bool>,
    pub video_active: Option<bool>,
    pub type_of_video: Option<String>,
}

/// Turns successive REST pictures into snapshots, keeping the byte counters of the previous
/// sample to derive rates.
#[derive(Debug, Default)]
pub struct Sampler {
    previous: HashMap<String, (u64, Instant)>,
}

impl Sampler {
    /// The snapshot of `sessions` taken at `now`.
    pub fn sample(&mut self, sessions: &[rest::Session], now: Instant) -> Snapshot {
        let mut seen = HashMap::new();
        let sessions = sessions
            .iter()
            .map(|s| SessionView {
                id: s.id.to_string(),
                created_at: s.created_at,
                recording: s.recording,
                connections: s
                    .connections
                    .content
                    .iter()
                    .filter(|c| c.active_at.is_some())
                    .map(|c| self.connection(c, now, &mut seen))
                    .collect(),
            })
            .collect();
        self.previous = seen;
        Snapshot { sessions }
    }

    fn connection(
        &self,
        c: &rest::Connection,
        now: Instant,
        seen: &mut HashMap<String, (u64, Instant)>,
    ) -> ConnectionView {
        let mut publishers = Vec::new();
        for p in c.publishers.iter().flatten() {
            let key = format!("{}/pub/{}", c.id, p.stream_id);
            let stats = p.webrtc.as_ref().and_then(|w| w.server_stats.as_ref());
            let mut view = self.stream(
                &key,
                p.stream_id.to_string(),
                stats,
                "bytesReceived",
                now,
                seen,
            );
            let m = &p.media_options;
            view.has_audio = Some(m.has_audio);
            view.has_video = Some(m.has_video);
            view.audio_active = m.audio_active;
            view.video_active = m.video_active;
            view.type_of_video = m.type_of_video.clone().flatten();
            publishers.push(view);
        }
        let subscriptions = c
            .subscribers
            .iter()
            .flatten()
            .map(|s| {
                let key = format!("{}/sub/{}", c.id, s.stream_id);
                let stats = s.webrtc.as_ref().and_then(|w| w.server_stats.as_ref());
                self.stream(&key, s.stream_id.to_string(), stats, "bytesSent", now, seen)
            })
            .collect();
        ConnectionView {
            id: c.id.to_string(),
            role: c.role,
            client_data: c.client_data.clone(),
            platform: c.platform.clone(),
            ip: c.ip.clone(),
            active_at: c.active_at,
            network_quality: c.network_quality_level,
            publishers,
            subscriptions,
        }
    }

    /// A stream's view from its `serverStats`; `bytes_field` is the counter of its direction.
    fn stream(
        &self,
        key: &str,
        stream_id: String,
        stats: Option<&Value>,
        bytes_field: &str,
        now: Instant,
        seen: &mut HashMap<String, (u64, Instant)>,
    ) -> StreamView {
        let stats = stats.unwrap_or(&Value::Null);
        let bytes = stats[bytes_field].as_u64();
        let bitrate = bytes.and_then(|bytes| {
            seen.insert(key.to_owned(), (bytes, now));
            let (before, then) = self.previous.get(key)?;
            let seconds = now.checked_duration_since(*then)?.as_secs_f64();
            (seconds > 0.0).then(|| (bytes.saturating_sub(*before) as f64 * 8.0 / seconds) as u64)
        });
        let loss = stats["tracks"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["loss"].as_f64())
            .reduce(f64::max);
        StreamView {
            stream_id,
            connected: stats["connected"].as_bool().unwrap_or(false),
            bitrate,
            loss,
            rtt_ms: stats["rttMs"].as_f64(),
            speaking: stats["speaking"].as_bool().unwrap_or(false),
            has_audio: None,
            has_video: None,
            audio_active: None,
            video_active: None,
            type_of_video: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn session(bytes: u64) -> rest::Session {
        let json = r#"{
            "id": "s1", "object": "session", "sessionId": "s1", "createdAt": 1, "recording": false,
            "broadcasting": false, "mediaMode": "ROUTED", "recordingMode": "MANUAL",
            "defaultRecordingProperties": {"name": "", "hasAudio": true, "hasVideo": true,
                "outputMode": "COMPOSED", "recordingLayout": "BEST_FIT", "resolution": "1280x720",
                "frameRate": 25, "shmSize": 536870912},
            "customSessionId": "s1", "forcedVideoCodec": "VP8", "allowTranscoding": false,
            "connections": {"numberOfElements": 2, "content": [
                {"id": "con_a", "object": "connection", "status": "active", "connectionId": "con_a",
                 "sessionId": "s1", "createdAt": 2, "type": "WEBRTC", "record": true, "role": "PUBLISHER",
                 "kurentoOptions": null, "customIceServers": [], "rtspUri": null, "adaptativeBitrate": null,
                 "onlyPlayWithSubscribers": null, "networkCache": null, "serverData": "", "token": "t",
                 "activeAt": 3, "location": "unknown", "ip": "127.0.0.1", "platform": "Chrome",
                 "clientData": "alice",
                 "publishers": [{"streamId": "str_CAM_a", "createdAt": 4,
                    "mediaOptions": {"hasAudio": true, "audioActive": true, "hasVideo": true,
                        "videoActive": false, "typeOfVideo": "CAMERA", "frameRate": 30,
                        "videoDimensions": "{\"width\":640,\"height\":480}", "filter": {}},
                    "webrtcEndpointName": "e", "localSdp": null, "remoteSdp": null,
                    "clientIceCandidates": [], "serverIceCandidates": [], "localCandidate": null,
                    "remoteCandidate": null, "events": [],
                    "serverStats": {"connected": true, "bytesReceived": BYTES, "bytesSent": 0,
                        "rttMs": 12.5, "audioLevel": 30, "speaking": true,
                        "tracks": [{"loss": 0.01}, {"loss": 0.25}, {"loss": null}]}}],
                 "subscribers": [], "networkQualityLevel": 4},
                {"id": "con_p", "object": "connection", "status": "pending", "connectionId": "con_p",
                 "sessionId": "s1", "createdAt": 2, "type": "WEBRTC", "record": true, "role": "PUBLISHER",
                 "kurentoOptions": null, "customIceServers": [], "rtspUri": null, "adaptativeBitrate": null,
                 "onlyPlayWithSubscribers": null, "networkCache": null, "serverData": "", "token": "t",
                 "activeAt": null, "location": null, "ip": null, "platform": null, "clientData": null,
                 "publishers": null, "subscribers": null}
            ]}
        }"#;
        serde_json::from_str(&json.replace("BYTES", &bytes.to_string())).expect("a REST session")
    }

    #[test]
    fn rates_come_from_two_samples_and_pending_connections_are_left_out() {
        let mut sampler = Sampler::default();
        let t0 = Instant::now();
        let first = sampler.sample(&[session(1_000)], t0);
        assert_eq!(
            first.sessions[0].connections.len(),
            1,
            "the pending one is not shown"
        );
        assert_eq!(first.sessions[0].connections[0].network_quality, Some(4));
        let stream = &first.sessions[0].connections[0].publishers[0];
        assert_eq!(stream.bitrate, None, "one sample gives no rate");
        assert_eq!(stream.loss, Some(0.25), "the worst track");
        assert_eq!(stream.rtt_ms, Some(12.5));
        assert!(stream.speaking && stream.connected);
        assert_eq!(stream.video_active, Some(false));
        assert_eq!(stream.type_of_video.as_deref(), Some("CAMERA"));

        let second = sampler.sample(&[session(126_000)], t0 + Duration::from_millis(500));
        let stream = &second.sessions[0].connections[0].publishers[0];
        assert_eq!(stream.bitrate, Some(2_000_000), "125 kB in 0.5 s");
    }

    #[test]
    fn a_stream_that_went_away_starts_again_without_a_rate() {
        let mut sampler = Sampler::default();
        let t0 = Instant::now();
        sampler.sample(&[session(1_000)], t0);
        sampler.sample(&[], t0 + Duration::from_secs(1));
        let again = sampler.sample(&[session(9_000)], t0 + Duration::from_secs(2));
        assert_eq!(again.sessions[0].connections[0].publishers[0].bitrate, None);
    }
}
