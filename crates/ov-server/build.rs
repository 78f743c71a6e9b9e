//! Embeds the browser code of `sdk/` (the SDK, the components, the call page) in the binary.
//!
//! Writes `$OUT_DIR/embedded_sdk.rs`: one `(path, bytes)` entry per file, each an
//! `include_bytes!` of the file itself, so that rustc tracks every file's content, and
//! `rerun-if-changed` on the folder makes Cargo rerun this script when a file is added or
//! removed. A missing `sdk/` (or part of it) is not an error: the server then answers 404
//! for what is missing.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// File kinds worth serving; anything else (notes, configs, types) stays out.
const EXTENSIONS: &[&str] = &["mjs", "js", "html", "css", "svg"];

/// The folders of `sdk/` that are served: the SDK's and the components' modules, the call
/// page. (Their `package.json`, scripts and generated types are not.)
const SERVED: &[&str] = &["browser/src", "components/src", "call"];

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by Cargo"));
    let sdk = manifest.join("../../sdk");
    println!("cargo:rerun-if-changed={}", sdk.display());
    println!("cargo:rerun-if-changed=build.rs");
    let mut files = Vec::new();
    for folder in SERVED {
        collect(&sdk, &sdk.join(folder), &mut files);
    }
    files.sort();
    let mut out = String::from(
        "/// Every embedded file of `sdk/`: path relative to `sdk/` (with `/`), content.\n\
         pub static FILES: &[(&str, &[u8])] = &[\n",
    );
    for (relative, absolute) in &files {
        writeln!(
            out,
            "    ({relative:?}, include_bytes!({:?})),",
            absolute.display().to_string()
        )
        .expect("writing to a String");
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by Cargo"));
    std::fs::write(dest.join("embedded_sdk.rs"), out).expect("OUT_DIR is writable");
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name == "node_modules" || name == "dist" {
            continue;
        }
        if path.is_dir() {
            collect(root, &path, files);
            continue;
        }
        let wanted = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| EXTENSIONS.contains(&e));
        if !wanted {
            continue;
        }
        let Ok(relative) = path.strip_prefix(root) else {
            continue;
        };
        let relative: Vec<String> = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let absolute = path.canonicalize().unwrap_or(path);
        files.push((relative.join("/"), absolute));
    }
}
