//! The browser code served by the deployment: our SDK, the components and the call page,
//! embedded at compile time (`embedded.rs`) and bundled once at start-up (`bundle.rs`).
//!
//! Stable paths (documentation and users rely on them) are revalidated on each use
//! (`no-cache` + a strong `ETag`, 304 on `If-None-Match`); the same files under
//! `/openvidu/v/<content hash>/` never change, so they are cached for a year. Every file is
//! gzipped once at start-up and sent compressed to clients that accept it. Scripts may be
//! loaded by pages of any origin (`Access-Control-Allow-Origin: *`): an application on
//! `localhost:3000` imports the SDK from the deployment.

mod bundle;
mod embedded;
mod response;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use sha1::{Digest, Sha1};

pub use bundle::{Bundle, BundleError, Format, bundle};
pub use response::Asset;

use response::{Caching, not_found};

/// The bundles: the path under `/openvidu/` (and `/openvidu/v/<hash>/`), the entry (relative
/// to `sdk/`) and the format.
const BUNDLES: &[(&str, &str, Format)] = &[
    (
        "sdk/openvidu-browser.mjs",
        "browser/src/index.mjs",
        Format::Module,
    ),
    (
        "sdk/openvidu-browser.js",
        "browser/src/index.mjs",
        Format::Classic {
            namespace: "OpenViduBrowser",
            main: "OpenVidu",
        },
    ),
    (
        "components/openvidu-components.mjs",
        "components/src/index.mjs",
        Format::Module,
    ),
];

/// Folders of `sdk/` whose files are also served one by one under the versioned path
/// (`/openvidu/v/<hash>/modules/…`), for debugging with the browser's tools.
const MODULE_FOLDERS: &[&str] = &["browser/src/", "components/src/"];

/// The folder of the call page in `sdk/`, served at `/` and `/openvidu/call/…`.
const CALL_FOLDER: &str = "call/";

/// A bundle that cannot be served, and why.
#[derive(Debug, Clone)]
enum Unavailable {
    /// Its entry was not in `sdk/` when the server was compiled.
    Missing(String),
    /// Its modules break the conventions.
    Broken(BundleError),
}

/// Everything served, built once.
#[derive(Debug)]
pub struct Assets {
    /// Hash of every embedded file: the `<hash>` of the versioned paths.
    version: String,
    bundles: BTreeMap<&'static str, Result<Asset, Unavailable>>,
    /// Files of `MODULE_FOLDERS` and `CALL_FOLDER`, by path relative to `sdk/`.
    files: BTreeMap<&'static str, Asset>,
}

impl Assets {
    /// Bundles and compresses the embedded files.
    pub fn embedded() -> Assets {
        Assets::build(embedded::FILES)
    }

    /// Bundles and compresses `files` (`(path relative to sdk/, content)`, sorted).
    pub fn build(files: &'static [(&'static str, &'static [u8])]) -> Assets {
        let text = |path: &str| {
            files
                .iter()
                .find(|(p, _)| *p == path)
                .and_then(|(_, b)| std::str::from_utf8(b).ok())
        };
        let mut hasher = Sha1::new();
        for (path, bytes) in files {
            hasher.update(path.as_bytes());
            hasher.update([0]);
            hasher.update((bytes.len() as u64).to_le_bytes());
            hasher.update(bytes);
        }
        let version = hex(&hasher.finalize()[..8]);
        let mut bundles = BTreeMap::new();
        for (route, entry, format) in BUNDLES {
            let built = if text(entry).is_none() {
                Err(Unavailable::Missing((*entry).to_owned()))
            } else {
                bundle(text, entry, *format)
                    .map(|b| Asset::new(route, b.code.into_bytes()))
                    .map_err(Unavailable::Broken)
            };
            bundles.insert(*route, built);
        }
        let files = files
            .iter()
            .filter(|(p, _)| {
                MODULE_FOLDERS.iter().any(|f| p.starts_with(f)) || p.starts_with(CALL_FOLDER)
            })
            .map(|(p, b)| (*p, Asset::new(p, b.to_vec())))
            .collect();
        Assets {
            version,
            bundles,
            files,
        }
    }

    /// The content hash in the versioned paths.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The bundle served at `/openvidu/<route>`, if it could be built.
    pub fn bundle(&self, route: &str) -> Option<&Asset> {
        self.bundles.get(route).and_then(|b| b.as_ref().ok())
    }

    /// One log line per bundle that cannot be served (missing: a warning; broken: an error),
    /// and one with the versioned prefix.
    pub fn log_status(&self) {
        for (route, built) in &self.bundles {
            match built {
                Ok(asset) => {
                    tracing::debug!(path = %format!("/openvidu/{route}"), bytes = asset.len(), gzip_bytes = asset.gzip_len(), "browser bundle ready")
                }
                Err(Unavailable::Missing(entry)) => {
                    tracing::warn!(path = %format!("/openvidu/{route}"), "not served: sdk/{entry} was not in the source tree when this server was compiled")
                }
                Err(Unavailable::Broken(e)) => {
                    tracing::error!(path = %format!("/openvidu/{route}"), error = %e, "not served: the modules break the bundling conventions")
                }
            }
        }
        tracing::info!(
            prefix = %format!("/openvidu/v/{}/", self.version),
            "browser code served at /openvidu/sdk/, /openvidu/components/ and, immutable, under this prefix"
        );
    }

    fn unavailable(&self, route: &str) -> Response {
        let mut text = String::new();
        match self.bundles.get(route) {
            Some(Err(Unavailable::Missing(entry))) => {
                let _ = write!(
                    text,
                    "/openvidu/{route} is not available: this server was compiled without sdk/{entry} \
                     (rebuild it from a source tree that has sdk/)."
                );
                not_found(&text)
            }
            Some(Err(Unavailable::Broken(e))) => {
                let _ = write!(
                    text,
                    "/openvidu/{route} is not available: its modules cannot be bundled: {e}"
                );
                response::text(StatusCode::INTERNAL_SERVER_ERROR, &text)
            }
            _ => not_found(&format!("nothing is served at /openvidu/{route}")),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// What the routes share.
#[derive(Clone)]
struct Served {
    assets: Arc<Assets>,
    /// Development mode: the call page is served.
    dev: bool,
}

/// The routes of the browser code and of the call page.
pub fn router(assets: Arc<Assets>, dev: bool) -> Router {
    let served = Served { assets, dev };
    let mut router = Router::new();
    for (route, _, _) in BUNDLES {
        router = router.route(
            &format!("/openvidu/{route}"),
            get(
                move |State(s): State<Served>, headers: HeaderMap| async move {
                    match s.assets.bundle(route) {
                        Some(asset) => asset.respond(&headers, Caching::Revalidate),
                        None => s.assets.unavailable(route),
                    }
                },
            ),
        );
    }
    router
        .route("/openvidu/v/{version}/{*path}", get(versioned))
        .route("/", get(call_page))
        .route("/openvidu/call/{*path}", get(call_file))
        .with_state(served)
}

/// `/openvidu/v/<hash>/<bundle path>` and `/openvidu/v/<hash>/modules/<file>`.
async fn versioned(
    State(s): State<Served>,
    Path((version, path)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if version != s.assets.version {
        return not_found(&format!(
            "version {version} is not served here; this deployment serves /openvidu/v/{}/ \
             (or use the stable paths /openvidu/sdk/openvidu-browser.mjs, \
             /openvidu/sdk/openvidu-browser.js, /openvidu/components/openvidu-components.mjs)",
            s.assets.version
        ));
    }
    if let Some(asset) = s.assets.bundle(&path) {
        return asset.respond(&headers, Caching::Immutable);
    }
    if s.assets.bundles.contains_key(path.as_str()) {
        return s.assets.unavailable(&path);
    }
    let file = path
        .strip_prefix("modules/")
        .filter(|p| MODULE_FOLDERS.iter().any(|f| p.starts_with(f)))
        .and_then(|p| s.assets.files.get(p));
    match file {
        Some(asset) => asset.respond(&headers, Caching::Immutable),
        None => not_found(&format!(
            "no file {path} in version {version}: it has sdk/openvidu-browser.mjs, \
             sdk/openvidu-browser.js, components/openvidu-components.mjs and the modules under \
             modules/browser/src/ and modules/components/src/"
        )),
    }
}

const CALL_PAGE_OFF: &str = "The call page is off: it is served in development mode only \
    (OPENVIDU_DEV=true, or the default secret MY_SECRET without OPENVIDU_DEV=false).";

/// `/`: the call page (`sdk/call/index.html`) in development mode.
async fn call_page(State(s): State<Served>, headers: HeaderMap) -> Response {
    if !s.dev {
        return response::page_not_found("Call page off", CALL_PAGE_OFF);
    }
    match s.assets.files.get("call/index.html") {
        Some(asset) => asset.respond(&headers, Caching::Revalidate),
        None => not_found(
            "the call page is not available: this server was compiled without sdk/call/index.html",
        ),
    }
}

/// `/openvidu/call/<file>`: the call page's module and styles, in development mode.
async fn call_file(
    State(s): State<Served>,
    Path(path): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !s.dev {
        return not_found(CALL_PAGE_OFF);
    }
    let asset = s
        .assets
        .files
        .iter()
        .find(|(p, _)| p.strip_prefix(CALL_FOLDER) == Some(path.as_str()))
        .map(|(_, a)| a);
    match asset {
        Some(asset) => asset.respond(&headers, Caching::Revalidate),
        None => not_found(&format!("no file {path} in the call page")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_code_bundles_without_error() {
        // Whatever sdk/ held at compile time must keep to the conventions: a module that
        // breaks them fails here (and in CI) rather than as a 500 in production.
        let assets = Assets::embedded();
        for (route, built) in &assets.bundles {
            if let Err(Unavailable::Broken(e)) = built {
                panic!("/openvidu/{route}: {e}");
            }
        }
    }

    #[test]
    fn missing_entries_are_named_and_the_version_follows_the_content() {
        static NONE: &[(&str, &[u8])] = &[];
        static SOME: &[(&str, &[u8])] = &[("browser/src/index.mjs", b"export class OpenVidu {}\n")];
        let empty = Assets::build(NONE);
        assert!(empty.bundle("sdk/openvidu-browser.mjs").is_none());
        assert!(matches!(
            empty.bundles["components/openvidu-components.mjs"],
            Err(Unavailable::Missing(ref e)) if e == "components/src/index.mjs"
        ));
        let some = Assets::build(SOME);
        assert!(some.bundle("sdk/openvidu-browser.mjs").is_some());
        assert!(some.bundle("sdk/openvidu-browser.js").is_some());
        assert_ne!(empty.version(), some.version());
        assert_eq!(some.version().len(), 16);
        assert_eq!(Assets::build(SOME).version(), some.version(), "stable");
    }
}
