//! The process's file-descriptor limit. Every HTTP connection, WebSocket, media socket and
//! open file takes a descriptor; a default soft limit of 1024 would let a thousand idle
//! connections stop the server, so start-up raises the soft limit to the hard one and the
//! default connection cap stays a reserve below it.

/// The `RLIMIT_NOFILE` pair after [`raise`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FdLimit {
    /// The limit in force.
    pub soft: u64,
    /// The ceiling an unprivileged process may raise `soft` to.
    pub hard: u64,
}

/// Raises the soft limit to the hard one (where the platform has the limit) and returns the
/// pair in force; `None` when it cannot be read.
pub fn raise() -> Option<FdLimit> {
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        // E.g. an unlimited hard limit, which Linux refuses as a soft one: keep the soft.
        tracing::warn!(error = %e, "cannot raise the file-descriptor limit");
    }
    let (soft, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).ok()?;
    Some(FdLimit { soft, hard })
}

/// Connections allowed at once when `OPENVIDU_HTTP_MAX_CONNECTIONS` is unset: the soft limit
/// less a reserve of one eighth (at least 128, at most 4096, never more than half) for the
/// media and TURN sockets, webhook clients, CDR files and the standard streams.
pub fn default_max_connections(soft_limit: u64) -> usize {
    let soft = soft_limit.min(1 << 24);
    let reserve = (soft / 8).clamp(128, 4096).min(soft / 2);
    usize::try_from(soft - reserve).unwrap_or(usize::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_cap_keeps_a_reserve_below_the_limit() {
        assert_eq!(default_max_connections(1024), 1024 - 128);
        assert_eq!(default_max_connections(20_000), 20_000 - 2_500);
        assert_eq!(default_max_connections(1_048_576), 1_048_576 - 4_096);
        assert_eq!(default_max_connections(200), 100);
        assert_eq!(default_max_connections(1), 1);
        assert_eq!(default_max_connections(u64::MAX), (1 << 24) - 4_096);
    }

    #[test]
    fn raising_leaves_the_soft_limit_at_the_hard_one() {
        let limit = raise().expect("Linux has RLIMIT_NOFILE");
        assert!(limit.soft <= limit.hard);
        // An unlimited hard limit cannot be the soft one; any other can.
        if limit.hard != u64::MAX {
            assert_eq!(limit.soft, limit.hard);
        }
    }
}
