//! One size limit for every request body of the API, refused the same way everywhere.
//!
//! Handlers read bodies in different ways (a typed JSON body, raw bytes), and each way had
//! its own answer to an oversized one (a JSON 400 on some routes, axum's plain-text 413 on
//! others). Here the body is read once, up to the limit, before any handler runs: over
//! it, the answer is always `413` with OpenVidu's JSON error body.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::extract::{MAX_BODY_BYTES, request_path};

/// Buffers the body up to [`MAX_BODY_BYTES`], or answers 413.
pub async fn limit_body(request: Request, next: Next) -> Response {
    let path = request_path(request.uri(), request.extensions());
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return too_large(&path);
    }
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(_) => too_large(&path),
    }
}

fn too_large(path: &str) -> Response {
    ApiError::with_body(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("Request body is larger than the limit of {MAX_BODY_BYTES} bytes"),
        path,
    )
    .into_response()
}
