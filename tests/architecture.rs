//! The layering ARCHITECTURE.md promises, checked on the source: modules below the command
//! line never import it, and no two top-level modules import each other (directly or through
//! others). Module edges are read from `crate::<module>` paths outside `#[cfg(test)]` code.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The command line and the exit-code layer: the only modules allowed to use `cli`/`cmd`.
const COMMAND_LINE: [&str; 3] = ["cli", "cmd", "exit"];

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to (`src/server/cec.rs` → `server`).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.trim_end_matches(".rs");
    (!matches!(name, "lib" | "main")).then(|| name.to_owned())
}

/// The top-level modules a piece of source refers to as `crate::<name>`.
fn references(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(list) = rest.strip_prefix('{') {
            let end = list.find('}').unwrap_or(list.len());
            for item in list[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if name.chars().next().is_some_and(|c| c.is_ascii_lowercase()) {
                out.insert(name);
            }
        }
    }
    out
}

/// Module → the modules it uses (test code excluded).
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = support::manifest_dir().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let Some(module) = module_of(&src, &file) else {
            continue;
        };
        let text = std::fs::read_to_string(&file).expect("a source file is UTF-8");
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let uses = edges.entry(module.clone()).or_default();
        uses.extend(references(code).into_iter().filter(|m| *m != module));
    }
    edges
}

#[test]
fn modules_below_the_command_line_never_import_it() {
    let mut offenders = Vec::new();
    for (module, uses) in graph() {
        if COMMAND_LINE.contains(&module.as_str()) {
            continue;
        }
        for up in ["cli", "cmd"] {
            if uses.contains(up) {
                offenders.push(format!("{module} imports {up}"));
            }
        }
    }
    assert!(offenders.is_empty(), "{offenders:#?}");
}

#[test]
fn there_is_no_module_cycle() {
    let edges = graph();
    // Depth-first search; a back edge closes a cycle.
    fn visit(
        m: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
        cycles: &mut Vec<String>,
    ) {
        state.insert(m.to_owned(), 1);
        path.push(m.to_owned());
        for next in edges.get(m).into_iter().flatten() {
            match state.get(next.as_str()) {
                Some(1) => {
                    let start = path.iter().position(|p| p == next).unwrap_or(0);
                    cycles.push(format!("{} -> {next}", path[start..].join(" -> ")));
                }
                Some(_) => {}
                None => visit(next, edges, state, path, cycles),
            }
        }
        path.pop();
        state.insert(m.to_owned(), 2);
    }
    let (mut state, mut cycles) = (BTreeMap::new(), Vec::new());
    for m in edges.keys() {
        if !state.contains_key(m) {
            visit(m, &edges, &mut state, &mut Vec::new(), &mut cycles);
        }
    }
    assert!(cycles.is_empty(), "module cycles: {cycles:#?}");
}

#[test]
fn the_reader_sees_real_modules() {
    // Guard against the scan silently finding nothing.
    let edges = graph();
    assert!(edges["server"].contains("exchange"), "{edges:#?}");
    assert!(edges["cmd"].contains("cli"), "{edges:#?}");
    assert!(references("use crate::{catalogue::Event, clock};").contains("clock"));
}
