//! JSON text written by hand, for the one line written per request where serde's generic
//! path is most of the cost (the capture line of `listen`): strings escaped exactly as
//! serde_json escapes them, so the text is byte for byte what `serde_json::to_string` gives
//! (tests check it on arbitrary strings).

/// What each byte becomes inside a JSON string: 0 for itself, else the letter of its escape
/// (`u` for `\u00XX`).
const ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = b'u';
        b += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// `s` as a JSON string, quotes included. Eight bytes are looked at a time: most of a
/// capture line (URL, headers) needs no escape, and a body needs one every few bytes.
pub fn string(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    // `bytes[run..i]` is written as it is, up to the next byte that needs an escape.
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        let at = match bytes.get(i..i + 8) {
            Some(chunk) => {
                let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
                match to_escape(word) {
                    0 => {
                        i += 8;
                        continue;
                    }
                    // The lowest flagged byte is always one to escape.
                    found => i + found.trailing_zeros() as usize / 8,
                }
            }
            None if ESCAPE[usize::from(bytes[i])] == 0 => {
                i += 1;
                continue;
            }
            None => i,
        };
        out.extend_from_slice(&bytes[run..at]);
        escape(out, bytes[at]);
        run = at + 1;
        i = at + 1;
    }
    out.extend_from_slice(&bytes[run..]);
    out.push(b'"');
}

/// The high bit of each byte of `word` (little-endian) that is a quote, a backslash or a control
/// character. Above the first such byte, others may be flagged that are not (a borrow
/// carried up); the first one flagged always is.
fn to_escape(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_bytes = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let quote = zero_bytes(word ^ (ONES * u64::from(b'"')));
    let backslash = zero_bytes(word ^ (ONES * u64::from(b'\\')));
    let control = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
    quote | backslash | control
}

/// The escape of one byte that needs one.
fn escape(out: &mut Vec<u8>, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match ESCAPE[usize::from(b)] {
        b'u' => {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xf)]);
        }
        letter => {
            out.push(b'\\');
            out.push(letter);
        }
    }
}

/// `s` as a JSON string, or `null`.
pub fn opt_string(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => string(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

/// `"key":`, for a key that needs no escaping.
pub fn key(out: &mut Vec<u8>, key: &str) {
    out.push(b'"');
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
}

/// `,"key":`: the next field of an object, for a key that needs no escaping.
pub fn field(out: &mut Vec<u8>, name: &str) {
    out.push(b',');
    key(out, name);
}

/// Any other value, as serde_json writes it.
pub fn value<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) {
    serde_json::to_writer(out, v).expect("a plain value always serialises");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(s: &str) -> String {
        let mut out = Vec::new();
        string(&mut out, s);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let every_ascii: String = (0u8..128).map(char::from).collect();
        for s in [
            "",
            "plain",
            "eight by",
            "eight by\"tes and more\\ than one\u{1f}",
            "\"\"\"\"\"\"\"\"\"\"",
            "é\u{7f}\u{80}ÿ\u{1}\u{20}",
            "{\"a\":\"b\\\\c\"}",
            "退款 🙏\u{2028}",
            &every_ascii,
        ] {
            assert_eq!(written(s), serde_json::to_string(s).unwrap(), "{s:?}");
        }
        let mut out = Vec::new();
        opt_string(&mut out, None);
        key(&mut out, "k");
        value(&mut out, &1.5f64);
        assert_eq!(out, b"null\"k\":1.5");
    }

    proptest::proptest! {
        #[test]
        fn any_string_is_escaped_as_serde_json_escapes_it(s in "\\PC*|[\\x00-\\x7f]*") {
            proptest::prop_assert_eq!(written(&s), serde_json::to_string(&s).unwrap());
        }
    }
}
