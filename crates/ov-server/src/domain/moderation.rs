//! Moderation: a MODERATOR's `forceDisconnect`/`forceUnpublish`, the REST evictions and
//! unpublications, and REST changes of a connection's role and record flag.

use ov_protocol::ids::{ConnectionId, SessionId, StreamId};
use ov_protocol::rest::{self, ConnectionProperties};
use ov_protocol::rpc;

use super::binding::{Binding, Reply};
use super::reason::Reason;
use super::{DomainError, Registry, SessionState, SignalingError};

impl Registry {
    /// `forceDisconnect` by a moderator; the session ends if it empties.
    pub fn force_disconnect(
        &self,
        binding: &Binding,
        target: &ConnectionId,
        reply: Reply<'_>,
    ) -> Result<(), SignalingError> {
        binding
            .lock()
            .force_disconnect(&binding.connection_id, target, reply)?;
        self.close_if_abandoned(&binding.session);
        Ok(())
    }

    /// REST `DELETE /sessions/{id}/stream/{streamId}`.
    pub fn force_unpublish_by_server(
        &self,
        session_id: &SessionId,
        stream_id: &StreamId,
    ) -> Result<(), DomainError> {
        self.with_open_session(session_id, |state| {
            let owner = state
                .published(stream_id)
                .map(|(owner, _)| owner.clone())
                .ok_or_else(|| DomainError::StreamNotFound {
                    session: state.id.clone(),
                    stream: stream_id.clone(),
                })?;
            state.end_stream(&owner, Reason::ForceUnpublishByServer);
            Ok(())
        })
    }

    /// REST `PATCH …/connection/{id}`: changes `role` and/or `record` (OpenVidu Pro's, offered
    /// here).
    pub fn update_connection(
        &self,
        session_id: &SessionId,
        connection_id: &ConnectionId,
        props: &ConnectionProperties,
    ) -> Result<rest::Connection, DomainError> {
        self.with_open_session(session_id, |state| {
            state.update_connection(connection_id, props)
        })
    }
}

impl Binding {
    /// `forceUnpublish` by a moderator.
    pub fn force_unpublish(
        &self,
        stream: &StreamId,
        reply: Reply<'_>,
    ) -> Result<(), SignalingError> {
        self.lock()
            .force_unpublish(&self.connection_id, stream, reply)
    }
}

impl SessionState {
    /// `forceDisconnect` of `target` by `moderator`.
    fn force_disconnect(
        &mut self,
        moderator: &ConnectionId,
        target: &ConnectionId,
        reply: Reply<'_>,
    ) -> Result<(), SignalingError> {
        self.require_moderator(moderator, "force disconnect")?;
        if !self.connection(target).is_some_and(|c| c.is_active()) {
            return Err(SignalingError::ConnectionNotInSession {
                session: self.id.clone(),
                connection: target.clone(),
            });
        }
        self.send_to(moderator, reply.ok(rpc::empty()));
        self.remove_participant(target, Reason::ForceDisconnectByUser, None);
        Ok(())
    }

    /// `forceUnpublish` of `stream` by `moderator`.
    fn force_unpublish(
        &mut self,
        moderator: &ConnectionId,
        stream: &StreamId,
        reply: Reply<'_>,
    ) -> Result<(), SignalingError> {
        self.require_moderator(moderator, "force unpublish")?;
        let owner = self
            .published(stream)
            .map(|(owner, _)| owner.clone())
            .ok_or_else(|| SignalingError::StreamNotInSession {
                session: self.id.clone(),
                stream: stream.clone(),
            })?;
        self.send_to(moderator, reply.ok(rpc::empty()));
        self.end_stream(&owner, Reason::ForceUnpublishByUser);
        Ok(())
    }

    /// REST `DELETE …/connection/{id}`: a pending connection loses its token, an active one
    /// is evicted with `forceDisconnectByServer`. Returns whether a participant left.
    pub fn delete_connection(&mut self, connection_id: &ConnectionId) -> Result<bool, DomainError> {
        let active = self
            .connection(connection_id)
            .filter(|c| c.is_visible())
            .ok_or_else(|| self.connection_not_found(connection_id))?
            .is_active();
        if active {
            self.remove_participant(connection_id, Reason::ForceDisconnectByServer, None);
        } else {
            self.connections.retain(|c| c.id != *connection_id);
        }
        tracing::info!(session_id = %self.id, %connection_id, "connection removed by the server");
        Ok(active)
    }

    /// Changes `role` and/or `record`; the participant is told, as OpenVidu Pro does
    /// (`connectionPropertyChanged`), and a new role takes effect on its next request.
    fn update_connection(
        &mut self,
        connection_id: &ConnectionId,
        props: &ConnectionProperties,
    ) -> Result<rest::Connection, DomainError> {
        let not_found = self.connection_not_found(connection_id);
        let session_id = self.id.clone();
        let connection = self.connection_mut(connection_id).ok_or(not_found)?;
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
                p.send(rpc::notify(
                    rpc::notification::CONNECTION_PROPERTY_CHANGED,
                    serde_json::json!({"property": property, "newValue": value}),
                ));
            }
        }
        Ok(connection.to_rest(&session_id, None))
    }
}
