//! Concatenates ES modules into one file, without a JavaScript parser.
//!
//! Our browser code keeps to a few line-shaped forms (the module conventions of
//! `sdk/`), so each module can be wrapped in its own function scope and its import and
//! export lines rewritten one line at a time:
//!
//! * `import { A, B as C } from './x.mjs';` becomes `const { A, B: C } = <x's exports>;`
//!   at the top of the module's scope (imports are hoisted in ES modules too);
//! * `export class X`, `export function X`, `export async function X`,
//!   `export const X = …`, `export let X` lose their `export` and add `X` to the module's
//!   export object (a frozen object of getters, so `let` bindings stay live);
//! * `export { A, B as C } from './x.mjs';` and `export * from './x.mjs';` add x's names.
//!
//! Anything else that starts a line with `import` or `export` is refused with the file and
//! line, as are import cycles, names a module does not export, and paths that leave the
//! root. Modules are emitted dependencies first (depth-first from the entry), each once.
//! Top-level names need not be unique across modules: each has its own scope. Each
//! module's opening `//` comment is dropped (the sources are served as they are).

use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// What a bundle ends with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One ES module re-exporting the entry's exports.
    Module,
    /// A classic script: `globalThis[namespace]` is the entry's export object and
    /// `globalThis[main]` its export `main`.
    Classic {
        /// Global holding every export (`OpenViduBrowser`).
        namespace: &'static str,
        /// An export that also becomes a global of its own name (`OpenVidu`).
        main: &'static str,
    },
}

/// Why a bundle could not be built: the file (relative to the root) and line (1-based,
/// 0 when the problem is not on one line).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct BundleError {
    /// Path of the module, relative to the root.
    pub file: String,
    /// Line of the offending statement, 1-based; 0 for the whole file.
    pub line: usize,
    /// What is wrong, for the author of the module.
    pub message: String,
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

/// A bundle and what went into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    /// The JavaScript text.
    pub code: String,
    /// The modules it contains, in the order they run.
    pub modules: Vec<String>,
    /// The names the entry exports.
    pub exports: Vec<String>,
}

/// Bundles `entry` and everything it imports, reading modules through `source` (a path
/// relative to the root, `/`-separated, to its text; `None` when there is no such file).
pub fn bundle<'a>(
    source: impl Fn(&str) -> Option<&'a str>,
    entry: &str,
    format: Format,
) -> Result<Bundle, BundleError> {
    let mut graph = Graph {
        source: &source,
        modules: Vec::new(),
        index: HashMap::new(),
        visiting: Vec::new(),
    };
    let Some(text) = source(entry) else {
        return Err(BundleError {
            file: entry.to_owned(),
            line: 0,
            message: "the entry module does not exist".into(),
        });
    };
    let root = graph.load(entry, text)?;
    graph.emit(root, format)
}

/// Where an exported name comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Origin {
    /// A top-level binding of the module itself.
    Local(String),
    /// Export `name` of module `module` (an index in emission order).
    Module { module: usize, name: String },
}

/// One parsed module.
#[derive(Debug)]
struct Module {
    path: String,
    /// `const { … } = __ov_mN;` lines, one per import statement.
    bindings: Vec<String>,
    /// The text with import and re-export lines blanked and `export ` removed.
    body: String,
    /// Exported name → where it comes from, in the order declared.
    exports: Vec<(String, Origin)>,
}

/// A statement found on one line.
#[derive(Debug, PartialEq, Eq)]
enum Statement {
    /// `import { A, B as C } from 'p';` — `(imported, local)` pairs.
    Import {
        names: Vec<(String, String)>,
        from: String,
    },
    /// `export { A, B as C } from 'p';` — `(imported, exported)` pairs.
    ReexportNames {
        names: Vec<(String, String)>,
        from: String,
    },
    /// `export * from 'p';`
    ReexportAll { from: String },
    /// `export class X …` etc.: the declared name and the byte length of the `export`
    /// keyword and the blanks after it, to be removed.
    Declaration { name: String, keyword_len: usize },
}

struct Graph<'s, F> {
    source: &'s F,
    /// Loaded modules in emission order (dependencies first).
    modules: Vec<Module>,
    /// Path → index in `modules`.
    index: HashMap<String, usize>,
    /// The import chain being loaded, to name a cycle.
    visiting: Vec<String>,
}

impl<'a, 's, F: Fn(&str) -> Option<&'a str>> Graph<'s, F> {
    /// Loads `path` and its imports (depth-first), returns its index.
    fn load(&mut self, path: &str, text: &str) -> Result<usize, BundleError> {
        self.visiting.push(path.to_owned());
        let loaded = self.parse(path, text);
        self.visiting.pop();
        loaded
    }

    /// Parses `path`, loading each module it imports on the way.
    fn parse(&mut self, path: &str, text: &str) -> Result<usize, BundleError> {
        let error = |line: usize, message: String| BundleError {
            file: path.to_owned(),
            line,
            message,
        };
        let mut bindings = Vec::new();
        let mut body = String::with_capacity(text.len());
        let mut exports: Vec<(String, Origin)> = Vec::new();
        let mut stars: Vec<(usize, usize)> = Vec::new();
        // A module's opening comment is left out: it explains the source (served too), and
        // the bundle has a size budget. Only the lines before any code: nothing there can be
        // inside a string.
        let mut header = true;
        for (number, line) in text.split_inclusive('\n').enumerate() {
            let number = number + 1;
            header = header && (line.trim().is_empty() || line.trim_start().starts_with("//"));
            if header {
                continue;
            }
            let statement = parse_line(line).map_err(|m| error(number, m))?;
            let Some(statement) = statement else {
                body.push_str(line);
                continue;
            };
            let from = match &statement {
                Statement::Import { from, .. }
                | Statement::ReexportNames { from, .. }
                | Statement::ReexportAll { from } => Some(from.clone()),
                Statement::Declaration { .. } => None,
            };
            let dependency = match from {
                Some(from) => Some(self.dependency(path, number, &from)?),
                None => None,
            };
            let keep_newline = if line.ends_with('\n') { "\n" } else { "" };
            match statement {
                Statement::Import { names, .. } => {
                    let dep = dependency.expect("an import has a source");
                    let mut parts = Vec::new();
                    for (imported, local) in names {
                        self.check_export(dep, &imported)
                            .map_err(|m| error(number, m))?;
                        parts.push(if imported == local {
                            local
                        } else {
                            format!("{imported}: {local}")
                        });
                    }
                    bindings.push(format!("const {{ {} }} = __ov_m{dep};", parts.join(", ")));
                    body.push_str(keep_newline);
                }
                Statement::ReexportNames { names, .. } => {
                    let dep = dependency.expect("a re-export has a source");
                    for (imported, exported) in names {
                        self.check_export(dep, &imported)
                            .map_err(|m| error(number, m))?;
                        add_export(
                            &mut exports,
                            exported,
                            Origin::Module {
                                module: dep,
                                name: imported,
                            },
                        )
                        .map_err(|m| error(number, m))?;
                    }
                    body.push_str(keep_newline);
                }
                Statement::ReexportAll { .. } => {
                    stars.push((dependency.expect("a re-export has a source"), number));
                    body.push_str(keep_newline);
                }
                Statement::Declaration { name, keyword_len } => {
                    let indent = line.len() - line.trim_start().len();
                    body.push_str(&line[..indent]);
                    body.push_str(&line[indent + keyword_len..]);
                    add_export(&mut exports, name.clone(), Origin::Local(name))
                        .map_err(|m| error(number, m))?;
                }
            }
        }
        // `export *` never shadows an explicit export; two stars giving one name differently
        // would make it ambiguous (ES modules drop it silently): refused.
        let explicit: Vec<String> = exports.iter().map(|(n, _)| n.clone()).collect();
        let mut starred: BTreeMap<String, Origin> = BTreeMap::new();
        for (dep, number) in stars {
            for (name, _) in &self.modules[dep].exports {
                if name == "default" || explicit.contains(name) {
                    continue;
                }
                let origin = self.resolve(dep, name);
                match starred.get(name) {
                    Some(existing) if *existing != origin => {
                        return Err(error(
                            number,
                            format!(
                                "`{name}` comes from two `export *` statements (also {}); export it explicitly",
                                self.modules[dep].path
                            ),
                        ));
                    }
                    Some(_) => {}
                    None => {
                        starred.insert(name.clone(), origin);
                        exports.push((
                            name.clone(),
                            Origin::Module {
                                module: dep,
                                name: name.clone(),
                            },
                        ));
                    }
                }
            }
        }
        let index = self.modules.len();
        self.modules.push(Module {
            path: path.to_owned(),
            bindings,
            body,
            exports,
        });
        self.index.insert(path.to_owned(), index);
        Ok(index)
    }

    /// The index of the module `from` imported at `path:line`, loading it if needed.
    fn dependency(&mut self, path: &str, line: usize, from: &str) -> Result<usize, BundleError> {
        let error = |message: String| BundleError {
            file: path.to_owned(),
            line,
            message,
        };
        let resolved = resolve_path(path, from).map_err(error)?;
        if let Some(&index) = self.index.get(&resolved) {
            return Ok(index);
        }
        if let Some(start) = self.visiting.iter().position(|p| *p == resolved) {
            let mut chain: Vec<&str> = self.visiting[start..].iter().map(String::as_str).collect();
            chain.push(&resolved);
            return Err(error(format!(
                "import cycle: {}; modules must form a tree (move what both need into a third module)",
                chain.join(" → ")
            )));
        }
        let Some(text) = (self.source)(&resolved) else {
            return Err(error(format!("'{from}' not found (looked for {resolved})")));
        };
        self.load(&resolved, text)
    }

    fn check_export(&self, module: usize, name: &str) -> Result<(), String> {
        if self.modules[module].exports.iter().any(|(n, _)| n == name) {
            Ok(())
        } else {
            Err(format!(
                "{} has no export named `{name}`",
                self.modules[module].path
            ))
        }
    }

    /// The local binding an export finally refers to, to compare two `export *` sources.
    fn resolve(&self, module: usize, name: &str) -> Origin {
        match self.modules[module].exports.iter().find(|(n, _)| n == name) {
            Some((_, Origin::Module { module, name })) => self.resolve(*module, name),
            Some((_, Origin::Local(local))) => Origin::Module {
                module,
                name: local.clone(),
            },
            None => Origin::Local(name.to_owned()),
        }
    }

    fn emit(self, root: usize, format: Format) -> Result<Bundle, BundleError> {
        let entry = &self.modules[root];
        let exports: Vec<String> = entry.exports.iter().map(|(n, _)| n.clone()).collect();
        let mut code = format!(
            "// openvidu-rs: {} and the {} modules it imports, bundled by the server. Each\n\
             // module runs in its own function scope; the sources are served one by one too.\n",
            entry.path,
            self.modules.len() - 1
        );
        if let Format::Classic { main, .. } = format
            && !exports.iter().any(|e| e == main)
        {
            return Err(BundleError {
                file: entry.path.clone(),
                line: 0,
                message: format!("the entry exports no `{main}`, which the classic script needs"),
            });
        }
        if let Format::Classic { .. } = format {
            code.push_str("(function () {\n'use strict';\n");
        }
        for (index, module) in self.modules.iter().enumerate() {
            code.push_str(&format!(
                "\n// ---- {}\nconst __ov_m{index} = (() => {{\n",
                module.path
            ));
            for binding in &module.bindings {
                code.push_str(binding);
                code.push('\n');
            }
            code.push_str(&module.body);
            if !module.body.ends_with('\n') {
                code.push('\n');
            }
            let getters: Vec<String> = module
                .exports
                .iter()
                .map(|(name, origin)| match origin {
                    Origin::Local(local) => format!("get {name}() {{ return {local}; }}"),
                    Origin::Module { module, name: from } => {
                        format!("get {name}() {{ return __ov_m{module}.{from}; }}")
                    }
                })
                .collect();
            let mut object = String::from("__proto__: null");
            for getter in getters {
                object.push_str(",\n  ");
                object.push_str(&getter);
            }
            code.push_str(&format!("return Object.freeze({{ {object} }});\n}})();\n"));
        }
        match format {
            Format::Module => {
                if exports.is_empty() {
                    code.push_str("\nexport {};\n");
                } else {
                    code.push_str(&format!(
                        "\nexport const {{ {} }} = __ov_m{root};\n",
                        exports.join(", ")
                    ));
                }
            }
            Format::Classic { namespace, main } => {
                code.push_str(&format!(
                    "\nglobalThis.{namespace} = __ov_m{root};\nglobalThis.{main} = __ov_m{root}.{main};\n}})();\n"
                ));
            }
        }
        Ok(Bundle {
            code,
            modules: self.modules.iter().map(|m| m.path.clone()).collect(),
            exports,
        })
    }
}

fn add_export(
    exports: &mut Vec<(String, Origin)>,
    name: String,
    origin: Origin,
) -> Result<(), String> {
    if exports.iter().any(|(n, _)| *n == name) {
        return Err(format!("`{name}` is exported twice"));
    }
    exports.push((name, origin));
    Ok(())
}

/// `from` relative to the folder of `importer`, normalised; it may not leave the root.
fn resolve_path(importer: &str, from: &str) -> Result<String, String> {
    if !(from.starts_with("./") || from.starts_with("../")) {
        return Err(format!(
            "'{from}' is not a relative path: imports must start with ./ or ../ (no bare specifiers, no URLs)"
        ));
    }
    let mut parts: Vec<&str> = importer.split('/').collect();
    parts.pop();
    for part in from.split('/') {
        match part {
            "." | "" => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(format!("'{from}' leaves the folder of the served code"));
                }
            }
            other => parts.push(other),
        }
    }
    Ok(parts.join("/"))
}

/// Whether `line` starts with the word `keyword` (not `imports`, not `exported`).
fn starts_with_word(line: &str, keyword: &str) -> bool {
    line.strip_prefix(keyword)
        .is_some_and(|rest| !rest.starts_with(|c: char| is_ident_char(c)))
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == '$'
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

/// The identifier at the start of `text` and what follows it.
fn identifier(text: &str) -> Option<(&str, &str)> {
    if !text.starts_with(is_ident_start) {
        return None;
    }
    let end = text.find(|c: char| !is_ident_char(c)).unwrap_or(text.len());
    Some((&text[..end], &text[end..]))
}

/// The statement on `line`, `None` when the line is ordinary code.
fn parse_line(line: &str) -> Result<Option<Statement>, String> {
    let text = line.trim();
    if starts_with_word(text, "import") {
        return parse_import(text).map(Some);
    }
    if starts_with_word(text, "export") {
        return parse_export(text).map(Some);
    }
    Ok(None)
}

const IMPORT_FORM: &str =
    "write imports as `import { A, B as C } from './relative/path.mjs';` on one line";

fn parse_import(text: &str) -> Result<Statement, String> {
    let rest = text["import".len()..].trim_start();
    if rest.starts_with('(') {
        return Err("dynamic import() is not supported: import statically".into());
    }
    if rest.starts_with('.') {
        return Err(
            "import.meta is not supported (the code is also served as a classic script)".into(),
        );
    }
    if rest.starts_with('*') {
        return Err(format!(
            "namespace imports (import * as …) are not supported; {IMPORT_FORM}"
        ));
    }
    if rest.starts_with(['\'', '"']) {
        return Err(format!(
            "side-effect imports are not supported; {IMPORT_FORM}"
        ));
    }
    if !rest.starts_with('{') {
        return Err(format!("default imports are not supported; {IMPORT_FORM}"));
    }
    let (names, from) = braces_from(rest)?;
    Ok(Statement::Import { names, from })
}

fn parse_export(text: &str) -> Result<Statement, String> {
    let after = &text["export".len()..];
    let rest = after.trim_start();
    let keyword_len = text.len() - rest.len();
    if starts_with_word(rest, "default") {
        return Err(
            "default exports are not supported: export a named class, function or const".into(),
        );
    }
    if rest.starts_with('{') {
        if !rest.contains("from") {
            return Err(
                "export lists without `from` are not supported: put `export` before the declaration"
                    .into(),
            );
        }
        let (names, from) = braces_from(rest)?;
        return Ok(Statement::ReexportNames { names, from });
    }
    if let Some(star) = rest.strip_prefix('*') {
        let star = star.trim_start();
        if starts_with_word(star, "as") {
            return Err(
                "`export * as name` is not supported: use `export * from` or named re-exports"
                    .into(),
            );
        }
        let from = from_clause(star)?;
        return Ok(Statement::ReexportAll { from });
    }
    let declaration_error = || {
        format!(
            "unsupported export: use `export class X`, `export function X`, `export async function X`, `export const X =` or `export let X` (got `{}`)",
            cut(text)
        )
    };
    let mut words = rest;
    if starts_with_word(words, "async") {
        words = words["async".len()..].trim_start();
        if !starts_with_word(words, "function") {
            return Err(declaration_error());
        }
    }
    let name = if starts_with_word(words, "function") {
        let after = words["function".len()..].trim_start();
        let after = after.strip_prefix('*').unwrap_or(after).trim_start();
        identifier(after).map(|(n, _)| n)
    } else if starts_with_word(words, "class") {
        identifier(words["class".len()..].trim_start()).map(|(n, _)| n)
    } else if let Some(kw) = ["const", "let"]
        .into_iter()
        .find(|k| starts_with_word(words, k))
    {
        let after = words[kw.len()..].trim_start();
        if after.starts_with(['{', '[']) {
            return Err("destructuring exports are not supported: export each name with its own `export const`".into());
        }
        identifier(after).map(|(n, _)| n)
    } else if starts_with_word(words, "var") {
        return Err("`export var` is not supported: use `export const` or `export let`".into());
    } else {
        None
    };
    match name {
        Some(name) => Ok(Statement::Declaration {
            name: name.to_owned(),
            keyword_len,
        }),
        None => Err(declaration_error()),
    }
}

/// `{ A, B as C } from 'p';` → the `(name, alias)` pairs and `p`.
#[allow(clippy::type_complexity)]
fn braces_from(text: &str) -> Result<(Vec<(String, String)>, String), String> {
    let inner = &text[1..];
    let Some(close) = inner.find('}') else {
        return Err(format!(
            "the name list must close on the same line; {IMPORT_FORM}"
        ));
    };
    let mut names = Vec::new();
    for item in inner[..close].split(',') {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let mut parts = item.split_whitespace();
        let (name, alias) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(n), None, None, None) => (n, n),
            (Some(n), Some("as"), Some(a), None) => (n, a),
            _ => {
                return Err(format!(
                    "cannot read `{item}` in the name list; {IMPORT_FORM}"
                ));
            }
        };
        for id in [name, alias] {
            if identifier(id).is_none_or(|(_, rest)| !rest.is_empty()) {
                return Err(format!("`{id}` is not a name; {IMPORT_FORM}"));
            }
            if id == "default" {
                return Err("default imports and exports are not supported".into());
            }
        }
        names.push((name.to_owned(), alias.to_owned()));
    }
    let from = from_clause(inner[close + 1..].trim_start())?;
    Ok((names, from))
}

/// `from 'p';` (the semicolon and a trailing `//` comment optional) → `p`.
fn from_clause(text: &str) -> Result<String, String> {
    let Some(rest) = text.strip_prefix("from") else {
        return Err(format!("expected `from '…'`; {IMPORT_FORM}"));
    };
    let rest = rest.trim_start();
    let Some(quote) = rest.chars().next().filter(|c| *c == '\'' || *c == '"') else {
        return Err(format!(
            "expected a quoted path after `from`; {IMPORT_FORM}"
        ));
    };
    let Some(end) = rest[1..].find(quote) else {
        return Err(format!("the path is not closed; {IMPORT_FORM}"));
    };
    let path = &rest[1..1 + end];
    let tail = rest[2 + end..].trim();
    let tail = tail.strip_prefix(';').unwrap_or(tail).trim();
    if !(tail.is_empty() || tail.starts_with("//")) {
        return Err(format!(
            "unexpected `{}` after the path; one statement per line",
            cut(tail)
        ));
    }
    Ok(path.to_owned())
}

/// At most 60 characters of `text`, for messages.
fn cut(text: &str) -> String {
    text.chars().take(60).collect()
}

#[cfg(test)]
mod tests;
