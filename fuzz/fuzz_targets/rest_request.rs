//! REST request bodies and query strings as the server reads them
//! (crates/ov-server/src/rest/extract.rs and the handlers that parse bodies by hand).
//! The first byte picks the endpoint; the rest is the body or the query string.

#![no_main]

use libfuzzer_sys::fuzz_target;
use ov_protocol::rest::{ConnectionProperties, SessionProperties, SignalRequest};
use ov_server::rest::ApiError;
use ov_server::rest::extract::{ListFlags, api_path, parse_json};

/// `POST /tokens`: `session` read apart, `record` dropped, the rest as connection
/// properties, as `misc::create_token` does.
fn token_body(body: &[u8]) -> Result<(), ApiError> {
    const PATH: &str = "/openvidu/api/tokens";
    let mut object: serde_json::Map<String, serde_json::Value> = parse_json(body, PATH)?;
    let _session = object.remove("session");
    object.remove("record");
    let _: ConnectionProperties =
        parse_json(&serde_json::to_vec(&object).unwrap_or_default(), PATH)?;
    Ok(())
}

fn check(result: Result<(), ApiError>) {
    if let Err(e) = result {
        assert_eq!(e.status(), 400, "{e:?}");
        let _ = format!("{e:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    match selector % 6 {
        0 => check(parse_json::<SessionProperties>(body, "/openvidu/api/sessions").map(drop)),
        1 => check(
            parse_json::<ConnectionProperties>(body, "/openvidu/api/sessions/s/connection")
                .map(drop),
        ),
        2 => check(token_body(body)),
        3 => check(parse_json::<SignalRequest>(body, "/openvidu/api/signal").map(drop)),
        4 => {
            // Axum hands the handler the raw (still percent-encoded) query as a &str.
            let query = String::from_utf8_lossy(body);
            check(ListFlags::parse(&query, "/openvidu/api/sessions").map(drop));
        }
        _ => {
            let path = String::from_utf8_lossy(body);
            let reported = api_path(&path);
            assert!(reported.len() >= path.len());
        }
    }
});
