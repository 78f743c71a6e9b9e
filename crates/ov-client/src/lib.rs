//! `openvidu-client`: the REST client of OpenVidu 2, for your application server.
//!
//! It has the shape of OpenVidu's Node and Java clients: an [`OpenVidu`] handle creates
//! [`Session`]s, a session creates [`Connection`]s whose [`token`](Connection::token) you
//! hand to a browser running `openvidu-browser`. It works with openvidu-rs and with
//! OpenVidu 2.32 itself.
//!
//! ```no_run
//! use openvidu_client::{ConnectionProperties, OpenVidu, SessionProperties};
//!
//! # async fn run() -> Result<(), openvidu_client::Error> {
//! let openvidu = OpenVidu::new("http://localhost:4443", "MY_SECRET")?;
//! let session = openvidu
//!     .create_session(SessionProperties { custom_session_id: Some("SessionA".into()), ..Default::default() })
//!     .await?;
//! let connection = session.create_connection(ConnectionProperties::default()).await?;
//! println!("give this to the browser: {}", connection.token());
//! # Ok(()) }
//! ```
//!
//! Errors keep OpenVidu's HTTP status and message ([`Error::Status`]). Recordings are
//! started, stopped, read, listed and deleted through the same handle
//! ([`OpenVidu::start_recording`] and the calls beside it).

mod client;
mod connection;
mod error;
mod recording;
mod session;

pub use client::OpenVidu;
pub use connection::Connection;
pub use error::Error;
pub use session::{Session, Signal};

pub use ov_protocol::rest::{
    ConnectionProperties, ConnectionStatus, ConnectionType, IceServer, KurentoOptions, MediaMode,
    OutputMode, Recording, RecordingLayout, RecordingMode, RecordingProperties, RecordingStatus,
    Role, SessionProperties, VideoCodec,
};
