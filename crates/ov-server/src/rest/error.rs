//! REST errors: a status code and, where OpenVidu sends one, its JSON error body.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use ov_protocol::rest::ErrorBody;

use crate::clock::now_ms;
use crate::domain::DomainError;

/// An error answer of the REST API.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    /// `Some` → OpenVidu's JSON error body with this message; `None` → empty body.
    message: Option<String>,
    path: String,
}

impl ApiError {
    /// An error with OpenVidu's JSON body `{timestamp,status,error,message,path}`.
    pub fn with_body(status: StatusCode, message: impl Into<String>, path: &str) -> Self {
        ApiError {
            status,
            message: Some(message.into()),
            path: path.to_owned(),
        }
    }

    /// An error with an empty body, as OpenVidu sends for most 404/409/406.
    pub fn empty(status: StatusCode) -> Self {
        ApiError {
            status,
            message: None,
            path: String::new(),
        }
    }

    /// 400 with a message.
    pub fn bad_request(message: impl Into<String>, path: &str) -> Self {
        Self::with_body(StatusCode::BAD_REQUEST, message, path)
    }

    /// A refused creation: 429 for a capacity limit (as LiveKit answers a resource
    /// exhausted), otherwise 400, both with a message.
    pub fn refused(e: DomainError, path: &str) -> Self {
        let status = match e {
            DomainError::LimitReached(_) => StatusCode::TOO_MANY_REQUESTS,
            _ => StatusCode::BAD_REQUEST,
        };
        Self::with_body(status, e.to_string(), path)
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self.message {
            None => self.status.into_response(),
            Some(message) => {
                let body = ErrorBody {
                    timestamp: now_ms(),
                    status: self.status.as_u16(),
                    error: self.status.canonical_reason().unwrap_or("Error").to_owned(),
                    message,
                    path: self.path,
                };
                (self.status, axum::Json(body)).into_response()
            }
        }
    }
}
