//! The repository is self-contained: no file in it (README, docs, comments, schemas,
//! fixtures, tests, CI) names a document that a user of the repository does not have. The
//! facts live in the repository itself (docs/protocol.md for the wire, ARCHITECTURE.md for
//! the code). Only `fixtures/seeds/` is exempt: it keeps vendor samples as they were
//! published.
//!
//! The names looked for are assembled at run time, so that this file does not name them.

use std::path::{Path, PathBuf};

/// Documents outside the repository, by the names a reference to them would use.
fn outside_names() -> Vec<String> {
    let md = ".md";
    let mut names: Vec<String> = ["PROTOCOL", "CLI", "STYLE", "PEERS", "TOOLING"]
        .iter()
        .map(|n| format!("{n}{md}"))
        .collect();
    names.push(["shared", "/"].concat());
    names
}

/// Folders never scanned: version control and build output.
fn skipped(dir: &Path, root: &Path) -> bool {
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    name == ".git"
        || (dir.parent() == Some(root) && name == "target")
        || dir == root.join("fixtures").join("seeds")
}

fn files_under(dir: &Path, root: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            if !skipped(&path, root) {
                files_under(&path, root, out);
            }
        } else {
            out.push(path);
        }
    }
}

/// Where `name` occurs in `text` as a reference (not inside a longer word: `pre_shared/`
/// would not count), by line number.
fn occurrences(text: &str, name: &str) -> Vec<usize> {
    let mut lines = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut from = 0;
        while let Some(i) = line[from..].find(name) {
            let at = from + i;
            let before = line[..at].chars().next_back();
            if !before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                lines.push(n + 1);
                break;
            }
            from = at + name.len();
        }
    }
    lines
}

#[test]
fn no_file_names_a_document_outside_the_repository() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    files_under(&root, &root, &mut files);
    assert!(
        files.iter().any(|f| f.ends_with("README.md")),
        "the scan must see the README"
    );
    let names = outside_names();
    let mut found = Vec::new();
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue; // not text
        };
        for name in &names {
            for line in occurrences(&text, name) {
                let shown = file.strip_prefix(&root).unwrap_or(file).display();
                found.push(format!("{shown}:{line}: names {name}"));
            }
        }
    }
    assert!(
        found.is_empty(),
        "state the fact in the repository instead (docs/protocol.md, ARCHITECTURE.md, README.md):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_finds_what_it_looks_for() {
    let names = outside_names();
    let text = format!(
        "see {} §2\nsome_shared/x\n(../{}spec/x)",
        names[0], names[5]
    );
    assert_eq!(occurrences(&text, &names[0]), [1]);
    assert_eq!(
        occurrences(&text, &names[5]),
        [3],
        "pre_shared/ is no reference"
    );
}
