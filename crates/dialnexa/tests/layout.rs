//! The layout docs/ARCHITECTURE.md promises, checked on every test run (`scripts/test.sh` runs
//! it first, through `scripts/check-layout.sh`): every source file under `crates/*/src` opens
//! with a `//!` line and has at most 450 lines, the HTTP crate depends on the service and the
//! domain only, and no two files import each other.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 450;

/// Files allowed over the limit for now, because another change in flight owns them. Each
/// must still exist and still be over the limit, so an entry cannot outlive its reason.
const OVER_THE_LIMIT_FOR_NOW: &[&str] = &[];

/// What the HTTP crate must never name: it reaches storage and carriers through the service.
const NOT_FOR_HTTP: &[&str] = &[
    "dialnexa_store",
    "dialnexa-store",
    "dialnexa_carriers",
    "dialnexa-carriers",
];

struct Source {
    /// Relative to the workspace root, with `/` separators.
    path: String,
    krate: String,
    /// The module path inside its crate: `[]` for the crate root.
    module: Vec<String>,
    text: String,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `.rs` file under `crates/*/src`, with its crate and module path.
fn sources() -> Vec<Source> {
    let root = root();
    let mut out = Vec::new();
    let mut crates: Vec<PathBuf> = std::fs::read_dir(root.join("crates"))
        .expect("the workspace has crates/")
        .flatten()
        .map(|e| e.path())
        .collect();
    crates.sort();
    for krate in crates {
        let src = krate.join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        files.sort();
        for file in files {
            let rel = file
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let mut module: Vec<String> = rel
                .trim_end_matches(".rs")
                .split('/')
                .map(str::to_owned)
                .collect();
            if matches!(rel.as_str(), "lib.rs" | "main.rs") {
                module.clear();
            } else if module.last().is_some_and(|m| m == "mod") {
                module.pop();
            }
            out.push(Source {
                path: file
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/"),
                krate: krate.file_name().unwrap().to_string_lossy().into_owned(),
                module,
                text: std::fs::read_to_string(&file).unwrap(),
            });
        }
    }
    assert!(out.len() > 50, "found only {} source files", out.len());
    out
}

#[test]
fn every_source_file_says_why_it_exists_and_stays_short() {
    let mut problems = Vec::new();
    let sources = sources();
    for s in &sources {
        if !s.text.starts_with("//!") {
            problems.push(format!("{} does not open with a `//!` line", s.path));
        }
        let lines = s.text.lines().count();
        let excused = OVER_THE_LIMIT_FOR_NOW.contains(&s.path.as_str());
        if lines > MAX_LINES && !excused {
            problems.push(format!(
                "{} has {lines} lines (at most {MAX_LINES})",
                s.path
            ));
        }
        if excused && lines <= MAX_LINES {
            problems.push(format!(
                "{} is short enough now: take it off OVER_THE_LIMIT_FOR_NOW",
                s.path
            ));
        }
    }
    for excused in OVER_THE_LIMIT_FOR_NOW {
        if !sources.iter().any(|s| s.path == *excused) {
            problems.push(format!(
                "{excused} is gone: take it off OVER_THE_LIMIT_FOR_NOW"
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn the_http_crate_reaches_storage_and_carriers_only_through_the_service() {
    let mut problems = Vec::new();
    let manifest = std::fs::read_to_string(root().join("crates/http/Cargo.toml")).unwrap();
    for (n, line) in manifest.lines().enumerate() {
        if let Some(name) = NOT_FOR_HTTP.iter().find(|name| line.contains(**name)) {
            problems.push(format!("crates/http/Cargo.toml:{}: {name}", n + 1));
        }
    }
    for s in sources().iter().filter(|s| s.krate == "http") {
        for (n, line) in s.text.lines().enumerate() {
            if let Some(name) = NOT_FOR_HTTP.iter().find(|name| line.contains(**name)) {
                problems.push(format!("{}:{}: {name}", s.path, n + 1));
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn no_two_files_import_each_other() {
    let sources = sources();
    // Per crate: module path -> file.
    let mut modules: BTreeMap<(&str, &[String]), &str> = BTreeMap::new();
    for s in &sources {
        if !s.path.ends_with("/main.rs") {
            modules.insert((s.krate.as_str(), s.module.as_slice()), s.path.as_str());
        }
    }
    let mut edges: BTreeSet<(&str, &str)> = BTreeSet::new();
    for s in sources.iter().filter(|s| !s.path.ends_with("/main.rs")) {
        for path in module_paths(&s.text) {
            let Some(mut target) = resolve_base(&s.module, &path) else {
                continue;
            };
            let rest = &path[path.iter().take_while(|p| is_base(p)).count()..];
            for segment in rest {
                target.push(segment.clone());
                if !modules.contains_key(&(s.krate.as_str(), target.as_slice())) {
                    target.pop();
                    break;
                }
            }
            // A module and its own submodules name each other by nature (`mod x;`, the shared
            // state in `crate::`); only files side by side or apart are checked.
            if target.starts_with(&s.module) || s.module.starts_with(&target) {
                continue;
            }
            if let Some(file) = modules.get(&(s.krate.as_str(), target.as_slice())) {
                edges.insert((s.path.as_str(), file));
            }
        }
    }
    let cycles: Vec<String> = edges
        .iter()
        .filter(|(a, b)| a < b && edges.contains(&(*b, *a)))
        .map(|(a, b)| format!("{a} <-> {b}"))
        .collect();
    assert!(
        cycles.is_empty(),
        "files that import each other:\n{}",
        cycles.join("\n")
    );
}

fn is_base(segment: &str) -> bool {
    matches!(segment, "crate" | "super" | "self")
}

/// The module a path's leading `crate`, `super` and `self` segments name, from `module`.
fn resolve_base(module: &[String], path: &[String]) -> Option<Vec<String>> {
    let mut at = match path.first()?.as_str() {
        "crate" => Vec::new(),
        "super" | "self" => module.to_vec(),
        _ => return None,
    };
    for segment in path.iter().take_while(|p| is_base(p)) {
        if segment == "super" {
            at.pop()?;
        }
    }
    Some(at)
}

/// Every path starting at `crate::`, `super::` or `self::` in the file's code (comments,
/// strings and the trailing `#[cfg(test)]` module left out), with `use` groups expanded:
/// `use crate::a::{b, c::d}` gives `crate::a::b` and `crate::a::c::d`.
fn module_paths(text: &str) -> Vec<Vec<String>> {
    let code = match text.find("#[cfg(test)]") {
        Some(at) => &text[..at],
        None => text,
    };
    let tokens = tokens(&strip_comments_and_strings(code));
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let starts = is_base(&tokens[i])
            && tokens.get(i + 1).is_some_and(|t| t == "::")
            && (i == 0 || tokens[i - 1] != "::");
        if starts {
            i = use_tree(&tokens, i, Vec::new(), &mut out);
        } else {
            i += 1;
        }
    }
    out
}

/// Parses one use tree from `tokens[i]` under `prefix`; returns the index after it.
fn use_tree(
    tokens: &[String],
    mut i: usize,
    prefix: Vec<String>,
    out: &mut Vec<Vec<String>>,
) -> usize {
    let mut path = prefix;
    loop {
        match tokens.get(i).map(String::as_str) {
            Some("{") => {
                i += 1;
                loop {
                    match tokens.get(i).map(String::as_str) {
                        None => return i,
                        Some("}") => return i + 1,
                        Some(",") => i += 1,
                        Some("self") => {
                            out.push(path.clone());
                            i += 1;
                        }
                        Some(_) => i = use_tree(tokens, i, path.clone(), out),
                    }
                }
            }
            Some(t) if t.chars().all(|c| c.is_alphanumeric() || c == '_') && !t.is_empty() => {
                path.push(t.to_owned());
                i += 1;
                if tokens.get(i).is_some_and(|t| t == "::") {
                    i += 1;
                    continue;
                }
                out.push(path);
                return i;
            }
            _ => {
                out.push(path);
                return i;
            }
        }
    }
}

fn tokens(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(chars[start..i].iter().collect());
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            out.push("::".to_owned());
            i += 2;
        } else {
            if !c.is_whitespace() {
                out.push(c.to_string());
            }
            i += 1;
        }
    }
    out
}

/// The code with comments removed and string and char literals emptied.
fn strip_comments_and_strings(code: &str) -> String {
    let chars: Vec<char> = code.chars().collect();
    let mut out = String::with_capacity(code.len());
    let mut i = 0;
    while i < chars.len() {
        match (chars[i], chars.get(i + 1)) {
            ('/', Some('/')) => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            ('/', Some('*')) => {
                i += 2;
                while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                    i += 1;
                }
                i += 2;
            }
            ('r', Some('#' | '"')) if i == 0 || !chars[i - 1].is_alphanumeric() => {
                // A raw string: r"…" or r#"…"#.
                let mut j = i + 1;
                let mut hashes = 0;
                while chars.get(j) == Some(&'#') {
                    hashes += 1;
                    j += 1;
                }
                if chars.get(j) != Some(&'"') {
                    out.push(chars[i]);
                    i += 1;
                    continue;
                }
                j += 1;
                let closing: String = std::iter::once('"')
                    .chain(std::iter::repeat_n('#', hashes))
                    .collect();
                while j < chars.len()
                    && !chars[j..].starts_with(&closing.chars().collect::<Vec<_>>())
                {
                    j += 1;
                }
                i = j + closing.len();
                out.push_str("\"\"");
            }
            ('"', _) => {
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
                out.push_str("\"\"");
            }
            ('\'', _) if chars.get(i + 2) == Some(&'\'') || chars.get(i + 1) == Some(&'\\') => {
                // A char literal ('a', '\n'); lifetimes ('a) are left alone.
                i += 1;
                while i < chars.len() && chars[i] != '\'' {
                    if chars[i] == '\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

#[test]
fn the_import_reader_understands_groups_supers_and_strings() {
    let text = r#"//! x
use crate::a::{b, c::{d, self}};
use super::super::e::F;
fn f() { let s = "crate::nope::x"; g::<crate::h::I>(); } // crate::comment
#[cfg(test)]
mod tests { use crate::test_only; }
"#;
    let paths: Vec<String> = module_paths(text).iter().map(|p| p.join("::")).collect();
    assert_eq!(
        paths,
        [
            "crate::a::b",
            "crate::a::c::d",
            "crate::a::c",
            "super::super::e::F",
            "crate::h::I"
        ]
    );
    let module = vec!["x".to_owned(), "y".to_owned()];
    let path: Vec<String> = ["super", "super", "e"].map(str::to_owned).to_vec();
    assert_eq!(resolve_base(&module, &path), Some(vec![]));
}
