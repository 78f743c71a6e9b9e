//! `openvidu-load`: a native load tester of openvidu-rs.
//!
//! Browsers cost far more CPU than the server they load (a 2-core machine saturates with
//! about ten Chromium participants), so the participants are simulated natively: each
//! one speaks the real protocols — REST through [`openvidu_client`], the `/openvidu`
//! WebSocket JSON-RPC, and WebRTC with one str0m `Rtc` and one UDP socket per peer
//! connection, as openvidu-browser opens one per publication and per subscription. Media
//! is synthetic (Opus-sized audio frames, VP8 frames with the keyframe marker), which is
//! all an SFU looks at.
//!
//! ```no_run
//! # async fn f() -> Result<(), ov_load::LoadError> {
//! use clap::Parser;
//! let args = ov_load::Args::parse_from(["openvidu-load", "--rooms", "2", "--participants", "4"]);
//! let summary = ov_load::run(&args.plan()?, |line| println!("{line}")).await?;
//! assert!(summary.passed());
//! # Ok(()) }
//! ```

mod args;
mod error;
mod participant;
mod peer;
mod procstat;
mod report;
mod rtp_header;
mod run;
pub mod soak;
mod source;
mod stats;
mod summary;

pub use args::{Args, Command, Plan};
pub use error::LoadError;
pub use report::{Sample, Targets, Usage};
pub use run::run;
pub use stats::Snapshot;
pub use summary::{Steady, Summary};
