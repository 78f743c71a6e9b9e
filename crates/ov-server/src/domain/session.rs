//! The state of one session, guarded by its own lock, and what every session operation
//! needs of it: look-ups, notifications, the REST view. The operations themselves are
//! methods of [`SessionState`] in the modules named after them (joining, publishing,
//! subscribing, leaving, moderation, signals, stream properties, media events).

use std::sync::{Arc, Mutex, MutexGuard};

use ov_protocol::ids::{ConnectionId, SessionId, StreamId};
use ov_protocol::rest::{self, Page};

use super::connection::ConnectionState;
use super::events::SessionRef;
use super::participant::{Participant, PublishedStream, StreamOptions};
use super::services::Services;
use super::settings::SessionSettings;
use super::{DomainError, SignalingError};

/// A session as shared between tasks: its id plus its locked state.
#[derive(Debug)]
pub struct SessionHandle {
    /// Session id.
    pub id: SessionId,
    /// The shared services (also in the state, for its methods).
    pub(crate) services: Arc<Services>,
    state: Mutex<SessionState>,
}

/// The mutable state of a session. Never held across an `.await`.
#[derive(Debug)]
pub struct SessionState {
    /// Session id (also in the handle; kept here for events and messages).
    pub id: SessionId,
    /// Media, events and the shared indexes.
    pub(crate) services: Arc<Services>,
    /// Set when the session was closed; a handle still held elsewhere then behaves as
    /// "not found".
    pub closed: bool,
    /// Creation time, epoch ms.
    pub created_at: u64,
    /// Whether anybody ever joined (a session is destroyed when its last participant
    /// leaves, but never-joined sessions wait for the garbage collector).
    pub was_active: bool,
    /// Properties.
    pub settings: SessionSettings,
    /// Connections in creation order.
    pub connections: Vec<ConnectionState>,
    /// The recording running now, if any.
    pub recording: Option<crate::recording::ActiveRecording>,
    /// Set by a REST stop: an `ALWAYS` session does not record again.
    pub recording_manually_stopped: bool,
    /// Why the session's recording ended, when that is why it closes (the
    /// `sessionDestroyed` reason of an autostop).
    pub recording_end_reason: Option<crate::recording::StopReason>,
}

impl SessionHandle {
    /// A new, empty session.
    pub(crate) fn new(
        id: SessionId,
        created_at: u64,
        settings: SessionSettings,
        services: Arc<Services>,
    ) -> Self {
        SessionHandle {
            state: Mutex::new(SessionState {
                id: id.clone(),
                services: services.clone(),
                closed: false,
                created_at,
                was_active: false,
                settings,
                connections: Vec::new(),
                recording: None,
                recording_manually_stopped: false,
                recording_end_reason: None,
            }),
            services,
            id,
        }
    }

    /// Locks the state. A panic while holding the lock would poison it; the state is
    /// still structurally valid then, so the poison is cleared rather than spreading.
    pub fn lock(&self) -> MutexGuard<'_, SessionState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Locks the state of a session that is still open.
    pub fn lock_open(&self) -> Result<MutexGuard<'_, SessionState>, DomainError> {
        let state = self.lock();
        if state.closed {
            return Err(DomainError::SessionNotFound(self.id.clone()));
        }
        Ok(state)
    }
}

impl SessionState {
    /// The connection with id `id`.
    pub fn connection(&self, id: &ConnectionId) -> Option<&ConnectionState> {
        self.connections.iter().find(|c| c.id == *id)
    }

    /// The connection with id `id`, mutably.
    pub fn connection_mut(&mut self, id: &ConnectionId) -> Option<&mut ConnectionState> {
        self.connections.iter_mut().find(|c| c.id == *id)
    }

    /// The participant of connection `id`.
    pub fn participant(&self, id: &ConnectionId) -> Option<&Participant> {
        self.connection(id)?.participant.as_ref()
    }

    /// The participant of connection `id`, mutably.
    pub fn participant_mut(&mut self, id: &ConnectionId) -> Option<&mut Participant> {
        self.connection_mut(id)?.participant.as_mut()
    }

    /// The connection of the joined participant `id`, or [`SignalingError::Gone`].
    pub fn joined(&self, id: &ConnectionId) -> Result<&ConnectionState, SignalingError> {
        self.connection(id)
            .filter(|c| c.is_active())
            .ok_or(SignalingError::Gone)
    }

    /// The participant of connection `id`, or [`SignalingError::Gone`].
    pub fn joined_mut(&mut self, id: &ConnectionId) -> Result<&mut Participant, SignalingError> {
        self.participant_mut(id).ok_or(SignalingError::Gone)
    }

    /// `Err(ConnectionNotFound)` for REST paths naming a connection this session lacks.
    pub(crate) fn connection_not_found(&self, connection: &ConnectionId) -> DomainError {
        DomainError::ConnectionNotFound {
            session: self.id.clone(),
            connection: connection.clone(),
        }
    }

    /// The session as events name it.
    pub fn session_ref(&self) -> SessionRef {
        SessionRef {
            id: self.id.clone(),
            created_at: self.created_at,
        }
    }

    /// The stream `stream_id` and the connection publishing it, if it is published.
    pub fn published(&self, stream_id: &StreamId) -> Option<(&ConnectionId, &PublishedStream)> {
        self.connections.iter().find_map(|c| {
            let stream = c.participant.as_ref()?.publisher.as_ref()?;
            (stream.id == *stream_id).then_some((&c.id, stream))
        })
    }

    /// The options of the stream `stream_id`, if it is published.
    pub fn stream_options(&self, stream_id: &StreamId) -> Option<StreamOptions> {
        self.published(stream_id).map(|(_, s)| s.options.clone())
    }

    /// Queues `frame` for the participant of `connection_id`, if it is still there.
    pub fn send_to(&mut self, connection_id: &ConnectionId, frame: String) {
        if let Some(p) = self.participant_mut(connection_id) {
            p.send(frame);
        }
    }

    /// Checks that `connection_id` is an active moderator before it does `action`.
    pub fn require_moderator(
        &self,
        connection_id: &ConnectionId,
        action: &'static str,
    ) -> Result<(), SignalingError> {
        if self.joined(connection_id)?.may_moderate() {
            Ok(())
        } else {
            Err(SignalingError::NotModerator { action })
        }
    }

    /// Whether any participant has joined.
    pub fn has_participants(&self) -> bool {
        self.connections.iter().any(ConnectionState::is_active)
    }

    /// Sends `frame` to every participant but `except`.
    pub fn notify_all(&mut self, except: Option<&ConnectionId>, frame: &str) {
        for c in &mut self.connections {
            if Some(&c.id) == except {
                continue;
            }
            if let Some(p) = c.participant.as_mut() {
                p.send(frame.to_owned());
            }
        }
    }

    /// REST connections: visible active ones, plus pending ones when asked.
    pub fn rest_connections(&self, pending: bool, webrtc_stats: bool) -> Page<rest::Connection> {
        let stats = webrtc_stats.then_some(&self.services.media);
        Page::new(
            self.connections
                .iter()
                .filter(|c| c.is_visible() && (pending || c.is_active()))
                .map(|c| c.to_rest(&self.id, stats))
                .collect(),
        )
    }

    /// The REST Session object.
    pub fn to_rest(&self, pending: bool, webrtc_stats: bool) -> rest::Session {
        let s = &self.settings;
        rest::Session {
            id: self.id.clone(),
            object: "session".into(),
            session_id: self.id.clone(),
            created_at: self.created_at,
            recording: self.recording.is_some(),
            broadcasting: false,
            media_mode: s.media_mode,
            recording_mode: s.recording_mode,
            default_recording_properties: s.default_recording_properties.clone(),
            custom_session_id: s.custom_session_id.clone(),
            media_node: s.media_node.clone(),
            forced_video_codec: s.forced_video_codec,
            allow_transcoding: s.allow_transcoding,
            connections: self.rest_connections(pending, webrtc_stats),
        }
    }
}
