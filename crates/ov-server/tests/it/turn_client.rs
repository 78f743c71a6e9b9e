//! A small TURN client for the tests, over UDP or TCP: the long-term credential dance
//! (401 challenge, then signed requests), permissions, channels and data.

use std::net::SocketAddr;
use std::time::Duration;

use ov_server::turn::wire::{self, Attribute, Frame, Message};
use stun_codec::rfc5389::attributes::{
    ErrorCode, MessageIntegrity, Nonce, Realm, Username, XorMappedAddress,
};
use stun_codec::rfc5766::attributes::{
    ChannelNumber, Data, Lifetime, RequestedTransport, XorPeerAddress, XorRelayAddress,
};
use stun_codec::rfc5766::methods::{ALLOCATE, CHANNEL_BIND, CREATE_PERMISSION, REFRESH, SEND};
use stun_codec::{MessageClass, Method, TransactionId};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

const WAIT: Duration = Duration::from_secs(5);

/// A byte stream to the server: TCP or TLS.
trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<S: AsyncRead + AsyncWrite + Unpin + Send> Stream for S {}

enum Conn {
    Udp(UdpSocket, SocketAddr),
    Tcp(Box<dyn Stream>, Vec<u8>),
}

/// Data received from the relay.
#[derive(Debug, PartialEq)]
pub enum Received {
    /// A Data indication from this peer.
    Indication(SocketAddr, Vec<u8>),
    /// ChannelData on this channel.
    Channel(u16, Vec<u8>),
}

/// One client 5-tuple.
pub struct TurnClient {
    conn: Conn,
    pub username: String,
    password: String,
    realm: String,
    pub nonce: String,
    data: Vec<Received>,
}

impl TurnClient {
    pub async fn udp(server: SocketAddr, username: &str, password: &str) -> TurnClient {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        Self::with(Conn::Udp(socket, server), username, password)
    }

    pub async fn tcp(server: SocketAddr, username: &str, password: &str) -> TurnClient {
        let stream = TcpStream::connect(server).await.unwrap();
        Self::with(Conn::Tcp(Box::new(stream), Vec::new()), username, password)
    }

    /// Over TLS, trusting `tls` (the server's name is `localhost`).
    pub async fn tls(
        server: SocketAddr,
        tls: std::sync::Arc<rustls::ClientConfig>,
        username: &str,
        password: &str,
    ) -> TurnClient {
        let stream = TcpStream::connect(server).await.unwrap();
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let stream = tokio_rustls::TlsConnector::from(tls)
            .connect(name, stream)
            .await
            .expect("TLS handshake");
        Self::with(Conn::Tcp(Box::new(stream), Vec::new()), username, password)
    }

    fn with(conn: Conn, username: &str, password: &str) -> TurnClient {
        TurnClient {
            conn,
            username: username.to_owned(),
            password: password.to_owned(),
            realm: String::new(),
            nonce: String::new(),
            data: Vec::new(),
        }
    }

    async fn send_bytes(&mut self, bytes: &[u8]) {
        match &mut self.conn {
            Conn::Udp(socket, server) => {
                socket.send_to(bytes, *server).await.unwrap();
            }
            Conn::Tcp(stream, _) => stream.write_all(bytes).await.unwrap(),
        }
    }

    async fn recv_frame(&mut self) -> Option<Frame> {
        let mut chunk = vec![0u8; 70_000];
        tokio::time::timeout(WAIT, async {
            match &mut self.conn {
                Conn::Udp(socket, _) => {
                    let (n, _) = socket.recv_from(&mut chunk).await.ok()?;
                    wire::decode(&chunk[..n])
                }
                Conn::Tcp(stream, buf) => loop {
                    if let wire::FrameLen::Frame(len) = wire::frame_len(buf)
                        && buf.len() >= len
                    {
                        let frame = wire::decode(&buf[..len]);
                        buf.drain(..len);
                        return frame;
                    }
                    let n = stream.read(&mut chunk).await.ok()?;
                    if n == 0 {
                        return None;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                },
            }
        })
        .await
        .ok()
        .flatten()
    }

    /// Sends `request` and waits for its answer (data arriving meanwhile is kept).
    pub async fn transact(&mut self, request: Message) -> Message {
        let id = request.transaction_id();
        self.send_bytes(&wire::encode(request).unwrap()).await;
        loop {
            match self.recv_frame().await.expect("an answer in time") {
                Frame::Stun(m) if m.transaction_id() == id => return *m,
                other => self.keep(other),
            }
        }
    }

    fn keep(&mut self, frame: Frame) {
        match frame {
            Frame::ChannelData { channel, data } => {
                self.data.push(Received::Channel(channel, data))
            }
            Frame::Stun(m) => {
                if let (Some(p), Some(d)) = (
                    m.get_attribute::<XorPeerAddress>(),
                    m.get_attribute::<Data>(),
                ) {
                    self.data
                        .push(Received::Indication(p.address(), d.data().to_vec()));
                }
            }
        }
    }

    /// The next relayed data.
    pub async fn next_data(&mut self) -> Option<Received> {
        if !self.data.is_empty() {
            return Some(self.data.remove(0));
        }
        let frame = self.recv_frame().await?;
        self.keep(frame);
        (!self.data.is_empty()).then(|| self.data.remove(0))
    }

    pub fn request(method: Method) -> Message {
        Message::new(
            MessageClass::Request,
            method,
            TransactionId::new(rand::random()),
        )
    }

    /// Adds USERNAME, REALM, NONCE and MESSAGE-INTEGRITY.
    pub fn sign(&self, mut m: Message) -> Message {
        let username = Username::new(self.username.clone()).unwrap();
        let realm = Realm::new(self.realm.clone()).unwrap();
        m.add_attribute(username.clone());
        m.add_attribute(realm.clone());
        m.add_attribute(Nonce::new(self.nonce.clone()).unwrap());
        let mi = MessageIntegrity::new_long_term_credential(&m, &username, &realm, &self.password)
            .unwrap();
        m.add_attribute(mi);
        m
    }

    /// A signed request, answered; every answer but a challenge (401, 438) must be signed
    /// with our key.
    pub async fn signed(&mut self, m: Message) -> Message {
        let answer = self.transact(self.sign(m)).await;
        let challenged = matches!(code(&answer), Some(401 | 438));
        if !challenged {
            let mi = answer
                .get_attribute::<MessageIntegrity>()
                .expect("answers to authenticated requests are signed");
            mi.check_long_term_credential(
                &Username::new(self.username.clone()).unwrap(),
                &Realm::new(self.realm.clone()).unwrap(),
                &self.password,
            )
            .expect("the answer is signed with our key");
        }
        answer
    }

    /// Allocate: the challenge, then the signed request. Returns the relayed address or
    /// the error code.
    pub async fn allocate(&mut self) -> Result<SocketAddr, u16> {
        let mut m = Self::request(ALLOCATE);
        m.add_attribute(RequestedTransport::new(17));
        let challenge = self.transact(m.clone()).await;
        assert_eq!(code(&challenge), Some(401), "unauthenticated → 401");
        self.learn(&challenge);
        let answer = self.signed(m).await;
        if let Some(c) = code(&answer) {
            return Err(c);
        }
        assert!(answer.get_attribute::<XorMappedAddress>().is_some());
        assert!(answer.get_attribute::<Lifetime>().is_some());
        Ok(answer
            .get_attribute::<XorRelayAddress>()
            .expect("relayed address")
            .address())
    }

    /// Takes REALM and NONCE from a challenge.
    pub fn learn(&mut self, challenge: &Message) {
        self.realm = challenge
            .get_attribute::<Realm>()
            .expect("realm")
            .text()
            .to_owned();
        self.nonce = challenge
            .get_attribute::<Nonce>()
            .expect("nonce")
            .value()
            .to_owned();
    }

    pub async fn create_permission(&mut self, peer: SocketAddr) -> Option<u16> {
        let mut m = Self::request(CREATE_PERMISSION);
        m.add_attribute(XorPeerAddress::new(peer));
        code(&self.signed(m).await)
    }

    pub async fn channel_bind(&mut self, channel: u16, peer: SocketAddr) -> Option<u16> {
        let mut m = Self::request(CHANNEL_BIND);
        m.add_attribute(ChannelNumber::new(channel).unwrap());
        m.add_attribute(XorPeerAddress::new(peer));
        code(&self.signed(m).await)
    }

    pub async fn refresh(&mut self, lifetime: u32) -> Option<u16> {
        let mut m = Self::request(REFRESH);
        m.add_attribute(Lifetime::from_u32(lifetime));
        code(&self.signed(m).await)
    }

    /// A Send indication.
    pub async fn send(&mut self, peer: SocketAddr, data: &[u8]) {
        let mut m = Message::new(
            MessageClass::Indication,
            SEND,
            TransactionId::new(rand::random()),
        );
        m.add_attribute(XorPeerAddress::new(peer));
        m.add_attribute(Data::new(data.to_vec()).unwrap());
        self.send_bytes(&wire::encode(m).unwrap()).await;
    }

    /// ChannelData.
    pub async fn channel_send(&mut self, channel: u16, data: &[u8]) {
        let padded = matches!(self.conn, Conn::Tcp(..));
        self.send_bytes(&wire::channel_data(channel, data, padded).unwrap())
            .await;
    }
}

/// The error code of an answer.
pub fn code(m: &Message) -> Option<u16> {
    m.attributes().find_map(|a| match a {
        Attribute::ErrorCode(e) => Some(ErrorCode::code(e)),
        _ => None,
    })
}
