//! The connection caps, applied at accept time: a connection over the global cap or over its
//! source address's cap is closed at once, before any byte is read, counted, and reported in
//! a rate-limited log line. A [`Permit`] travels with the socket (into upgraded WebSockets
//! too) and frees its slot when the socket is dropped.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// At most one refusal line per this, summing the refusals in between.
const REFUSAL_LOG_INTERVAL: Duration = Duration::from_secs(10);

/// What a connection counts against: an IPv4 address, or the /64 of an IPv6 one (one
/// host usually owns a whole /64, so per-address caps on IPv6 would be free to dodge).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Source(IpAddr);

impl Source {
    /// The source of a peer address.
    pub fn of(ip: IpAddr) -> Source {
        match ip {
            IpAddr::V4(_) => Source(ip),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Source(IpAddr::V4(v4)),
                None => Source(IpAddr::V6(Ipv6Addr::from_bits(
                    v6.to_bits() & !((1u128 << 64) - 1),
                ))),
            },
        }
    }
}

/// Why a connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `OPENVIDU_HTTP_MAX_CONNECTIONS` connections are open.
    Global,
    /// `OPENVIDU_HTTP_MAX_CONNECTIONS_PER_IP` connections are open from the same source.
    PerAddress,
}

/// Counters of the listener, for tests, the statistics line and the soak.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConnectionStats {
    /// Connections open now (WebSockets included).
    pub open: usize,
    /// Connections refused because the global cap was reached.
    pub refused_global: u64,
    /// Connections refused because their source's cap was reached.
    pub refused_per_address: u64,
    /// Connections closed by the header or idle timeout.
    pub timed_out: u64,
}

#[derive(Default)]
struct Counts {
    open: usize,
    by_source: HashMap<Source, usize>,
}

#[derive(Default)]
struct RefusalLog {
    last: Option<Instant>,
    unreported: u64,
}

/// The caps and the counts they are checked against.
pub struct ConnectionLimiter {
    max_total: usize,
    max_per_source: usize,
    counts: Mutex<Counts>,
    refused_global: AtomicU64,
    refused_per_address: AtomicU64,
    timed_out: AtomicU64,
    log: Mutex<RefusalLog>,
}

/// One admitted connection's slot; dropping it frees the slot.
pub struct Permit {
    limiter: Arc<ConnectionLimiter>,
    source: Source,
}

impl ConnectionLimiter {
    /// Caps of `max_total` connections, `max_per_source` per source (0: no per-source cap).
    pub fn new(max_total: usize, max_per_source: usize) -> Arc<ConnectionLimiter> {
        Arc::new(ConnectionLimiter {
            max_total,
            max_per_source,
            counts: Mutex::default(),
            refused_global: AtomicU64::new(0),
            refused_per_address: AtomicU64::new(0),
            timed_out: AtomicU64::new(0),
            log: Mutex::default(),
        })
    }

    /// Takes a slot for a connection from `ip`, or says which cap refuses it (counted and
    /// logged here).
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Permit, Refusal> {
        let source = Source::of(ip);
        let verdict = {
            let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
            let from_source = counts.by_source.get(&source).copied().unwrap_or(0);
            if counts.open >= self.max_total {
                Err(Refusal::Global)
            } else if self.max_per_source != 0 && from_source >= self.max_per_source {
                Err(Refusal::PerAddress)
            } else {
                counts.open += 1;
                counts.by_source.insert(source, from_source + 1);
                Ok(())
            }
        };
        match verdict {
            Ok(()) => Ok(Permit {
                limiter: self.clone(),
                source,
            }),
            Err(refusal) => {
                let counter = match refusal {
                    Refusal::Global => &self.refused_global,
                    Refusal::PerAddress => &self.refused_per_address,
                };
                counter.fetch_add(1, Ordering::Relaxed);
                self.log_refusal(refusal, ip);
                Err(refusal)
            }
        }
    }

    /// Counts a connection closed by a timeout.
    pub fn count_timeout(&self) {
        self.timed_out.fetch_add(1, Ordering::Relaxed);
    }

    /// The counters now.
    pub fn stats(&self) -> ConnectionStats {
        let open = self.counts.lock().unwrap_or_else(|e| e.into_inner()).open;
        ConnectionStats {
            open,
            refused_global: self.refused_global.load(Ordering::Relaxed),
            refused_per_address: self.refused_per_address.load(Ordering::Relaxed),
            timed_out: self.timed_out.load(Ordering::Relaxed),
        }
    }

    /// The global cap in force.
    pub fn max_total(&self) -> usize {
        self.max_total
    }

    /// A flood refuses thousands of connections a second: one line per interval, with the
    /// number refused since the previous one, is enough to see it and cannot fill a disk.
    fn log_refusal(&self, refusal: Refusal, ip: IpAddr) {
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        log.unreported += 1;
        let now = Instant::now();
        if log
            .last
            .is_some_and(|last| now.duration_since(last) < REFUSAL_LOG_INTERVAL)
        {
            return;
        }
        let (cap, limit) = match refusal {
            Refusal::Global => ("OPENVIDU_HTTP_MAX_CONNECTIONS", self.max_total),
            Refusal::PerAddress => ("OPENVIDU_HTTP_MAX_CONNECTIONS_PER_IP", self.max_per_source),
        };
        tracing::warn!(
            refused = log.unreported,
            last_source = %ip,
            "HTTP connections refused: {cap} ({limit}) reached (at most one such line per {}s)",
            REFUSAL_LOG_INTERVAL.as_secs()
        );
        log.last = Some(now);
        log.unreported = 0;
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut counts = self
            .limiter
            .counts
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        counts.open -= 1;
        if let Some(n) = counts.by_source.get_mut(&self.source) {
            *n -= 1;
            if *n == 0 {
                counts.by_source.remove(&self.source);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_per_source_cap_refuses_only_that_source() {
        let limiter = ConnectionLimiter::new(10, 2);
        let held: Vec<Permit> = (0..2)
            .map(|_| limiter.admit(ip("10.0.0.1")).unwrap())
            .collect();
        assert_eq!(
            limiter.admit(ip("10.0.0.1")).err(),
            Some(Refusal::PerAddress)
        );
        let other = limiter.admit(ip("10.0.0.2")).unwrap();
        assert_eq!(limiter.stats().open, 3);
        assert_eq!(limiter.stats().refused_per_address, 1);
        drop(held);
        assert!(limiter.admit(ip("10.0.0.1")).is_ok());
        drop(other);
        assert_eq!(limiter.stats().open, 0);
        assert!(limiter.counts.lock().unwrap().by_source.is_empty());
    }

    #[test]
    fn the_global_cap_refuses_every_source() {
        let limiter = ConnectionLimiter::new(2, 0);
        let _a = limiter.admit(ip("10.0.0.1")).unwrap();
        let _b = limiter.admit(ip("10.0.0.1")).unwrap();
        assert_eq!(limiter.admit(ip("10.0.0.2")).err(), Some(Refusal::Global));
        assert_eq!(limiter.stats().refused_global, 1);
    }

    #[test]
    fn ipv6_sources_are_their_64_and_mapped_ipv4_is_ipv4() {
        assert_eq!(
            Source::of(ip("2001:db8:1:2:aaaa::1")),
            Source::of(ip("2001:db8:1:2:bbbb::2"))
        );
        assert_ne!(
            Source::of(ip("2001:db8:1:2::1")),
            Source::of(ip("2001:db8:1:3::1"))
        );
        assert_eq!(
            Source::of(ip("::ffff:10.0.0.1")),
            Source::of(ip("10.0.0.1"))
        );
    }
}
