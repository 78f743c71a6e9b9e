//! What every session's operations reach besides their own state: the configuration,
//! the media plane, the event sink, and the two indexes that cross sessions (engine peers
//! and JSON-RPC sessions). One instance, shared by the registry and every session.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use ov_protocol::ids::{ConnectionId, SessionId, StreamId};

use super::events::EventSink;
use super::turn::DefaultIceServers;
use crate::config::Config;
use crate::media::{MediaHandle, PeerId};
use crate::recording::Recordings;

/// The shared services. Its locks are leaves: taken under a session lock, never the
/// other way round.
#[derive(Debug)]
pub struct Services {
    /// The configuration.
    pub config: Arc<Config>,
    /// The media workers.
    pub media: MediaHandle,
    /// Webhook/CDR events.
    pub events: EventSink,
    /// Recording.
    pub recordings: Arc<Recordings>,
    peers: Mutex<HashMap<PeerId, PeerOwner>>,
    rpc_sessions: Mutex<HashMap<String, (SessionId, ConnectionId)>>,
    default_ice_servers: OnceLock<DefaultIceServers>,
}

/// Where an engine peer belongs in the domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerOwner {
    /// Its session.
    pub session: SessionId,
    /// The connection that owns the peer: the publisher for a publication, the subscriber
    /// for a subscription.
    pub connection: ConnectionId,
    /// The stream published or received.
    pub stream: StreamId,
    /// Which of the two.
    pub side: PeerSide,
}

/// A publication (the browser sends) or a subscription (the browser receives).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerSide {
    /// OpenVidu's OUTBOUND connection of a publisher.
    Publication,
    /// OpenVidu's INBOUND connection of a subscriber.
    Subscription,
}

impl Services {
    /// Services around `media`, `events` and `recordings`.
    pub fn new(
        config: Arc<Config>,
        media: MediaHandle,
        events: EventSink,
        recordings: Arc<Recordings>,
    ) -> Self {
        Services {
            config,
            media,
            events,
            recordings,
            peers: Mutex::default(),
            rpc_sessions: Mutex::default(),
            default_ice_servers: OnceLock::new(),
        }
    }

    /// Sets what connections without ICE servers of their own are told (once, at start).
    pub fn set_default_ice_servers(&self, servers: DefaultIceServers) {
        let _ = self.default_ice_servers.set(servers);
    }

    /// What `joinRoom` lists for a connection without ICE servers of its own: the
    /// embedded TURN server with fresh credentials, or the media port as a STUN server.
    pub fn default_ice_servers(&self) -> Vec<ov_protocol::rest::IceServer> {
        self.default_ice_servers
            .get()
            .map(DefaultIceServers::ice_servers)
            .unwrap_or_default()
    }

    /// Records that the domain now uses `peer` as `owner` says.
    pub fn adopt_peer(&self, peer: PeerId, owner: PeerOwner) {
        lock(&self.peers).insert(peer, owner);
    }

    /// The domain no longer uses `peer`: forget it and close it in the engine.
    pub fn release_peer(&self, peer: PeerId) {
        lock(&self.peers).remove(&peer);
        self.media.remove_peer(peer);
    }

    /// Where `peer` belongs, if the domain still uses it.
    pub fn peer_owner(&self, peer: PeerId) -> Option<PeerOwner> {
        lock(&self.peers).get(&peer).cloned()
    }

    /// Number of engine peers the domain uses (for tests and metrics).
    pub fn peer_count(&self) -> usize {
        lock(&self.peers).len()
    }

    /// Remembers whose JSON-RPC session `rpc_session_id` is, for `connect`.
    pub fn remember_rpc_session(
        &self,
        rpc_session_id: &str,
        session: SessionId,
        connection: ConnectionId,
    ) {
        lock(&self.rpc_sessions).insert(rpc_session_id.to_owned(), (session, connection));
    }

    /// Forgets a JSON-RPC session whose participant left.
    pub fn forget_rpc_session(&self, rpc_session_id: &str) {
        lock(&self.rpc_sessions).remove(rpc_session_id);
    }

    /// The session and connection of a JSON-RPC session.
    pub fn rpc_session(&self, rpc_session_id: &str) -> Option<(SessionId, ConnectionId)> {
        lock(&self.rpc_sessions).get(rpc_session_id).cloned()
    }
}

/// Locks a leaf index; a panic elsewhere cannot leave a map half-updated, so poison is
/// cleared rather than spread.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
