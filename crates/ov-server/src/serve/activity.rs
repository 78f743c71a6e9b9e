//! Whether a connection is doing anything: a request counts from the end of its headers
//! (when hyper hands it to the router) until its response body has been written (when hyper
//! drops it). While none is in progress the connection has a deadline: the header timeout
//! from its opening, then the idle timeout from the end of each response. Past it, the
//! connection is closed; nothing is lost, since no request is being served.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use http_body::{Body as HttpBody, Frame, SizeHint};
use tokio::sync::Notify;
use tokio::time::Instant;

/// The requests in progress on one connection, and its deadline while there are none.
pub struct Activity {
    idle_timeout: Duration,
    state: Mutex<State>,
    changed: Notify,
}

struct State {
    in_flight: usize,
    /// `None` while a request is in progress.
    deadline: Option<Instant>,
}

impl Activity {
    /// A connection opened now: its first request's headers are due within `header_timeout`.
    pub fn new(header_timeout: Duration, idle_timeout: Duration) -> Arc<Activity> {
        Arc::new(Activity {
            idle_timeout,
            state: Mutex::new(State {
                in_flight: 0,
                deadline: Some(Instant::now() + header_timeout),
            }),
            changed: Notify::new(),
        })
    }

    /// A request whose headers have been read; it ends when the guard is dropped.
    pub fn begin(self: &Arc<Self>) -> RequestGuard {
        let mut state = self.lock();
        state.in_flight += 1;
        state.deadline = None;
        drop(state);
        self.changed.notify_one();
        RequestGuard {
            activity: self.clone(),
        }
    }

    /// No request is in progress.
    pub fn is_idle(&self) -> bool {
        self.lock().in_flight == 0
    }

    /// Resolves when the connection has been without a request past its deadline.
    pub async fn expired(&self) {
        loop {
            let changed = self.changed.notified();
            let deadline = self.lock().deadline;
            match deadline {
                Some(at) if at <= Instant::now() => return,
                Some(at) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(at) => {}
                        _ = changed => {}
                    }
                }
                None => changed.await,
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One request in progress.
pub struct RequestGuard {
    activity: Arc<Activity>,
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        let mut state = self.activity.lock();
        state.in_flight -= 1;
        if state.in_flight == 0 {
            state.deadline = Some(Instant::now() + self.activity.idle_timeout);
        }
        drop(state);
        self.activity.changed.notify_one();
    }
}

/// A response body that keeps its request in progress until hyper has written it all and
/// drops it. Size and end are forwarded, so `Content-Length` is unchanged.
pub struct GuardedBody {
    inner: Body,
    _guard: RequestGuard,
}

impl GuardedBody {
    /// `inner`, ending the request when dropped.
    pub fn new(inner: Body, guard: RequestGuard) -> GuardedBody {
        GuardedBody {
            inner,
            _guard: guard,
        }
    }
}

impl HttpBody for GuardedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_deadline_is_the_header_timeout_then_the_idle_timeout() {
        let header = Duration::from_secs(10);
        let idle = Duration::from_secs(60);
        let start = Instant::now();
        let activity = Activity::new(header, idle);
        activity.expired().await;
        assert_eq!(start.elapsed(), header);

        let activity = Activity::new(header, idle);
        let guard = activity.begin();
        let waiter = tokio::spawn({
            let activity = activity.clone();
            async move { activity.expired().await }
        });
        // Busy for a long time: no deadline.
        tokio::time::sleep(Duration::from_secs(1000)).await;
        assert!(!waiter.is_finished());
        assert!(!activity.is_idle());
        let ended = Instant::now();
        drop(guard);
        waiter.await.unwrap();
        assert_eq!(ended.elapsed(), idle);
        assert!(activity.is_idle());
    }
}
