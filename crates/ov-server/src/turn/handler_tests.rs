//! The request handler on untrusted input: random datagrams and mutated requests from a
//! client never panic, and never create an allocation without valid credentials.

use std::net::SocketAddr;
use std::sync::Arc;

use proptest::prelude::*;
use stun_codec::rfc5389::attributes::{MessageIntegrity, Nonce, Realm, Username};
use stun_codec::rfc5766::attributes::{RequestedTransport, XorPeerAddress};
use stun_codec::rfc5766::methods::ALLOCATE;
use stun_codec::{MessageClass, TransactionId};

use super::allocation::{ClientKey, Transport};
use super::credentials::REALM;
use super::peers::MediaPeers;
use super::server::{ServerSettings, TurnServer};
use super::sink::ClientSink;
use super::wire::{self, Message};

struct Fixture {
    rt: tokio::runtime::Runtime,
    server: Arc<TurnServer>,
    sink: ClientSink,
    key: ClientKey,
    client: std::net::UdpSocket,
}

fn fixture() -> Fixture {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_nonblocking(true).unwrap();
    let client_socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    client_socket
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    let client = client_socket.local_addr().unwrap();
    let media: SocketAddr = "127.0.0.1:40001".parse().unwrap();
    let server = TurnServer::new(ServerSettings {
        secret: "s".into(),
        peers: MediaPeers::new([(media, &[][..])]),
        relay_bind: client.ip(),
        relay_public: client.ip(),
        user_quota: 2,
        max_allocations: 4,
    });
    let sink = ClientSink::Datagram {
        socket: Arc::new(socket),
        to: client,
    };
    let key = ClientKey {
        transport: Transport::Udp,
        addr: client,
    };
    Fixture {
        rt,
        server,
        sink,
        key,
        client: client_socket,
    }
}

impl Fixture {
    /// The nonce of the server's 401 challenge.
    fn nonce(&self) -> String {
        let mut m = Message::new(MessageClass::Request, ALLOCATE, TransactionId::new([1; 12]));
        m.add_attribute(RequestedTransport::new(17));
        self.server
            .handle(self.key, &self.sink, &wire::encode(m).unwrap());
        let mut buf = [0u8; 1500];
        let n = self.client.recv(&mut buf).unwrap();
        let Some(wire::Frame::Stun(challenge)) = wire::decode(&buf[..n]) else {
            panic!("a STUN answer");
        };
        challenge
            .get_attribute::<Nonce>()
            .unwrap()
            .value()
            .to_owned()
    }
}

const USER: &str = "99999999999:u";

#[test]
fn the_right_key_allocates() {
    let f = fixture();
    let _guard = f.rt.enter();
    let password = crate::domain::turn::credential("s", USER);
    let bytes = signed_allocate(&f.nonce(), &password);
    f.server.handle(f.key, &f.sink, &bytes);
    assert_eq!(f.server.allocation_count(), 1);
}

/// A signed Allocate whose MESSAGE-INTEGRITY uses `password`.
fn signed_allocate(server_nonce: &str, password: &str) -> Vec<u8> {
    let mut m = Message::new(MessageClass::Request, ALLOCATE, TransactionId::new([9; 12]));
    m.add_attribute(RequestedTransport::new(17));
    m.add_attribute(XorPeerAddress::new("127.0.0.1:1".parse().unwrap()));
    let username = Username::new(USER.into()).unwrap();
    let realm = Realm::new(REALM.into()).unwrap();
    m.add_attribute(username.clone());
    m.add_attribute(realm.clone());
    m.add_attribute(Nonce::new(server_nonce.into()).unwrap());
    let mi = MessageIntegrity::new_long_term_credential(&m, &username, &realm, password).unwrap();
    m.add_attribute(mi);
    wire::encode(m).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn random_datagrams_never_panic_nor_allocate(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let f = fixture();
        let _guard = f.rt.enter();
        f.server.handle(f.key, &f.sink, &bytes);
        prop_assert_eq!(f.server.allocation_count(), 0);
    }

    #[test]
    fn mutated_requests_with_a_wrong_key_never_allocate(
        flips in proptest::collection::vec((0usize..200, any::<u8>()), 0..6)
    ) {
        let f = fixture();
        let _guard = f.rt.enter();
        let mut bytes = signed_allocate(&f.nonce(), "not-the-password");
        for (i, b) in flips {
            let n = bytes.len();
            bytes[i % n] = b;
        }
        f.server.handle(f.key, &f.sink, &bytes);
        prop_assert_eq!(f.server.allocation_count(), 0);
    }
}
