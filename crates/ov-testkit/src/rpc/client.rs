//! A signaling client for tests: one participant's socket, whose helpers panic with a
//! message saying what did not arrive, so a test reads as the exchange it checks.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::frame::{RpcError, join_params};
use super::socket::{Inbox, Requester};
use super::{CallError, ConnectError, connect, connect_tls};

/// How long a test waits for a notification or a raw frame's answer before failing.
pub const NOTIFICATION_WAIT: Duration = Duration::from_secs(5);
/// How long [`RpcClient::no_notification`] watches before concluding that none comes.
pub const SILENCE: Duration = Duration::from_millis(300);

/// One participant's signaling socket.
pub struct RpcClient {
    /// The sending half.
    pub requester: Requester,
    /// Notifications and unclaimed answers.
    pub inbox: Inbox,
    /// The connection id `joinRoom` returned (empty before).
    pub connection_id: String,
    /// The RPC session id `joinRoom` returned, used by `connect` to reconnect.
    pub rpc_session_id: String,
}

impl RpcClient {
    /// Opens `url` (`ws://host:port/openvidu`); panics if it cannot.
    pub async fn open(url: &str) -> RpcClient {
        Self::from_halves(connect(url).await, url)
    }

    /// Opens `url` (`wss://…`) with `tls`; panics if it cannot.
    pub async fn open_tls(url: &str, tls: Arc<rustls::ClientConfig>) -> RpcClient {
        Self::from_halves(connect_tls(url, tls).await, url)
    }

    fn from_halves(halves: Result<(Requester, Inbox), ConnectError>, url: &str) -> RpcClient {
        let (requester, inbox) = halves.unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
        RpcClient {
            requester,
            inbox,
            connection_id: String::new(),
            rpc_session_id: String::new(),
        }
    }

    /// Opens `url` and joins with `token` (a full token URL); panics unless it succeeds.
    pub async fn join(url: &str, token: &str, metadata: &str) -> RpcClient {
        let mut c = Self::open(url).await;
        let result = c
            .join_with(token, metadata)
            .await
            .unwrap_or_else(|e| panic!("joinRoom failed: {e:?}"));
        assert!(
            result["id"].is_string() && result["sessionId"].is_string(),
            "joinRoom result without ids: {result}"
        );
        c
    }

    /// `joinRoom` with `token`; on success the client keeps the ids it was given.
    pub async fn join_with(&mut self, token: &str, metadata: &str) -> Result<Value, RpcError> {
        let result = self
            .call("joinRoom", join_params(token, metadata, "Rust test"))
            .await?;
        let id = |key: &str| result[key].as_str().unwrap_or_default().to_owned();
        self.connection_id = id("id");
        self.rpc_session_id = id("sessionId");
        Ok(result)
    }

    /// Sends a request and waits for its answer; panics if none comes.
    pub async fn call(&mut self, method: &str, params: Value) -> Result<Value, RpcError> {
        match self.requester.call(method, params).await {
            Ok(result) => Ok(result),
            Err(CallError::Rpc { error, .. }) => Err(error),
            Err(e @ CallError::NoAnswer(_)) => {
                panic!("{e}; malformed frames: {:?}", self.inbox.malformed())
            }
        }
    }

    /// Calls `method` expecting an error; panics with the result if it succeeds.
    pub async fn fail(&mut self, method: &str, params: Value) -> RpcError {
        match self.call(method, params).await {
            Ok(result) => panic!("{method} succeeded with {result}, expected an error"),
            Err(e) => e,
        }
    }

    /// Sends a text frame as it is.
    pub async fn send_raw(&mut self, text: &str) {
        self.requester.send_raw(text);
    }

    /// The answer to a frame sent raw with `id` (`null` for one the server could not
    /// read); panics if none comes.
    pub async fn response_to(&mut self, id: Value) -> Result<Value, RpcError> {
        self.inbox
            .response(&id, NOTIFICATION_WAIT)
            .await
            .unwrap_or_else(|| panic!("no response to request {id}"))
    }

    /// Waits for the next notification named `method`; others stay queued. Panics if
    /// none comes.
    pub async fn notification(&mut self, method: &str) -> Value {
        self.try_notification(method, NOTIFICATION_WAIT)
            .await
            .unwrap_or_else(|| panic!("no {method} notification"))
    }

    /// The next notification named `method`, if one comes within `wait`.
    pub async fn try_notification(&mut self, method: &str, wait: Duration) -> Option<Value> {
        let found = self.inbox.notification(method, wait).await;
        let malformed = self.inbox.malformed();
        assert!(malformed.is_empty(), "malformed frames: {malformed:?}");
        found
    }

    /// Asserts that no notification named `method` arrives within [`SILENCE`].
    pub async fn no_notification(&mut self, method: &str) {
        if let Some(params) = self.try_notification(method, SILENCE).await {
            panic!("unexpected {method}: {params}");
        }
    }

    /// Closes the socket and waits until the server has answered the close: it has then
    /// read its last frame from this socket. Panics if it never answers.
    pub async fn close(self) {
        let RpcClient {
            requester,
            mut inbox,
            ..
        } = self;
        requester.close().await;
        let closed = tokio::time::timeout(NOTIFICATION_WAIT, async {
            while inbox.next().await.is_some() {}
        });
        closed.await.expect("the server answers a close");
    }
}
