//! The `openvidu-rs` binary: `--help`, configuration errors and the start-up banner.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

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

#[test]
fn prints_the_url_and_the_secret_in_use() {
    let mut child = bin()
        .args(["--address", "127.0.0.1", "--port", "0", "--rtc-port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let lines: Vec<String> = BufReader::new(stdout)
        .lines()
        .take(5)
        .map(|l| l.unwrap())
        .collect();
    child.kill().unwrap();
    child.wait().unwrap();
    let text = lines.join("\n");
    assert!(text.contains("http://localhost:"), "{text}");
    assert!(text.contains("MY_SECRET"), "{text}");
    assert!(text.contains("ws://localhost:"), "{text}");
}
