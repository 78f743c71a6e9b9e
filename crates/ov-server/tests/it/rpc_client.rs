//! A JSON-RPC test client speaking to `/openvidu` like openvidu-browser does, and a str0m
//! peer standing in for the browser's RTCPeerConnection in SDP negotiations.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use str0m::Rtc;
use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::media::{Direction, MediaKind};
use tokio_tungstenite::tungstenite::Message;

use crate::support::TestServer;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const WAIT: Duration = Duration::from_secs(5);

/// A JSON-RPC error as the client sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
}

pub struct RpcClient {
    ws: Ws,
    next_id: u64,
    notifications: VecDeque<Value>,
    pub connection_id: String,
    pub rpc_session_id: String,
}

impl RpcClient {
    pub async fn open(t: &TestServer) -> RpcClient {
        let url = format!("ws://{}/openvidu", t.server.local_addr);
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("websocket opens");
        RpcClient {
            ws,
            next_id: 0,
            notifications: VecDeque::new(),
            connection_id: String::new(),
            rpc_session_id: String::new(),
        }
    }

    /// Opens a socket and joins with `token` (a full token URL).
    pub async fn join(t: &TestServer, token: &str, client_data: &str) -> RpcClient {
        let mut c = Self::open(t).await;
        let result = c
            .join_with(token, client_data)
            .await
            .expect("joinRoom succeeds");
        c.connection_id = result["id"].as_str().unwrap().to_owned();
        c.rpc_session_id = result["sessionId"].as_str().unwrap().to_owned();
        c
    }

    pub async fn join_with(&mut self, token: &str, client_data: &str) -> Result<Value, RpcError> {
        let session = token
            .split("sessionId=")
            .nth(1)
            .unwrap_or("")
            .split('&')
            .next()
            .unwrap_or("");
        self.call(
            "joinRoom",
            json!({"token": token, "session": session, "platform": "Rust test", "sdkVersion": "2.32.2",
                   "metadata": client_data, "secret": "", "recorder": false, "stt": false}),
        )
        .await
    }

    pub async fn send_raw(&mut self, text: &str) {
        self.ws
            .send(Message::Text(text.into()))
            .await
            .expect("frame sent");
    }

    /// Sends a request and waits for its response; notifications are kept.
    pub async fn call(&mut self, method: &str, params: Value) -> Result<Value, RpcError> {
        let id = self.next_id;
        self.next_id += 1;
        let frame = json!({"jsonrpc": "2.0", "method": method, "params": params, "id": id});
        self.send_raw(&frame.to_string()).await;
        self.response_to(json!(id)).await
    }

    /// Calls `method` expecting an error; panics with the result if it succeeds.
    pub async fn fail(&mut self, method: &str, params: Value) -> RpcError {
        match self.call(method, params).await {
            Ok(result) => panic!("{method} succeeded with {result}, expected an error"),
            Err(e) => e,
        }
    }

    pub async fn response_to(&mut self, id: Value) -> Result<Value, RpcError> {
        let deadline = Instant::now() + WAIT;
        loop {
            let msg = self
                .next_frame(deadline)
                .await
                .unwrap_or_else(|| panic!("no response to request {id}"));
            assert_eq!(msg["jsonrpc"], "2.0", "{msg}");
            if msg.get("method").is_some() {
                self.notifications.push_back(msg);
                continue;
            }
            if msg["id"] != id {
                panic!("unexpected response {msg} while waiting for {id}");
            }
            if let Some(e) = msg.get("error") {
                return Err(RpcError {
                    code: e["code"].as_i64().unwrap(),
                    message: e["message"].as_str().unwrap_or("").to_owned(),
                });
            }
            return Ok(msg["result"].clone());
        }
    }

    async fn next_frame(&mut self, deadline: Instant) -> Option<Value> {
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            match tokio::time::timeout(left, self.ws.next()).await {
                Ok(Some(Ok(Message::Text(t)))) => {
                    return Some(serde_json::from_str(t.as_str()).expect("JSON frame"));
                }
                Ok(Some(Ok(_))) => continue,
                _ => return None,
            }
        }
    }

    /// Waits for the next notification named `method`; earlier other notifications stay
    /// queued.
    pub async fn notification(&mut self, method: &str) -> Value {
        self.try_notification(method, WAIT)
            .await
            .unwrap_or_else(|| panic!("no {method} notification"))
    }

    pub async fn try_notification(&mut self, method: &str, wait: Duration) -> Option<Value> {
        if let Some(i) = self
            .notifications
            .iter()
            .position(|n| n["method"] == method)
        {
            return self.notifications.remove(i).map(|n| n["params"].clone());
        }
        let deadline = Instant::now() + wait;
        loop {
            let msg = self.next_frame(deadline).await?;
            if msg["method"] == method {
                return Some(msg["params"].clone());
            }
            self.notifications.push_back(msg);
        }
    }

    /// Asserts that no notification named `method` arrives within a short while.
    pub async fn no_notification(&mut self, method: &str) {
        assert!(
            self.try_notification(method, Duration::from_millis(300))
                .await
                .is_none(),
            "unexpected {method}"
        );
    }

    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

/// A str0m peer acting as the browser's RTCPeerConnection.
pub struct Browser {
    pub rtc: Rtc,
    pending: Option<SdpPendingOffer>,
}

impl Browser {
    pub fn new() -> Browser {
        Browser {
            rtc: Rtc::builder().build(Instant::now()),
            pending: None,
        }
    }

    /// A publisher's offer: audio and video, send-only.
    pub fn publish_offer(&mut self) -> String {
        let mut api = self.rtc.sdp_api();
        api.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None);
        api.add_media(MediaKind::Video, Direction::SendOnly, None, None, None);
        let (offer, pending) = api.apply().unwrap();
        self.pending = Some(pending);
        offer.to_sdp_string()
    }

    pub fn accept_answer(&mut self, answer: &str) {
        let answer = SdpAnswer::from_sdp_string(answer).expect("a parseable answer");
        self.rtc
            .sdp_api()
            .accept_answer(self.pending.take().unwrap(), answer)
            .expect("the answer fits the offer");
    }

    /// Answers a server offer (subscribing).
    pub fn answer(&mut self, offer: &str) -> String {
        let offer = SdpOffer::from_sdp_string(offer).expect("a parseable offer");
        self.rtc
            .sdp_api()
            .accept_offer(offer)
            .expect("acceptable offer")
            .to_sdp_string()
    }
}

/// Joins and publishes; returns the client and its stream id.
pub async fn join_and_publish(
    t: &TestServer,
    token: &str,
    name: &str,
) -> (RpcClient, String, Browser) {
    let mut c = RpcClient::join(t, token, name).await;
    let mut browser = Browser::new();
    let offer = browser.publish_offer();
    let result = c
        .call(
            "publishVideo",
            json!({"sdpOffer": offer, "doLoopback": false, "hasAudio": true, "hasVideo": true,
                   "audioActive": true, "videoActive": true, "typeOfVideo": "CAMERA", "frameRate": 30,
                   "videoDimensions": "{\"width\":640,\"height\":480}"}),
        )
        .await
        .expect("publishVideo succeeds");
    browser.accept_answer(result["sdpAnswer"].as_str().unwrap());
    (c, result["id"].as_str().unwrap().to_owned(), browser)
}
