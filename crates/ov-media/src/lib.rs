//! `ov-media`: the selective forwarding unit (SFU) of openvidu-rs, sans-IO.
//!
//! The [`Engine`] owns one `str0m` [`Rtc`](str0m::Rtc) per WebRTC peer connection and
//! forwards every publisher's RTP to its subscribers. It does no I/O and reads no clock:
//! it is driven by [`Engine::handle_datagram`], [`Engine::handle_timeout`] and commands,
//! each given the current time, and drained with [`Engine::poll_output`], exactly like
//! `str0m`'s `Rtc`. The server owns the socket and the timer; tests drive several engines
//! and client peers in one thread with a virtual clock.
//!
//! The engine knows nothing of OpenVidu: peers are [`PeerId`]s; mapping them to sessions,
//! connections and streams is the server's business.
//!
//! Forwarding works at the RTP level (str0m's RTP mode): a packet is decrypted once, its
//! payload shared (`Arc`) by every subscriber, and re-sent with the subscriber's SSRC and
//! rewritten sequence numbers and timestamps. str0m answers the subscribers' NACKs from its
//! retransmission cache and NACKs the publishers' losses. New subscribers start at a
//! keyframe, requested from the publisher when they connect.
//!
//! Sans-IO is enforced: `clippy.toml` forbids the wall clock, threads, sockets and files
//! in this crate, and `tests/sans_io.rs` keeps that list and the dependencies honest.

// The library itself is linted without `cfg(test)` too, so this exempts only test builds.
#![cfg_attr(
    test,
    allow(
        clippy::disallowed_methods,
        reason = "unit tests take their `Instant`s from the clock"
    )
)]

// The engine's layers, top down: the engine routes a datagram to its peer, the pump feeds
// and drains that peer's str0m `Rtc`, forwarding sends the RTP it yielded to the
// subscribers, and the table holds the peers. Each layer uses only the layers below it;
// the modules after them are parts they share (contract types, peers, parsers, timers).
mod allocate;
mod engine;
mod forward;
mod pump;
mod table;
mod tap;

mod allocator;
mod config;
mod contract;
mod error;
pub mod keyframe;
mod layers;
mod peer;
mod picture_ids;
mod quality;
mod rate;
mod rewrite;
mod sdp;
mod sdp_error;
mod speaking;
pub mod stun;
mod timers;
mod uplink;

pub use config::{EngineConfig, ForcedCodec, VideoCodecChoice};
pub use contract::{CloseReason, Event, Output, PeerId, Transmit, Transport};
pub use engine::{Engine, LayerState};
pub use error::MediaError;
pub use peer::{MediaKind, PeerStats, TrackStats};
pub use quality::{LevelChange, NetworkQuality};
pub use speaking::VoiceActivity;
pub use tap::{TapCodec, TapId};
pub use uplink::RecvBandwidth;
