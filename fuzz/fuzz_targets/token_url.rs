//! Token URLs (`wss://host?sessionId=…&token=…`) as `joinRoom` hands them to the server
//! (`ov_protocol::token::TokenUrl::parse`, used by the domain's token look-up).

#![no_main]

use libfuzzer_sys::fuzz_target;
use ov_protocol::token::TokenUrl;

fuzz_target!(|data: &[u8]| {
    // The token arrives inside a JSON string: always valid UTF-8.
    let token = String::from_utf8_lossy(data);
    let Ok(url) = TokenUrl::parse(&token) else {
        return;
    };
    // What the server rebuilds from it parses back to the same scheme and host.
    let again = TokenUrl::parse(&url.to_string()).expect("a printed token URL parses");
    assert_eq!(
        (again.secure, &again.authority),
        (url.secure, &url.authority)
    );
});
