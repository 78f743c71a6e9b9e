//! The client against a real openvidu-rs started in-process: every call and its errors.

use openvidu_client::{ConnectionProperties, Error, OpenVidu, Role, SessionProperties, Signal};

const SECRET: &str = "CLIENT_TEST";

async fn server() -> ov_server::RunningServer {
    ov_server::start(ov_server::Config::for_loopback(SECRET))
        .await
        .expect("server starts")
}

fn custom(id: &str) -> SessionProperties {
    SessionProperties {
        custom_session_id: Some(id.into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn sessions_connections_and_their_lifecycle() {
    let s = server().await;
    let ov = OpenVidu::new(&format!("{}/some/ignored/path", s.local_url()), SECRET).unwrap();

    let generated = ov
        .create_session(SessionProperties::default())
        .await
        .unwrap();
    assert!(generated.id().starts_with("ses_"));
    let room = ov.create_session(custom("room")).await.unwrap();
    let again = ov.create_session(custom("room")).await.unwrap();
    assert_eq!((room.id(), again.id()), ("room", "room"));
    assert_eq!(room.info().created_at, again.info().created_at);
    assert_eq!(ov.active_sessions().await.unwrap().len(), 2);

    let c = room
        .create_connection(ConnectionProperties {
            role: Some(Role::Subscriber),
            data: Some("server data".into()),
            record: Some(false),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(c.id().starts_with("con_"));
    assert!(c.token().starts_with("ws://127.0.0.1:"), "{}", c.token());
    assert!(!c.is_active());
    assert_eq!(c.server_data.as_deref(), Some("server data"));
    assert_eq!((c.role, c.record), (Some(Role::Subscriber), false));

    let mut room = room;
    assert!(room.fetch().await.unwrap());
    assert_eq!(
        room.connections()
            .map(|c| c.id().to_owned())
            .collect::<Vec<_>>(),
        vec![c.id().to_owned()]
    );
    let updated = room
        .update_connection(
            c.id(),
            ConnectionProperties {
                role: Some(Role::Moderator),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.role, Some(Role::Moderator));

    room.force_disconnect(c.id()).await.unwrap();
    assert_eq!(
        room.force_disconnect(c.id()).await.unwrap_err().status(),
        Some(404)
    );
    assert_eq!(
        room.force_unpublish("str_CAM_Abcd_con_X")
            .await
            .unwrap_err()
            .status(),
        Some(404)
    );
    let e = room
        .signal(Signal {
            data: Some("x".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(406));

    room.close().await.unwrap();
    assert!(ov.session("room").await.unwrap().is_none());
    assert_eq!(room.fetch().await.unwrap_err().status(), Some(404));
    assert_eq!(room.close().await.unwrap_err().status(), Some(404));
    assert_eq!(
        room.create_connection(Default::default())
            .await
            .unwrap_err()
            .status(),
        Some(404)
    );
    s.shutdown().await;
}

#[tokio::test]
async fn errors_keep_status_and_message() {
    let s = server().await;
    let ov = OpenVidu::new(&s.local_url(), SECRET).unwrap();
    let e = ov.create_session(custom("has space")).await.unwrap_err();
    match &e {
        Error::Status {
            status: 400,
            message: Some(m),
        } => assert!(m.contains("customSessionId"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("400"));

    let wrong = OpenVidu::new(&s.local_url(), "WRONG").unwrap();
    assert_eq!(
        wrong.active_sessions().await.unwrap_err().status(),
        Some(401)
    );

    let session = ov.create_session(Default::default()).await.unwrap();
    let bad_ice = ConnectionProperties {
        custom_ice_servers: Some(vec![openvidu_client::IceServer {
            url: "turn:h:3478".into(),
            username: None,
            credential: None,
            static_auth_secret: None,
        }]),
        ..Default::default()
    };
    let e = session.create_connection(bad_ice).await.unwrap_err();
    assert_eq!(e.status(), Some(400));
    s.shutdown().await;

    // Nobody listening: a transport error, not a status.
    let e = ov.active_sessions().await.unwrap_err();
    assert!(matches!(e, Error::Transport(_)), "{e:?}");
    assert_eq!(e.status(), None);
}
