//! The files of `fixtures/`, embedded at build time by `build.rs`.

include!(concat!(env!("OUT_DIR"), "/fixtures.rs"));

/// The text of one embedded fixture, by its path under `fixtures/`.
pub fn get(path: &str) -> Option<&'static str> {
    FIXTURES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, text)| *text)
}

/// Every embedded fixture under a folder, as (path, text).
pub fn under(folder: &'static str) -> impl Iterator<Item = (&'static str, &'static str)> {
    FIXTURES.iter().copied().filter(move |(p, _)| {
        p.strip_prefix(folder)
            .is_some_and(|rest| rest.starts_with('/'))
    })
}
