//! The recording calls against openvidu-rs with recording on (its `openvidu-recorder`
//! built beside this test) and off.

use std::time::Duration;

use openvidu_client::{Error, OpenVidu, OutputMode, RecordingProperties, RecordingStatus};
use ov_server::config::RecordingConfig;

const SECRET: &str = "CLIENT_TEST";

fn recorder() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("openvidu-recorder")
}

#[tokio::test]
async fn recordings_start_stop_get_list_delete_and_their_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ov_server::Config::for_loopback(SECRET);
    config.recording = Some(RecordingConfig {
        path: format!("{}/", dir.path().display()),
        public_access: false,
        notification: ov_server::config::RecordingNotification::All,
        autostop_timeout: Duration::from_secs(120),
        custom_layout: String::new(),
        composed_url: String::new(),
        version: "2.32.2".into(),
        recorder: recorder(),
        min_free_space: 0,
    });
    let s = ov_server::start(config).await.expect("server starts");
    let ov = OpenVidu::new(&s.local_url(), SECRET).unwrap();
    let session = ov.create_session(Default::default()).await.unwrap();
    let status = |e: Error| match e {
        Error::Status { status, .. } => status,
        other => panic!("{other:?}"),
    };
    // Nobody connected yet: 406, as OpenVidu.
    let e = ov
        .start_recording(session.id(), Default::default())
        .await
        .unwrap_err();
    assert_eq!(status(e), 406);
    let connection = session.create_connection(Default::default()).await.unwrap();
    let _participant = ov_testkit::rpc::RpcClient::join(
        &format!("ws://{}/openvidu", s.local_addr),
        connection.token(),
        "A",
    )
    .await;

    let individual = RecordingProperties {
        output_mode: Some(OutputMode::Individual),
        name: Some("mine".into()),
        ..Default::default()
    };
    let started = ov
        .start_recording(session.id(), individual.clone())
        .await
        .unwrap();
    assert_eq!(
        (started.id.as_str(), started.status),
        (session.id(), RecordingStatus::Started)
    );
    assert_eq!(started.name, "mine");
    let e = ov
        .start_recording(session.id(), individual)
        .await
        .unwrap_err();
    assert_eq!(status(e), 409);
    assert_eq!(
        ov.recording(session.id()).await.unwrap().unwrap().status,
        RecordingStatus::Started
    );
    assert_eq!(ov.recordings().await.unwrap().len(), 1);
    assert_eq!(
        status(ov.delete_recording(session.id()).await.unwrap_err()),
        409
    );

    let stopped = ov.stop_recording(session.id()).await.unwrap();
    assert!(
        matches!(
            stopped.status,
            RecordingStatus::Stopped | RecordingStatus::Ready
        ),
        "{stopped:?}"
    );
    assert_eq!(
        status(ov.stop_recording(session.id()).await.unwrap_err()),
        404
    );
    ov.delete_recording(session.id()).await.unwrap();
    assert!(ov.recording(session.id()).await.unwrap().is_none());
    assert!(ov.recordings().await.unwrap().is_empty());
    let e = ov
        .start_recording("nope", Default::default())
        .await
        .unwrap_err();
    assert_eq!(status(e), 404);
    s.shutdown().await;

    // Recording off: 501 on every call.
    let s = ov_server::start(ov_server::Config::for_loopback(SECRET))
        .await
        .unwrap();
    let ov = OpenVidu::new(&s.local_url(), SECRET).unwrap();
    assert_eq!(status(ov.recordings().await.unwrap_err()), 501);
    assert_eq!(status(ov.stop_recording("x").await.unwrap_err()), 501);
    s.shutdown().await;
}
