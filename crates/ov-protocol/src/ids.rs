//! Identifier formats of OpenVidu 2 (`ses_…`, `con_…`, `str_…`, `tok_…`) and their rules.
//!
//! Generation needs randomness and therefore lives in the server; this module only knows
//! the shapes, so that every crate validates and parses them the same way.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Serialize};

/// Declares a string id newtype: transparent on the wire, usable as `&str` (deref,
/// `Borrow<str>` for map look-ups), and not interchangeable with the other kinds.
macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps `id` as it is (no validation: ids from clients may be anything).
            pub fn new(id: impl Into<String>) -> Self {
                $name(id.into())
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        /// Shown as the quoted text, like the `String` it replaces.
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                $name(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                $name(id.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

string_id! {
    /// A session id: generated `ses_…`, or the application's `customSessionId`.
    SessionId
}

string_id! {
    /// A connection id (`con_…`, or `RECORDER`): the public id of a participant.
    ConnectionId
}

string_id! {
    /// A stream id (`str_<TAG>_<rand>_<connectionId>`).
    StreamId
}

string_id! {
    /// A recording id: the session id, or `<sessionId>~<n>` when that is taken.
    RecordingId
}

impl StreamId {
    /// The connection that publishes this stream, recovered from the id as the official
    /// server does (see [`connection_id_of_stream`]).
    pub fn publisher(&self) -> Option<ConnectionId> {
        connection_id_of_stream(self).map(ConnectionId::from)
    }
}

/// Prefix of generated session ids.
pub const SESSION_PREFIX: &str = "ses_";
/// Prefix of connection ids (the public participant id).
pub const CONNECTION_PREFIX: &str = "con_";
/// Prefix of token ids (the `token` query parameter of a token URL).
pub const TOKEN_PREFIX: &str = "tok_";
/// Prefix of stream ids.
pub const STREAM_PREFIX: &str = "str_";
/// Connection id of the composed-recording bot.
pub const RECORDER_CONNECTION_ID: &str = "RECORDER";

/// Longest custom session id accepted. OpenVidu sets no limit, but the id travels in
/// URLs, tokens and file names; 256 characters is generous and keeps those bounded.
pub const MAX_CUSTOM_SESSION_ID_LEN: usize = 256;

/// Whether `id` is acceptable as a `customSessionId`: `[a-zA-Z0-9_-]+`, as OpenVidu requires.
pub fn is_valid_custom_session_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_CUSTOM_SESSION_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Whether `name` is acceptable as a recording name: `[a-zA-Z0-9_~-]+`.
pub fn is_valid_recording_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'~')
}

/// The three-letter tag of a stream id: the first three letters of `typeOfVideo`
/// (`CAM`, `SCR`, `CUS`, `IPC`), or `MIC` for a stream without video.
pub fn stream_type_tag(type_of_video: Option<&str>) -> &'static str {
    match type_of_video {
        Some(t) if t.starts_with("SCR") => "SCR",
        Some(t) if t.starts_with("CUS") => "CUS",
        Some(t) if t.starts_with("IPC") => "IPC",
        Some(_) => "CAM",
        None => "MIC",
    }
}

/// The connection id that owns a stream id, recovered as the official server does: from
/// the last occurrence of `con_` (stream ids end with `_<connectionId>`).
pub fn connection_id_of_stream(stream_id: &str) -> Option<&str> {
    stream_id
        .rfind(CONNECTION_PREFIX)
        .map(|at| &stream_id[at..])
        .filter(|id| id.len() > CONNECTION_PREFIX.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_session_ids() {
        assert!(is_valid_custom_session_id("SessionA"));
        assert!(is_valid_custom_session_id("a_b-C9"));
        assert!(!is_valid_custom_session_id(""));
        assert!(!is_valid_custom_session_id("has space"));
        assert!(!is_valid_custom_session_id("dot.ted"));
        assert!(!is_valid_custom_session_id("ñ"));
        assert!(!is_valid_custom_session_id(
            &"a".repeat(MAX_CUSTOM_SESSION_ID_LEN + 1)
        ));
    }

    #[test]
    fn recording_names() {
        assert!(is_valid_recording_name("rec~1_a-b"));
        assert!(!is_valid_recording_name("rec/1"));
    }

    #[test]
    fn stream_owner() {
        assert_eq!(
            connection_id_of_stream("str_CAM_Hw3k_con_Bq1Zt9XkLm"),
            Some("con_Bq1Zt9XkLm")
        );
        assert_eq!(connection_id_of_stream("str_CAM_Hw3k_"), None);
        assert_eq!(connection_id_of_stream("str_CAM_Hw3k_con_"), None);
        assert_eq!(stream_type_tag(Some("SCREEN")), "SCR");
        assert_eq!(stream_type_tag(Some("CAMERA")), "CAM");
        assert_eq!(stream_type_tag(None), "MIC");
        assert_eq!(
            StreamId::from("str_CAM_Hw3k_con_Bq1Zt9XkLm").publisher(),
            Some(ConnectionId::from("con_Bq1Zt9XkLm"))
        );
    }

    #[test]
    fn typed_ids_are_plain_strings_on_the_wire() {
        let id = SessionId::from("ses_A");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"ses_A\"");
        let back: SessionId = serde_json::from_str("\"ses_A\"").unwrap();
        assert_eq!(back, id);
        assert_eq!(id, "ses_A");
        assert_eq!(id.len(), 5);
        let mut map = std::collections::HashMap::new();
        map.insert(ConnectionId::from("con_B"), 1);
        assert_eq!(map.get("con_B"), Some(&1));
    }
}
