//! A raw URL query (still form-encoded) read a parameter at a time: only what is asked for
//! is decoded. The receiver reads four parameters of every callback, and `replay` keeps the
//! captured ones as they came.

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
    if raw.contains(['%', '+']) {
        url::form_urlencoded::parse(raw.as_bytes())
            .next()
            .map_or(Cow::Borrowed(""), |(k, _)| Cow::Owned(k.into_owned()))
    } else {
        Cow::Borrowed(raw)
    }
}

/// The decoded value of the first parameter called `name`.
pub fn param<'a>(query: &'a str, name: &str) -> Option<Cow<'a, str>> {
    segments(query).find_map(|segment| {
        if decoded(raw_key(segment)) != name {
            return None;
        }
        match segment.split_once('=') {
            Some((_, value)) if !value.contains(['%', '+']) => Some(Cow::Borrowed(value)),
            _ => url::form_urlencoded::parse(segment.as_bytes())
                .next()
                .map(|(_, value)| Cow::Owned(value.into_owned())),
        }
    })
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
