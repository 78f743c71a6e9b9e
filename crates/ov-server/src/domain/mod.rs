//! OpenVidu's object model: sessions, their connections and tokens, participants, streams
//! and subscriptions, and the operations the REST API, the signaling and the media engine
//! perform on them.
//!
//! * [`Registry`] holds the map of sessions and does what crosses sessions.
//! * Each session has its own lock ([`SessionHandle`]); an operation inside one session is
//!   a method of its [`SessionState`], in the module named after the operation.
//! * A socket reaches its participant through a [`Binding`]; operations that need the
//!   media engine are async methods of it (check, await the engine unlocked, commit).
//! * What sessions share (media, events, the peer and RPC-session indexes) is in
//!   [`Services`]; the engine's events come back through the peer index.
//!
//! Lock order: the registry map before a session, a session before the leaf locks of
//! [`Services`]; no lock is held across an `.await`.

mod binding;
mod connection;
mod error;
mod events;
mod joining;
mod leaving;
mod media_events;
mod moderation;
mod network_quality;
mod outbox;
mod participant;
mod publishing;
mod reason;
mod recording;
mod registry;
mod services;
mod session;
mod settings;
mod signals;
mod stream_properties;
mod subscribing;
pub mod turn;
mod video_size;

pub use binding::{Binding, Reply};
pub use connection::ConnectionState;
pub use error::{DomainError, SignalingError};
pub use events::{CdrEvent, EVENT_QUEUE, EventSink};
pub use joining::JoinRequest;
pub use outbox::Outbox;
pub use participant::{Participant, StreamOptions};
pub use reason::Reason;
pub use registry::Registry;
pub use services::{PeerOwner, PeerSide, Services};
pub use session::{SessionHandle, SessionState};
pub use settings::{ConnectionSettings, SessionSettings};
