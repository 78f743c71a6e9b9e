//! A session's side of recording: which of its streams a recording gets, the
//! notifications its participants receive, OpenVidu's `ALWAYS` mode and the autostop
//! rules. The recording itself runs in `crate::recording`.

use ov_protocol::ids::{ConnectionId, RecordingId, StreamId};
use ov_protocol::rest::{MediaMode, Recording, RecordingMode};
use ov_protocol::rpc::notify;
use serde_json::json;
use tokio::sync::oneshot;

use super::session::SessionState;
use crate::recording::StopReason;
use crate::recording::job::{JobCommand, StreamSource};

/// `recordingStarted` and `recordingStopped` (openvidu-browser's method names).
const RECORDING_STARTED: &str = "recordingStarted";
const RECORDING_STOPPED: &str = "recordingStopped";

impl SessionState {
    /// Number of published streams.
    pub fn publisher_count(&self) -> usize {
        self.connections
            .iter()
            .filter(|c| {
                c.participant
                    .as_ref()
                    .is_some_and(|p| p.publisher.is_some())
            })
            .count()
    }

    /// The stream of `connection_id` as a recording source, if it publishes one a
    /// recording takes (INDIVIDUAL: only of `record: true` connections).
    fn stream_source(
        &self,
        connection_id: &ConnectionId,
        individual: bool,
    ) -> Option<StreamSource> {
        let c = self.connection(connection_id)?;
        if individual && !c.settings.record {
            return None;
        }
        let p = c.participant.as_ref().filter(|p| !p.hidden)?;
        let s = p.publisher.as_ref()?;
        Some(StreamSource {
            stream_id: s.id.clone(),
            connection_id: c.id.clone(),
            peer: s.peer,
            type_of_video: s.options.type_of_video.clone(),
            has_audio: s.options.has_audio,
            has_video: s.options.has_video,
            client_data: p.client_data.clone(),
            server_data: c.settings.data.clone(),
        })
    }

    /// The streams a new recording starts with.
    pub(crate) fn recorded_streams(&self, individual: bool) -> Vec<StreamSource> {
        self.connections
            .iter()
            .filter_map(|c| self.stream_source(&c.id, individual))
            .collect()
    }

    /// After `connection_id` published: the running recording takes the stream, and its
    /// autostop countdown ends (the session has a publisher again); with no recording,
    /// an `ALWAYS` session starts one at its first publisher.
    pub(super) fn recording_on_publish(&mut self, connection_id: &ConnectionId) {
        let publishers = self.publisher_count();
        let recordings = self.services.recordings.clone();
        match &self.recording {
            Some(active) => {
                if let Some(source) = self.stream_source(connection_id, active.individual) {
                    active.tell(JobCommand::AddStream(source));
                }
                if publishers == 1
                    && let Some(active) = self.recording.as_mut()
                {
                    active.cancel_autostop();
                }
            }
            None => {
                if recordings.enabled()
                    && self.settings.recording_mode == RecordingMode::Always
                    && self.settings.media_mode == MediaMode::Routed
                    && !self.recording_manually_stopped
                    && publishers == 1
                {
                    recordings.start_automatically(self.id.clone());
                }
            }
        }
    }

    /// A stream ended: the running recording lets it go.
    pub(super) fn recording_on_unpublish(&self, stream_id: &StreamId) {
        if let Some(active) = &self.recording {
            active.tell(JobCommand::RemoveStream(stream_id.clone()));
        }
    }

    /// What `joinRoom` tells a joiner of the running recording: its id and name, for the
    /// roles recordings are announced to, once it has started.
    pub(super) fn recording_for_joiner(
        &self,
        connection_id: &ConnectionId,
    ) -> (Option<String>, Option<String>) {
        let role = self.connection(connection_id).map(|c| c.settings.role);
        match (&self.recording, role) {
            (Some(r), Some(role)) if r.started && self.services.recordings.notifies(role) => {
                (Some(r.id.to_string()), Some(r.name.clone()))
            }
            _ => (None, None),
        }
    }

    /// Sends `frame` to the participants recordings are announced to.
    fn notify_recording(&mut self, frame: &str) {
        let recordings = self.services.recordings.clone();
        for c in &mut self.connections {
            let role = c.settings.role;
            if let Some(p) = c.participant.as_mut().filter(|p| !p.hidden)
                && recordings.notifies(role)
            {
                p.send(frame.to_owned());
            }
        }
    }

    /// `recordingStarted`.
    pub(crate) fn notify_recording_started(&mut self, r: &Recording) {
        self.notify_recording(&notify(
            RECORDING_STARTED,
            json!({"id": r.id, "name": r.name}),
        ));
    }

    /// `recordingStopped`.
    pub(crate) fn notify_recording_stopped(&mut self, id: &str, name: &str, reason: &str) {
        self.notify_recording(&notify(
            RECORDING_STOPPED,
            json!({"id": id, "name": name, "reason": reason}),
        ));
    }

    /// Stops the running recording (the session no longer has one from now on); the
    /// final Recording goes to `reply`.
    pub(crate) fn stop_recording(
        &mut self,
        reason: StopReason,
        reply: Option<oneshot::Sender<Recording>>,
    ) {
        if let Some(mut active) = self.recording.take() {
            active.cancel_autostop();
            tracing::info!(session_id = %self.id, recording_id = %active.id, reason = reason.as_str(), "recording stopping");
            active.tell(JobCommand::Stop { reason, reply });
        }
    }

    /// Stops the running recording if it is `id`.
    pub(crate) fn stop_recording_if(&mut self, id: &RecordingId, reason: StopReason) {
        if self.recording.as_ref().is_some_and(|a| a.id == *id) {
            self.stop_recording(reason, None);
        }
    }

    /// Forgets the running recording if it is `id` (its job ended by itself).
    pub(crate) fn forget_recording(&mut self, id: &RecordingId) {
        if self.recording.as_ref().is_some_and(|a| a.id == *id)
            && let Some(mut active) = self.recording.take()
        {
            active.cancel_autostop();
        }
    }
}
