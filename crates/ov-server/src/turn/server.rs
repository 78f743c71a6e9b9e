//! The TURN request handler: authenticates, allocates, installs permissions and channels,
//! and moves client data to the relay sockets. Listeners feed it frames; relay tasks
//! ([`super::relay`]) carry the other direction.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use stun_codec::MessageClass;
use stun_codec::rfc5389::attributes::{
    ErrorCode, MessageIntegrity, Nonce, Realm, Username, XorMappedAddress,
};
use stun_codec::rfc5389::{errors as stun_errors, methods::BINDING};
use stun_codec::rfc5766::attributes::{
    ChannelNumber, Data, Lifetime, RequestedTransport, XorPeerAddress, XorRelayAddress,
};
use stun_codec::rfc5766::errors as turn_errors;
use stun_codec::rfc5766::methods::{ALLOCATE, CHANNEL_BIND, CREATE_PERMISSION, REFRESH, SEND};
use tokio::net::UdpSocket;

use super::allocation::{
    Allocation, Allocations, ClientKey, DEFAULT_LIFETIME, MAX_LIFETIME, Refusal,
};
use super::credentials::{Credentials, NonceCheck, REALM, UsernameError};
use super::peers::MediaPeers;
use super::sink::ClientSink;
use super::wire::{self, Frame, Message};

/// UDP, the only relayed transport (RFC 8656 REQUESTED-TRANSPORT).
const UDP_PROTOCOL: u8 = 17;

/// What the handler needs to know about its deployment.
#[derive(Debug)]
pub struct ServerSettings {
    /// Shared secret of the credentials.
    pub secret: String,
    /// The media sockets allocations may reach.
    pub peers: MediaPeers,
    /// Address relay sockets bind to.
    pub relay_bind: IpAddr,
    /// Address reported as relayed when the bind address is a wildcard.
    pub relay_public: IpAddr,
    /// Allocations per user name.
    pub user_quota: usize,
    /// Allocations in all.
    pub max_allocations: usize,
}

/// A TURN server's state, shared by its listeners.
#[derive(Debug)]
pub struct TurnServer {
    credentials: Credentials,
    peers: MediaPeers,
    relay_bind: IpAddr,
    relay_public: IpAddr,
    allocations: Mutex<Allocations>,
}

/// One authenticated request being handled.
#[derive(Clone, Copy)]
struct Request<'a> {
    client: ClientKey,
    message: &'a Message,
    user: &'a Authenticated,
    now: Instant,
}

/// Who authenticated a request.
struct Authenticated {
    username: Username,
    password: String,
}

impl TurnServer {
    /// A server with no allocations.
    pub fn new(settings: ServerSettings) -> Arc<TurnServer> {
        Arc::new(TurnServer {
            credentials: Credentials::new(&settings.secret),
            peers: settings.peers,
            relay_bind: settings.relay_bind,
            relay_public: settings.relay_public,
            allocations: Mutex::new(Allocations::new(
                settings.user_quota,
                settings.max_allocations,
            )),
        })
    }

    fn table(&self) -> MutexGuard<'_, Allocations> {
        self.allocations.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Number of live allocations.
    pub fn allocation_count(&self) -> usize {
        self.table().len()
    }

    /// Whether `client` holds an allocation.
    pub fn has_allocation(&self, client: &ClientKey) -> bool {
        self.table().get(client).is_some()
    }

    /// The client's connection closed: its allocation goes with it.
    pub fn client_gone(&self, client: &ClientKey) {
        self.table().remove(client);
    }

    /// Drops expired allocations.
    pub fn sweep(&self, now: Instant) {
        self.table().sweep(now);
    }

    /// Drops every allocation.
    pub fn clear(&self) {
        self.table().clear();
    }

    /// Handles one frame from `client`; answers go to `sink`.
    pub fn handle(self: &Arc<Self>, client: ClientKey, sink: &ClientSink, bytes: &[u8]) {
        let now = Instant::now();
        match wire::decode(bytes) {
            Some(Frame::ChannelData { channel, data }) => {
                self.channel_data(client, channel, &data, now)
            }
            Some(Frame::Stun(message)) => {
                let unix = crate::clock::now_ms() / 1000;
                if let Some(answer) = self.message(client, sink, *message, now, unix)
                    && let Some(bytes) = wire::encode(answer)
                {
                    sink.send(bytes);
                }
            }
            None => {}
        }
    }

    fn channel_data(&self, client: ClientKey, channel: u16, data: &[u8], now: Instant) {
        let Some(allocation) = self.table().get(&client) else {
            return;
        };
        let Some(peer) = allocation.channel_peer(channel, now) else {
            return;
        };
        self.relay_out(&allocation, peer, data, now);
    }

    fn relay_out(&self, allocation: &Allocation, peer: SocketAddr, data: &[u8], now: Instant) {
        let Some(target) = self.peers.target(peer) else {
            return;
        };
        if allocation.may_send(peer, target, now) {
            let _ = allocation.relay_out.send_to(data, target);
        }
    }

    /// Answers one STUN message (`None` for indications and what deserves no answer).
    /// `unix` is the wall clock in seconds (credential and nonce expiry).
    pub fn message(
        self: &Arc<Self>,
        client: ClientKey,
        sink: &ClientSink,
        message: Message,
        now: Instant,
        unix: u64,
    ) -> Option<Message> {
        match (message.class(), message.method()) {
            (MessageClass::Indication, SEND) => {
                self.send_indication(client, &message, now);
                None
            }
            (MessageClass::Request, BINDING) => {
                let mut ok = reply(&message, MessageClass::SuccessResponse);
                ok.add_attribute(XorMappedAddress::new(client.addr));
                Some(ok)
            }
            (MessageClass::Request, method)
                if [ALLOCATE, REFRESH, CREATE_PERMISSION, CHANNEL_BIND].contains(&method) =>
            {
                let user = match self.authenticate(client, &message, unix) {
                    Ok(user) => user,
                    Err(answer) => return Some(*answer),
                };
                let r = Request {
                    client,
                    message: &message,
                    user: &user,
                    now,
                };
                let outcome = match method {
                    ALLOCATE => self.allocate(client, sink, &message, &user, now),
                    REFRESH => self.refresh(r),
                    CREATE_PERMISSION => self.create_permission(r),
                    _ => self.channel_bind(r),
                };
                let mut answer = match outcome {
                    Ok(ok) => ok,
                    Err(code) => error(&message, code),
                };
                sign(&mut answer, &user);
                Some(answer)
            }
            (MessageClass::Request, _) => Some(error(&message, stun_errors::BadRequest.into())),
            _ => None,
        }
    }

    fn challenge(
        &self,
        client: ClientKey,
        request: &Message,
        code: ErrorCode,
        unix: u64,
    ) -> Box<Message> {
        let mut answer = error(request, code);
        answer.add_attribute(Realm::new(REALM.to_owned()).expect("short realm"));
        answer.add_attribute(
            Nonce::new(self.credentials.nonce(client.addr, unix)).expect("short nonce"),
        );
        Box::new(answer)
    }

    fn authenticate(
        &self,
        client: ClientKey,
        request: &Message,
        unix: u64,
    ) -> Result<Authenticated, Box<Message>> {
        let unauthorized =
            || self.challenge(client, request, stun_errors::Unauthorized.into(), unix);
        let Some(integrity) = request.get_attribute::<MessageIntegrity>() else {
            return Err(unauthorized());
        };
        let (Some(username), Some(realm), Some(nonce)) = (
            request.get_attribute::<Username>(),
            request.get_attribute::<Realm>(),
            request.get_attribute::<Nonce>(),
        ) else {
            return Err(Box::new(error(request, stun_errors::BadRequest.into())));
        };
        if self
            .credentials
            .check_nonce(nonce.value(), client.addr, unix)
            == NonceCheck::Stale
        {
            return Err(self.challenge(client, request, stun_errors::StaleNonce.into(), unix));
        }
        let password = match self.credentials.password(username.name(), unix) {
            Ok(p) => p,
            Err(UsernameError::Expired | UsernameError::Malformed) => return Err(unauthorized()),
        };
        if realm.text() != REALM
            || integrity
                .check_long_term_credential(username, realm, &password)
                .is_err()
        {
            return Err(unauthorized());
        }
        Ok(Authenticated {
            username: username.clone(),
            password,
        })
    }

    fn allocate(
        self: &Arc<Self>,
        client: ClientKey,
        sink: &ClientSink,
        request: &Message,
        user: &Authenticated,
        now: Instant,
    ) -> Result<Message, ErrorCode> {
        if let Some(existing) = self.table().get(&client) {
            if existing.transaction == request.transaction_id() {
                return Ok(allocated(request, &existing, now));
            }
            return Err(turn_errors::AllocationMismatch.into());
        }
        match request.get_attribute::<RequestedTransport>() {
            None => return Err(stun_errors::BadRequest.into()),
            Some(t) if t.protocol() != UDP_PROTOCOL => {
                return Err(turn_errors::UnsupportedTransportProtocol.into());
            }
            Some(_) => {}
        }
        let lifetime = granted_lifetime(request);
        self.table().admit(user.username.name()).map_err(refusal)?;
        let relay = bind_relay(self.relay_bind).map_err(|e| {
            tracing::warn!(error = %e, "TURN: cannot bind a relay socket");
            ErrorCode::from(turn_errors::InsufficientCapacity)
        })?;
        let port = relay
            .0
            .local_addr()
            .map_err(|_| ErrorCode::from(stun_errors::ServerError))?
            .port();
        let relayed_ip = if self.relay_bind.is_unspecified() {
            self.relay_public
        } else {
            self.relay_bind
        };
        let allocation = Arc::new(Allocation::new(
            client,
            user.username.name().to_owned(),
            request.transaction_id(),
            relay,
            SocketAddr::new(relayed_ip, port),
            sink.clone(),
            now + lifetime,
        ));
        {
            let mut table = self.table();
            // Checked again under the same lock as the insertion: two requests may race.
            table.admit(user.username.name()).map_err(refusal)?;
            table.insert(allocation.clone());
        }
        let task = tokio::spawn(super::relay::run(allocation.clone()));
        allocation.set_task(task.abort_handle());
        tracing::debug!(client = %client.addr, relayed = %allocation.relayed, "TURN allocation");
        Ok(allocated(request, &allocation, now))
    }

    fn owned(&self, client: ClientKey, user: &Authenticated) -> Result<Arc<Allocation>, ErrorCode> {
        let allocation = self
            .table()
            .get(&client)
            .ok_or_else(|| ErrorCode::from(turn_errors::AllocationMismatch))?;
        if allocation.username != user.username.name() {
            return Err(turn_errors::WrongCredentials.into());
        }
        Ok(allocation)
    }

    fn refresh(&self, r: Request<'_>) -> Result<Message, ErrorCode> {
        let (client, request, user, now) = (r.client, r.message, r.user, r.now);
        let allocation = self.owned(client, user)?;
        let asked = request.get_attribute::<Lifetime>().map(|l| l.lifetime());
        let mut ok = reply(request, MessageClass::SuccessResponse);
        if asked == Some(Duration::ZERO) {
            self.table().remove(&client);
            ok.add_attribute(Lifetime::from_u32(0));
        } else {
            let lifetime = granted_lifetime(request);
            allocation.refresh(now + lifetime);
            ok.add_attribute(Lifetime::from_u32(lifetime.as_secs() as u32));
        }
        Ok(ok)
    }

    fn create_permission(&self, r: Request<'_>) -> Result<Message, ErrorCode> {
        let (client, request, user, now) = (r.client, r.message, r.user, r.now);
        let allocation = self.owned(client, user)?;
        let peers: Vec<SocketAddr> = request
            .attributes()
            .filter_map(|a| match a {
                wire::Attribute::XorPeerAddress(p) => Some(p.address()),
                _ => None,
            })
            .collect();
        if peers.is_empty() {
            return Err(stun_errors::BadRequest.into());
        }
        if let Some(refused) = peers.iter().find(|p| !self.peers.allows_ip(p.ip())) {
            tracing::debug!(client = %client.addr, peer = %refused, "TURN: permission refused");
            return Err(turn_errors::Forbidden.into());
        }
        for p in peers {
            allocation.permit(p.ip(), now);
        }
        Ok(reply(request, MessageClass::SuccessResponse))
    }

    fn channel_bind(&self, r: Request<'_>) -> Result<Message, ErrorCode> {
        let (client, request, user, now) = (r.client, r.message, r.user, r.now);
        let allocation = self.owned(client, user)?;
        let (Some(channel), Some(peer)) = (
            request.get_attribute::<ChannelNumber>(),
            request.get_attribute::<XorPeerAddress>(),
        ) else {
            return Err(stun_errors::BadRequest.into());
        };
        if self.peers.target(peer.address()).is_none() {
            tracing::debug!(client = %client.addr, peer = %peer.address(), "TURN: channel refused");
            return Err(turn_errors::Forbidden.into());
        }
        if !allocation.bind_channel(channel.value(), peer.address(), now) {
            return Err(stun_errors::BadRequest.into());
        }
        Ok(reply(request, MessageClass::SuccessResponse))
    }

    fn send_indication(&self, client: ClientKey, message: &Message, now: Instant) {
        let (Some(peer), Some(data)) = (
            message.get_attribute::<XorPeerAddress>(),
            message.get_attribute::<Data>(),
        ) else {
            return;
        };
        let Some(allocation) = self.table().get(&client) else {
            return;
        };
        self.relay_out(&allocation, peer.address(), data.data(), now);
    }
}

fn refusal(r: Refusal) -> ErrorCode {
    match r {
        Refusal::UserQuota => turn_errors::AllocationQuotaReached.into(),
        Refusal::Capacity => turn_errors::InsufficientCapacity.into(),
    }
}

fn granted_lifetime(request: &Message) -> Duration {
    request
        .get_attribute::<Lifetime>()
        .map(|l| l.lifetime())
        .unwrap_or(DEFAULT_LIFETIME)
        .clamp(DEFAULT_LIFETIME, MAX_LIFETIME)
}

fn bind_relay(ip: IpAddr) -> std::io::Result<(UdpSocket, Arc<std::net::UdpSocket>)> {
    let socket = std::net::UdpSocket::bind(SocketAddr::new(ip, 0))?;
    socket.set_nonblocking(true)?;
    let sender = Arc::new(socket.try_clone()?);
    Ok((UdpSocket::from_std(socket)?, sender))
}

fn allocated(request: &Message, allocation: &Allocation, now: Instant) -> Message {
    let mut ok = reply(request, MessageClass::SuccessResponse);
    ok.add_attribute(XorRelayAddress::new(allocation.relayed));
    ok.add_attribute(Lifetime::from_u32(
        allocation.remaining(now).as_secs() as u32
    ));
    ok.add_attribute(XorMappedAddress::new(allocation.client.addr));
    ok
}

fn reply(request: &Message, class: MessageClass) -> Message {
    Message::new(class, request.method(), request.transaction_id())
}

fn error(request: &Message, code: ErrorCode) -> Message {
    let mut answer = reply(request, MessageClass::ErrorResponse);
    answer.add_attribute(code);
    answer
}

/// Adds MESSAGE-INTEGRITY with the user's key, as clients check on answers to
/// authenticated requests.
fn sign(message: &mut Message, user: &Authenticated) {
    let realm = Realm::new(REALM.to_owned()).expect("short realm");
    if let Ok(integrity) =
        MessageIntegrity::new_long_term_credential(message, &user.username, &realm, &user.password)
    {
        message.add_attribute(integrity);
    }
}
