//! Wire types of the OpenVidu 2.32 protocol, shared by the openvidu-rs server and its clients.
//!
//! This crate holds data and pure functions only: serde types of the REST objects
//! ([`rest`]), the JSON-RPC messages of the browser signaling ([`rpc`]), identifier
//! formats ([`ids`]) and the token URL ([`token`]). It performs no I/O, so the server,
//! the REST client SDK and the tests can all agree on one definition of the wire.

pub mod ids;
pub mod recorder;
pub mod rest;
pub mod rpc;
pub mod token;

/// The OpenVidu version this implementation speaks. openvidu-browser 2.32.x requires a
/// valid semver here and is silent only for 2.32.x; reporting anything else logs warnings
/// in every client.
pub const OPENVIDU_VERSION: &str = "2.32.2";
