//! Reading the user's files (`-` is stdin); errors name the file, line and column.

use crate::error::usage;
use anyhow::Result;
use serde_json::Value;
use std::io::Read;
use std::path::Path;

/// Read a JSON document from a file or `-` (stdin).
pub fn read_json(path: &Path) -> Result<Value> {
    let (name, text) = read_text(path)?;
    serde_json::from_str(&text).map_err(|e| {
        usage(format!(
            "{name}:{}:{}: not valid JSON: {e}",
            e.line(),
            e.column()
        ))
    })
}

/// Read a whole text input (`-` = stdin) with its display name.
pub fn read_text(path: &Path) -> Result<(String, String)> {
    if path == Path::new("-") {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| usage(format!("cannot read stdin: {e}")))?;
        return Ok(("<stdin>".to_owned(), s));
    }
    let name = path.display().to_string();
    let text =
        std::fs::read_to_string(path).map_err(|e| usage(format!("cannot read {name}: {e}")))?;
    Ok((name, text))
}

/// How a file argument is named in messages.
pub fn display_name(path: &Path) -> String {
    if path == Path::new("-") {
        "<stdin>".to_owned()
    } else {
        path.display().to_string()
    }
}
