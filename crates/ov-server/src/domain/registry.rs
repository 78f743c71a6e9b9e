//! The registry: the map of sessions, the ids and tokens it hands out, and the work that
//! crosses sessions (closing a session, the garbage collector, routing a reconnection or
//! a media event to its session). Everything inside one session is a method of
//! [`SessionState`].

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use ov_protocol::ids::{ConnectionId, SessionId};
use ov_protocol::rest::{self, ConnectionProperties, Page, SessionProperties};
use ov_protocol::token::TokenUrl;

use super::DomainError;
use super::connection::ConnectionState;
use super::events::{EventSink, SessionRef};
use super::reason::Reason;
use super::services::Services;
use super::session::{SessionHandle, SessionState};
use super::settings::{ConnectionSettings, SessionSettings};
use crate::clock::now_ms;
use crate::config::Config;
use crate::ids;
use crate::media::MediaHandle;
use crate::recording::{Recordings, StopReason};

type SessionMap = HashMap<SessionId, Arc<SessionHandle>>;

/// All sessions of the deployment.
#[derive(Debug)]
pub struct Registry {
    services: Arc<Services>,
    /// `host[:port]`: the authority of every token URL.
    token_authority: String,
    token_secure: bool,
    sessions: RwLock<SessionMap>,
}

impl Registry {
    /// A registry issuing tokens for a server reachable at `authority` (`host[:port]`),
    /// with recording off.
    pub fn new(
        config: Arc<Config>,
        authority: String,
        media: MediaHandle,
        events: EventSink,
    ) -> Self {
        Self::with_recordings(
            config,
            authority,
            media,
            events,
            Arc::new(Recordings::disabled()),
        )
    }

    /// A registry whose sessions record through `recordings`.
    pub fn with_recordings(
        config: Arc<Config>,
        authority: String,
        media: MediaHandle,
        events: EventSink,
        recordings: Arc<Recordings>,
    ) -> Self {
        Registry {
            token_secure: config.tls.is_some(),
            services: Arc::new(Services::new(config, media, events, recordings)),
            token_authority: authority,
            sessions: RwLock::new(HashMap::new()),
        }
    }

    /// The media plane.
    pub fn media(&self) -> &MediaHandle {
        &self.services.media
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.services.config
    }

    /// The services every session shares.
    pub fn services(&self) -> &Arc<Services> {
        &self.services
    }

    fn map_read(&self) -> std::sync::RwLockReadGuard<'_, SessionMap> {
        self.sessions.read().unwrap_or_else(|e| e.into_inner())
    }

    fn map_write(&self) -> std::sync::RwLockWriteGuard<'_, SessionMap> {
        self.sessions.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Every session, in no order, without holding the map.
    pub(super) fn session_handles(&self) -> Vec<Arc<SessionHandle>> {
        self.map_read().values().cloned().collect()
    }

    /// The session `id`, if it exists.
    pub fn session(&self, id: &SessionId) -> Option<Arc<SessionHandle>> {
        self.map_read().get(id).cloned()
    }

    fn session_or_not_found(&self, id: &SessionId) -> Result<Arc<SessionHandle>, DomainError> {
        self.session(id)
            .ok_or_else(|| DomainError::SessionNotFound(id.clone()))
    }

    /// Runs `f` on the state of the open session `id`.
    pub fn with_open_session<T>(
        &self,
        id: &SessionId,
        f: impl FnOnce(&mut SessionState) -> Result<T, DomainError>,
    ) -> Result<T, DomainError> {
        let handle = self.session_or_not_found(id)?;
        let mut state = handle.lock_open()?;
        f(&mut state)
    }

    /// Creates a session. A `customSessionId` that exists already is a conflict; two
    /// concurrent creations of the same id yield exactly one success.
    pub fn create_session(&self, props: &SessionProperties) -> Result<rest::Session, DomainError> {
        let settings = SessionSettings::resolve(props, self.config())?;
        let mut map = self.map_write();
        self.config()
            .limits
            .check_sessions(map.len())
            .map_err(DomainError::LimitReached)?;
        let id = if settings.custom_session_id.is_empty() {
            loop {
                let id = ids::session_id();
                if !map.contains_key(&id) {
                    break id;
                }
            }
        } else {
            SessionId::new(settings.custom_session_id.clone())
        };
        if map.contains_key(&id) {
            return Err(DomainError::SessionExists(id));
        }
        let created_at = now_ms();
        let handle = Arc::new(SessionHandle::new(
            id.clone(),
            created_at,
            settings,
            self.services.clone(),
        ));
        let json = handle.lock().to_rest(false, false);
        map.insert(id.clone(), handle);
        drop(map);
        self.services.events.session_created(&SessionRef {
            id: id.clone(),
            created_at,
        });
        tracing::info!(session_id = %id, "session created");
        Ok(json)
    }

    /// The REST Session object of `id`.
    pub fn get_session(
        &self,
        id: &SessionId,
        pending: bool,
        webrtc_stats: bool,
    ) -> Result<rest::Session, DomainError> {
        self.with_open_session(id, |state| Ok(state.to_rest(pending, webrtc_stats)))
    }

    /// Every session, oldest first.
    pub fn list_sessions(&self, pending: bool, webrtc_stats: bool) -> Page<rest::Session> {
        let mut sessions: Vec<_> = self
            .session_handles()
            .iter()
            .filter_map(|h| {
                let state = h.lock_open().ok()?;
                Some(state.to_rest(pending, webrtc_stats))
            })
            .collect();
        sessions.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        Page::new(sessions)
    }

    /// Closes session `id` (REST `DELETE`): every participant is evicted with
    /// `sessionClosedByServer`.
    pub fn close_session(&self, id: &SessionId) -> Result<(), DomainError> {
        let handle = self
            .map_write()
            .remove(id)
            .ok_or_else(|| DomainError::SessionNotFound(id.clone()))?;
        let mut state = handle.lock();
        state.shut(Reason::SessionClosedByServer);
        state.stop_recording(StopReason::SessionClosedByServer, None);
        self.services
            .events
            .session_destroyed(&state.session_ref(), Reason::SessionClosedByServer.as_str());
        tracing::info!(session_id = %id, "session closed by the server");
        Ok(())
    }

    /// Creates a connection (and its token) in session `session_id`.
    pub fn create_connection(
        &self,
        session_id: &SessionId,
        props: &ConnectionProperties,
    ) -> Result<rest::Connection, DomainError> {
        self.insert_connection(session_id, props, |c, sid| c.to_rest(sid, None))
    }

    /// Creates a connection for the legacy `POST /tokens` and returns its Token object.
    pub fn create_token(
        &self,
        session_id: &SessionId,
        props: &ConnectionProperties,
    ) -> Result<rest::Token, DomainError> {
        self.insert_connection(session_id, props, |c, sid| c.to_rest_token(sid))
    }

    fn insert_connection<T>(
        &self,
        session_id: &SessionId,
        props: &ConnectionProperties,
        view: impl FnOnce(&ConnectionState, &SessionId) -> T,
    ) -> Result<T, DomainError> {
        // An unknown session is reported before bad properties, as OpenVidu does.
        let handle = self.session_or_not_found(session_id)?;
        let settings = ConnectionSettings::resolve(props, self.config())?;
        let mut state = handle.lock_open()?;
        self.config()
            .limits
            .check_session_connections(state.connections.len())
            .map_err(DomainError::LimitReached)?;
        let id = loop {
            let id = ids::connection_id();
            if state.connection(&id).is_none() {
                break id;
            }
        };
        let token_id = ids::token_id();
        let token = TokenUrl::build(
            self.token_secure,
            &self.token_authority,
            &state.id,
            &token_id,
        );
        tracing::info!(%session_id, connection_id = %id, role = settings.role.as_str(), "connection created");
        state.connections.push(ConnectionState {
            id,
            token_id,
            token,
            created_at: now_ms(),
            settings,
            insecure: false,
            participant: None,
        });
        let connection = state.connections.last().expect("just pushed");
        Ok(view(connection, &state.id))
    }

    /// The REST Connection `connection_id` of session `session_id`.
    pub fn get_connection(
        &self,
        session_id: &SessionId,
        connection_id: &ConnectionId,
    ) -> Result<rest::Connection, DomainError> {
        self.with_open_session(session_id, |state| {
            state
                .connection(connection_id)
                .filter(|c| c.is_visible())
                .map(|c| c.to_rest(&state.id, None))
                .ok_or_else(|| state.connection_not_found(connection_id))
        })
    }

    /// The REST connections of session `session_id`.
    pub fn list_connections(
        &self,
        session_id: &SessionId,
        pending: bool,
        webrtc_stats: bool,
    ) -> Result<Page<rest::Connection>, DomainError> {
        self.with_open_session(session_id, |state| {
            Ok(state.rest_connections(pending, webrtc_stats))
        })
    }

    /// REST `DELETE …/connection/{id}`: a pending connection loses its token, an active one
    /// is evicted with `forceDisconnectByServer`.
    pub fn delete_connection(
        &self,
        session_id: &SessionId,
        connection_id: &ConnectionId,
    ) -> Result<(), DomainError> {
        let handle = self.session_or_not_found(session_id)?;
        let evicted = handle.lock_open()?.delete_connection(connection_id)?;
        if evicted {
            self.close_if_abandoned(&handle);
        }
        Ok(())
    }

    /// Removes sessions nobody ever joined that are older than `threshold`, as OpenVidu's
    /// garbage collector does. Returns the ids removed.
    pub fn sweep_unused_sessions(&self, threshold: Duration) -> Vec<SessionId> {
        let cutoff = now_ms().saturating_sub(threshold.as_millis() as u64);
        let mut map = self.map_write();
        let stale: Vec<SessionId> = map
            .values()
            .filter(|h| {
                let state = h.lock();
                state.created_at <= cutoff && !state.has_participants() && !state.was_active
            })
            .map(|h| h.id.clone())
            .collect();
        for id in &stale {
            if let Some(handle) = map.remove(id) {
                handle.lock().closed = true;
            }
            tracing::info!(session_id = %id, "unused session garbage-collected");
        }
        stale
    }

    /// Destroys a session whose last participant left (OpenVidu's `lastParticipantLeft`).
    /// Takes the map lock first, as everywhere: never while holding a session lock.
    /// A session being recorded stays open (OpenVidu's autostop countdown starts
    /// instead; when it ends, [`Registry::autostop_recording`] closes it).
    pub(crate) fn close_if_abandoned(&self, handle: &Arc<SessionHandle>) {
        let mut map = self.map_write();
        let mut state = handle.lock();
        if state.closed || state.has_participants() || !state.was_active {
            return;
        }
        if state.recording.is_some() {
            self.services
                .recordings
                .arm_autostop(&mut state, StopReason::AutomaticStop);
            return;
        }
        if map.get(&handle.id).is_some_and(|h| Arc::ptr_eq(h, handle)) {
            map.remove(&handle.id);
        }
        state.connections.clear();
        state.closed = true;
        let reason = state
            .recording_end_reason
            .take()
            .map_or("lastParticipantLeft", StopReason::as_str);
        self.services
            .events
            .session_destroyed(&state.session_ref(), reason);
        tracing::info!(session_id = %handle.id, reason, "nobody left: session closed");
    }

    /// The autostop countdown of recording `recording` ended: it stops, and the session
    /// closes if nobody is left (`sessionDestroyed` with the recording's reason).
    pub(crate) fn autostop_recording(
        &self,
        session: &SessionId,
        recording: &ov_protocol::ids::RecordingId,
        reason: StopReason,
    ) {
        let Some(handle) = self.session(session) else {
            return;
        };
        {
            let mut state = handle.lock();
            if state.recording.as_ref().is_none_or(|a| a.id != *recording) {
                return;
            }
            state.stop_recording(reason, None);
            if !state.has_participants() {
                state.recording_end_reason = Some(reason);
            }
        }
        self.close_if_abandoned(&handle);
    }

    /// The session and connection of a JSON-RPC session (for `connect`).
    pub(crate) fn rpc_session(
        &self,
        rpc_session_id: &str,
    ) -> Option<(Arc<SessionHandle>, ConnectionId)> {
        let (session, connection) = self.services.rpc_session(rpc_session_id)?;
        Some((self.session(&session)?, connection))
    }
}
