//! Property test: random, mutated and raw request bodies, sent to live and unknown
//! sessions and connections, get the status their case calls for (a 400 for what is not a
//! JSON object, a 404 only for what does not exist, never a 5xx nor a panic), and the
//! server keeps answering afterwards. The exact statuses of valid requests are checked
//! against a model in `rest_model.rs`.

use axum::http::{Request, StatusCode};
use base64::Engine;
use proptest::prelude::*;
use serde_json::{Value, json};
use tower::ServiceExt;

use ov_server::Config;
use ov_server::domain::Registry;
use ov_server::rest::{self, AppState};

/// The live session of the app, and ids that exist nowhere.
const LIVE_SESSION: &str = "s";
const UNKNOWN_SESSION: &str = "nope";
const UNKNOWN_CONNECTION: &str = "con_Nobody";

/// The REST router over a detached media engine, with session `s` and one pending
/// connection in it (whose id is returned).
async fn app() -> (axum::Router, String) {
    let config = std::sync::Arc::new(Config::for_loopback("P"));
    let registry = std::sync::Arc::new(Registry::new(
        config,
        "127.0.0.1:1".into(),
        ov_server::media::MediaHandle::detached(),
        ov_server::domain::EventSink::default(),
    ));
    let app = rest::router(AppState::new(registry, "http://127.0.0.1:1".into(), 1));
    let created = send(
        &app,
        "POST",
        "/openvidu/api/sessions",
        br#"{"customSessionId":"s"}"#.to_vec(),
    )
    .await;
    assert_eq!(created.0, StatusCode::OK);
    let (status, body) = send(
        &app,
        "POST",
        "/openvidu/api/sessions/s/connection",
        Vec::new(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let connection = body["id"].as_str().expect("a connection id").to_owned();
    (app, connection)
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "[a-zA-Z0-9_ ~:/?=-]{0,12}".prop_map(Value::String),
        prop::sample::select(vec![
            "ROUTED",
            "MANUAL",
            "ALWAYS",
            "COMPOSED",
            "INDIVIDUAL",
            "PUBLISHER",
            "MODERATOR",
            "SUBSCRIBER",
            "WEBRTC",
            "IPCAM",
            "VP8",
            "turn:h:1",
            "stun:h",
            "1280x720",
            "s",
            "",
        ])
        .prop_map(|s| Value::String(s.into())),
    ];
    let keys = prop::sample::select(vec![
        "customSessionId",
        "mediaMode",
        "recordingMode",
        "forcedVideoCodec",
        "allowTranscoding",
        "defaultRecordingProperties",
        "mediaNode",
        "id",
        "type",
        "data",
        "record",
        "role",
        "kurentoOptions",
        "customIceServers",
        "url",
        "username",
        "credential",
        "staticAuthSecret",
        "rtspUri",
        "networkCache",
        "session",
        "to",
        "name",
        "outputMode",
        "resolution",
        "frameRate",
        "shmSize",
        "hasAudio",
        "hasVideo",
        "allowedFilters",
        "videoMaxRecvBandwidth",
    ]);
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(keys.clone(), inner, 0..6).prop_map(|m| Value::Object(
                m.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
            )),
        ]
    })
}

/// Valid bodies with one key replaced by an arbitrary value.
fn mutated() -> impl Strategy<Value = Value> {
    let bases = vec![
        json!({"customSessionId":"x","mediaMode":"ROUTED","recordingMode":"MANUAL",
               "defaultRecordingProperties":{"name":"","hasAudio":true,"outputMode":"COMPOSED","frameRate":25}}),
        json!({"type":"WEBRTC","data":"d","record":true,"role":"PUBLISHER",
               "kurentoOptions":{"allowedFilters":["F"]},"customIceServers":[{"url":"stun:h"}]}),
        json!({"session":"s","to":[],"type":"t","data":"d"}),
        json!({"session":"s","role":"SUBSCRIBER","data":"d"}),
        json!({"session":"nope","role":"SUBSCRIBER","data":"d"}),
    ];
    (
        prop::sample::select(bases),
        any::<prop::sample::Index>(),
        arb_json(),
    )
        .prop_map(|(mut base, i, v)| {
            let obj = base.as_object_mut().unwrap();
            let key = obj.keys().nth(i.index(obj.len())).unwrap().clone();
            obj.insert(key, v);
            base
        })
}

fn raw_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        "[{}\\[\\]\":,a-z0-9 ]{0,40}".prop_map(|s| s.into_bytes()),
    ]
}

/// What a body is to the extractors: nothing (whitespace or `null`: the defaults), not a
/// JSON object (a 400 wherever a body is read), or an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    Empty,
    NotObject,
    Object,
}

fn classify(bytes: &[u8]) -> Body {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Body::Empty;
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Null) => Body::Empty,
        Ok(Value::Object(_)) => Body::Object,
        _ => Body::NotObject,
    }
}

/// The `session` of a body, as `/tokens` and `/signal` read it: `Some(live?)` for a string.
fn session_in(bytes: &[u8]) -> Option<bool> {
    let v: Value = serde_json::from_slice(bytes).ok()?;
    v.get("session")?.as_str().map(|s| s == LIVE_SESSION)
}

/// A target of the API, with ids chosen live or unknown.
#[derive(Debug, Clone, Copy)]
enum Target {
    CreateSession,
    CreateConnection { live: bool },
    PatchConnection { session: bool, connection: bool },
    Token,
    Signal,
    RecordingStart,
}

fn arb_targets() -> impl Strategy<Value = Vec<Target>> {
    let target = prop_oneof![
        Just(Target::CreateSession),
        any::<bool>().prop_map(|live| Target::CreateConnection { live }),
        (any::<bool>(), any::<bool>()).prop_map(|(session, connection)| Target::PatchConnection {
            session,
            connection
        }),
        Just(Target::Token),
        Just(Target::Signal),
        Just(Target::RecordingStart),
    ];
    prop::collection::vec(target, 1..8)
}

impl Target {
    fn request(self, connection: &str) -> (&'static str, String) {
        let session = |live: bool| if live { LIVE_SESSION } else { UNKNOWN_SESSION };
        match self {
            Target::CreateSession => ("POST", "/openvidu/api/sessions".into()),
            Target::CreateConnection { live } => (
                "POST",
                format!("/openvidu/api/sessions/{}/connection", session(live)),
            ),
            Target::PatchConnection {
                session: s,
                connection: c,
            } => (
                "PATCH",
                format!(
                    "/openvidu/api/sessions/{}/connection/{}",
                    session(s),
                    if c { connection } else { UNKNOWN_CONNECTION }
                ),
            ),
            Target::Token => ("POST", "/openvidu/api/tokens".into()),
            Target::Signal => ("POST", "/openvidu/api/signal".into()),
            Target::RecordingStart => ("POST", "/openvidu/api/recordings/start".into()),
        }
    }

    /// The statuses this body may get here. Only what exists can succeed, only what does
    /// not can be a 404, and nobody ever joined, so a signal has nobody to reach (406).
    fn allowed(self, body: &[u8]) -> &'static [u16] {
        let class = classify(body);
        let blank = body.iter().all(u8::is_ascii_whitespace);
        match (self, class) {
            // Not JSON (Spring refuses to read it) or null: 400; any other JSON: recording
            // is off here, 501.
            (Target::RecordingStart, _)
                if blank || serde_json::from_slice::<Value>(body).is_err() =>
            {
                &[400]
            }
            (Target::RecordingStart, Body::Empty) => &[400],
            (Target::RecordingStart, _) => &[501],
            (_, Body::NotObject) => &[400],
            (Target::CreateSession, Body::Empty) => &[200],
            (Target::CreateSession, Body::Object) => &[200, 400, 409],
            (Target::CreateConnection { live: true }, Body::Empty) => &[200],
            (Target::CreateConnection { live: false }, Body::Empty) => &[404],
            (Target::CreateConnection { live: true }, Body::Object) => &[200, 400],
            (Target::CreateConnection { live: false }, Body::Object) => &[400, 404],
            (
                Target::PatchConnection {
                    session: true,
                    connection: true,
                },
                Body::Empty,
            ) => &[200],
            (Target::PatchConnection { .. }, Body::Empty) => &[404],
            (
                Target::PatchConnection {
                    session: true,
                    connection: true,
                },
                Body::Object,
            ) => &[200, 400],
            (Target::PatchConnection { .. }, Body::Object) => &[400, 404],
            (Target::Token | Target::Signal, Body::Empty) => &[400],
            (Target::Token, Body::Object) => match session_in(body) {
                Some(true) => &[200, 400],
                Some(false) => &[400, 404],
                None => &[400],
            },
            (Target::Signal, Body::Object) => match session_in(body) {
                Some(true) => &[400, 406],
                Some(false) => &[400, 404],
                None => &[400],
            },
        }
    }
}

async fn send(app: &axum::Router, method: &str, path: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let auth = base64::engine::general_purpose::STANDARD.encode("OPENVIDUAPP:P");
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Basic {auth}"))
        .header("content-type", "application/json")
        .body(axum::body::Body::from(body))
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn check(bodies: Vec<Vec<u8>>, targets: Vec<Target>) -> Result<(), TestCaseError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let (app, connection) = app().await;
        for body in bodies {
            for target in &targets {
                let (method, path) = target.request(&connection);
                let (status, answer) = send(&app, method, &path, body.clone()).await;
                let allowed = target.allowed(&body);
                prop_assert!(
                    allowed.contains(&status.as_u16()),
                    "{method} {path} {} -> {status} {answer}, expected one of {allowed:?}",
                    String::from_utf8_lossy(&body)
                );
            }
        }
        // Still healthy and consistent: the live session and its connection are there.
        let path = format!("/openvidu/api/sessions/s/connection/{connection}");
        prop_assert_eq!(send(&app, "GET", &path, Vec::new()).await.0, StatusCode::OK);
        Ok(())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_json_gets_the_status_of_its_case(
        bodies in prop::collection::vec(arb_json(), 1..6),
        targets in arb_targets(),
    ) {
        check(bodies.iter().map(|b| serde_json::to_vec(b).unwrap()).collect(), targets)?;
    }

    #[test]
    fn mutated_valid_bodies_get_the_status_of_their_case(
        bodies in prop::collection::vec(mutated(), 1..6),
        targets in arb_targets(),
    ) {
        check(bodies.iter().map(|b| serde_json::to_vec(b).unwrap()).collect(), targets)?;
    }

    #[test]
    fn raw_bytes_get_the_status_of_their_case(
        bodies in prop::collection::vec(raw_bytes(), 1..6),
        targets in arb_targets(),
    ) {
        check(bodies, targets)?;
    }
}
