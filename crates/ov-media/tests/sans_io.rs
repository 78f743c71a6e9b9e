//! ov-media stays sans-IO: no async runtime or socket crate among its dependencies, a
//! clippy configuration that forbids the wall clock, threads, sockets and files (the
//! precise check: clippy resolves every path), and, for runs without clippy, a scan of
//! the library's source outside its `#[cfg(test)]` items for the same names.

#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "this test reads the crate's own files"
)]

use std::path::{Path, PathBuf};

/// Crates that exist to do I/O, spawn threads or run futures. Renamed dependencies are
/// checked by their real (`package`) name.
const IO_CRATES: &[&str] = &[
    "tokio",
    "mio",
    "async-std",
    "async-io",
    "smol",
    "polling",
    "socket2",
    "nix",
    "libc",
    "rayon",
    "crossbeam",
    "futures",
    "hyper",
    "reqwest",
];

/// What `clippy.toml` must keep forbidding.
const REQUIRED_METHODS: &[&str] = &[
    "std::time::Instant::now",
    "std::time::SystemTime::now",
    "std::thread::spawn",
    "std::thread::scope",
    "std::thread::sleep",
];
const REQUIRED_TYPES: &[&str] = &[
    "std::net::UdpSocket",
    "std::net::TcpStream",
    "std::net::TcpListener",
    "std::time::SystemTime",
    "std::thread::Builder",
];

/// Names library code has no business mentioning, matched at the start of a word.
const FORBIDDEN_NAMES: &[&str] = &[
    "Instant::now",
    "SystemTime",
    "thread::",
    "UdpSocket",
    "TcpStream",
    "TcpListener",
    "tokio",
    "mio::",
    "async_std",
    "fs::",
];

fn crate_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn read_toml(relative: &str) -> toml::Table {
    let path = crate_path(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    text.parse()
        .unwrap_or_else(|e| panic!("{path:?} is not TOML: {e}"))
}

/// The real crate names of a `[dependencies]`-like table.
fn dependency_names(table: Option<&toml::Value>) -> Vec<String> {
    let Some(table) = table.and_then(toml::Value::as_table) else {
        return Vec::new();
    };
    table
        .iter()
        .map(|(key, spec)| {
            spec.get("package")
                .and_then(toml::Value::as_str)
                .unwrap_or(key)
                .to_owned()
        })
        .collect()
}

#[test]
fn dependencies_bring_no_runtime_threads_or_sockets() {
    let manifest = read_toml("Cargo.toml");
    let mut names = dependency_names(manifest.get("dependencies"));
    if let Some(targets) = manifest.get("target").and_then(toml::Value::as_table) {
        for target in targets.values() {
            names.extend(dependency_names(target.get("dependencies")));
        }
    }
    assert!(
        names.iter().any(|n| n == "str0m"),
        "the [dependencies] table was not found: {names:?}"
    );
    let io: Vec<&String> = names
        .iter()
        .filter(|n| IO_CRATES.contains(&n.as_str()))
        .collect();
    assert!(
        io.is_empty(),
        "ov-media must stay sans-IO; these dependencies do I/O: {io:?}"
    );
}

#[test]
fn clippy_forbids_the_clock_threads_and_sockets() {
    let config = read_toml("clippy.toml");
    for (key, required) in [
        ("disallowed-methods", REQUIRED_METHODS),
        ("disallowed-types", REQUIRED_TYPES),
    ] {
        let listed: Vec<&str> = config
            .get(key)
            .and_then(toml::Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|entry| {
                entry
                    .as_str()
                    .or_else(|| entry.get("path").and_then(toml::Value::as_str))
            })
            .collect();
        let missing: Vec<&&str> = required.iter().filter(|p| !listed.contains(p)).collect();
        assert!(
            missing.is_empty(),
            "clippy.toml `{key}` no longer lists {missing:?}"
        );
    }
}

#[test]
fn library_code_names_no_clock_threads_sockets_or_files() {
    let files = rust_files(&crate_path("src"));
    assert!(
        files.iter().any(|f| f.ends_with("engine.rs")),
        "src/ was not found: {files:?}"
    );
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let code = without_test_items(&blank_comments_and_literals(&text));
        for (line, name) in forbidden_names(&code) {
            let shown = file.strip_prefix(crate_path("")).unwrap_or(file);
            found.push(format!("{}:{line}: {name}", shown.display()));
        }
    }
    assert!(
        found.is_empty(),
        "ov-media must stay sans-IO:\n{}",
        found.join("\n")
    );
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// `(line, name)` of every forbidden name in `code`.
fn forbidden_names(code: &str) -> Vec<(usize, &'static str)> {
    let mut found = Vec::new();
    for (i, line) in code.lines().enumerate() {
        for name in FORBIDDEN_NAMES {
            let starts_word = line.match_indices(name).any(|(at, _)| {
                !line[..at]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_')
            });
            if starts_word {
                found.push((i + 1, *name));
            }
        }
    }
    found
}

/// `text` with comments and the contents of string and character literals replaced by
/// spaces (newlines kept), so that names and braces in them count for nothing.
fn blank_comments_and_literals(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |out: &mut String, c: char| out.push(if c == '\n' { '\n' } else { ' ' });
    let mut i = 0;
    while i < chars.len() {
        let rest = &chars[i..];
        if rest.starts_with(&['/', '/']) {
            while i < chars.len() && chars[i] != '\n' {
                blank(&mut out, chars[i]);
                i += 1;
            }
        } else if rest.starts_with(&['/', '*']) {
            let mut depth = 0;
            loop {
                if chars[i..].starts_with(&['/', '*']) {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i..].starts_with(&['*', '/']) {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, chars[i]);
                    i += 1;
                }
            }
        } else if let Some(hashes) = raw_string_start(rest) {
            // r"…", r#"…"#, br"…": no escapes, ends at a quote and as many hashes.
            let closing: Vec<char> = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            let open = rest.iter().position(|c| *c == '"').unwrap() + 1;
            out.extend(std::iter::repeat_n(' ', open));
            i += open;
            while i < chars.len() && !chars[i..].starts_with(&closing) {
                blank(&mut out, chars[i]);
                i += 1;
            }
            out.extend(std::iter::repeat_n(' ', closing.len()));
            i += closing.len();
        } else if chars[i] == '"' {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                let n = if chars[i] == '\\' { 2 } else { 1 };
                for c in &chars[i..(i + n).min(chars.len())] {
                    blank(&mut out, *c);
                }
                i += n;
            }
            out.push(' ');
            i += 1;
        } else if chars[i] == '\'' && (rest.get(1) == Some(&'\\') || rest.get(2) == Some(&'\'')) {
            // A character literal ('x', '\n', '\u{7f}'), not a lifetime ('a).
            let len = if rest[1] == '\\' {
                // Past the escaped character, up to the closing quote.
                3 + rest[3..]
                    .iter()
                    .position(|c| *c == '\'')
                    .map_or(0, |p| p + 1)
            } else {
                3
            };
            out.extend(std::iter::repeat_n(' ', len));
            i += len;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// How many `#` a raw string literal starting at `rest` has, if one starts there.
fn raw_string_start(rest: &[char]) -> Option<usize> {
    let after_b = if rest.first() == Some(&'b') {
        &rest[1..]
    } else {
        rest
    };
    let after_r = after_b.strip_prefix(&['r'])?;
    let hashes = after_r.iter().take_while(|c| **c == '#').count();
    (after_r.get(hashes) == Some(&'"')).then_some(hashes)
}

/// `code` (already blanked) without the items under `#[cfg(test)]`: each such attribute
/// and the item after it, up to its `;` or its matching closing brace.
fn without_test_items(code: &str) -> String {
    const ATTRIBUTE: &str = "#[cfg(test)]";
    let mut out = code.to_owned();
    let mut from = 0;
    while let Some(found) = out[from..].find(ATTRIBUTE) {
        let start = from + found;
        let body = start + ATTRIBUTE.len();
        let end = match out[body..].find(['{', ';']) {
            Some(at) if out[body + at..].starts_with(';') => {
                assert!(
                    !out[body..body + at].contains("mod "),
                    "a #[cfg(test)] module in its own file: teach this check to skip it"
                );
                body + at + 1
            }
            Some(at) => matching_brace(&out, body + at),
            None => out.len(),
        };
        let blanked: String = out[start..end]
            .chars()
            .map(|c| if c == '\n' { '\n' } else { ' ' })
            .collect();
        out.replace_range(start..end, &blanked);
        from = end;
    }
    out
}

/// The byte just after the brace that closes the one at `open`.
fn matching_brace(code: &str, open: usize) -> usize {
    let mut depth = 0usize;
    for (i, c) in code[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return open + i + 1;
                }
            }
            _ => {}
        }
    }
    code.len()
}

/// The scanner finds what it must and skips only test items, comments and literals.
#[test]
fn the_scanner_sees_library_code_only() {
    let sample = r##"//! Docs may say tokio and Instant::now.
use std::time::Instant;
fn lifetime<'a>(s: &'a str) -> char { let _ = "}{ \" thread::spawn"; let _ = r#"}"#; '}' }
const QUOTE: char = '\''; const BRACE: char = '\u{7d}';
#[cfg(test)]
mod tests {
    fn braces() { let _ = "}"; let _ = '{'; let t = std::time::Instant::now(); }
}
/* a block comment with UdpSocket
   /* nested */ still a comment: SystemTime */
fn after() { let t = Instant::now(); let s: std::net::UdpSocket; }
#[cfg(test)]
fn helper() { std::thread::sleep(todo!()); }
fn last() { let f = std::fs::read(todo!()); }
"##;
    let blanked = blank_comments_and_literals(sample);
    assert_eq!(blanked.lines().count(), sample.lines().count());
    let code = without_test_items(&blanked);
    assert_eq!(
        forbidden_names(&code),
        vec![(11, "Instant::now"), (11, "UdpSocket"), (14, "fs::")],
        "{code}"
    );
    // Everything is found when nothing is skipped.
    assert!(forbidden_names(sample).len() > 6);
}
