//! Redaction: what may be shown of a header or URL that can carry a secret. Everything that
//! prints a request or records one (output, capture, forwarding logs) goes through here.

use std::borrow::Cow;
use url::Url;

/// Headers whose value is a credential.
const SECRET_HEADERS: [&str; 4] = [
    "authorization",
    "proxy-authorization",
    "x-app-key",
    "cookie",
];

/// Words that make a header name look like a credential's (`X-Api-Key`, `X-Auth-Token`, an
/// API gateway's `--header`): better one value too many redacted than a secret shown.
const SECRET_WORDS: [&str; 5] = ["auth", "token", "secret", "key", "password"];

/// Whether a header's value may be a credential.
pub fn is_secret_header(name: &str) -> bool {
    // Case ignored without a lower-cased copy: the receiver asks this of every header.
    SECRET_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name)) || has_secret_word(name)
}

/// Whether one of [`SECRET_WORDS`] is in `name`, case ignored: one pass over the name, a
/// word looked at only where its first letter is.
fn has_secret_word(name: &str) -> bool {
    let b = name.as_bytes();
    (0..b.len()).any(|i| {
        let word = match b[i].to_ascii_lowercase() {
            b'a' => SECRET_WORDS[0],
            b't' => SECRET_WORDS[1],
            b's' => SECRET_WORDS[2],
            b'k' => SECRET_WORDS[3],
            b'p' => SECRET_WORDS[4],
            _ => return false,
        };
        b[i..]
            .get(..word.len())
            .is_some_and(|part| part.eq_ignore_ascii_case(word.as_bytes()))
    })
}

/// The value of a header as it may be shown: a credential becomes `(redacted)`, keeping its
/// scheme word (`Bearer (redacted)`).
pub fn header(name: &str, value: &str) -> String {
    if is_secret_header(name) {
        match value.split_once(' ') {
            Some((scheme, _)) => format!("{scheme} (redacted)"),
            None => "(redacted)".to_owned(),
        }
    } else {
        value.to_owned()
    }
}

/// A URL as it may be shown: a password in its user info becomes `redacted`.
pub fn url(raw: &str) -> Cow<'_, str> {
    if !raw.contains('@') {
        return Cow::Borrowed(raw);
    }
    match Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("redacted"));
            Cow::Owned(u.to_string())
        }
        _ => Cow::Borrowed(raw),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_secret_word_is_found_anywhere_in_any_case() {
        for word in SECRET_WORDS {
            let upper = word.to_ascii_uppercase();
            for name in [
                word.to_owned(),
                format!("X-{upper}"),
                format!("x-{word}-id"),
                format!("My{upper}s"),
            ] {
                assert!(has_secret_word(&name), "{name}");
            }
            // The word cut short is not the word.
            assert!(!has_secret_word(&word[..word.len() - 1]), "{word}");
        }
        for name in ["content-type", "host", "x-request-id", "accept", "ke", "t"] {
            assert!(!has_secret_word(name), "{name}");
        }
    }

    #[test]
    fn credentials_are_redacted_and_the_rest_kept() {
        assert_eq!(
            super::header("Authorization", "Bearer s3cret"),
            "Bearer (redacted)"
        );
        assert_eq!(super::header("cookie", "s3cret"), "(redacted)");
        assert_eq!(super::header("X-Api-Key", "s3cret"), "(redacted)");
        assert_eq!(super::header("x-auth-token", "s3cret"), "(redacted)");
        assert_eq!(super::header("X-Gateway", "staging"), "staging");
        assert_eq!(
            super::header("Content-Type", "application/json"),
            "application/json"
        );
        assert_eq!(super::url("http://u:pw@h/x"), "http://u:redacted@h/x");
        assert_eq!(super::url("http://h/x?a=b"), "http://h/x?a=b");
    }
}
