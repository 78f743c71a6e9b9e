//! The dashboard's live feed: one task samples the sessions while somebody watches and
//! pushes a snapshot to every open page (Server-Sent Events) when it differs from the last.
//!
//! One sampler for all viewers, so ten open dashboards cost what one does; none open, it
//! only wakes to check.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use tokio::sync::watch;

use super::snapshot::Sampler;
use crate::domain::Registry;

/// How often the stats are read while a dashboard is open. The engine's own statistics
/// are refreshed about once a second, so sampling faster would show nothing new.
pub const SAMPLE_EVERY: Duration = Duration::from_millis(1000);

/// The latest snapshot, as JSON, for every viewer.
#[derive(Clone)]
pub struct Feed {
    latest: Arc<watch::Sender<Arc<str>>>,
}

impl Feed {
    /// Starts the sampler; it ends when `stopped` turns true (open feeds then end too).
    pub fn start(
        registry: Arc<Registry>,
        mut stopped: watch::Receiver<bool>,
    ) -> (Feed, tokio::task::JoinHandle<()>) {
        let (tx, _) = watch::channel(Arc::<str>::from(r#"{"sessions":[]}"#));
        let tx = Arc::new(tx);
        let latest = tx.clone();
        let task = tokio::spawn(async move {
            let mut sampler = Sampler::default();
            let mut tick = tokio::time::interval(SAMPLE_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = stopped.changed() => {}
                }
                if *stopped.borrow() {
                    break;
                }
                // Every receiver is an open page.
                if tx.receiver_count() == 0 {
                    continue;
                }
                let sessions = registry.list_sessions(false, true).content;
                let snapshot = sampler.sample(&sessions, std::time::Instant::now());
                let json = match serde_json::to_string(&snapshot) {
                    Ok(json) => json,
                    Err(error) => {
                        tracing::warn!(%error, "dashboard snapshot not serialisable");
                        continue;
                    }
                };
                tx.send_if_modified(|current| {
                    let changed = **current != *json;
                    if changed {
                        *current = json.into();
                    }
                    changed
                });
            }
        });
        (Feed { latest }, task)
    }

    /// An event stream for one page: the current snapshot at once, then every change.
    pub fn events(&self) -> Sse<impl Stream<Item = Result<Event, Infallible>> + use<>> {
        let mut rx = self.latest.subscribe();
        rx.mark_changed();
        let stream = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.changed().await.ok()?;
            let json = rx.borrow_and_update().clone();
            Some((Ok(Event::default().event("snapshot").data(&*json)), rx))
        });
        Sse::new(stream).keep_alive(KeepAlive::default())
    }
}
