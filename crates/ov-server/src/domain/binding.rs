//! A socket's link to its participant, and how to answer the request being handled.

use std::sync::{Arc, MutexGuard};

use ov_protocol::ids::ConnectionId;
use ov_protocol::rpc;
use serde_json::Value;

use super::services::Services;
use super::session::{SessionHandle, SessionState};

/// A socket's link to its participant: the entry point of the participant's requests.
#[derive(Debug, Clone)]
pub struct Binding {
    /// The session.
    pub session: Arc<SessionHandle>,
    /// The participant's connection id.
    pub connection_id: ConnectionId,
    /// The JSON-RPC session id.
    pub rpc_session_id: String,
}

impl Binding {
    /// Locks the participant's session.
    pub(crate) fn lock(&self) -> MutexGuard<'_, SessionState> {
        self.session.lock()
    }

    /// The services of the participant's session.
    pub(crate) fn services(&self) -> &Arc<Services> {
        &self.session.services
    }

    /// Whether the participant is still in its session.
    pub fn is_joined(&self) -> bool {
        self.lock().joined(&self.connection_id).is_ok()
    }
}

/// How to answer the request being handled.
#[derive(Debug, Clone, Copy)]
pub struct Reply<'a> {
    /// The request id.
    pub id: &'a Value,
    /// The RPC session id to add to object results.
    pub rpc_session_id: &'a str,
}

impl Reply<'_> {
    /// A success frame with `result`.
    pub fn ok(&self, result: Value) -> String {
        rpc::response(self.id, result, Some(self.rpc_session_id))
    }
}
