//! One recorder process: started per recording, fed commands on its stdin, heard on its
//! stdout, its stderr copied into the server's log. Its end (a crash included) is a
//! report like any other, so the recording can fail cleanly while the calls go on.

use std::path::Path;
use std::process::Stdio;

use ov_protocol::ids::RecordingId;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command as Process};
use tokio::sync::mpsc;

use ov_protocol::recorder::{Command, Report};

/// Longest report line read; a longer one is a broken recorder.
const MAX_LINE: usize = 64 * 1024;

/// What the process said, or that it is gone.
#[derive(Debug)]
pub enum Heard {
    /// A report.
    Report(Report),
    /// The process ended (its stdout closed).
    Exited,
}

/// A running recorder.
pub struct Recorder {
    child: Child,
    stdin: Option<ChildStdin>,
}

impl Recorder {
    /// Starts `program run`; its reports arrive on the returned channel.
    pub fn spawn(
        program: &Path,
        id: &RecordingId,
    ) -> std::io::Result<(Recorder, mpsc::Receiver<Heard>)> {
        let mut child = Process::new(program)
            .arg("run")
            // Names the recording to whoever looks at the process (operators, tests).
            .env("OPENVIDU_RECORDING_ID", id.as_str())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("piped");
        let stderr = child.stderr.take().expect("piped");
        let (tx, rx) = mpsc::channel(256);
        let recording_id = id.to_string();
        tokio::spawn(read_reports(stdout, tx, recording_id.clone()));
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                tracing::info!(%recording_id, recorder = %line, "recorder log");
            }
        });
        Ok((Recorder { child, stdin }, rx))
    }

    /// Sends a command; an error means the recorder is gone.
    pub async fn send(&mut self, command: &Command) -> std::io::Result<()> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| std::io::Error::other("the recorder's input is closed"))?;
        let mut line = serde_json::to_vec(command).expect("commands serialize");
        line.push(b'\n');
        stdin.write_all(&line).await?;
        stdin.flush().await
    }

    /// Ends the process now (a recorder that does not finish in time).
    pub async fn kill(&mut self) {
        self.stdin = None;
        let _ = self.child.kill().await;
    }

    /// Waits for the process to exit; how it ended.
    pub async fn wait(&mut self) -> String {
        self.stdin = None;
        match self.child.wait().await {
            Ok(status) => status.to_string(),
            Err(e) => e.to_string(),
        }
    }
}

async fn read_reports(
    stdout: tokio::process::ChildStdout,
    tx: mpsc::Sender<Heard>,
    recording_id: String,
) {
    let mut reader = BufReader::new(stdout);
    let mut line = Vec::new();
    loop {
        line.clear();
        let mut limited = (&mut reader).take(MAX_LINE as u64 + 1);
        match limited.read_until(b'\n', &mut line).await {
            Ok(0) => break,
            Ok(_) if line.len() > MAX_LINE => {
                tracing::warn!(%recording_id, "recorder report too long: recorder abandoned");
                break;
            }
            Ok(_) => match serde_json::from_slice::<Report>(&line) {
                Ok(report) => {
                    if tx.send(Heard::Report(report)).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    tracing::warn!(%recording_id, error = %e, "unreadable recorder report ignored")
                }
            },
            Err(e) => {
                tracing::warn!(%recording_id, error = %e, "recorder output unreadable");
                break;
            }
        }
    }
    let _ = tx.send(Heard::Exited).await;
}
