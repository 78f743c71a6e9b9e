//! One served file: its bytes, their gzip form made once, strong ETags, and the answer to
//! a GET with its caching, conditional and content-coding headers.

use std::io::Write as _;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha1::{Digest, Sha1};

/// How a response may be cached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caching {
    /// A stable path: cache, but ask (`If-None-Match`) before each use.
    Revalidate,
    /// A versioned path: its content never changes.
    Immutable,
}

impl Caching {
    fn header(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Caching::Revalidate => "no-cache",
            Caching::Immutable => "public, max-age=31536000, immutable",
        })
    }
}

/// A file ready to be served.
#[derive(Debug, Clone)]
pub struct Asset {
    content_type: &'static str,
    body: Bytes,
    /// The gzip form, when it is smaller.
    gzip: Option<Bytes>,
    /// Strong validators of the identity and gzip representations (they differ, as a
    /// strong ETag names one exact byte sequence).
    etag: HeaderValue,
    etag_gzip: HeaderValue,
}

impl Asset {
    /// The file `name` (its extension gives the content type) with `body`.
    pub fn new(name: &str, body: Vec<u8>) -> Asset {
        let hash = Sha1::digest(&body);
        let tag = super::hex(&hash[..10]);
        let gzip = gzip(&body)
            .filter(|g| g.len() < body.len())
            .map(Bytes::from);
        Asset {
            content_type: content_type(name),
            etag: HeaderValue::from_str(&format!("\"{tag}\"")).expect("hex is a valid header"),
            etag_gzip: HeaderValue::from_str(&format!("\"{tag}-gz\""))
                .expect("hex is a valid header"),
            body: Bytes::from(body),
            gzip,
        }
    }

    /// Bytes of the identity form.
    pub fn len(&self) -> usize {
        self.body.len()
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> bool {
        self.body.is_empty()
    }

    /// Bytes of the gzip form (the identity's when gzip does not make it smaller).
    pub fn gzip_len(&self) -> usize {
        self.gzip.as_ref().map_or(self.body.len(), Bytes::len)
    }

    /// The content, uncompressed.
    pub fn bytes(&self) -> &[u8] {
        &self.body
    }

    /// The answer to a GET (or HEAD) with `request` headers.
    pub fn respond(&self, request: &HeaderMap, caching: Caching) -> Response {
        let gzip = self.gzip.as_ref().filter(|_| accepts_gzip(request));
        let etag = if gzip.is_some() {
            &self.etag_gzip
        } else {
            &self.etag
        };
        let mut headers = HeaderMap::new();
        headers.insert(header::CACHE_CONTROL, caching.header());
        headers.insert(header::ETAG, etag.clone());
        headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        if self.matches(request) {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        let body = match gzip {
            Some(g) => {
                headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                g.clone()
            }
            None => self.body.clone(),
        };
        (StatusCode::OK, headers, Body::from(body)).into_response()
    }

    /// Whether `If-None-Match` names this file (either representation: they carry the same
    /// content) or is `*`.
    fn matches(&self, request: &HeaderMap) -> bool {
        request
            .get_all(header::IF_NONE_MATCH)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|t| t.trim())
            .any(|t| {
                let t = t.strip_prefix("W/").unwrap_or(t);
                t == "*"
                    || t.as_bytes() == self.etag.as_bytes()
                    || t.as_bytes() == self.etag_gzip.as_bytes()
            })
    }
}

/// Whether `Accept-Encoding` allows gzip: listed (or `*`) with a non-zero quality, and not
/// refused explicitly.
pub fn accepts_gzip(request: &HeaderMap) -> bool {
    let mut gzip = None;
    let mut any = None;
    for coding in request
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
    {
        let mut parts = coding.split(';');
        let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let quality = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .filter_map(|q| q.trim().parse::<f32>().ok())
            .next()
            .unwrap_or(1.0);
        match name.as_str() {
            "gzip" | "x-gzip" => gzip = Some(quality > 0.0),
            "*" => any = Some(quality > 0.0),
            _ => {}
        }
    }
    gzip.or(any).unwrap_or(false)
}

fn gzip(body: &[u8]) -> Option<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(body).ok()?;
    encoder.finish().ok()
}

/// The `Content-Type` of a file name.
pub fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "mjs" | "js" => "text/javascript; charset=utf-8",
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "json" | "map" => "application/json",
        _ => "application/octet-stream",
    }
}

/// A plain-text answer with `status`.
pub fn text(status: StatusCode, message: &str) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        format!("{message}\n"),
    )
        .into_response()
}

/// 404 with `message` as plain text.
pub fn not_found(message: &str) -> Response {
    text(StatusCode::NOT_FOUND, message)
}

/// 404 as a small HTML page, for paths people open in a browser.
pub fn page_not_found(title: &str, message: &str) -> Response {
    let page = format!(
        "<!doctype html>\n<html lang=\"en\"><meta charset=\"utf-8\"><title>{title}</title>\
         <body style=\"font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem\">\
         <h1>{title}</h1><p>{message}</p></body></html>\n"
    );
    (
        StatusCode::NOT_FOUND,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        page,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn accept_encoding_is_read_with_its_qualities() {
        assert!(accepts_gzip(&headers(&[(
            "accept-encoding",
            "gzip, deflate, br"
        )])));
        assert!(accepts_gzip(&headers(&[(
            "accept-encoding",
            "br;q=1.0, gzip;q=0.5"
        )])));
        assert!(accepts_gzip(&headers(&[("accept-encoding", "*")])));
        assert!(!accepts_gzip(&headers(&[("accept-encoding", "gzip;q=0")])));
        assert!(!accepts_gzip(&headers(&[(
            "accept-encoding",
            "*, gzip;q=0"
        )])));
        assert!(!accepts_gzip(&headers(&[(
            "accept-encoding",
            "br, identity"
        )])));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type("a/b.mjs"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("x.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("call.css"), "text/css; charset=utf-8");
    }

    #[test]
    fn small_files_are_not_gzipped() {
        let a = Asset::new("a.mjs", b"x".to_vec());
        assert!(a.gzip.is_none());
        let big = Asset::new("a.mjs", "export const a = 1;\n".repeat(50).into_bytes());
        assert!(big.gzip_len() < big.len() / 4);
    }
}
