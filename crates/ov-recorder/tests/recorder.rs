//! `openvidu-recorder` as the server drives it: files that play, layouts that re-flow,
//! and crash safety (a killed recorder leaves a playable file).

mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::{Recorder, luma, mean, peak_db, probe};

fn sleep(s: f64) {
    std::thread::sleep(Duration::from_secs_f64(s));
}

#[test]
fn composed_lays_out_every_publisher_and_plays_as_mp4() {
    let mut r = Recorder::spawn();
    let t0 = Instant::now();
    r.start_composed(json!({}));
    assert!(
        t0.elapsed() < Duration::from_secs(1),
        "started in {:?}",
        t0.elapsed()
    );
    assert!(
        r.path("rec.mp4").metadata().unwrap().len() > 0,
        "the file exists at once"
    );
    // White on the left, SMPTE bars on the right; then the right one leaves.
    let _white = r.add("str_A", Some("VP8"), "white", None);
    let bars = r.add("str_B", Some("VP8"), "smpte", None);
    sleep(3.0);
    r.send(json!({"type": "removeStream", "streamId": "str_B"}));
    assert_eq!(r.expect("streamStopped")["streamId"], "str_B");
    drop(bars);
    sleep(2.0);
    r.send(json!({"type": "stop"}));
    assert_eq!(r.expect("streamStopped")["streamId"], "str_A");
    let stopped = r.expect("stopped");
    assert!(r.wait_exit().success());

    let file = r.path("rec.mp4");
    let (codecs, duration) = probe(&file);
    assert_eq!(codecs, ["h264", "aac"]);
    assert!((4.0..8.0).contains(&duration), "{duration} s");
    assert_eq!(stopped["file"], "rec.mp4");
    assert_eq!(stopped["size"], file.metadata().unwrap().len());
    assert!(
        (stopped["duration"].as_f64().unwrap() - duration).abs() < 0.5,
        "{stopped}"
    );
    assert_eq!(
        (stopped["width"].as_u64(), stopped["height"].as_u64()),
        (Some(640), Some(360))
    );

    // Two tiles side by side, then one filling the frame (4:3 in 16:9: bars at the sides).
    let two = luma(&file, 2.5, 64, 36);
    let (left, right) = (mean(&two, 64, 4, 28), mean(&two, 64, 36, 60));
    assert!(
        left > 150.0 && right > 40.0 && right < left - 30.0,
        "two tiles: {left} {right}"
    );
    let one = luma(&file, duration - 1.0, 64, 36);
    assert!(
        mean(&one, 64, 24, 40) > 200.0,
        "the white tile in the middle"
    );
    assert!(mean(&one, 64, 0, 6) < 30.0, "letterboxed");
    assert!(peak_db(&file) > -20.0, "the tone is mixed in");
    let jpeg = std::fs::read(r.path("rec.jpg")).expect("a thumbnail");
    assert_eq!(&jpeg[..2], [0xFF, 0xD8], "a JPEG");
}

#[test]
fn composed_audio_only_is_opus_in_webm_and_video_only_has_no_audio() {
    let mut r = Recorder::spawn();
    r.start_composed(json!({"hasVideo": false}));
    let _a = r.add("str_A", Some("VP8"), "white", None);
    sleep(2.0);
    r.send(json!({"type": "stop"}));
    assert_eq!(r.expect("stopped")["file"], "rec.webm");
    let (codecs, duration) = probe(&r.path("rec.webm"));
    assert_eq!(codecs, ["opus"]);
    assert!(duration > 1.5, "{duration}");
    assert!(peak_db(&r.path("rec.webm")) > -20.0);

    let mut r = Recorder::spawn();
    r.start_composed(json!({"hasAudio": false}));
    let _a = r.add("str_A", Some("VP8"), "white", None);
    sleep(2.0);
    r.send(json!({"type": "stop"}));
    r.expect("stopped");
    assert_eq!(probe(&r.path("rec.mp4")).0, ["h264"]);
}

#[test]
fn individual_writes_each_stream_untranscoded_with_its_times() {
    let mut r = Recorder::spawn();
    r.start_individual();
    let _a = r.add("str_A", Some("VP8"), "white", Some("str_A.webm"));
    let b = r.add("str_B", Some("H264"), "smpte", Some("str_B.mkv"));
    sleep(2.5);
    r.send(json!({"type": "removeStream", "streamId": "str_B"}));
    let b_stopped = r.expect("streamStopped");
    drop(b);
    sleep(1.0);
    r.send(json!({"type": "stop"}));
    let a_stopped = r.expect("streamStopped");
    r.expect("stopped");
    assert!(r.wait_exit().success());

    assert_eq!(
        (b_stopped["streamId"].as_str(), b_stopped["file"].as_str()),
        (Some("str_B"), Some("str_B.mkv"))
    );
    assert_eq!(
        (
            a_stopped["hasAudio"].as_bool(),
            a_stopped["hasVideo"].as_bool()
        ),
        (Some(true), Some(true))
    );
    let (start, end) = (
        a_stopped["startTime"].as_u64().unwrap(),
        a_stopped["endTime"].as_u64().unwrap(),
    );
    assert!(end - start > 2500, "{a_stopped}");
    assert!(
        b_stopped["endTime"].as_u64().unwrap() < end - 500,
        "B left first"
    );

    let (codecs, duration) = probe(&r.path("str_A.webm"));
    assert_eq!(codecs, ["opus", "vp8"]);
    assert!(duration > 3.0, "{duration}");
    assert_eq!(
        a_stopped["size"],
        r.path("str_A.webm").metadata().unwrap().len()
    );
    assert!(
        mean(&luma(&r.path("str_A.webm"), 1.0, 32, 24), 32, 0, 32) > 200.0,
        "white frames"
    );
    let (codecs, _) = probe(&r.path("str_B.mkv"));
    assert_eq!(codecs, ["opus", "h264"]);
}

#[test]
fn a_killed_recorder_leaves_files_that_play_up_to_the_last_seconds() {
    for mode in ["COMPOSED", "INDIVIDUAL"] {
        let mut r = Recorder::spawn();
        let file = if mode == "COMPOSED" {
            r.start_composed(json!({}));
            "rec.mp4"
        } else {
            r.start_individual();
            "str_A.webm"
        };
        let _a = r.add("str_A", Some("VP8"), "white", Some("str_A.webm"));
        sleep(4.5);
        r.child.kill().unwrap(); // SIGKILL
        r.child.wait().unwrap();
        let (codecs, duration) = probe(&r.path(file));
        assert!(codecs.len() == 2, "{mode}: {codecs:?}");
        assert!(duration > 2.0, "{mode}: plays {duration} s of 4.5");
        assert!(
            mean(&luma(&r.path(file), 1.5, 32, 18), 32, 8, 24) > 150.0,
            "{mode}: frames decode"
        );
    }
}

#[test]
fn the_end_of_input_finishes_like_stop_and_garbage_changes_nothing() {
    let mut r = Recorder::spawn();
    r.start_individual();
    r.send_raw("not json\n{\"type\":\"newerCommand\",\"x\":1}\n{\"type\":\"removeStream\"}\n");
    let _a = r.add("str_A", Some("VP8"), "white", Some("str_A.webm"));
    // Datagrams that are not RTP, and RTP of nonsense, to both ports.
    let ready_port = {
        r.send(json!({"type": "addStream", "streamId": "str_X", "file": "str_X.webm",
            "audio": {"codec": "opus", "payloadType": 111, "clockRate": 48000}, "video": {"codec": "VP8", "payloadType": 96, "clockRate": 90000}}));
        r.expect("streamReady")
    };
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    for port in
        [&ready_port["audioPort"], &ready_port["videoPort"]].map(|p| p.as_u64().unwrap() as u16)
    {
        for i in 0..300u32 {
            let mut junk: Vec<u8> = (0..(i % 1400) as usize)
                .map(|k| (k as u32 * 31 + i) as u8)
                .collect();
            if i % 2 == 0 && junk.len() > 12 {
                junk[0] = 0x80;
                junk[1] = if i % 4 == 0 { 96 } else { 111 };
            }
            socket.send_to(&junk, ("127.0.0.1", port)).unwrap();
        }
    }
    sleep(2.0);
    r.close_stdin();
    let stopped: Vec<_> = (0..2)
        .map(|_| {
            r.expect("streamStopped")["streamId"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(stopped.contains(&"str_A".to_owned()), "{stopped:?}");
    r.expect("stopped");
    assert!(r.wait_exit().success());
    assert_eq!(probe(&r.path("str_A.webm")).0, ["opus", "vp8"]);
}

#[test]
fn check_passes_here_and_an_unknown_mode_is_an_error() {
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_openvidu-recorder"))
        .arg("check")
        .status()
        .unwrap();
    assert!(status.success());
    let mut r = Recorder::spawn();
    r.send(json!({"type": "start", "mode": "SIDEWAYS", "dir": r.dir.path(), "name": "x", "hasAudio": true, "hasVideo": true}));
    let e = r.expect("error");
    assert!(e["message"].as_str().unwrap().contains("SIDEWAYS"), "{e}");
    assert!(!r.wait_exit().success());
}

#[test]
fn a_codec_it_cannot_record_is_left_out_and_the_rest_recorded() {
    for start in [
        Recorder::start_individual as fn(&mut Recorder) -> _,
        |r: &mut Recorder| r.start_composed(json!({})),
    ] {
        let mut r = Recorder::spawn();
        start(&mut r);
        r.send(
            json!({"type": "addStream", "streamId": "str_A", "file": "str_A.webm",
            "audio": {"codec": "opus", "payloadType": 111, "clockRate": 48000},
            "video": {"codec": "AV1", "payloadType": 45, "clockRate": 90000}}),
        );
        let ready = r.expect("streamReady");
        assert!(
            ready["audioPort"].is_u64() && ready["videoPort"].is_null(),
            "{ready}"
        );
        r.send(json!({"type": "stop"}));
        r.expect("stopped");
        assert!(r.wait_exit().success());
    }
}
