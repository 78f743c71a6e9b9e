//! `openvidu-recorder`: one recording of openvidu-rs, in its own process so that a crash
//! here never touches a call. The server starts it, drives it over stdin/stdout
//! (`docs/recorder-protocol.md`) and feeds it plain RTP over loopback; GStreamer does the
//! depacketising, decoding, compositing, encoding and muxing.

mod check;
mod composed;
mod individual;
mod io;
mod layout;
mod pipeline;
mod rtp_in;
mod run;
mod track;

use std::process::ExitCode;

const USAGE: &str = "usage: openvidu-recorder check | run   (see docs/recorder-protocol.md)";

fn main() -> ExitCode {
    let command = std::env::args().nth(1);
    if let Err(e) = gstreamer::init() {
        eprintln!("GStreamer cannot start: {e}. {}", check::INSTALL_HINT);
        return ExitCode::FAILURE;
    }
    match command.as_deref() {
        Some("check") => match check::missing_elements() {
            None => ExitCode::SUCCESS,
            Some(line) => {
                eprintln!("{line}");
                ExitCode::FAILURE
            }
        },
        Some("run") => {
            if let Some(line) = check::missing_elements() {
                io::Reporter::stdout().error(&line);
                return ExitCode::FAILURE;
            }
            match run::run() {
                Ok(()) => ExitCode::SUCCESS,
                Err(message) => {
                    eprintln!("recording failed: {message}");
                    io::Reporter::stdout().error(&message);
                    ExitCode::FAILURE
                }
            }
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}
