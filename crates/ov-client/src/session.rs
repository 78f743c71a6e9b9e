//! A session and what an application server does with it.

use ov_protocol::rest::{self, ConnectionProperties, SignalRequest};
use reqwest::Method;

use crate::{Connection, Error, OpenVidu};

/// A session, as last fetched. Dereferences to nothing: use the accessors, or
/// [`Session::info`] for the whole REST object.
#[derive(Debug, Clone)]
pub struct Session {
    client: OpenVidu,
    info: rest::Session,
}

/// A signal to send to the participants of a session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Signal {
    /// Connection ids to send to; empty means everybody.
    pub to: Vec<String>,
    /// Type (the browser fires `signal:<type>`).
    pub signal_type: Option<String>,
    /// Payload.
    pub data: Option<String>,
}

impl Session {
    pub(crate) fn new(client: OpenVidu, info: rest::Session) -> Session {
        Session { client, info }
    }

    /// The session id.
    pub fn id(&self) -> &str {
        &self.info.id
    }

    /// The REST object, as last fetched.
    pub fn info(&self) -> &rest::Session {
        &self.info
    }

    /// Connections (pending and active), as last fetched.
    pub fn connections(&self) -> impl Iterator<Item = Connection> + '_ {
        self.info
            .connections
            .content
            .iter()
            .cloned()
            .map(Connection)
    }

    /// Creates a connection and its token, to hand to a participant.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), openvidu_client::Error> {
    /// # let server = ov_server::start(ov_server::Config::for_loopback("MY_SECRET")).await.unwrap();
    /// # let url = &server.local_url();
    /// use openvidu_client::{ConnectionProperties, OpenVidu, Role};
    ///
    /// # let openvidu = OpenVidu::new(url, "MY_SECRET")?;
    /// let session = openvidu.create_session(Default::default()).await?;
    /// let connection = session
    ///     .create_connection(ConnectionProperties {
    ///         role: Some(Role::Moderator),
    ///         data: Some("{\"name\":\"Alice\"}".into()),
    ///         ..Default::default()
    ///     })
    ///     .await?;
    /// assert!(connection.token().contains("token=tok_"));
    /// # server.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn create_connection(
        &self,
        properties: ConnectionProperties,
    ) -> Result<Connection, Error> {
        self.client
            .request(
                Method::POST,
                &format!("/sessions/{}/connection", self.id()),
                Some(&properties),
            )
            .await
            .map(Connection)
    }

    /// Refreshes this session from the deployment; returns whether anything changed.
    /// A session that no longer exists is an [`Error::Status`] 404.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), openvidu_client::Error> {
    /// # let server = ov_server::start(ov_server::Config::for_loopback("MY_SECRET")).await.unwrap();
    /// # let url = &server.local_url();
    /// # let openvidu = openvidu_client::OpenVidu::new(url, "MY_SECRET")?;
    /// let mut session = openvidu.create_session(Default::default()).await?;
    /// session.create_connection(Default::default()).await?;
    /// assert!(session.fetch().await?);
    /// assert_eq!(session.connections().count(), 1);
    /// assert!(!session.fetch().await?);
    /// # server.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn fetch(&mut self) -> Result<bool, Error> {
        let fresh: rest::Session = self
            .client
            .request::<(), _>(
                Method::GET,
                &format!("/sessions/{}?pendingConnections=true", self.id()),
                None,
            )
            .await?;
        let changed = fresh != self.info;
        self.info = fresh;
        Ok(changed)
    }

    /// Disconnects a participant (or withdraws a pending connection's token). Its
    /// browser gets `sessionDisconnected` with reason `forceDisconnectByServer`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), openvidu_client::Error> {
    /// # let server = ov_server::start(ov_server::Config::for_loopback("MY_SECRET")).await.unwrap();
    /// # let url = &server.local_url();
    /// # let openvidu = openvidu_client::OpenVidu::new(url, "MY_SECRET")?;
    /// let session = openvidu.create_session(Default::default()).await?;
    /// let connection = session.create_connection(Default::default()).await?;
    /// session.force_disconnect(connection.id()).await?;
    /// let gone = session.force_disconnect(connection.id()).await.unwrap_err();
    /// assert_eq!(gone.status(), Some(404));
    /// # server.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn force_disconnect(&self, connection_id: &str) -> Result<(), Error> {
        self.client
            .request::<(), ()>(
                Method::DELETE,
                &format!("/sessions/{}/connection/{connection_id}", self.id()),
                None,
            )
            .await
    }

    /// Stops a published stream. Every participant gets `streamDestroyed` with reason
    /// `forceUnpublishByServer`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), openvidu_client::Error> {
    /// # let server = ov_server::start(ov_server::Config::for_loopback("MY_SECRET")).await.unwrap();
    /// # let url = &server.local_url();
    /// # let openvidu = openvidu_client::OpenVidu::new(url, "MY_SECRET")?;
    /// let session = openvidu.create_session(Default::default()).await?;
    /// let unknown = session.force_unpublish("str_CAM_Abcd_con_Nobody").await.unwrap_err();
    /// assert_eq!(unknown.status(), Some(404));
    /// # server.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn force_unpublish(&self, stream_id: &str) -> Result<(), Error> {
        self.client
            .request::<(), ()>(
                Method::DELETE,
                &format!("/sessions/{}/stream/{stream_id}", self.id()),
                None,
            )
            .await
    }

    /// Sends a signal to the session's participants (to everybody when `to` is empty).
    /// A session nobody joined answers 406.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), openvidu_client::Error> {
    /// # let server = ov_server::start(ov_server::Config::for_loopback("MY_SECRET")).await.unwrap();
    /// # let url = &server.local_url();
    /// # let openvidu = openvidu_client::OpenVidu::new(url, "MY_SECRET")?;
    /// use openvidu_client::Signal;
    ///
    /// let session = openvidu.create_session(Default::default()).await?;
    /// let nobody_there = session
    ///     .signal(Signal { signal_type: Some("chat".into()), data: Some("hi".into()), ..Default::default() })
    ///     .await
    ///     .unwrap_err();
    /// assert_eq!(nobody_there.status(), Some(406));
    /// # server.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn signal(&self, signal: Signal) -> Result<(), Error> {
        let body = SignalRequest {
            session: Some(self.id().to_owned()),
            to: Some(signal.to.into_iter().map(Into::into).collect()),
            signal_type: signal.signal_type,
            data: signal.data,
        };
        self.client
            .request::<_, ()>(Method::POST, "/signal", Some(&body))
            .await
    }

    /// Changes the role and/or record flag of a connection (pending or active); an active
    /// participant is told and gets the new permissions at once.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), openvidu_client::Error> {
    /// # let server = ov_server::start(ov_server::Config::for_loopback("MY_SECRET")).await.unwrap();
    /// # let url = &server.local_url();
    /// # let openvidu = openvidu_client::OpenVidu::new(url, "MY_SECRET")?;
    /// use openvidu_client::{ConnectionProperties, Role};
    ///
    /// let session = openvidu.create_session(Default::default()).await?;
    /// let c = session.create_connection(Default::default()).await?;
    /// let c = session
    ///     .update_connection(c.id(), ConnectionProperties { role: Some(Role::Subscriber), ..Default::default() })
    ///     .await?;
    /// assert_eq!(c.role, Some(Role::Subscriber));
    /// # server.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn update_connection(
        &self,
        connection_id: &str,
        properties: ConnectionProperties,
    ) -> Result<Connection, Error> {
        self.client
            .request(
                Method::PATCH,
                &format!("/sessions/{}/connection/{connection_id}", self.id()),
                Some(&properties),
            )
            .await
            .map(Connection)
    }

    /// Closes the session: every participant is disconnected (`sessionClosedByServer`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), openvidu_client::Error> {
    /// # let server = ov_server::start(ov_server::Config::for_loopback("MY_SECRET")).await.unwrap();
    /// # let url = &server.local_url();
    /// # let openvidu = openvidu_client::OpenVidu::new(url, "MY_SECRET")?;
    /// let session = openvidu.create_session(Default::default()).await?;
    /// session.close().await?;
    /// assert!(openvidu.session(session.id()).await?.is_none());
    /// # server.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn close(&self) -> Result<(), Error> {
        self.client
            .request::<(), ()>(Method::DELETE, &format!("/sessions/{}", self.id()), None)
            .await
    }
}
