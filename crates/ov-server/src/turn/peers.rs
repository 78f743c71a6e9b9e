//! The only peers a TURN allocation may reach: this deployment's media sockets.
//!
//! A browser names a peer by an address it saw in our SDP (an advertised candidate) and
//! the relay must send there; behind NAT the advertised address may not even be reachable
//! from the server itself, so each is translated to the worker's local socket. Anything
//! else is refused with 403: the server is never an open relay.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Allowed peer addresses (as browsers name them) and where the relay sends for each.
#[derive(Debug, Clone, Default)]
pub struct MediaPeers {
    targets: HashMap<SocketAddr, SocketAddr>,
}

impl MediaPeers {
    /// From the media workers: each worker's local socket and the candidate addresses
    /// announced for it.
    pub fn new<'a>(workers: impl IntoIterator<Item = (SocketAddr, &'a [SocketAddr])>) -> Self {
        let mut targets = HashMap::new();
        for (local, candidates) in workers {
            let target = reachable(local);
            targets.insert(target, target);
            for c in candidates {
                targets.insert(*c, target);
            }
        }
        MediaPeers { targets }
    }

    /// Whether a permission for `ip` may be installed (CreatePermission).
    pub fn allows_ip(&self, ip: IpAddr) -> bool {
        self.targets.keys().any(|a| a.ip() == ip)
    }

    /// Where the relay sends what a client addresses to `peer`, if it is ours.
    pub fn target(&self, peer: SocketAddr) -> Option<SocketAddr> {
        self.targets.get(&peer).copied()
    }
}

/// A local socket address the server itself can send to (loopback for a wildcard bind).
fn reachable(local: SocketAddr) -> SocketAddr {
    match local.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => (Ipv4Addr::LOCALHOST, local.port()).into(),
        IpAddr::V6(ip) if ip.is_unspecified() => (Ipv6Addr::LOCALHOST, local.port()).into(),
        _ => local,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_media_addresses_are_peers() {
        let advertised: Vec<SocketAddr> = vec!["203.0.113.5:4443".parse().unwrap()];
        let peers = MediaPeers::new([("0.0.0.0:4443".parse().unwrap(), advertised.as_slice())]);
        let local: SocketAddr = "127.0.0.1:4443".parse().unwrap();
        assert_eq!(peers.target(advertised[0]), Some(local));
        assert_eq!(peers.target(local), Some(local));
        assert_eq!(peers.target("203.0.113.5:4444".parse().unwrap()), None);
        assert_eq!(peers.target("198.51.100.1:4443".parse().unwrap()), None);
        assert!(peers.allows_ip("203.0.113.5".parse().unwrap()));
        assert!(!peers.allows_ip("198.51.100.1".parse().unwrap()));
    }
}
