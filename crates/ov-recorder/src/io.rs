//! The recorder's ends of the protocol: commands read from stdin on their own thread,
//! reports written to stdout one JSON line each.

use std::io::{BufRead, Write};
use std::sync::Mutex;
use std::sync::mpsc::Sender;

use ov_protocol::recorder::{Command, Report};

use crate::run::Input;

/// Longest command line taken; a longer one is a protocol error, not a reason to grow.
const MAX_LINE: usize = 64 * 1024;

/// Reads commands until end of input, which is reported as [`Input::ServerGone`] (the
/// server is gone: finish as on `stop`).
pub fn spawn_stdin(tx: Sender<Input>) {
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut line = String::new();
        let mut reader = stdin.lock();
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) if line.len() > MAX_LINE => {
                    eprintln!("ignored a command line of {} bytes", line.len());
                }
                Ok(_) if line.trim().is_empty() => {}
                Ok(_) => match serde_json::from_str::<Command>(line.trim()) {
                    Ok(Command::Unknown) => {
                        eprintln!("ignored an unknown command: {}", line.trim())
                    }
                    Ok(c) => {
                        if tx.send(Input::Command(c)).is_err() {
                            return;
                        }
                    }
                    Err(e) => eprintln!("ignored a malformed command ({e})"),
                },
            }
        }
        let _ = tx.send(Input::ServerGone);
    });
}

/// Writes reports; shared by the threads that notice things (keyframe requests).
pub struct Reporter(Mutex<std::io::Stdout>);

impl Reporter {
    pub fn stdout() -> Self {
        Reporter(Mutex::new(std::io::stdout()))
    }

    pub fn send(&self, report: &Report) {
        let Ok(mut line) = serde_json::to_string(report) else {
            return;
        };
        line.push('\n');
        let mut out = self.0.lock().unwrap_or_else(|e| e.into_inner());
        // A closed stdout means the server is gone; stdin's end tells the loop.
        let _ = out.write_all(line.as_bytes()).and_then(|()| out.flush());
    }

    pub fn error(&self, message: &str) {
        self.send(&Report::Error {
            message: message.to_owned(),
        });
    }
}
