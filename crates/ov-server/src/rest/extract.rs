//! Request extractors that turn every malformed input into a 400 naming what is wrong.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// Largest request body accepted by the REST API. OpenVidu's bodies are small JSON
/// objects; 1 MiB leaves room for big `data` strings while bounding memory.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A JSON body. An empty body yields `T::default()` (OpenVidu's bodies are optional for
/// the endpoints that use this), and any other problem a 400 that says where it is.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Default,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let path = request_path(req.uri(), req.extensions());
        // Oversized bodies were refused before (`body_limit`).
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            ApiError::bad_request(
                format!("Request body could not be read: {}", e.body_text()),
                &path,
            )
        })?;
        parse_json(&bytes, &path).map(JsonBody)
    }
}

/// Parses `bytes` as `T`, an empty or whitespace body meaning `T::default()`.
pub fn parse_json<T: DeserializeOwned + Default>(bytes: &[u8], path: &str) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request(format!("Body is not valid JSON: {e}"), path))?;
    match value {
        serde_json::Value::Null => return Ok(T::default()),
        serde_json::Value::Object(_) => {}
        other => {
            return Err(ApiError::bad_request(
                format!("Body must be a JSON object, not {}", json_kind(&other)),
                path,
            ));
        }
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let field = e.path().to_string();
        ApiError::bad_request(
            format!("Invalid value for parameter '{field}': {}", e.into_inner()),
            path,
        )
    })
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// The query flags `pendingConnections` and `webRtcStats`; each endpoint supplies its
/// own default for `pendingConnections`.
#[derive(Debug, Clone, Copy)]
pub struct ListFlags {
    /// `pendingConnections`, if given.
    pub pending: Option<bool>,
    /// `webRtcStats`.
    pub webrtc_stats: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for ListFlags {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let path = request_path(&parts.uri, &parts.extensions);
        ListFlags::parse(parts.uri.query().unwrap_or(""), &path)
    }
}

impl ListFlags {
    /// Reads the flags from a raw query string (public so the fuzzer reaches it without
    /// an HTTP request); `path` is the request path the error body names.
    pub fn parse(query: &str, path: &str) -> Result<ListFlags, ApiError> {
        let mut flags = ListFlags {
            pending: None,
            webrtc_stats: false,
        };
        for pair in query.split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, "true"));
            let parse = |v: &str| match v {
                "true" | "" => Ok(true),
                "false" => Ok(false),
                _ => Err(ApiError::bad_request(
                    format!("Query parameter '{key}' must be true or false, not '{v}'"),
                    path,
                )),
            };
            match key {
                "pendingConnections" => flags.pending = Some(parse(value)?),
                "webRtcStats" => flags.webrtc_stats = parse(value)?,
                _ => {}
            }
        }
        Ok(flags)
    }
}

/// The full path of a request, also inside nested routers (which strip their prefix).
pub(super) fn request_path(uri: &axum::http::Uri, extensions: &axum::http::Extensions) -> String {
    let original = extensions
        .get::<axum::extract::OriginalUri>()
        .map(|o| o.0.path().to_owned())
        .unwrap_or_else(|| uri.path().to_owned());
    api_path(&original)
}

/// The request path as OpenVidu reports it in error bodies (`/openvidu/api/...`), even
/// when the deprecated `/api/...` alias was used.
pub fn api_path(path: &str) -> String {
    match path.strip_prefix("/api/") {
        Some(rest) => format!("/openvidu/api/{rest}"),
        None => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ov_protocol::rest::SessionProperties;

    #[test]
    fn errors_name_the_field() {
        let err = parse_json::<SessionProperties>(br#"{"mediaMode":"P2P"}"#, "/p").unwrap_err();
        assert_eq!(err.status(), 400);
        let body = format!("{err:?}");
        assert!(body.contains("mediaMode"), "{body}");
        let err = parse_json::<SessionProperties>(
            br#"{"defaultRecordingProperties":{"frameRate":"x"}}"#,
            "/p",
        )
        .unwrap_err();
        assert!(format!("{err:?}").contains("defaultRecordingProperties.frameRate"));
        let err = parse_json::<SessionProperties>(b"{", "/p").unwrap_err();
        assert!(format!("{err:?}").contains("not valid JSON"));
        let err = parse_json::<SessionProperties>(b"[1]", "/p").unwrap_err();
        assert!(format!("{err:?}").contains("JSON object"), "{err:?}");
        assert_eq!(
            parse_json::<SessionProperties>(b"  ", "/p").unwrap(),
            SessionProperties::default()
        );
    }
}
