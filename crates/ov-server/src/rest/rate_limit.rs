//! The REST request rate per client address (`OPENVIDU_LIMIT_REST_REQUESTS_PER_SECOND`).
//!
//! Counted by the socket's address, not `X-Real-IP`, which any client can set: behind a
//! proxy every request counts for the proxy, so raise or disable the limit there.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::extract::request_path;
use crate::config::Limit;
use crate::rate::TokenBucket;

/// Addresses tracked at most; past this, new addresses share one bucket, so many
/// addresses cannot grow the table nor escape the limit.
const MAX_TRACKED: usize = 65_536;

/// The buckets of the client addresses seen recently.
#[derive(Debug)]
pub struct RestRate {
    limit: Limit,
    rate: u32,
    buckets: Mutex<Buckets>,
}

#[derive(Debug)]
struct Buckets {
    by_address: HashMap<IpAddr, TokenBucket>,
    overflow: TokenBucket,
}

impl RestRate {
    /// The limiter of `limit`, `None` when requests are not limited.
    pub fn new(limit: Option<Limit>) -> Option<Arc<RestRate>> {
        let limit = limit?;
        let rate = u32::try_from(limit.max).unwrap_or(u32::MAX);
        Some(Arc::new(RestRate {
            limit,
            rate,
            buckets: Mutex::new(Buckets {
                by_address: HashMap::new(),
                overflow: TokenBucket::new(rate, Instant::now()),
            }),
        }))
    }

    /// Whether `address` may make one more request now.
    fn allow(&self, address: IpAddr, now: Instant) -> bool {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let Buckets {
            by_address,
            overflow,
        } = &mut *buckets;
        if !by_address.contains_key(&address) && by_address.len() >= MAX_TRACKED {
            by_address.retain(|_, b| !b.is_full(now));
            if by_address.len() >= MAX_TRACKED {
                return overflow.take(now);
            }
        }
        by_address
            .entry(address)
            .or_insert_with(|| TokenBucket::new(self.rate, now))
            .take(now)
    }
}

/// Answers 429 with OpenVidu's JSON error body to an address over the limit.
/// (A router served without connection info, as when embedded, is not limited.)
pub async fn limit_rate(
    State(rate): State<Arc<RestRate>>,
    request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if peer.is_none_or(|ip| rate.allow(ip, Instant::now())) {
        return next.run(request).await;
    }
    let path = request_path(request.uri(), request.extensions());
    ApiError::with_body(
        StatusCode::TOO_MANY_REQUESTS,
        format!("Too many requests: {}", rate.limit),
        &path,
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_address_has_its_own_bucket() {
        let rate = RestRate::new(Some(Limit {
            what: "requests",
            setting: "S",
            max: 1,
        }))
        .unwrap();
        let now = Instant::now();
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.2".parse().unwrap();
        assert!(rate.allow(a, now) && rate.allow(a, now));
        assert!(!rate.allow(a, now), "a burst of twice the rate");
        assert!(rate.allow(b, now));
    }
}
