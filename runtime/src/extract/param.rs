//! Path and query parameters: [`FromParam`] and strict percent-decoding.

use std::borrow::Cow;
use std::fmt::Display;
use std::str::FromStr;

/// Parses a path or query parameter from its percent-decoded text.
///
/// Implemented for every [`FromStr`] type whose error is `Display`: `String`, the integer and
/// float types, `bool`, `char`, `PathBuf`, `IpAddr`, `Uuid`-like types of your own. A value
/// that does not parse is answered `400 Bad Request`, naming the parameter and the expected
/// type; the handler does not run.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be parsed from a path or query parameter",
    label = "`{Self}` implements neither `FromParam` nor `FromStr`",
    note = "implement `std::str::FromStr` (or `routemark::FromParam`) for `{Self}`, or take a `String` and parse it in the handler"
)]
pub trait FromParam: Sized {
    /// Why a value did not parse; it becomes the message of the 400 response.
    type Error: Display;

    /// Parses the decoded parameter text.
    fn from_param(param: &str) -> Result<Self, Self::Error>;
}

// Not recommended: rustc then reports a parameter type that is not `FromStr` against
// `FromParam`, with its message, rather than listing every `FromStr` type of the program.
#[diagnostic::do_not_recommend]
impl<T> FromParam for T
where
    T: FromStr,
    T::Err: Display,
{
    type Error = T::Err;

    fn from_param(param: &str) -> Result<Self, Self::Error> {
        param.parse()
    }
}

/// Why a raw parameter could not be decoded.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum DecodeError {
    /// `%` not followed by two hex digits.
    BadEscape,
    /// The decoded bytes are not UTF-8.
    NotUtf8,
}

impl Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DecodeError::BadEscape => "has an invalid percent-escape",
            DecodeError::NotUtf8 => "is not valid UTF-8 after percent-decoding",
        })
    }
}

/// Percent-decodes a path parameter exactly once. Strict: a `%` must start a two-digit hex
/// escape, and the result must be UTF-8. `+` stays `+` (that rule is for query strings).
pub(crate) fn decode_param(raw: &str) -> Result<Cow<'_, str>, DecodeError> {
    // A byte loop for the short values parameters nearly always are: `str::contains` calls
    // `memchr`, whose set-up costs more than scanning an id or a name.
    let escaped = if raw.len() <= 32 {
        raw.bytes().any(|b| b == b'%')
    } else {
        memchr::memchr(b'%', raw.as_bytes()).is_some()
    };
    if !escaped {
        return Ok(Cow::Borrowed(raw));
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = |b: u8| (b as char).to_digit(16);
            let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).and_then(|&b| hex(b)),
                bytes.get(i + 2).and_then(|&b| hex(b)),
            ) else {
                return Err(DecodeError::BadEscape);
            };
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map(Cow::Owned)
        .map_err(|_| DecodeError::NotUtf8)
}

/// Why a decoded path parameter is not a safe relative path, if it is not: what a
/// `PathBuf` parameter must pass, so that `Path::new(dir).join(path)` stays inside `dir` on
/// every platform. A `String` parameter is not checked: it is the text as sent.
pub(crate) fn unsafe_path(path: &str) -> Option<&'static str> {
    if path.contains('\0') {
        return Some("contains a NUL byte");
    }
    // A separator on Windows, and `\\server\share` there is absolute.
    if path.contains('\\') {
        return Some("contains a backslash");
    }
    if path.starts_with('/') {
        return Some("is an absolute path");
    }
    let first = path.split('/').next().unwrap_or_default().as_bytes();
    // `C:` and `C:name` name a drive on Windows, absolute or relative to that drive's
    // current directory: never inside `dir`.
    if first.len() >= 2 && first[0].is_ascii_alphabetic() && first[1] == b':' {
        return Some("starts with a drive prefix");
    }
    for segment in path.split('/') {
        match segment {
            ".." => return Some("has a `..` segment"),
            "." => return Some("has a `.` segment"),
            _ => {}
        }
    }
    None
}

/// `u64` for `u64`, `Email` for `my_app::Email`: the expected type as a 400 message names it.
pub(crate) fn type_label<T>() -> &'static str {
    let full = std::any::type_name::<T>();
    // Keep generic arguments readable: strip the path of the outer type only.
    let outer_end = full.find('<').unwrap_or(full.len());
    match full[..outer_end].rfind("::") {
        Some(i) => &full[i + 2..],
        None => full,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_exactly_once() {
        assert_eq!(decode_param("a%2Fb").unwrap(), "a/b");
        assert_eq!(decode_param("a%252Fb").unwrap(), "a%2Fb");
        assert_eq!(decode_param("caf%C3%A9").unwrap(), "café");
        assert_eq!(decode_param("a+b").unwrap(), "a+b");
        assert!(matches!(decode_param("plain"), Ok(Cow::Borrowed("plain"))));
    }

    #[test]
    fn an_escape_is_found_at_any_length_and_place() {
        // Short values are scanned byte by byte, longer ones with `memchr`.
        for len in [1, 31, 32, 33, 100] {
            let plain = "a".repeat(len);
            assert!(matches!(decode_param(&plain), Ok(Cow::Borrowed(p)) if p == plain));
            for at in [0, len / 2, len - 1] {
                let mut escaped = plain.clone();
                escaped.replace_range(at..=at, "%41");
                let expected = format!("{}A{}", &plain[..at], &plain[at + 1..]);
                assert_eq!(decode_param(&escaped).unwrap(), expected, "{escaped}");
            }
        }
    }

    #[test]
    fn rejects_bad_escapes_and_bad_utf8() {
        assert_eq!(decode_param("%zz"), Err(DecodeError::BadEscape));
        assert_eq!(decode_param("%4"), Err(DecodeError::BadEscape));
        assert_eq!(decode_param("%ff"), Err(DecodeError::NotUtf8));
        assert_eq!(decode_param("%c0%af"), Err(DecodeError::NotUtf8));
    }

    #[test]
    fn safe_paths_are_relative_and_stay_inside() {
        for ok in [
            "a",
            "a/b.txt",
            "a..b/c",
            ".hidden/x",
            "a/b/",
            "a//b",
            "C",
            "1:x",
        ] {
            assert_eq!(unsafe_path(ok), None, "{ok}");
        }
        for (bad, why) in [
            ("..", "has a `..` segment"),
            ("a/../b", "has a `..` segment"),
            ("a/..", "has a `..` segment"),
            ("./a", "has a `.` segment"),
            ("a/./b", "has a `.` segment"),
            ("/etc/hostname", "is an absolute path"),
            ("a\\..\\b", "contains a backslash"),
            ("a\0b", "contains a NUL byte"),
            ("C:/Windows", "starts with a drive prefix"),
            ("c:secret", "starts with a drive prefix"),
        ] {
            assert_eq!(unsafe_path(bad), Some(why), "{bad}");
        }
    }

    #[test]
    fn type_labels_are_short() {
        assert_eq!(type_label::<u64>(), "u64");
        assert_eq!(type_label::<String>(), "String");
        assert_eq!(type_label::<std::net::IpAddr>(), "IpAddr");
    }
}
