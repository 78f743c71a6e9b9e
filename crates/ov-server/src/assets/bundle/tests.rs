//! The bundler on small module trees: the emitted code is run by Node (installed for the
//! browser tests) so that what is checked is behaviour, not the text.

use std::collections::HashMap;
use std::process::Command;

use super::*;

fn tree(files: &[(&str, &str)]) -> HashMap<String, String> {
    files
        .iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect()
}

fn build(
    files: &HashMap<String, String>,
    entry: &str,
    format: Format,
) -> Result<Bundle, BundleError> {
    bundle(|p| files.get(p).map(String::as_str), entry, format)
}

/// Runs `code` (plus `epilogue`) with Node as an ES module or a classic script and returns
/// what it printed.
fn run(code: &str, epilogue: &str, module: bool) -> String {
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let ext = if module { "mjs" } else { "cjs" };
    let path = std::env::temp_dir().join(format!("ov-bundle-{}-{n}.{ext}", std::process::id()));
    std::fs::write(&path, format!("{code}\n{epilogue}\n")).unwrap();
    let out = Command::new("node")
        .arg(&path)
        .output()
        .expect("node runs (it is needed by the browser tests too)");
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "node failed: {}\n--- code ---\n{code}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn error_of(files: &[(&str, &str)], entry: &str) -> BundleError {
    build(&tree(files), entry, Format::Module).expect_err("refused")
}

#[test]
fn every_supported_form_works_as_in_es_modules() {
    let files = tree(&[
        (
            "lib/index.mjs",
            "// The entry.\n\
             import { Counter as Tally, double } from './util/math.mjs';\n\
             export { greet, LATER as later } from './words.mjs';\n\
             export * from './more.mjs';\n\
             export class Box { constructor() { this.t = new Tally(); } }\n\
             export function twice(x) { return double(x); }\n\
             export async function wait() { return 7; }\n\
             export const ANSWER = double(21);\n\
             export let state = 'a';\n\
             export function setState(s) { state = s; }\n",
        ),
        (
            "lib/util/math.mjs",
            "export class Counter { constructor() { this.n = 1; } }\n\
             export function double(x) { return x * 2; }\n",
        ),
        (
            "lib/words.mjs",
            "import { double } from './util/math.mjs';\n\
             export function greet(n) { return 'hi ' + n + double(1); }\n\
             export const LATER = 'later';\n",
        ),
        (
            "lib/more.mjs",
            "export const extra = 'x';\nexport function* gen() { yield 1; }\n",
        ),
    ]);
    let b = build(&files, "lib/index.mjs", Format::Module).unwrap();
    assert_eq!(
        b.modules,
        [
            "lib/util/math.mjs",
            "lib/words.mjs",
            "lib/more.mjs",
            "lib/index.mjs"
        ],
        "dependencies first, each once"
    );
    let out = run(
        &b.code.replace("export const {", "const {"),
        "setState('b');\n\
         console.log(JSON.stringify([new Box().t.n, twice(4), ANSWER, greet('x'), later, extra,\n\
           [...gen()], state, __ov_m3.state, Object.keys(__ov_m3).sort(), Object.isFrozen(__ov_m3)]));\n\
         wait().then(v => console.log(v));",
        true,
    );
    assert_eq!(
        out,
        "[1,8,42,\"hi x2\",\"later\",\"x\",[1],\"a\",\"b\",[\"ANSWER\",\"Box\",\"extra\",\"gen\",\"greet\",\"later\",\"setState\",\"state\",\"twice\",\"wait\"],true]\n7",
        "a `let` export stays live through the export object"
    );
    // The real module form: the bundle is an importable ES module.
    let out = run(
        &b.code,
        "console.log(typeof Box, typeof twice, ANSWER);",
        true,
    );
    assert_eq!(out, "function function 42");
}

#[test]
fn names_are_kept_per_module() {
    let files = tree(&[
        (
            "index.mjs",
            "import { one } from './a.mjs';\nimport { two } from './b.mjs';\n\
             const helper = () => 'entry';\n\
             export const all = [one(), two(), helper()];\n",
        ),
        (
            "a.mjs",
            "const helper = () => 'a';\nexport function one() { return helper(); }\n",
        ),
        (
            "b.mjs",
            "const helper = () => 'b';\nexport function two() { return helper(); }\n",
        ),
    ]);
    let b = build(&files, "index.mjs", Format::Module).unwrap();
    assert_eq!(run(&b.code, "console.log(all.join());", true), "a,b,entry");
}

#[test]
fn a_module_imported_twice_runs_once() {
    let files = tree(&[
        (
            "index.mjs",
            "import { a } from './a.mjs';\nimport { count } from './shared.mjs';\nexport const seen = [a, count()];\n",
        ),
        (
            "a.mjs",
            "import { count } from './shared.mjs';\nexport const a = count();\n",
        ),
        (
            "shared.mjs",
            "let runs = 0;\nruns += 1;\nexport function count() { return runs; }\n",
        ),
    ]);
    let b = build(&files, "index.mjs", Format::Module).unwrap();
    assert_eq!(b.modules.len(), 3);
    assert_eq!(run(&b.code, "console.log(seen.join());", true), "1,1");
}

#[test]
fn the_classic_script_defines_the_globals() {
    let files = tree(&[
        (
            "src/index.mjs",
            "export { OpenVidu } from './ov.mjs';\nexport const VERSION = '1';\n",
        ),
        (
            "src/ov.mjs",
            "export class OpenVidu { initSession() { return 'session'; } }\n",
        ),
    ]);
    let classic = Format::Classic {
        namespace: "OpenViduBrowser",
        main: "OpenVidu",
    };
    let b = build(&files, "src/index.mjs", classic).unwrap();
    assert!(
        !b.code.contains("export"),
        "no module syntax in a classic script"
    );
    let out = run(
        &b.code,
        "console.log(new OpenVidu().initSession(), OpenViduBrowser.VERSION, OpenViduBrowser.OpenVidu === OpenVidu, typeof __ov_m0);",
        false,
    );
    assert_eq!(
        out, "session 1 true undefined",
        "nothing else leaks into the global scope"
    );
    let files = tree(&[("src/index.mjs", "export const VERSION = '1';\n")]);
    let e = build(&files, "src/index.mjs", classic).unwrap_err();
    assert!(e.message.contains("no `OpenVidu`"), "{e}");
}

#[test]
fn comments_strings_and_look_alike_words_are_left_alone() {
    let files = tree(&[(
        "index.mjs",
        "/**\n * import { X } from 'nowhere';\n * export default 3;\n */\n\
         const exported = 1, imports = 2;\n\
         export const sum = exported + imports;\n",
    )]);
    let b = build(&files, "index.mjs", Format::Module).unwrap();
    assert_eq!(run(&b.code, "console.log(sum);", true), "3");
}

#[test]
fn cycles_are_refused_with_the_chain() {
    let e = error_of(
        &[
            (
                "a.mjs",
                "import { b } from './b.mjs';\nexport const a = 1;\n",
            ),
            (
                "b.mjs",
                "// b\nimport { c } from './c.mjs';\nexport const b = 1;\n",
            ),
            (
                "c.mjs",
                "\n\nimport { a } from './a.mjs';\nexport const c = 1;\n",
            ),
        ],
        "a.mjs",
    );
    assert_eq!((e.file.as_str(), e.line), ("c.mjs", 3));
    assert!(
        e.message
            .contains("import cycle: a.mjs → b.mjs → c.mjs → a.mjs"),
        "{e}"
    );
    assert_eq!(
        e.to_string().split(':').take(2).collect::<Vec<_>>(),
        ["c.mjs", "3"]
    );
}

#[test]
fn default_exports_and_imports_are_refused() {
    let e = error_of(&[("m.mjs", "const x = 1;\nexport default x;\n")], "m.mjs");
    assert_eq!((e.file.as_str(), e.line), ("m.mjs", 2));
    assert!(
        e.message.contains("default exports are not supported"),
        "{e}"
    );
    let e = error_of(
        &[
            ("m.mjs", "import thing from './t.mjs';\n"),
            ("t.mjs", "export const a = 1;\n"),
        ],
        "m.mjs",
    );
    assert_eq!(e.line, 1);
    assert!(e.message.contains("default imports"), "{e}");
    let e = error_of(
        &[
            ("m.mjs", "import { default as t } from './t.mjs';\n"),
            ("t.mjs", "export const a = 1;\n"),
        ],
        "m.mjs",
    );
    assert!(e.message.contains("default"), "{e}");
}

#[test]
fn every_other_form_is_refused_with_file_and_line() {
    let cases: &[(&str, usize, &str)] = &[
        ("import * as t from './t.mjs';", 1, "namespace imports"),
        ("import './t.mjs';", 1, "side-effect imports"),
        ("const m = 1;\nimport('./t.mjs');", 2, "dynamic import()"),
        ("import.meta.url;", 1, "import.meta"),
        (
            "import {\n  a\n} from './t.mjs';",
            1,
            "close on the same line",
        ),
        ("import { a } from 'lodash';", 1, "not a relative path"),
        (
            "import { a } from 'https://cdn.example/x.mjs';",
            1,
            "not a relative path",
        ),
        (
            "import { a } from './t.mjs'; const b = a;",
            1,
            "one statement per line",
        ),
        (
            "\nimport { nope } from './t.mjs';",
            2,
            "has no export named `nope`",
        ),
        (
            "import { a } from './missing.mjs';",
            1,
            "not found (looked for missing.mjs)",
        ),
        ("import { a } from '../t.mjs';", 1, "leaves the folder"),
        (
            "const a = 1;\nexport { a };",
            2,
            "export lists without `from`",
        ),
        ("export * as t from './t.mjs';", 1, "export * as name"),
        ("export const { a, b } = {};", 1, "destructuring exports"),
        ("export var a = 1;", 1, "export var"),
        (
            "export const a = 1;\nexport function a() {}",
            2,
            "exported twice",
        ),
        ("export enum X {}", 1, "unsupported export"),
    ];
    for (text, line, expected) in cases {
        let e = error_of(
            &[("m.mjs", text), ("t.mjs", "export const a = 1;\n")],
            "m.mjs",
        );
        assert_eq!((e.file.as_str(), e.line), ("m.mjs", *line), "{text}: {e}");
        assert!(e.message.contains(expected), "{text}: {e}");
    }
}

#[test]
fn star_exports_never_shadow_and_never_conflict() {
    let files = tree(&[
        (
            "index.mjs",
            "export * from './a.mjs';\nexport * from './b.mjs';\nexport const shared = 'entry';\n",
        ),
        (
            "a.mjs",
            "export const shared = 'a';\nexport const onlyA = 'a';\n",
        ),
        (
            "b.mjs",
            "export const shared = 'b';\nexport { onlyA } from './a.mjs';\n",
        ),
    ]);
    let b = build(&files, "index.mjs", Format::Module).unwrap();
    assert_eq!(
        run(&b.code, "console.log(shared, onlyA);", true),
        "entry a",
        "the same binding twice is fine"
    );
    let e = error_of(
        &[
            (
                "index.mjs",
                "export * from './a.mjs';\nexport * from './b.mjs';\n",
            ),
            ("a.mjs", "export const shared = 'a';\n"),
            ("b.mjs", "export const shared = 'b';\n"),
        ],
        "index.mjs",
    );
    assert_eq!(e.line, 2);
    assert!(
        e.message.contains("`shared` comes from two `export *`"),
        "{e}"
    );
}

#[test]
fn a_missing_entry_is_named() {
    let e = error_of(&[], "browser/src/index.mjs");
    assert_eq!(
        e.to_string(),
        "browser/src/index.mjs: the entry module does not exist"
    );
}

#[test]
fn the_path_of_a_parent_folder_is_resolved() {
    let files = tree(&[
        (
            "components/src/index.mjs",
            "export { OpenVidu } from './sdk.mjs';\n",
        ),
        (
            "components/src/sdk.mjs",
            "export * from '../../browser/src/index.mjs';\n",
        ),
        (
            "browser/src/index.mjs",
            "export { OpenVidu } from './ov.mjs';\n",
        ),
        ("browser/src/ov.mjs", "export class OpenVidu {}\n"),
    ]);
    let b = build(&files, "components/src/index.mjs", Format::Module).unwrap();
    assert_eq!(b.modules[0], "browser/src/ov.mjs");
    assert_eq!(
        run(&b.code, "console.log(typeof OpenVidu);", true),
        "function"
    );
}

#[test]
fn a_modules_opening_comment_is_left_out_and_the_rest_kept() {
    let files = tree(&[(
        "a.mjs",
        "// What a.mjs is for.\n//\n// More about it.\n\n// Still the opening comment.\nexport const s = `\n// in a string\n`;\n// a later comment\nconsole.log(s.trim());\n",
    )]);
    let b = build(&files, "a.mjs", Format::Module).unwrap();
    assert!(!b.code.contains("What a.mjs is for"), "{}", b.code);
    assert!(!b.code.contains("Still the opening comment"), "{}", b.code);
    assert!(b.code.contains("// a later comment"), "{}", b.code);
    assert_eq!(run(&b.code, "", true), "// in a string");
    // Errors still name the line of the source.
    let files = tree(&[("b.mjs", "// header\nimport * as x from './c.mjs';\n")]);
    assert_eq!(build(&files, "b.mjs", Format::Module).unwrap_err().line, 2);
}
