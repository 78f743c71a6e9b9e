//! OpenVidu's object model: sessions, their connections and tokens, and the operations the
//! REST API and the signaling perform on them.
//!
//! Each session has its own lock ([`SessionHandle`]); the registry's map lock is held only
//! to find, insert or remove a session. No lock is held across an `.await`.

mod connection;
mod error;
mod events;
mod eviction;
mod outbox;
mod participant;
mod properties;
mod publishing;
mod session;
mod signaling;
mod signals;
mod turn;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use ov_protocol::rest::{self, ConnectionProperties, Page, SessionProperties};
use ov_protocol::token::TokenUrl;

pub use connection::ConnectionState;
pub use error::{DomainError, SignalingError};
pub use events::{CdrEvent, EVENT_QUEUE, EventSink};
pub use outbox::Outbox;
pub use participant::{Participant, StreamOptions};
pub use properties::{ConnectionSettings, SessionSettings};
pub use session::{SessionHandle, SessionState};
pub use signaling::{Binding, JoinRequest, Reply};

use crate::clock::now_ms;
use crate::config::Config;
use crate::ids;
use crate::media::MediaHandle;

/// All sessions of the deployment.
#[derive(Debug)]
pub struct Registry {
    config: Arc<Config>,
    /// `ws://host:port` or `wss://…`: the start of every token URL.
    token_authority: String,
    token_secure: bool,
    sessions: RwLock<HashMap<String, Arc<SessionHandle>>>,
    /// JSON-RPC session id → (session id, connection id), for reconnections.
    rpc_sessions: std::sync::Mutex<HashMap<String, (String, String)>>,
    media: MediaHandle,
    pub(crate) events: EventSink,
}

impl Registry {
    /// A registry issuing tokens for a server reachable at `authority` (`host[:port]`).
    pub fn new(
        config: Arc<Config>,
        authority: String,
        media: MediaHandle,
        events: EventSink,
    ) -> Self {
        Registry {
            events,
            token_secure: config.tls.is_some(),
            config,
            token_authority: authority,
            sessions: RwLock::new(HashMap::new()),
            rpc_sessions: std::sync::Mutex::new(HashMap::new()),
            media,
        }
    }

    /// The media plane.
    pub fn media(&self) -> &MediaHandle {
        &self.media
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    fn map_read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Arc<SessionHandle>>> {
        self.sessions.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn map_write(
        &self,
    ) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Arc<SessionHandle>>> {
        self.sessions.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The session `id`, if it exists.
    pub fn session(&self, id: &str) -> Option<Arc<SessionHandle>> {
        self.map_read().get(id).cloned()
    }

    fn session_or_not_found(&self, id: &str) -> Result<Arc<SessionHandle>, DomainError> {
        self.session(id)
            .ok_or_else(|| DomainError::SessionNotFound(id.to_owned()))
    }

    /// Creates a session. A `customSessionId` that exists already is a conflict; two
    /// concurrent creations of the same id yield exactly one success.
    pub fn create_session(&self, props: &SessionProperties) -> Result<rest::Session, DomainError> {
        let settings = SessionSettings::resolve(props, &self.config)?;
        let mut map = self.map_write();
        let id = if settings.custom_session_id.is_empty() {
            loop {
                let id = ids::session_id();
                if !map.contains_key(&id) {
                    break id;
                }
            }
        } else {
            settings.custom_session_id.clone()
        };
        if map.contains_key(&id) {
            return Err(DomainError::SessionExists(id));
        }
        let created_at = now_ms();
        let handle = Arc::new(SessionHandle::new(id.clone(), created_at, settings));
        let json = handle.lock().to_rest(&id, false, None);
        map.insert(id.clone(), handle);
        drop(map);
        self.events.session_created(&events::SessionRef {
            id: id.as_str().into(),
            created_at,
        });
        tracing::info!(session_id = %id, "session created");
        Ok(json)
    }

    fn stats(&self, webrtc_stats: bool) -> Option<&MediaHandle> {
        webrtc_stats.then_some(&self.media)
    }

    /// The REST Session object of `id`.
    pub fn get_session(
        &self,
        id: &str,
        pending: bool,
        webrtc_stats: bool,
    ) -> Result<rest::Session, DomainError> {
        let handle = self.session_or_not_found(id)?;
        let state = handle.lock();
        if state.closed {
            return Err(DomainError::SessionNotFound(id.to_owned()));
        }
        Ok(state.to_rest(id, pending, self.stats(webrtc_stats)))
    }

    /// Every session, oldest first.
    pub fn list_sessions(&self, pending: bool, webrtc_stats: bool) -> Page<rest::Session> {
        let handles: Vec<_> = self.map_read().values().cloned().collect();
        let mut sessions: Vec<_> = handles
            .iter()
            .filter_map(|h| {
                let state = h.lock();
                (!state.closed).then(|| state.to_rest(&h.id, pending, self.stats(webrtc_stats)))
            })
            .collect();
        sessions.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        Page::new(sessions)
    }

    /// Closes session `id` (REST `DELETE`): every participant is evicted with
    /// `sessionClosedByServer`.
    pub fn close_session(&self, id: &str) -> Result<(), DomainError> {
        let handle = self
            .map_write()
            .remove(id)
            .ok_or_else(|| DomainError::SessionNotFound(id.to_owned()))?;
        let created_at = self.shut(&handle, eviction::Reason::SessionClosedByServer);
        self.events.session_destroyed(
            &events::SessionRef {
                id: id.into(),
                created_at,
            },
            eviction::Reason::SessionClosedByServer.as_str(),
        );
        tracing::info!(session_id = %id, "session closed by the server");
        Ok(())
    }

    /// Creates a connection (and its token) in session `session_id`.
    pub fn create_connection(
        &self,
        session_id: &str,
        props: &ConnectionProperties,
    ) -> Result<rest::Connection, DomainError> {
        self.insert_connection(session_id, props, |c| c.to_rest(session_id, None))
    }

    /// Creates a connection for the legacy `POST /tokens` and returns its Token object.
    pub fn create_token(
        &self,
        session_id: &str,
        props: &ConnectionProperties,
    ) -> Result<rest::Token, DomainError> {
        self.insert_connection(session_id, props, |c| c.to_rest_token(session_id))
    }

    fn insert_connection<T>(
        &self,
        session_id: &str,
        props: &ConnectionProperties,
        view: impl FnOnce(&ConnectionState) -> T,
    ) -> Result<T, DomainError> {
        // An unknown session is reported before bad properties, as OpenVidu does.
        self.session_or_not_found(session_id)?;
        let settings = ConnectionSettings::resolve(props, &self.config)?;
        self.with_open_session(session_id, |state| {
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
                session_id,
                &token_id,
            );
            tracing::info!(session_id, connection_id = %id, role = settings.role.as_str(), "connection created");
            state.connections.push(ConnectionState {
                id,
                token_id,
                token,
                created_at: now_ms(),
                settings,
                participant: None,
            });
            Ok(view(state.connections.last().expect("just pushed")))
        })
    }

    /// The REST Connection `connection_id` of session `session_id`.
    pub fn get_connection(
        &self,
        session_id: &str,
        connection_id: &str,
    ) -> Result<rest::Connection, DomainError> {
        self.with_open_session(session_id, |state| {
            state
                .connection(connection_id)
                .filter(|c| c.is_visible())
                .map(|c| c.to_rest(session_id, None))
                .ok_or_else(|| DomainError::ConnectionNotFound {
                    session: session_id.to_owned(),
                    connection: connection_id.to_owned(),
                })
        })
    }

    /// The REST connections of session `session_id`.
    pub fn list_connections(
        &self,
        session_id: &str,
        pending: bool,
        webrtc_stats: bool,
    ) -> Result<Page<rest::Connection>, DomainError> {
        self.with_open_session(session_id, |state| {
            Ok(state.rest_connections(session_id, pending, self.stats(webrtc_stats)))
        })
    }

    /// Removes connection `connection_id`: a pending one loses its token, an active one
    /// is evicted with `forceDisconnectByServer`.
    pub fn delete_connection(
        &self,
        session_id: &str,
        connection_id: &str,
    ) -> Result<(), DomainError> {
        let handle = self.session_or_not_found(session_id)?;
        let mut state = handle.lock();
        if state.closed {
            return Err(DomainError::SessionNotFound(session_id.to_owned()));
        }
        let not_found = || DomainError::ConnectionNotFound {
            session: session_id.to_owned(),
            connection: connection_id.to_owned(),
        };
        let connection = state
            .connection(connection_id)
            .filter(|c| c.is_visible())
            .ok_or_else(not_found)?;
        if connection.is_active() {
            self.remove_participant(
                &mut state,
                connection_id,
                eviction::Reason::ForceDisconnectByServer,
                None,
            );
            drop(state);
            self.close_if_abandoned(&handle);
        } else {
            state.connections.retain(|c| c.id != connection_id);
        }
        tracing::info!(
            session_id,
            connection_id,
            "connection removed by the server"
        );
        Ok(())
    }

    /// Changes `role` and/or `record` of a connection (OpenVidu Pro's PATCH, offered here).
    pub fn update_connection(
        &self,
        session_id: &str,
        connection_id: &str,
        props: &ConnectionProperties,
    ) -> Result<rest::Connection, DomainError> {
        self.with_open_session(session_id, |state| {
            let connection = state
                .connections
                .iter_mut()
                .find(|c| c.id == connection_id)
                .ok_or_else(|| DomainError::ConnectionNotFound {
                    session: session_id.to_owned(),
                    connection: connection_id.to_owned(),
                })?;
            // The participant is told, as OpenVidu Pro does (connectionPropertyChanged);
            // a new role takes effect on its next request.
            let mut changes = Vec::new();
            if let Some(role) = props.role
                && role != connection.settings.role
            {
                connection.settings.role = role;
                changes.push(("role", role.as_str().to_owned()));
            }
            if let Some(record) = props.record
                && record != connection.settings.record
            {
                connection.settings.record = record;
                changes.push(("record", record.to_string()));
            }
            if let Some(p) = connection.participant.as_mut() {
                for (property, value) in changes {
                    p.send(ov_protocol::rpc::notify(
                        ov_protocol::rpc::notification::CONNECTION_PROPERTY_CHANGED,
                        serde_json::json!({"property": property, "newValue": value}),
                    ));
                }
            }
            Ok(connection.to_rest(session_id, None))
        })
    }

    pub(crate) fn forget_rpc_session(&self, rpc_session_id: &str) {
        self.rpc_sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(rpc_session_id);
    }

    pub(crate) fn remember_rpc_session(
        &self,
        rpc_session_id: &str,
        session: &str,
        connection: &str,
    ) {
        self.rpc_sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                rpc_session_id.to_owned(),
                (session.to_owned(), connection.to_owned()),
            );
    }

    pub(crate) fn rpc_session(&self, rpc_session_id: &str) -> Option<(String, String)> {
        self.rpc_sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(rpc_session_id)
            .cloned()
    }

    /// Runs `f` on the state of an open session.
    fn with_open_session<T>(
        &self,
        session_id: &str,
        f: impl FnOnce(&mut SessionState) -> Result<T, DomainError>,
    ) -> Result<T, DomainError> {
        let handle = self.session_or_not_found(session_id)?;
        let mut state = handle.lock();
        if state.closed {
            return Err(DomainError::SessionNotFound(session_id.to_owned()));
        }
        f(&mut state)
    }

    /// Removes sessions nobody ever joined that are older than `threshold`, as OpenVidu's
    /// garbage collector does. Returns the ids removed.
    pub fn sweep_unused_sessions(&self, threshold: Duration) -> Vec<String> {
        let cutoff = now_ms().saturating_sub(threshold.as_millis() as u64);
        let mut map = self.map_write();
        let stale: Vec<String> = map
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
}
