//! What a `--save` capture already holds when `listen --inspect` starts: its last N lines, read
//! backwards from the end of the file so that a capture of millions of lines costs no more
//! than the lines shown (and at most the hub's byte budget).

use super::hub::{Hub, BYTE_BUDGET};
use crate::exchange::Exchange;
use anyhow::{Context, Result};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// How much history was loaded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Loaded {
    pub exchanges: usize,
    /// Lines that are not capture records (a line cut short by a crash, another file).
    pub malformed: usize,
}

/// Read the last `last` exchanges of `path` into the hub (none if the file does not exist).
pub fn load(hub: &Hub, path: &Path, last: usize) -> Result<Loaded> {
    if last == 0 {
        return Ok(Loaded::default());
    }
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Loaded::default()),
        Err(e) => {
            return Err(e).with_context(|| format!("cannot read capture file {}", path.display()))
        }
    };
    let lines = tail(&mut file, last, BYTE_BUDGET as u64)
        .with_context(|| format!("cannot read capture file {}", path.display()))?;
    let mut loaded = Loaded::default();
    for line in lines {
        match serde_json::from_slice::<Exchange>(&line) {
            Ok(ex) => {
                hub.record_history(ex);
                loaded.exchanges += 1;
            }
            Err(_) => loaded.malformed += 1,
        }
    }
    Ok(loaded)
}

/// The last `n` non-empty lines of a file (without their newlines), oldest first, reading at
/// most about `max_bytes` from its end.
pub fn tail(file: &mut File, n: usize, max_bytes: u64) -> std::io::Result<Vec<Vec<u8>>> {
    const CHUNK: u64 = 64 * 1024;
    let len = file.seek(SeekFrom::End(0))?;
    let mut pos = len;
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    let mut newlines = 0usize;
    // n lines need n + 1 newlines before them (the one ending the line before the first).
    while pos > 0 && newlines <= n && len - pos < max_bytes {
        let size = CHUNK.min(pos);
        pos -= size;
        file.seek(SeekFrom::Start(pos))?;
        let mut chunk = vec![0; size as usize];
        file.read_exact(&mut chunk)?;
        newlines += chunk.iter().filter(|&&b| b == b'\n').count();
        chunks.push(chunk);
    }
    let bytes: Vec<u8> = chunks.into_iter().rev().flatten().collect();
    let mut lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    if pos > 0 {
        // The first piece is the end of a line that started before what was read.
        lines.remove(0);
    }
    let lines: Vec<Vec<u8>> = lines
        .into_iter()
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .map(<[u8]>::to_vec)
        .collect();
    let skip = lines.len().saturating_sub(n);
    Ok(lines.into_iter().skip(skip).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file_with(text: &str) -> (tempfile::TempDir, File) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.jsonl");
        std::fs::File::create(&path)
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        let f = File::open(&path).unwrap();
        (dir, f)
    }

    #[test]
    fn the_last_lines_oldest_first() {
        let text: String = (1..=100_000).map(|i| format!("line {i}\n")).collect();
        let (_d, mut f) = file_with(&text);
        let got = tail(&mut f, 3, u64::MAX).unwrap();
        assert_eq!(
            got,
            [
                b"line 99998".to_vec(),
                b"line 99999".to_vec(),
                b"line 100000".to_vec()
            ]
        );
        let all = tail(&mut f, 1_000_000, u64::MAX).unwrap();
        assert_eq!(all.len(), 100_000);
        assert_eq!(all[0], b"line 1");
    }

    #[test]
    fn a_file_without_a_final_newline_and_blank_lines() {
        let (_d, mut f) = file_with("a\n\nb\nc");
        assert_eq!(
            tail(&mut f, 2, u64::MAX).unwrap(),
            [b"b".to_vec(), b"c".to_vec()]
        );
        let (_d, mut empty) = file_with("");
        assert!(tail(&mut empty, 5, u64::MAX).unwrap().is_empty());
    }

    #[test]
    fn reading_stops_at_the_byte_bound() {
        let text: String = (0..10_000).map(|i| format!("{i:0>99}\n")).collect();
        let (_d, mut f) = file_with(&text);
        let got = tail(&mut f, 10_000, 100_000).unwrap();
        assert!(got.len() < 10_000 && got.len() >= 900, "{}", got.len());
    }

    #[test]
    fn malformed_lines_are_counted_and_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.jsonl");
        let ex = crate::inspect::testing::exchange(1, "{}").to_line();
        std::fs::write(&path, format!("{ex}\n{{cut short\n{ex}\n")).unwrap();
        let hub = Hub::new(10);
        let loaded = load(&hub, &path, 10).unwrap();
        assert_eq!(
            loaded,
            Loaded {
                exchanges: 2,
                malformed: 1
            }
        );
        assert!(hub.snapshot().iter().all(|e| e.from_history));
        assert_eq!(
            load(&hub, &dir.path().join("missing.jsonl"), 10).unwrap(),
            Loaded::default()
        );
    }
}
