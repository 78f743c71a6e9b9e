//! REST objects of `/openvidu/api`, with OpenVidu 2.32's exact JSON keys.
//!
//! Response types serialize every key OpenVidu sends, with explicit `null`s where it sends
//! them (the Java client calls `isJsonNull()` on them, the Node client dereferences some
//! unconditionally). Request types accept `null` or absence for every optional key, as
//! openvidu-node-client sends explicit `null`s for unset properties.

mod connection;
mod recording;
mod session;
mod signal;

pub use connection::*;
pub use recording::*;
pub use session::*;
pub use signal::*;

use serde::{Deserialize, Serialize};

/// A list response: `{"numberOfElements": n, "content": [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    /// Number of items in `content`.
    pub number_of_elements: usize,
    /// The items.
    pub content: Vec<T>,
}

impl<T> Page<T> {
    /// Wraps `content`, counting it.
    pub fn new(content: Vec<T>) -> Self {
        Page {
            number_of_elements: content.len(),
            content,
        }
    }
}

impl<T> Default for Page<T> {
    fn default() -> Self {
        Page::new(Vec::new())
    }
}

/// The error body OpenVidu sends with 400s and some other errors:
/// `{"timestamp", "status", "error", "message", "path"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Epoch milliseconds.
    pub timestamp: u64,
    /// HTTP status code.
    pub status: u16,
    /// HTTP reason phrase.
    pub error: String,
    /// What went wrong, for a developer.
    pub message: String,
    /// Request path, starting with `/openvidu/api`.
    pub path: String,
}
