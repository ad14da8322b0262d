//! Redaction: what may be shown of a header or URL that can carry a secret. Everything that
//! prints a request or records one (output, capture, forwarding logs) goes through here.

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
    SECRET_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name))
        || SECRET_WORDS.iter().any(|w| {
            name.as_bytes()
                .windows(w.len())
                .any(|part| part.eq_ignore_ascii_case(w.as_bytes()))
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
pub fn url(raw: &str) -> String {
    if !raw.contains('@') {
        return raw.to_owned();
    }
    match Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("redacted"));
            u.to_string()
        }
        _ => raw.to_owned(),
    }
}

#[cfg(test)]
mod tests {
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
