//! Booting a server in-process and talking to its REST API.

use ov_server::{Config, RunningServer};
use ov_testkit::BrowserPeer;
use ov_testkit::rpc::{RpcClient, publish_params};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub const SECRET: &str = "TEST_SECRET";

/// A server on loopback and a client authenticated against it.
pub struct TestServer {
    pub server: RunningServer,
    pub http: reqwest::Client,
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(Config::for_loopback(SECRET)).await
    }

    pub async fn start_with(config: Config) -> TestServer {
        let server = ov_server::start(config).await.expect("server starts");
        TestServer {
            server,
            http: reqwest::Client::new(),
        }
    }

    /// The signaling WebSocket, `ws://<bound address>/openvidu`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/openvidu", self.server.local_addr)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/openvidu/api{path}", self.server.local_url())
    }

    /// An authenticated request; returns the status and the body (JSON, or `Null` when
    /// empty, or a JSON string when not JSON).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .http
            .request(method, self.url(path))
            .basic_auth("OPENVIDUAPP", Some(SECRET));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request sent");
        read(res).await
    }

    pub async fn raw(&self, method: Method, path: &str, body: &'static str) -> (StatusCode, Value) {
        let res = self
            .http
            .request(method, self.url(path))
            .basic_auth("OPENVIDUAPP", Some(SECRET))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("request sent");
        read(res).await
    }

    pub async fn new_session(&self, body: Value) -> String {
        let (status, json) = self.call(Method::POST, "/sessions", Some(body)).await;
        assert_eq!(status, StatusCode::OK, "{json}");
        json["id"].as_str().unwrap().to_owned()
    }

    pub async fn new_connection(&self, session: &str, body: Value) -> Value {
        let (status, json) = self
            .call(
                Method::POST,
                &format!("/sessions/{session}/connection"),
                Some(body),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{json}");
        json
    }

    pub async fn stop(self) {
        self.server.shutdown().await;
    }
}

pub async fn read(res: reqwest::Response) -> (StatusCode, Value) {
    let status = res.status();
    let text = res.text().await.expect("body read");
    let json = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, json)
}

impl TestServer {
    /// A token of a new connection with `role` in `session`.
    pub async fn token(&self, session: &str, role: &str) -> String {
        self.new_connection(
            session,
            serde_json::json!({"role": role, "data": format!("{role}-data")}),
        )
        .await["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// The keys of a JSON object.
pub fn keys(v: &Value) -> std::collections::BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

/// A set of key names.
pub fn set(items: &[&str]) -> std::collections::BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

impl TestServer {
    /// The status of an authenticated request.
    pub async fn status(&self, method: Method, path: &str, body: Option<Value>) -> StatusCode {
        self.call(method, path, body).await.0
    }

    /// `GET /sessions/{session}/connection/{connection}`, which must succeed.
    pub async fn connection(&self, session: &str, connection: &str) -> Value {
        let (status, json) = self
            .call(
                Method::GET,
                &format!("/sessions/{session}/connection/{connection}"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{json}");
        json
    }
}

/// Joins with `token` and publishes a camera (audio and video); returns the client, its
/// stream id and the browser peer that published.
pub async fn join_and_publish(
    t: &TestServer,
    token: &str,
    name: &str,
) -> (RpcClient, String, BrowserPeer) {
    let mut c = RpcClient::join(&t.ws_url(), token, name).await;
    let mut browser = BrowserPeer::default();
    let stream = publish(&mut c, &mut browser).await;
    (c, stream, browser)
}

/// `publishVideo` of a camera (audio and video) negotiated by `browser`; returns the stream id.
pub async fn publish(c: &mut RpcClient, browser: &mut BrowserPeer) -> String {
    let offer = browser.publish_offer().expect("an offer");
    let result = c
        .call("publishVideo", publish_params(&offer, 30, 640, 480))
        .await
        .expect("publishVideo succeeds");
    browser
        .accept_answer(result["sdpAnswer"].as_str().unwrap())
        .expect("the answer fits the offer");
    result["id"].as_str().unwrap().to_owned()
}

/// Subscribes `c` to `stream` as openvidu-browser does with `mediaServer: "mediasoup"`: the
/// server offers, a browser-like peer answers; returns that peer.
pub async fn subscribe(c: &mut RpcClient, stream: &str) -> BrowserPeer {
    let offer = c
        .call("prepareReceiveVideoFrom", json!({"sender": stream}))
        .await
        .expect("prepareReceiveVideoFrom succeeds");
    let mut peer = BrowserPeer::default();
    let answer = peer
        .answer(offer["sdpOffer"].as_str().unwrap())
        .expect("the server's offer is acceptable");
    c.call(
        "receiveVideoFrom",
        json!({"sender": stream, "sdpAnswer": answer}),
    )
    .await
    .expect("receiveVideoFrom succeeds");
    peer
}
