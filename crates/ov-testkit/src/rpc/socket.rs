//! One signaling socket: a writer task owning the sending half (so requests go out from
//! anywhere without a lock) and a reader task routing each answer to the caller waiting
//! for its id and everything else to the [`Inbox`].

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::frame::{Incoming, Notification, RpcError, classify, request};
use super::{ANSWER_TIMEOUT, CallError, ConnectError};

/// Who waits for the answer of a request id.
enum Waiter {
    /// A caller.
    Call(oneshot::Sender<Result<Value, RpcError>>),
    /// Nobody: a request sent without waiting (pings).
    Discard,
}

type Pending = Arc<Mutex<HashMap<u64, Waiter>>>;

fn lock(pending: &Pending) -> std::sync::MutexGuard<'_, HashMap<u64, Waiter>> {
    pending.lock().unwrap_or_else(|p| p.into_inner())
}

/// The sending half. Dropping it (or [`Requester::close`]) closes the socket.
pub struct Requester {
    out: mpsc::UnboundedSender<Message>,
    pending: Pending,
    next_id: AtomicU64,
    writer: JoinHandle<()>,
}

/// What the server sent that no caller waits for: notifications, answers to frames sent
/// with [`Requester::send_raw`], and malformed frames.
pub struct Inbox {
    rx: mpsc::UnboundedReceiver<Incoming>,
    /// Frames read while waiting for something else, in arrival order.
    held: VecDeque<Incoming>,
}

/// Opens `url`, over TLS when `tls` is given.
pub(super) async fn open(
    url: &str,
    tls: Option<Arc<rustls::ClientConfig>>,
) -> Result<(Requester, Inbox), ConnectError> {
    let request = url.into_client_request()?;
    let uri = request.uri();
    let secure = uri.scheme_str() == Some("wss");
    let host = uri.host().unwrap_or_default().to_owned();
    let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
    let tcp = tokio::net::TcpStream::connect((host.trim_matches(['[', ']']), port)).await?;
    if !secure {
        let (ws, _) = tokio_tungstenite::client_async(request, tcp).await?;
        return Ok(start(ws));
    }
    let tls = tls.ok_or_else(|| ConnectError::Tls(format!("{url} needs a TLS configuration")))?;
    let name = rustls::pki_types::ServerName::try_from(host.trim_matches(['[', ']']).to_owned())
        .map_err(|e| ConnectError::Tls(e.to_string()))?;
    let stream = tokio_rustls::TlsConnector::from(tls)
        .connect(name, tcp)
        .await?;
    let (ws, _) = tokio_tungstenite::client_async(request, stream).await?;
    Ok(start(ws))
}

fn start<S>(ws: WebSocketStream<S>) -> (Requester, Inbox)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sink, mut stream) = ws.split();
    let (out, mut out_rx) = mpsc::unbounded_channel::<Message>();
    let (inbox_tx, inbox_rx) = mpsc::unbounded_channel();
    let pending: Pending = Arc::default();
    let writer = tokio::spawn(async move {
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
            if let Some(unclaimed) = route(classify(text.as_str()), &routes) {
                let _ = inbox_tx.send(unclaimed);
            }
        }
        // Callers still waiting learn that no answer will come.
        lock(&routes).clear();
    });
    let requester = Requester {
        out,
        pending,
        next_id: AtomicU64::new(0),
        writer,
    };
    let inbox = Inbox {
        rx: inbox_rx,
        held: VecDeque::new(),
    };
    (requester, inbox)
}

/// Hands an answer to its caller; returns what nobody waits for.
fn route(incoming: Incoming, pending: &Pending) -> Option<Incoming> {
    let Incoming::Response { id, answer } = incoming else {
        return Some(incoming);
    };
    let waiter = id.as_u64().and_then(|n| lock(pending).remove(&n));
    match waiter {
        Some(Waiter::Call(caller)) => {
            let _ = caller.send(answer);
            None
        }
        Some(Waiter::Discard) => None,
        None => Some(Incoming::Response { id, answer }),
    }
}

impl Requester {
    fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Sends a request whose answer nobody waits for (pings).
    pub fn send(&self, method: &str, params: Value) {
        let id = self.next_id();
        lock(&self.pending).insert(id, Waiter::Discard);
        self.send_raw(request(id, method, params));
    }

    /// Sends a text frame as it is; its answer, if any, goes to the [`Inbox`].
    pub fn send_raw(&self, text: impl Into<String>) {
        let _ = self.out.send(Message::Text(text.into().into()));
    }

    /// Sends a request and waits up to [`ANSWER_TIMEOUT`] for its result.
    pub async fn call(&self, method: &str, params: Value) -> Result<Value, CallError> {
        self.call_within(method, params, ANSWER_TIMEOUT).await
    }

    /// Sends a request and waits up to `wait` for its result.
    pub async fn call_within(
        &self,
        method: &str,
        params: Value,
        wait: Duration,
    ) -> Result<Value, CallError> {
        let id = self.next_id();
        let (tx, rx) = oneshot::channel();
        lock(&self.pending).insert(id, Waiter::Call(tx));
        self.send_raw(request(id, method, params));
        let answer = tokio::time::timeout(wait, rx).await;
        lock(&self.pending).remove(&id);
        match answer {
            Ok(Ok(Ok(result))) => Ok(result),
            Ok(Ok(Err(error))) => Err(CallError::Rpc {
                method: method.to_owned(),
                error,
            }),
            _ => Err(CallError::NoAnswer(method.to_owned())),
        }
    }

    /// Closes the socket (a WebSocket close frame) once what was sent before is out.
    pub async fn close(self) {
        let Requester { out, writer, .. } = self;
        drop(out);
        let _ = writer.await;
    }
}

impl Inbox {
    /// The next frame (held ones first); `None` once the socket closed and all is read.
    pub async fn next(&mut self) -> Option<Incoming> {
        match self.held.pop_front() {
            Some(held) => Some(held),
            None => self.rx.recv().await,
        }
    }

    /// The next notification, whatever its name; other frames are dropped (malformed ones
    /// with a warning). `None` once the socket closed.
    pub async fn next_notification(&mut self) -> Option<Notification> {
        loop {
            match self.next().await? {
                Incoming::Notification(n) => return Some(n),
                Incoming::Malformed(text) => tracing::warn!(%text, "a malformed frame"),
                Incoming::Response { .. } => {}
            }
        }
    }

    /// The params of the first notification named `method`, waiting up to `wait`;
    /// everything read meanwhile stays held, in order.
    pub async fn notification(&mut self, method: &str, wait: Duration) -> Option<Value> {
        let is_it = |i: &Incoming| matches!(i, Incoming::Notification(n) if n.method == method);
        let found = match self.take_held(is_it) {
            Some(found) => found,
            None => self.read_until(wait, is_it).await?,
        };
        match found {
            Incoming::Notification(n) => Some(n.params),
            _ => unreachable!("matched a notification"),
        }
    }

    /// The answer to the frame with `id` (sent with [`Requester::send_raw`]), waiting up
    /// to `wait`.
    pub async fn response(
        &mut self,
        id: &Value,
        wait: Duration,
    ) -> Option<Result<Value, RpcError>> {
        let is_it = |i: &Incoming| matches!(i, Incoming::Response { id: got, .. } if got == id);
        let found = match self.take_held(is_it) {
            Some(found) => found,
            None => self.read_until(wait, is_it).await?,
        };
        match found {
            Incoming::Response { answer, .. } => Some(answer),
            _ => unreachable!("matched a response"),
        }
    }

    /// The malformed frames held so far (tests fail on any).
    pub fn malformed(&self) -> Vec<&str> {
        self.held
            .iter()
            .filter_map(|i| match i {
                Incoming::Malformed(text) => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    fn take_held(&mut self, wanted: impl Fn(&Incoming) -> bool) -> Option<Incoming> {
        let at = self.held.iter().position(wanted)?;
        self.held.remove(at)
    }

    /// Reads until a frame is `wanted` (returned) or `wait` passes; holds the others.
    async fn read_until(
        &mut self,
        wait: Duration,
        wanted: impl Fn(&Incoming) -> bool,
    ) -> Option<Incoming> {
        let deadline = Instant::now() + wait;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.rx.recv())
                .await
                .ok()??;
            if wanted(&frame) {
                return Some(frame);
            }
            self.held.push_back(frame);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn answers_go_to_their_callers_and_the_rest_to_the_inbox() {
        let pending: Pending = Arc::default();
        let (tx, mut rx) = oneshot::channel();
        lock(&pending).insert(3, Waiter::Call(tx));
        lock(&pending).insert(4, Waiter::Discard);
        let note = Incoming::Notification(Notification {
            method: "participantPublished".into(),
            params: json!({}),
        });
        assert_eq!(route(note.clone(), &pending), Some(note));
        let answer = |id: Value| Incoming::Response {
            id,
            answer: Ok(json!({"value": "pong"})),
        };
        assert_eq!(route(answer(json!(3)), &pending), None);
        assert_eq!(rx.try_recv().unwrap(), Ok(json!({"value": "pong"})));
        assert_eq!(route(answer(json!(4)), &pending), None, "a ping's answer");
        assert_eq!(
            route(answer(json!(9)), &pending),
            Some(answer(json!(9))),
            "nobody waits for 9"
        );
        assert_eq!(
            route(answer(Value::Null), &pending),
            Some(answer(Value::Null))
        );
        assert!(lock(&pending).is_empty());
    }
}
