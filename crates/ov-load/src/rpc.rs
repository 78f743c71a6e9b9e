//! OpenVidu's JSON-RPC over a WebSocket, as openvidu-browser speaks it: requests with
//! numeric ids, answered in order, and notifications in between. A reader task routes
//! answers to their callers and notifications to one channel; a writer task owns the
//! socket's sending half, so a request can be sent from anywhere without a lock.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

use crate::LoadError;

/// How long a request may wait for its answer (an SDP negotiation under load included).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(15);

type Answer = Result<Value, (i64, String)>;
type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Answer>>>>;

/// A notification: method and params.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// e.g. `participantPublished`.
    pub method: String,
    /// Its parameters.
    pub params: Value,
}

/// The sending side of a signaling connection. Dropping it closes the socket.
pub struct Rpc {
    out: mpsc::UnboundedSender<Message>,
    pending: Pending,
    next_id: AtomicU64,
}

impl Rpc {
    /// Opens `ws_url`; returns the client and the stream of notifications (it ends when
    /// the socket does).
    pub async fn connect(
        ws_url: &str,
    ) -> Result<(Rpc, mpsc::UnboundedReceiver<Notification>), LoadError> {
        let (ws, _) = tokio_tungstenite::connect_async(ws_url).await?;
        let (mut sink, mut stream) = ws.split();
        let (out, mut out_rx) = mpsc::unbounded_channel::<Message>();
        let (notes, notes_rx) = mpsc::unbounded_channel();
        let pending: Pending = Arc::default();
        tokio::spawn(async move {
            while let Some(m) = out_rx.recv().await {
                if sink.send(m).await.is_err() {
                    return;
                }
            }
            let _ = sink.close().await;
        });
        let routes = pending.clone();
        tokio::spawn(async move {
            while let Some(Ok(frame)) = stream.next().await {
                let Message::Text(text) = frame else { continue };
                match serde_json::from_str::<Value>(text.as_str()) {
                    Ok(v) => route(v, &routes, &notes),
                    Err(e) => tracing::warn!(error = %e, "a frame that is not JSON"),
                }
            }
            // Callers still waiting learn that no answer will come.
            routes.lock().unwrap_or_else(|p| p.into_inner()).clear();
        });
        let rpc = Rpc {
            out,
            pending,
            next_id: AtomicU64::new(0),
        };
        Ok((rpc, notes_rx))
    }

    /// Sends a request without waiting for its answer (pings).
    pub fn send(&self, method: &str, params: Value) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.send_frame(id, method, params);
    }

    fn send_frame(&self, id: u64, method: &str, params: Value) {
        let frame = json!({"jsonrpc": "2.0", "method": method, "params": params, "id": id});
        let _ = self.out.send(Message::Text(frame.to_string().into()));
    }

    /// Sends a request and waits for its result.
    pub async fn call(&self, method: &str, params: Value) -> Result<Value, LoadError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, tx);
        self.send_frame(id, method, params);
        let answer = tokio::time::timeout(ANSWER_TIMEOUT, rx).await;
        self.pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id);
        match answer {
            Ok(Ok(Ok(result))) => Ok(result),
            Ok(Ok(Err((code, message)))) => Err(LoadError::Rpc {
                method: method.to_owned(),
                code,
                message,
            }),
            _ => Err(LoadError::NoAnswer(method.to_owned())),
        }
    }
}

/// Hands an incoming frame to whoever waits for it.
fn route(v: Value, pending: &Pending, notes: &mpsc::UnboundedSender<Notification>) {
    if let Some(method) = v.get("method").and_then(Value::as_str) {
        let _ = notes.send(Notification {
            method: method.to_owned(),
            params: v.get("params").cloned().unwrap_or(Value::Null),
        });
        return;
    }
    let Some(id) = v.get("id").and_then(Value::as_u64) else {
        return;
    };
    let Some(waiter) = pending
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&id)
    else {
        return; // a ping's answer: nobody waits for it
    };
    let answer = match v.get("error") {
        Some(e) => Err((
            e.get("code").and_then(Value::as_i64).unwrap_or(0),
            e.get("message")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        )),
        None => Ok(v.get("result").cloned().unwrap_or(Value::Null)),
    };
    let _ = waiter.send(answer);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_routed_by_kind() {
        let pending: Pending = Arc::default();
        let (notes, mut notes_rx) = mpsc::unbounded_channel();
        let (tx, mut rx) = oneshot::channel();
        pending.lock().unwrap().insert(3, tx);
        let (etx, mut erx) = oneshot::channel();
        pending.lock().unwrap().insert(4, etx);

        route(
            json!({"jsonrpc": "2.0", "method": "participantPublished", "params": {"id": "con_A"}}),
            &pending,
            &notes,
        );
        route(json!({"id": 9, "result": {}}), &pending, &notes);
        route(
            json!({"id": 3, "result": {"sdpAnswer": "v=0"}}),
            &pending,
            &notes,
        );
        route(
            json!({"id": 4, "error": {"code": 401, "message": "no"}}),
            &pending,
            &notes,
        );

        let n = notes_rx.try_recv().unwrap();
        assert_eq!(n.method, "participantPublished");
        assert_eq!(n.params, json!({"id": "con_A"}));
        assert!(notes_rx.try_recv().is_err());
        assert_eq!(rx.try_recv().unwrap(), Ok(json!({"sdpAnswer": "v=0"})));
        assert_eq!(erx.try_recv().unwrap(), Err((401, "no".to_owned())));
        assert!(pending.lock().unwrap().is_empty());
    }
}
