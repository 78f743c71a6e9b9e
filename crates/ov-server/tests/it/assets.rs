//! The browser code served by the deployment: bundles at stable and versioned paths,
//! content types, ETag and 304, gzip, CORS, the 404s of what is missing, the call page.
//!
//! The HTTP behaviour is tested on a stand-in SDK (`tests/fixtures/sdk`) through the
//! assets router; the running server is tested on what it embedded at compile time.

use std::io::Read;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use ov_server::assets::{self, Assets};
use tower::ServiceExt;

use crate::support::{SECRET, TestServer};

macro_rules! fixture {
    ($path:literal) => {
        (
            $path,
            include_bytes!(concat!("../fixtures/sdk/", $path)).as_slice(),
        )
    };
}

static FIXTURE: &[(&str, &[u8])] = &[
    fixture!("browser/src/index.mjs"),
    fixture!("browser/src/openvidu.mjs"),
    fixture!("browser/src/session.mjs"),
    fixture!("components/src/index.mjs"),
    fixture!("components/src/sdk.mjs"),
];

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: header::HeaderName) -> &str {
        self.headers
            .get(&name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or_else(|| panic!("no {name} header"))
    }

    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }
}

async fn get(router: &axum::Router, path: &str, headers: &[(header::HeaderName, &str)]) -> Answer {
    let mut request = Request::get(path);
    for (k, v) in headers {
        request = request.header(k, *v);
    }
    let response = router
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    Answer {
        status: parts.status,
        headers: parts.headers,
        body: axum::body::to_bytes(body, 1 << 24).await.unwrap().to_vec(),
    }
}

fn fixture_router() -> (axum::Router, String) {
    let assets = Arc::new(Assets::build(FIXTURE));
    let version = assets.version().to_owned();
    (assets::router(assets, false), version)
}

#[tokio::test]
async fn stable_paths_revalidate_with_a_strong_etag() {
    let (router, _) = fixture_router();
    for path in [
        "/openvidu/sdk/openvidu-browser.mjs",
        "/openvidu/sdk/openvidu-browser.js",
        "/openvidu/components/openvidu-components.mjs",
    ] {
        let a = get(&router, path, &[]).await;
        assert_eq!(a.status, StatusCode::OK, "{path}");
        assert_eq!(
            a.header(header::CONTENT_TYPE),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(a.header(header::CACHE_CONTROL), "no-cache");
        assert_eq!(a.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), "*");
        assert_eq!(a.header(header::VARY), "Accept-Encoding");
        assert!(a.headers.get(header::CONTENT_ENCODING).is_none());
        let etag = a.header(header::ETAG).to_owned();
        assert!(
            etag.starts_with('"') && etag.ends_with('"'),
            "strong: {etag}"
        );

        let again = get(&router, path, &[(header::IF_NONE_MATCH, etag.as_str())]).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{path}");
        assert!(again.body.is_empty());
        assert_eq!(again.header(header::ETAG), etag);
        assert_eq!(again.header(header::CACHE_CONTROL), "no-cache");
        let list = format!("\"other\", {etag}");
        let listed = get(&router, path, &[(header::IF_NONE_MATCH, list.as_str())]).await;
        assert_eq!(listed.status, StatusCode::NOT_MODIFIED);
        let stale = get(&router, path, &[(header::IF_NONE_MATCH, "\"stale\"")]).await;
        assert_eq!(stale.status, StatusCode::OK);
        assert_eq!(stale.body, a.body);
    }
}

#[tokio::test]
async fn gzip_is_sent_to_clients_that_accept_it() {
    let (router, _) = fixture_router();
    let path = "/openvidu/components/openvidu-components.mjs";
    let plain = get(&router, path, &[(header::ACCEPT_ENCODING, "br")]).await;
    let zipped = get(
        &router,
        path,
        &[(header::ACCEPT_ENCODING, "gzip, deflate, br")],
    )
    .await;
    assert!(plain.headers.get(header::CONTENT_ENCODING).is_none());
    assert_eq!(zipped.header(header::CONTENT_ENCODING), "gzip");
    assert_eq!(zipped.header(header::VARY), "Accept-Encoding");
    assert!(zipped.body.len() < plain.body.len());
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(zipped.body.as_slice())
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, plain.body);
    let (plain_tag, zipped_tag) = (plain.header(header::ETAG), zipped.header(header::ETAG));
    assert_ne!(plain_tag, zipped_tag, "one strong ETag per representation");
    let refused = get(&router, path, &[(header::ACCEPT_ENCODING, "gzip;q=0")]).await;
    assert!(refused.headers.get(header::CONTENT_ENCODING).is_none());
    let revalidated = get(
        &router,
        path,
        &[
            (header::ACCEPT_ENCODING, "gzip"),
            (header::IF_NONE_MATCH, zipped_tag),
        ],
    )
    .await;
    assert_eq!(revalidated.status, StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn versioned_paths_are_immutable_and_carry_the_same_code() {
    let (router, version) = fixture_router();
    for path in [
        "sdk/openvidu-browser.mjs",
        "sdk/openvidu-browser.js",
        "components/openvidu-components.mjs",
    ] {
        let stable = get(&router, &format!("/openvidu/{path}"), &[]).await;
        let versioned = get(&router, &format!("/openvidu/v/{version}/{path}"), &[]).await;
        assert_eq!(versioned.status, StatusCode::OK, "{path}");
        assert_eq!(
            versioned.header(header::CACHE_CONTROL),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(versioned.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), "*");
        assert_eq!(versioned.body, stable.body);
        assert_eq!(versioned.header(header::ETAG), stable.header(header::ETAG));
    }
    let module = get(
        &router,
        &format!("/openvidu/v/{version}/modules/browser/src/session.mjs"),
        &[],
    )
    .await;
    assert_eq!(module.status, StatusCode::OK);
    assert_eq!(module.body, FIXTURE[2].1, "the module as written");
    assert_eq!(
        module.header(header::CONTENT_TYPE),
        "text/javascript; charset=utf-8"
    );

    let old = get(
        &router,
        "/openvidu/v/0123456789abcdef/sdk/openvidu-browser.mjs",
        &[],
    )
    .await;
    assert_eq!(old.status, StatusCode::NOT_FOUND);
    assert!(
        old.text().contains(&format!("/openvidu/v/{version}/")),
        "{}",
        old.text()
    );
    let nothing = get(
        &router,
        &format!("/openvidu/v/{version}/modules/../x.mjs"),
        &[],
    )
    .await;
    assert_eq!(nothing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_bundles_keep_the_module_conventions() {
    let (router, _) = fixture_router();
    let module = get(&router, "/openvidu/sdk/openvidu-browser.mjs", &[])
        .await
        .text();
    assert!(
        module.contains("export const { OpenVidu, VERSION, Session } ="),
        "{module}"
    );
    assert!(!module.contains("import {"), "no import statement left");
    let classic = get(&router, "/openvidu/sdk/openvidu-browser.js", &[])
        .await
        .text();
    assert!(classic.contains("globalThis.OpenViduBrowser = "));
    assert!(classic.contains("globalThis.OpenVidu = "));
    assert!(
        !classic.contains("export "),
        "a classic script has no module syntax"
    );
    let components = get(&router, "/openvidu/components/openvidu-components.mjs", &[])
        .await
        .text();
    assert!(components.contains("// ---- browser/src/openvidu.mjs"));
    assert!(components.contains("// ---- components/src/index.mjs"));
    assert_eq!(
        components
            .matches("// ---- browser/src/session.mjs")
            .count(),
        1
    );
}

#[tokio::test]
async fn missing_bundles_answer_404_saying_why() {
    static EMPTY: &[(&str, &[u8])] = &[];
    let router = assets::router(Arc::new(Assets::build(EMPTY)), true);
    let a = get(&router, "/openvidu/sdk/openvidu-browser.mjs", &[]).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(
        a.text()
            .contains("compiled without sdk/browser/src/index.mjs"),
        "{}",
        a.text()
    );
    let a = get(&router, "/openvidu/components/openvidu-components.mjs", &[]).await;
    assert!(
        a.text().contains("sdk/components/src/index.mjs"),
        "{}",
        a.text()
    );
    let a = get(&router, "/", &[]).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(a.text().contains("sdk/call/index.html"), "{}", a.text());
}

#[tokio::test]
async fn a_broken_module_is_a_500_naming_file_and_line() {
    static BROKEN: &[(&str, &[u8])] = &[(
        "browser/src/index.mjs",
        b"export class OpenVidu {}\nexport default OpenVidu;\n",
    )];
    let router = assets::router(Arc::new(Assets::build(BROKEN)), false);
    let a = get(&router, "/openvidu/sdk/openvidu-browser.mjs", &[]).await;
    assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        a.text()
            .contains("browser/src/index.mjs:2: default exports"),
        "{}",
        a.text()
    );
}

/// The running server serves what it embedded: the bundles when `sdk/` had them at compile
/// time, else a 404 that says so; either way the server starts.
/// The size target of the browser code: every element and the SDK, as served (gzipped),
/// at most 60 KB. The call page loads this one file.
#[tokio::test]
async fn the_components_and_the_sdk_stay_within_60_kb_gzipped() {
    let router = assets::router(Arc::new(Assets::embedded()), false);
    let served = get(
        &router,
        "/openvidu/components/openvidu-components.mjs",
        &[(header::ACCEPT_ENCODING, "gzip")],
    )
    .await;
    assert_eq!(served.status, StatusCode::OK, "{}", served.text());
    assert_eq!(served.header(header::CONTENT_ENCODING), "gzip");
    assert!(
        served.body.len() <= 60_000,
        "the components bundle is {} bytes gzipped, over 60 KB",
        served.body.len()
    );
}

#[tokio::test]
async fn the_server_serves_its_embedded_code() {
    let embedded = Assets::embedded();
    let t = TestServer::start().await;
    let base = t.server.local_url();
    for path in [
        "sdk/openvidu-browser.mjs",
        "sdk/openvidu-browser.js",
        "components/openvidu-components.mjs",
    ] {
        let res = t
            .http
            .get(format!("{base}/openvidu/{path}"))
            .send()
            .await
            .unwrap();
        let status = res.status();
        let content_type = res.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_owned();
        let body = res.text().await.unwrap();
        match embedded.bundle(path) {
            Some(asset) => {
                assert_eq!(status, StatusCode::OK, "{path}: {body}");
                assert_eq!(content_type, "text/javascript; charset=utf-8");
                assert_eq!(body.as_bytes(), asset.bytes());
            }
            None => {
                assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
                assert!(body.contains("is not available"), "{path}: {body}");
            }
        }
    }
    t.stop().await;
}

#[tokio::test]
async fn the_call_page_is_served_in_development_mode_only() {
    let on = TestServer::start_with(ov_server::Config::for_loopback("MY_SECRET")).await;
    let base = on.server.local_url();
    let page = on
        .http
        .get(format!("{base}/?room=abc"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(
        page.headers()[header::CONTENT_TYPE],
        "text/html; charset=utf-8"
    );
    assert_eq!(page.headers()[header::CACHE_CONTROL], "no-cache");
    let html = page.text().await.unwrap();
    assert!(html.contains("/openvidu/call/call.mjs"), "{html}");
    for remote in [
        "src=\"http",
        "href=\"http",
        "src=\"//",
        "href=\"//",
        "url(http",
    ] {
        assert!(!html.contains(remote), "nothing from elsewhere: {remote}");
    }
    let module = on
        .http
        .get(format!("{base}/openvidu/call/call.mjs"))
        .send()
        .await
        .unwrap();
    assert_eq!(module.status(), StatusCode::OK);
    assert_eq!(
        module.headers()[header::CONTENT_TYPE],
        "text/javascript; charset=utf-8"
    );
    let code = module.text().await.unwrap();
    assert!(code.contains("openvidu-call") && code.contains("/openvidu/dev/"));
    let css = on
        .http
        .get(format!("{base}/openvidu/call/call.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        css.headers()[header::CONTENT_TYPE],
        "text/css; charset=utf-8"
    );
    on.stop().await;

    let off = TestServer::start_with(ov_server::Config::for_loopback(SECRET)).await;
    let base = off.server.local_url();
    let page = off.http.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(page.text().await.unwrap().contains("The call page is off"));
    let module = off
        .http
        .get(format!("{base}/openvidu/call/call.mjs"))
        .send()
        .await
        .unwrap();
    assert_eq!(module.status(), StatusCode::NOT_FOUND);
    off.stop().await;
}
