//! Waiting for a condition with a deadline, instead of sleeping for a time that is
//! supposed to be enough: the wait ends as soon as the condition holds, and a condition
//! that never holds fails the test with its name instead of hanging it.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

/// How often a condition is checked.
pub const POLL: Duration = Duration::from_millis(20);

/// Checks `check` every [`POLL`] until it gives a value, for at most `timeout`.
pub async fn within<T, F, Fut>(timeout: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return Some(value);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep_until((Instant::now() + POLL).min(deadline)).await;
    }
}

/// Like [`within`], but panics naming `what` when the condition never holds.
pub async fn until<T, F, Fut>(what: &str, timeout: Duration, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    within(timeout, check)
        .await
        .unwrap_or_else(|| panic!("timed out after {timeout:?} waiting for {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn a_wait_ends_when_the_condition_holds_or_at_its_deadline() {
        let checks = AtomicU32::new(0);
        let third = within(Duration::from_secs(5), || async {
            let n = checks.fetch_add(1, Ordering::Relaxed) + 1;
            (n == 3).then_some(n)
        })
        .await;
        assert_eq!(third, Some(3));
        let started = Instant::now();
        let never: Option<()> = within(Duration::from_millis(100), || async { None }).await;
        assert_eq!(never, None);
        assert!(started.elapsed() >= Duration::from_millis(100));
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    #[should_panic(expected = "waiting for the impossible")]
    async fn a_condition_that_never_holds_fails_with_its_name() {
        until("the impossible", Duration::from_millis(50), || async {
            None::<()>
        })
        .await;
    }
}
