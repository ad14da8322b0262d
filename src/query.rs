//! A raw URL query (still form-encoded) read only for the parameters asked for: nothing
//! else is decoded. The receiver reads the four parameters of every callback in one pass,
//! and `replay` keeps the captured ones as they came.

use std::borrow::Cow;

/// The `name=value` parts of a raw query, empty ones skipped.
pub fn segments(query: &str) -> impl Iterator<Item = &str> {
    query.split('&').filter(|s| !s.is_empty())
}

/// The name of a raw `name=value` part, still encoded.
pub fn raw_key(segment: &str) -> &str {
    segment.split_once('=').map_or(segment, |(k, _)| k)
}

/// One encoded name (or a value without `=`) decoded: `+` is a space, `%XX` a byte.
pub fn decoded(raw: &str) -> Cow<'_, str> {
    if has_escape(raw) {
        url::form_urlencoded::parse(raw.as_bytes())
            .next()
            .map_or(Cow::Borrowed(""), |(k, _)| Cow::Owned(k.into_owned()))
    } else {
        Cow::Borrowed(raw)
    }
}

/// The decoded value of the first parameter called `name`.
pub fn param<'a>(query: &'a str, name: &str) -> Option<Cow<'a, str>> {
    let [value] = params(query, [name]);
    value
}

/// The decoded values of the first parameters called `names`, in one pass over the query.
pub fn params<'a, const N: usize>(query: &'a str, names: [&str; N]) -> [Option<Cow<'a, str>>; N] {
    let mut found: [Option<Cow<'a, str>>; N] = std::array::from_fn(|_| None);
    let mut left = N;
    for segment in segments(query) {
        let (key, value) = match segment.as_bytes().iter().position(|&b| b == b'=') {
            Some(at) => (&segment[..at], Some(&segment[at + 1..])),
            None => (segment, None),
        };
        let key = decoded(key);
        let Some(i) = names.iter().position(|n| *n == key) else {
            continue;
        };
        if found[i].is_some() {
            continue;
        }
        found[i] = Some(match value {
            None => Cow::Borrowed(""),
            Some(v) if !has_escape(v) => Cow::Borrowed(v),
            Some(_) => url::form_urlencoded::parse(segment.as_bytes())
                .next()
                .map_or(Cow::Borrowed(""), |(_, v)| Cow::Owned(v.into_owned())),
        });
        left -= 1;
        if left == 0 {
            break;
        }
    }
    found
}

/// Whether form decoding changes `raw`: it holds a `%XX` or a `+`.
fn has_escape(raw: &str) -> bool {
    raw.bytes().any(|b| b == b'%' || b == b'+')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_read_decoded_and_the_first_one_wins() {
        let q = "a=1&&b=x+y%2Fz&Sig%6E=s&a=2&flag&empty=";
        assert_eq!(param(q, "a").as_deref(), Some("1"));
        assert_eq!(param(q, "b").as_deref(), Some("x y/z"));
        assert_eq!(
            param(q, "Sign").as_deref(),
            Some("s"),
            "an encoded name is decoded"
        );
        assert_eq!(param(q, "flag").as_deref(), Some(""));
        assert_eq!(param(q, "empty").as_deref(), Some(""));
        assert_eq!(param(q, "missing"), None);
        assert!(
            matches!(param(q, "a"), Some(Cow::Borrowed(_))),
            "nothing to decode, no copy"
        );
        assert_eq!(segments(q).count(), 6);
        let [sign, a, missing, flag] = params(q, ["Sign", "a", "missing", "flag"]);
        assert_eq!(
            (sign.as_deref(), a.as_deref(), missing, flag.as_deref()),
            (Some("s"), Some("1"), None, Some(""))
        );
        let [twice, again] = params(q, ["a", "a"]);
        assert_eq!(
            (twice.as_deref(), again),
            (Some("1"), None),
            "a name asked twice is found once"
        );
    }

    #[test]
    fn reads_what_the_form_decoder_reads() {
        // The same answers as decoding every pair, for the parameters a callback carries.
        let q = "SdkAppid=1400187352&CallbackCommand=Desk.SessionEventNotify&contenttype=json\
                 &ClientIP=127.0.0.1&RequestID=r%2D1&Sign=ab&RequestTime=1669872112&x=%E4%BD%A0";
        for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
            assert_eq!(param(q, &k).as_deref(), Some(&*v), "{k}");
        }
    }
}
