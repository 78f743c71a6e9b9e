//! The `openvidu-rs` binary: `--help`, configuration errors and the start-up banner.

use std::io::{BufRead, BufReader};
use std::process::{ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_openvidu-rs"));
    // The test must not depend on the caller's environment.
    for s in ov_server::config::SETTINGS {
        cmd.env_remove(s.env);
    }
    cmd.env_remove("OPENVIDU_CONFIG");
    cmd
}

#[test]
fn help_documents_every_option() {
    let out = bin().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for s in ov_server::config::SETTINGS {
        assert!(
            text.contains(s.env) && text.contains(&format!("--{}", s.flag)),
            "{}",
            s.env
        );
    }
}

#[test]
fn a_bad_value_is_one_line_and_exit_code_2() {
    for (key, value) in [
        ("HTTPS_PORT", "http"),
        ("OPENVIDU_SECRET", "not a secret"),
        ("OPENVIDU_WEBHOOK", "yes"),
    ] {
        let out = bin().env(key, value).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{key}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains(key), "{err}");
    }
    let out = bin().arg("--no-such-flag").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// How long the binary may take to print its banner (a debug build on a busy machine).
const BANNER_WAIT: Duration = Duration::from_secs(30);

#[test]
fn prints_the_url_and_the_secret_in_use() {
    let mut child = bin()
        .args(["--address", "127.0.0.1", "--port", "0", "--rtc-port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = first_lines(child.stdout.take().unwrap(), 8, BANNER_WAIT);
    child.kill().unwrap();
    child.wait().unwrap();
    let text = lines.join("\n");
    assert_eq!(lines.len(), 8, "the banner within {BANNER_WAIT:?}: {text}");
    assert!(text.contains("http://localhost:"), "{text}");
    assert!(text.contains("MY_SECRET"), "{text}");
    assert!(text.contains("ws://localhost:"), "{text}");
    assert!(
        text.contains("/openvidu/sdk/openvidu-browser.mjs"),
        "{text}"
    );
    assert!(
        lines[7].starts_with("  Call page:      http://localhost:"),
        "development mode with the default secret: {text}"
    );
}

/// Up to `n` lines of `stdout`, read for at most `wait`: a blocking read happens on its
/// own thread, so a child that prints less never hangs the test.
fn first_lines(stdout: ChildStdout, n: usize, wait: Duration) -> Vec<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().take(n) {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let deadline = Instant::now() + wait;
    let mut lines = Vec::new();
    while lines.len() < n {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => lines.push(line),
            Err(_) => break,
        }
    }
    lines
}
