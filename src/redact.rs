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

/// The value of a header as it may be shown: a credential becomes `(redacted)`, keeping its
/// scheme word (`Bearer (redacted)`).
pub fn header(name: &str, value: &str) -> String {
    if SECRET_HEADERS.iter().any(|h| name.eq_ignore_ascii_case(h)) {
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
        assert_eq!(
            super::header("Content-Type", "application/json"),
            "application/json"
        );
        assert_eq!(super::url("http://u:pw@h/x"), "http://u:redacted@h/x");
        assert_eq!(super::url("http://h/x?a=b"), "http://h/x?a=b");
    }
}
