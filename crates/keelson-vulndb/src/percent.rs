//! Percent-encoding shared by purl and vers: strict decoding and one canonical encoding
//! (upper-case hex), so that `+` and `%2B` or `%3a` and `%3A` cannot produce two spellings.

/// Decode `%XX` escapes; `None` when an escape is malformed or the bytes are not UTF-8.
pub(crate) fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hi = bytes.get(i + 1).and_then(|c| (*c as char).to_digit(16))?;
            let lo = bytes.get(i + 2).and_then(|c| (*c as char).to_digit(16))?;
            out.push(u8::try_from(hi * 16 + lo).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Encode every byte that is not ASCII alphanumeric and not in `keep`.
pub(crate) fn encode(text: &str, keep: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || (b.is_ascii() && keep.as_bytes().contains(&b)) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_refuses_bad_escapes() {
        assert_eq!(decode("a%2Bb").as_deref(), Some("a+b"));
        assert_eq!(decode("a%2bb").as_deref(), Some("a+b"));
        assert_eq!(decode("a%2G"), None);
        assert_eq!(decode("a%2"), None);
        assert_eq!(decode("%FF"), None);
    }

    #[test]
    fn encode_uses_upper_case_hex() {
        assert_eq!(encode("a b/c", "."), "a%20b%2Fc");
    }
}
