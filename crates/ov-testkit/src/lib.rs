//! The test peers of openvidu-rs, in one place for the engine simulation (`ov-media`
//! tests), the server's integration tests and the load tester (`ov-load`):
//!
//! * [`BrowserPeer`]: a str0m peer connection negotiating as a browser does with
//!   openvidu-rs (Opus and VP8; a publisher offers audio and video send-only, a
//!   subscriber answers the server's offer), writing synthetic frames ([`frames`]) and
//!   classifying what it receives. Sans-IO like str0m: the caller moves its datagrams
//!   and its clock (a simulated network, or a UDP socket).
//! * `rpc` (feature `rpc`): OpenVidu's JSON-RPC over a WebSocket, as openvidu-browser
//!   speaks it, over `ws://` or `wss://`; and `wait`, for waiting on conditions with a
//!   deadline instead of sleeping. This is the only part that needs tokio, so `ov-media`
//!   depends on the crate without the feature.

mod browser;
pub mod frames;
#[cfg(feature = "rpc")]
pub mod rpc;
#[cfg(feature = "rpc")]
pub mod wait;

pub use browser::{BrowserPeer, PeerError, PeerEvent};
pub use frames::ReceivedFrame;
