//! openvidu-rs, the deployment: configuration, OpenVidu's REST API, WebSocket signaling and
//! the wiring of the SFU engine to sockets and timers. This is the only crate that does
//! I/O; the media engine (`ov-media`) and the wire types (`ov-protocol`) stay pure.

pub mod app;
pub mod assets;
pub mod clock;
pub mod config;
pub mod dashboard;
pub mod dev;
pub mod domain;
pub mod ids;
pub mod logging;
pub mod media;
pub mod rate;
pub mod recording;
pub mod rest;
pub mod rpc;
pub mod serve;
pub mod turn;
pub mod webhooks;

pub use app::{RunningServer, StartError, start};
pub use config::Config;
