//! Recording: the REST API with OpenVidu's codes, statuses and files, the notifications,
//! autostop, and a recorder crash, against the in-process server and the real
//! `openvidu-recorder` (built with the workspace), fed by str0m publishers.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ov_server::Config;
use ov_server::config::{RecordingConfig, RecordingNotification};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::media_pump::join_and_send;
use crate::support::{SECRET, TestServer};

/// The recorder built beside this test binary (`target/<profile>/openvidu-recorder`).
fn recorder() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let path = exe
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("openvidu-recorder");
    assert!(
        path.is_file(),
        "{} is missing: build the workspace (cargo build -p ov-recorder) before these tests",
        path.display()
    );
    path
}

struct Recorded {
    t: TestServer,
    dir: tempfile::TempDir,
}

async fn server(autostop: u64, change: impl FnOnce(&mut Config)) -> Recorded {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::for_loopback(SECRET);
    config.recording = Some(RecordingConfig {
        path: format!("{}/", dir.path().display()),
        public_access: false,
        notification: RecordingNotification::PublisherModerator,
        autostop_timeout: Duration::from_secs(autostop),
        custom_layout: String::new(),
        composed_url: String::new(),
        version: "2.32.2".into(),
        recorder: recorder(),
        min_free_space: 256 << 20,
    });
    change(&mut config);
    Recorded {
        t: TestServer::start_with(config).await,
        dir,
    }
}

async fn start(t: &TestServer, body: Value) -> (StatusCode, Value) {
    t.call(Method::POST, "/recordings/start", Some(body)).await
}

#[tokio::test]
async fn starting_is_checked_in_openvidus_order_with_its_codes() {
    let Recorded { t, dir: _dir } = server(120, |_| {}).await;
    let (s, _) = t.raw(Method::POST, "/recordings/start", "null").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, body) = start(&t, json!({})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        body["message"].as_str().unwrap().contains("mandatory"),
        "{body}"
    );
    assert_eq!(
        start(&t, json!({"session": 7})).await.0,
        StatusCode::BAD_REQUEST
    );
    // Unknown session: 404 even with bad properties (sessions are checked first).
    let (s, _) = start(&t, json!({"session": "ses_Nobody", "resolution": "1x1"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Nobody joined: 406.
    let sid = t.new_session(json!({})).await;
    assert_eq!(
        start(&t, json!({"session": sid})).await.0,
        StatusCode::NOT_ACCEPTABLE
    );
    // A relayed session cannot be recorded: 409.
    let relayed = t.new_session(json!({"mediaMode": "RELAYED"})).await;
    assert_eq!(
        start(&t, json!({"session": relayed})).await.0,
        StatusCode::CONFLICT
    );

    let (_c, _stream, _pump) = join_and_send(&t, &t.token(&sid, "PUBLISHER").await, "A").await;
    for (body, status) in [
        (
            json!({"session": sid, "resolution": "99x100"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"session": sid, "frameRate": 121}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"session": sid, "shmSize": 1}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"session": sid, "hasAudio": false, "hasVideo": false}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"session": sid, "name": "a/b"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"session": sid, "outputMode": "SIDEWAYS"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"session": sid, "hasAudio": "yes"}),
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let (s, b) = start(&t, body.clone()).await;
        assert_eq!(s, status, "{body} → {b}");
        assert!(
            b["message"].as_str().is_some_and(|m| !m.is_empty()),
            "a message: {b}"
        );
    }
    // Nothing was started by the refused requests.
    let (_, list) = t.call(Method::GET, "/recordings", None).await;
    assert_eq!(list, json!({"count": 0, "items": []}));
    t.stop().await;
}

#[tokio::test]
async fn a_composed_recording_from_start_to_delete() {
    let Recorded { t, dir } = server(120, |_| {}).await;
    let sid = t.new_session(json!({})).await;
    let (mut a, _stream, _pump) = join_and_send(&t, &t.token(&sid, "PUBLISHER").await, "A").await;
    let mut sub =
        ov_testkit::rpc::RpcClient::join(&t.ws_url(), &t.token(&sid, "SUBSCRIBER").await, "S")
            .await;

    let begun = std::time::Instant::now();
    let (s, r) = start(
        &t,
        json!({"session": sid, "resolution": "640x360", "frameRate": 15}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert!(
        begun.elapsed() < Duration::from_secs(2),
        "started in {:?}",
        begun.elapsed()
    );
    assert_eq!(r["id"], sid.as_str());
    assert_eq!(r["name"], sid.as_str());
    assert_eq!(r["status"], "started");
    assert_eq!(r["outputMode"], "COMPOSED");
    assert_eq!(r["resolution"], "640x360");
    assert_eq!(r["url"], Value::Null);
    assert!(r.get("uniqueSessionId").is_none());
    let started = a.notification("recordingStarted").await;
    assert_eq!(started, json!({"id": sid, "name": sid}));
    // SUBSCRIBERs are not told (OPENVIDU_RECORDING_NOTIFICATION=publisher_moderator).
    sub.no_notification("recordingStarted").await;

    assert_eq!(
        start(&t, json!({"session": sid})).await.0,
        StatusCode::CONFLICT
    );
    let (_, session) = t.call(Method::GET, &format!("/sessions/{sid}"), None).await;
    assert_eq!(session["recording"], true);
    let (s, got) = t
        .call(Method::GET, &format!("/recordings/{sid}"), None)
        .await;
    assert_eq!(
        (s, got["status"].clone()),
        (StatusCode::OK, json!("started"))
    );
    // A late joiner that is told about recordings learns of this one in joinRoom.
    let mut late = ov_testkit::rpc::RpcClient::open(&t.ws_url()).await;
    let joined = late
        .join_with(&t.token(&sid, "MODERATOR").await, "L")
        .await
        .unwrap();
    assert_eq!(joined["recordingId"], sid.as_str());

    tokio::time::sleep(Duration::from_secs(2)).await;
    let (s, r) = t
        .call(Method::POST, &format!("/recordings/stop/{sid}"), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "ready", "{r}");
    assert!(r["size"].as_u64().unwrap() > 0);
    assert!(r["duration"].as_f64().unwrap() > 1.0, "{r}");
    let url = r["url"].as_str().unwrap();
    assert!(
        url.ends_with(&format!("/openvidu/recordings/{sid}/{sid}.mp4")),
        "{url}"
    );
    let stopped = a.notification("recordingStopped").await;
    assert_eq!(stopped["reason"], "recordingStoppedByServer");
    let (_, session) = t.call(Method::GET, &format!("/sessions/{sid}"), None).await;
    assert_eq!(session["recording"], false);
    assert_eq!(
        t.call(Method::POST, &format!("/recordings/stop/{sid}"), None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    // The folder as OpenVidu lays it out, and the file over HTTP with the secret only.
    let folder = dir.path().join(&sid);
    assert!(folder.join(format!(".recording.{sid}")).is_file());
    assert!(folder.join(format!("{sid}.jpg")).is_file(), "the thumbnail");
    let path = format!("/openvidu/recordings/{sid}/{sid}.mp4");
    let file_url = format!("{}{path}", t.server.local_url());
    assert_eq!(
        t.http.get(&file_url).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let res = t
        .http
        .get(&file_url)
        .basic_auth("OPENVIDUAPP", Some(SECRET))
        .header("range", "bytes=0-7")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(&res.bytes().await.unwrap()[4..8], b"ftyp", "an MP4");

    // A second recording of the session takes the next id; deleting frees the first.
    let (s, second) = start(&t, json!({"session": sid, "name": "again"})).await;
    assert_eq!(s, StatusCode::OK, "{second}");
    assert_eq!(second["id"], format!("{sid}~1"));
    assert_eq!(second["name"], "again");
    assert_eq!(
        t.status(Method::DELETE, &format!("/recordings/{sid}~1"), None)
            .await,
        StatusCode::CONFLICT,
        "a running recording cannot be deleted"
    );
    let (_, list) = t.call(Method::GET, "/recordings", None).await;
    assert_eq!(list["count"], 2);
    assert_eq!(
        t.status(Method::DELETE, &format!("/recordings/{sid}"), None)
            .await,
        StatusCode::NO_CONTENT
    );
    assert!(!folder.exists());
    assert_eq!(
        t.status(Method::GET, &format!("/recordings/{sid}"), None)
            .await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.status(Method::DELETE, &format!("/recordings/{sid}"), None)
            .await,
        StatusCode::NOT_FOUND
    );
    let (s, r) = t
        .call(Method::POST, &format!("/recordings/stop/{sid}~1"), None)
        .await;
    assert_eq!(
        (s, r["status"].clone()),
        (StatusCode::OK, json!("ready")),
        "{r}"
    );
    t.stop().await;
}

#[tokio::test]
async fn an_individual_recording_is_a_zip_of_one_file_per_stream_and_a_sync_file() {
    let Recorded { t, dir } = server(120, |_| {}).await;
    let sid = t.new_session(json!({})).await;
    let (_a, stream_a, _pump_a) = join_and_send(&t, &t.token(&sid, "PUBLISHER").await, "A").await;
    let unrecorded = t
        .new_connection(&sid, json!({"role": "PUBLISHER", "record": false}))
        .await;
    let (_n, stream_n, _pump_n) =
        join_and_send(&t, unrecorded["token"].as_str().unwrap(), "N").await;
    let (s, r) = start(
        &t,
        json!({"session": sid, "outputMode": "INDIVIDUAL", "name": "ind"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert!(r.get("resolution").is_none());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // A stream published during the recording gets its own file, with its offset.
    let (b, stream_b, pump_b) = join_and_send(&t, &t.token(&sid, "PUBLISHER").await, "B").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    drop(pump_b);
    b.close().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (s, r) = t
        .call(Method::POST, &format!("/recordings/stop/{sid}"), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["status"], "ready", "{r}");
    assert!(
        r["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/{sid}/ind.zip"))
    );

    let folder = dir.path().join(&sid);
    let mut names: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, [format!(".recording.{sid}"), "ind.zip".to_owned()]);
    let mut zip =
        zip::ZipArchive::new(std::fs::File::open(folder.join("ind.zip")).unwrap()).unwrap();
    let mut sync = String::new();
    zip.by_name("ind.json")
        .unwrap()
        .read_to_string(&mut sync)
        .unwrap();
    let sync: Value = serde_json::from_str(&sync).unwrap();
    let files = sync["files"].as_array().unwrap();
    let streams: Vec<&str> = files
        .iter()
        .map(|f| f["streamId"].as_str().unwrap())
        .collect();
    assert!(
        streams.contains(&stream_a.as_str()) && streams.contains(&stream_b.as_str()),
        "{sync}"
    );
    assert!(
        !streams.contains(&stream_n.as_str()),
        "record: false is not recorded"
    );
    let file_b = files
        .iter()
        .find(|f| f["streamId"] == stream_b.as_str())
        .unwrap();
    let file_a = files
        .iter()
        .find(|f| f["streamId"] == stream_a.as_str())
        .unwrap();
    assert!(
        file_b["startTimeOffset"].as_u64().unwrap() >= 1000,
        "{file_b}"
    );
    assert!(file_b["endTimeOffset"].as_u64().unwrap() < file_a["endTimeOffset"].as_u64().unwrap());
    let mut total = 0;
    for f in files {
        let name = f["name"].as_str().unwrap();
        assert!(name.ends_with(".webm"), "{name}");
        let entry = zip.by_name(name).unwrap();
        assert_eq!(entry.size(), f["size"].as_u64().unwrap());
        assert!(entry.size() > 0, "{name} has media");
        total += entry.size();
    }
    assert_eq!(
        r["size"].as_u64().unwrap(),
        total,
        "the size is the sum of the stream files"
    );
    t.stop().await;
}

#[tokio::test]
async fn a_recorder_that_dies_fails_its_recording_and_the_call_goes_on() {
    let Recorded { t, dir: _dir } = server(120, |_| {}).await;
    let sid = t.new_session(json!({})).await;
    let (mut a, stream, _pump) = join_and_send(&t, &t.token(&sid, "PUBLISHER").await, "A").await;
    let (s, r) = start(&t, json!({"session": sid, "resolution": "320x240"})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    a.notification("recordingStarted").await;
    let killed = kill_recorder_of(&sid);
    assert_eq!(killed, 1, "one recorder ran");
    let stopped = a.notification("recordingStopped").await;
    assert_eq!(stopped["reason"], "nodeCrashed");
    let (s, r) = t
        .call(Method::GET, &format!("/recordings/{sid}"), None)
        .await;
    assert_eq!(
        (s, r["status"].clone()),
        (StatusCode::OK, json!("failed")),
        "{r}"
    );
    let (_, session) = t.call(Method::GET, &format!("/sessions/{sid}"), None).await;
    assert_eq!(session["recording"], false);
    // The call is untouched: the stream is still there and can be received.
    let mut b =
        ov_testkit::rpc::RpcClient::join(&t.ws_url(), &t.token(&sid, "SUBSCRIBER").await, "B")
            .await;
    crate::support::subscribe(&mut b, &stream).await;
    // And the session can be recorded again.
    let (s, r) = start(&t, json!({"session": sid, "resolution": "320x240"})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["id"], format!("{sid}~1"));
    t.stop().await;
}

#[tokio::test]
async fn the_last_participant_leaving_starts_the_autostop_countdown() {
    let Recorded { t, dir: _dir } = server(1, |_| {}).await;
    let sid = t.new_session(json!({})).await;
    let (mut a, _stream, pump) = join_and_send(&t, &t.token(&sid, "PUBLISHER").await, "A").await;
    let (s, _) = start(&t, json!({"session": sid, "outputMode": "INDIVIDUAL"})).await;
    assert_eq!(s, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(500)).await;
    drop(pump);
    a.call("leaveRoom", json!({})).await.unwrap();
    // The session stays while the countdown runs, still recording.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (s, session) = t.call(Method::GET, &format!("/sessions/{sid}"), None).await;
    assert_eq!(
        (s, session["recording"].clone()),
        (StatusCode::OK, json!(true))
    );
    // Then the recording stops and the session closes.
    recording_reaches(&t, &sid, "ready").await;
    assert_eq!(
        t.status(Method::GET, &format!("/sessions/{sid}"), None)
            .await,
        StatusCode::NOT_FOUND
    );
    t.stop().await;
}

#[tokio::test]
async fn a_disk_short_of_space_refuses_a_start_and_stops_a_running_recording() {
    // Asking for more free space than any disk has: the start fails with the setting named.
    let Recorded { t, dir: _dir } = server(120, |c| {
        c.recording.as_mut().unwrap().min_free_space = u64::MAX / 2;
    })
    .await;
    let sid = t.new_session(json!({})).await;
    let (_a, _stream, _pump) = join_and_send(&t, &t.token(&sid, "PUBLISHER").await, "A").await;
    let (s, r) = start(&t, json!({"session": sid})).await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR, "{r}");
    assert!(
        r.to_string().contains("OPENVIDU_RECORDING_MIN_FREE_SPACE"),
        "{r}"
    );
    assert_eq!(t.call(Method::GET, "/recordings", None).await.1["count"], 0);
    t.stop().await;

    // A margin of 512 MiB, then 1 GiB written beside the recording: it stops as failed
    // within a few seconds (checked every 2 s), and the call goes on.
    let probe = tempfile::tempdir().unwrap();
    let free = fs4::available_space(probe.path()).unwrap();
    let Recorded { t, dir } = server(120, |c| {
        c.recording.as_mut().unwrap().min_free_space = free.saturating_sub(512 << 20);
    })
    .await;
    let sid = t.new_session(json!({})).await;
    let (mut a, _stream, _pump) = join_and_send(&t, &t.token(&sid, "PUBLISHER").await, "A").await;
    let (s, r) = start(&t, json!({"session": sid, "outputMode": "INDIVIDUAL"})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let filler = std::fs::File::create(dir.path().join("filler")).unwrap();
    fs4::fs_std::FileExt::allocate(&filler, 1 << 30).unwrap();
    let stopped = a.notification("recordingStopped").await;
    assert_eq!(stopped["reason"], "diskFull", "{stopped}");
    drop(filler);
    std::fs::remove_file(dir.path().join("filler")).unwrap();
    recording_reaches(&t, &sid, "failed").await;
    let (s, session) = t.call(Method::GET, &format!("/sessions/{sid}"), None).await;
    assert_eq!(
        (s, session["recording"].clone()),
        (StatusCode::OK, json!(false))
    );
    t.stop().await;
}

#[tokio::test]
async fn recording_off_answers_501_and_a_missing_recorder_refuses_to_start() {
    let t = TestServer::start().await;
    let sid = t.new_session(json!({})).await;
    assert_eq!(
        start(&t, json!({"session": sid})).await.0,
        StatusCode::NOT_IMPLEMENTED
    );
    for (method, path) in [
        (Method::GET, "/recordings".to_owned()),
        (Method::GET, format!("/recordings/{sid}")),
        (Method::DELETE, format!("/recordings/{sid}")),
        (Method::POST, format!("/recordings/stop/{sid}")),
    ] {
        assert_eq!(
            t.status(method, &path, None).await,
            StatusCode::NOT_IMPLEMENTED,
            "{path}"
        );
    }
    t.stop().await;

    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::for_loopback(SECRET);
    config.recording = Some(RecordingConfig {
        path: format!("{}/", dir.path().display()),
        public_access: false,
        notification: RecordingNotification::All,
        autostop_timeout: Duration::from_secs(1),
        custom_layout: String::new(),
        composed_url: String::new(),
        version: "2.32.2".into(),
        recorder: dir.path().join("no-such-recorder"),
        min_free_space: 256 << 20,
    });
    let Err(e) = ov_server::start(config).await else {
        panic!("the server started without its recorder");
    };
    let line = e.to_string();
    assert!(
        line.contains("apt install gstreamer1.0") && !line.contains('\n'),
        "{line}"
    );
}

/// Waits (up to 5 s) until recording `id` has status `wanted`; panics naming it if not.
async fn recording_reaches(t: &TestServer, id: &str, wanted: &str) {
    let path = format!("/recordings/{id}");
    ov_testkit::wait::until(
        &format!("recording {id} to be {wanted}"),
        Duration::from_secs(5),
        || async { (t.call(Method::GET, &path, None).await.1["status"] == wanted).then_some(()) },
    )
    .await;
}

/// Kills (SIGKILL) the `openvidu-recorder` of recording `id` (tests run side by side in
/// this process: the others' recorders are left alone); returns how many were killed.
fn kill_recorder_of(id: &str) -> usize {
    let marker = format!("OPENVIDU_RECORDING_ID={id}\0");
    let mut killed = 0;
    for entry in std::fs::read_dir("/proc").unwrap().filter_map(Result::ok) {
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        let Ok(comm) = std::fs::read_to_string(entry.path().join("comm")) else {
            continue;
        };
        if comm.trim() == "openvidu-record" && String::from_utf8_lossy(&environ).contains(&marker) {
            let pid = entry.file_name().into_string().unwrap();
            let ok = std::process::Command::new("kill")
                .args(["-9", &pid])
                .status()
                .unwrap();
            killed += usize::from(ok.success());
        }
    }
    killed
}
