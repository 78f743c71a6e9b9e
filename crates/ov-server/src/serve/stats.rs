//! The runtime statistics line (`OPENVIDU_RUNTIME_STATS_INTERVAL`): the async runtime's
//! alive tasks and the listener's connection counters, logged at an interval under the
//! target `ov_server::stats`. A log line rather than a REST endpoint, so no client comes
//! to rely on an API OpenVidu does not have; `openvidu-load soak` reads it from the log.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::limiter::ConnectionLimiter;

/// Logs one line every `interval` until `stopped` turns true.
pub async fn log_every(
    interval: Duration,
    limiter: Arc<ConnectionLimiter>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut ticker = tokio::time::interval(interval);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stopped.wait_for(|s| *s) => return,
        }
        let tasks = tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks();
        let c = limiter.stats();
        tracing::info!(
            target: "ov_server::stats",
            alive_tasks = tasks,
            connections_open = c.open,
            refused_global = c.refused_global,
            refused_per_address = c.refused_per_address,
            timed_out = c.timed_out,
            "runtime"
        );
    }
}
