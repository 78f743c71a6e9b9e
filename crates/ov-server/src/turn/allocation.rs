//! TURN allocations: one relay socket per client 5-tuple, its permissions and channel
//! bindings with their lifetimes, and the table that enforces the per-user quota and the
//! global cap.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use stun_codec::TransactionId;
use tokio::net::UdpSocket;
use tokio::task::AbortHandle;

use super::sink::ClientSink;

/// Lifetime of an allocation when the client asks for none or less (RFC 8656 §7.2).
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(600);
/// Longest lifetime granted.
pub const MAX_LIFETIME: Duration = Duration::from_secs(3600);
/// Lifetime of a permission (RFC 8656 §9).
pub const PERMISSION_LIFETIME: Duration = Duration::from_secs(300);
/// Lifetime of a channel binding (RFC 8656 §12).
pub const CHANNEL_LIFETIME: Duration = Duration::from_secs(600);

/// How a client reaches the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// UDP listener.
    Udp,
    /// TCP listener.
    Tcp,
    /// TLS listener.
    Tls,
}

/// The client side of the 5-tuple (the server side is fixed per transport).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientKey {
    /// Listener.
    pub transport: Transport,
    /// Client address.
    pub addr: SocketAddr,
}

/// Why an allocation is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// This user holds its quota already (486).
    UserQuota,
    /// The server holds its cap already (508).
    Capacity,
}

#[derive(Debug)]
struct Channel {
    peer: SocketAddr,
    expires: Instant,
}

#[derive(Debug)]
struct State {
    expires: Instant,
    permissions: HashMap<IpAddr, Instant>,
    channels: HashMap<u16, Channel>,
    /// Where the relay's sends went (local media socket) → the peer address the client
    /// used, to name the sender of what comes back.
    named: HashMap<SocketAddr, SocketAddr>,
}

/// One allocation.
#[derive(Debug)]
pub struct Allocation {
    /// Its client.
    pub client: ClientKey,
    /// The authenticated user name.
    pub username: String,
    /// The transaction that created it (a retransmission gets the same answer).
    pub transaction: TransactionId,
    /// The relay socket (receiving side).
    pub relay: Arc<UdpSocket>,
    /// The same socket for sending without waiting (see `sink::ClientSink::Datagram`).
    pub relay_out: Arc<std::net::UdpSocket>,
    /// The relayed transport address reported to the client.
    pub relayed: SocketAddr,
    /// The way back to the client.
    pub sink: ClientSink,
    state: Mutex<State>,
    task: Mutex<Option<AbortHandle>>,
}

impl Allocation {
    /// A new allocation that expires at `expires`.
    pub fn new(
        client: ClientKey,
        username: String,
        transaction: TransactionId,
        (relay, relay_out): (UdpSocket, Arc<std::net::UdpSocket>),
        relayed: SocketAddr,
        sink: ClientSink,
        expires: Instant,
    ) -> Allocation {
        Allocation {
            client,
            username,
            transaction,
            relay: Arc::new(relay),
            relay_out,
            relayed,
            sink,
            state: Mutex::new(State {
                expires,
                permissions: HashMap::new(),
                channels: HashMap::new(),
                named: HashMap::new(),
            }),
            task: Mutex::new(None),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Remembers the relay task, aborted when the allocation goes.
    pub fn set_task(&self, task: AbortHandle) {
        *self.task.lock().unwrap_or_else(|e| e.into_inner()) = Some(task);
    }

    fn stop(&self) {
        if let Some(task) = self.task.lock().unwrap_or_else(|e| e.into_inner()).take() {
            task.abort();
        }
    }

    /// Time left at `now`.
    pub fn remaining(&self, now: Instant) -> Duration {
        self.state().expires.saturating_duration_since(now)
    }

    /// Whether it has expired at `now`.
    pub fn expired(&self, now: Instant) -> bool {
        self.state().expires <= now
    }

    /// Sets a new expiry.
    pub fn refresh(&self, expires: Instant) {
        self.state().expires = expires;
    }

    /// Installs or refreshes a permission for `ip`.
    pub fn permit(&self, ip: IpAddr, now: Instant) {
        self.state()
            .permissions
            .insert(ip, now + PERMISSION_LIFETIME);
    }

    fn permitted(state: &State, ip: IpAddr, now: Instant) -> bool {
        state.permissions.get(&ip).is_some_and(|e| *e > now)
    }

    /// Binds `channel` to `peer` (and refreshes the permission), unless either is bound
    /// to another already. Returns whether it was accepted.
    pub fn bind_channel(&self, channel: u16, peer: SocketAddr, now: Instant) -> bool {
        let mut state = self.state();
        let clash = state
            .channels
            .iter()
            .any(|(c, b)| (*c == channel) != (b.peer == peer) && b.expires > now);
        if clash {
            return false;
        }
        state.channels.insert(
            channel,
            Channel {
                peer,
                expires: now + CHANNEL_LIFETIME,
            },
        );
        state
            .permissions
            .insert(peer.ip(), now + PERMISSION_LIFETIME);
        true
    }

    /// The peer of a bound channel, when it and its permission are alive.
    pub fn channel_peer(&self, channel: u16, now: Instant) -> Option<SocketAddr> {
        let state = self.state();
        let bound = state.channels.get(&channel).filter(|b| b.expires > now)?;
        Self::permitted(&state, bound.peer.ip(), now).then_some(bound.peer)
    }

    /// Whether data to `peer` may leave now; records under which name `target` answers.
    pub fn may_send(&self, peer: SocketAddr, target: SocketAddr, now: Instant) -> bool {
        let mut state = self.state();
        if !Self::permitted(&state, peer.ip(), now) {
            return false;
        }
        if state.named.len() < 64 || state.named.contains_key(&target) {
            state.named.insert(target, peer);
        }
        true
    }

    /// For data the relay received from `source`: the peer name the client knows and its
    /// channel, when a permission lets it through.
    pub fn inbound(&self, source: SocketAddr, now: Instant) -> Option<(SocketAddr, Option<u16>)> {
        let state = self.state();
        let peer = *state.named.get(&source)?;
        if !Self::permitted(&state, peer.ip(), now) {
            return None;
        }
        let channel = state
            .channels
            .iter()
            .find(|(_, b)| b.peer == peer && b.expires > now)
            .map(|(c, _)| *c);
        Some((peer, channel))
    }
}

/// Every allocation, by client, with the counts the quotas need.
#[derive(Debug)]
pub struct Allocations {
    by_client: HashMap<ClientKey, Arc<Allocation>>,
    per_user: HashMap<String, usize>,
    user_quota: usize,
    max: usize,
}

impl Allocations {
    /// An empty table with these limits.
    pub fn new(user_quota: usize, max: usize) -> Allocations {
        Allocations {
            by_client: HashMap::new(),
            per_user: HashMap::new(),
            user_quota,
            max,
        }
    }

    /// The allocation of `client`.
    pub fn get(&self, client: &ClientKey) -> Option<Arc<Allocation>> {
        self.by_client.get(client).cloned()
    }

    /// Whether `username` may allocate one more.
    pub fn admit(&self, username: &str) -> Result<(), Refusal> {
        if self.per_user.get(username).copied().unwrap_or(0) >= self.user_quota {
            return Err(Refusal::UserQuota);
        }
        if self.by_client.len() >= self.max {
            return Err(Refusal::Capacity);
        }
        Ok(())
    }

    /// Adds an admitted allocation.
    pub fn insert(&mut self, allocation: Arc<Allocation>) {
        *self
            .per_user
            .entry(allocation.username.clone())
            .or_default() += 1;
        if let Some(old) = self.by_client.insert(allocation.client, allocation) {
            self.forget_user(&old.username);
            old.stop();
        }
    }

    fn forget_user(&mut self, username: &str) {
        if let Some(n) = self.per_user.get_mut(username) {
            *n -= 1;
            if *n == 0 {
                self.per_user.remove(username);
            }
        }
    }

    /// Removes the allocation of `client` and stops its relay.
    pub fn remove(&mut self, client: &ClientKey) {
        if let Some(old) = self.by_client.remove(client) {
            self.forget_user(&old.username);
            old.stop();
        }
    }

    /// Removes every allocation expired at `now`.
    pub fn sweep(&mut self, now: Instant) {
        let expired: Vec<ClientKey> = self
            .by_client
            .values()
            .filter(|a| a.expired(now))
            .map(|a| a.client)
            .collect();
        for client in expired {
            self.remove(&client);
        }
    }

    /// Removes everything (the server stops).
    pub fn clear(&mut self) {
        let all: Vec<ClientKey> = self.by_client.keys().copied().collect();
        for client in all {
            self.remove(&client);
        }
    }

    /// Number of allocations.
    pub fn len(&self) -> usize {
        self.by_client.len()
    }
}
