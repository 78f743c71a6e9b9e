//! The files of `sdk/` as compiled into the binary (written by `build.rs`): a table of
//! `(path relative to sdk/, content)`, sorted by path.

include!(concat!(env!("OUT_DIR"), "/embedded_sdk.rs"));

#[cfg(test)]
mod tests {
    #[test]
    fn files_are_sorted_and_the_call_page_is_there() {
        assert!(super::FILES.windows(2).all(|w| w[0].0 < w[1].0));
        for page in ["call/index.html", "call/call.mjs", "call/call.css"] {
            assert!(super::FILES.iter().any(|(p, _)| *p == page), "{page}");
        }
    }
}
