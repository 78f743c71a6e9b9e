//! One WebSocket: a reader that handles requests strictly in order, and a writer that
//! drains the socket's outbox (responses and notifications, in the order queued).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, close_code};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite;

use super::MAX_FRAME_BYTES;
use super::dispatch::RpcSocket;
use crate::domain::{Outbox, Registry};

/// A socket silent for this long is closed (openvidu-browser pings every 5 s).
const IDLE_LIMIT: Duration = Duration::from_secs(20);

/// Serves one WebSocket until it closes.
pub async fn serve(socket: WebSocket, registry: Arc<Registry>, ip: String) {
    let (mut sink, mut stream) = socket.split();
    let (outbox, mut frames, stuck) = Outbox::new();
    let (close_tx, mut close_rx) = oneshot::channel::<CloseFrame>();
    let mut close_tx = Some(close_tx);
    let mut writer = tokio::spawn(async move {
        loop {
            tokio::select! {
                biased;
                close = &mut close_rx => {
                    if let Ok(frame) = close {
                        let _ = sink.send(Message::Close(Some(frame))).await;
                    }
                    break;
                }
                frame = frames.recv() => {
                    let Some(frame) = frame else { break };
                    if sink.send(Message::Text(frame.into())).await.is_err() {
                        break;
                    }
                }
            }
        }
        let _ = sink.close().await;
    });
    let mut rpc = RpcSocket::new(registry, outbox, ip);
    loop {
        let next = tokio::select! {
            next = tokio::time::timeout(IDLE_LIMIT, stream.next()) => next,
            () = stuck.notified() => break,
        };
        let message = match next {
            Ok(Some(Ok(m))) => m,
            Ok(Some(Err(e))) => {
                if is_too_large(e)
                    && let Some(tx) = close_tx.take()
                {
                    tracing::info!("closing a WebSocket that sent a frame over the limit");
                    let _ = tx.send(CloseFrame {
                        code: close_code::SIZE,
                        reason: format!("frame larger than {MAX_FRAME_BYTES} bytes").into(),
                    });
                }
                break;
            }
            Ok(None) => break,
            Err(_) => {
                tracing::info!("closing a silent WebSocket");
                break;
            }
        };
        match message {
            Message::Text(text) => rpc.handle(text.as_str()).await,
            Message::Binary(bytes) => match std::str::from_utf8(&bytes) {
                Ok(text) => rpc.handle(text).await,
                Err(_) => rpc.handle("\u{0}").await,
            },
            Message::Close(_) => break,
            Message::Ping(_) | Message::Pong(_) => {}
        }
    }
    rpc.closed();
    // Let queued frames out, but do not wait on a dead peer.
    if tokio::time::timeout(Duration::from_secs(1), &mut writer)
        .await
        .is_err()
    {
        writer.abort();
    }
}

/// Whether a read failed because the frame or message exceeded the size limit.
fn is_too_large(e: axum::Error) -> bool {
    e.into_inner()
        .downcast::<tungstenite::Error>()
        .is_ok_and(|e| matches!(*e, tungstenite::Error::Capacity(_)))
}
