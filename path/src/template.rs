use std::fmt;
use std::ops::Range;

/// One `/`-separated piece of a route path.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Segment {
    /// Text that must equal the request's segment byte for byte (no decoding). The empty
    /// static segment appears only last: it is the trailing slash of `/a/`, or the root `/`.
    Static(String),
    /// `<name>`: exactly one non-empty segment.
    Param(String),
    /// `<name..>`: the rest of the path, one segment or more; always last.
    CatchAll(String),
}

impl Segment {
    /// The parameter name, for [`Segment::Param`] and [`Segment::CatchAll`].
    pub fn param_name(&self) -> Option<&str> {
        match self {
            Segment::Static(_) => None,
            Segment::Param(name) | Segment::CatchAll(name) => Some(name),
        }
    }

    /// The routing priority of the segment's kind: lower wins. Static text beats a parameter,
    /// which beats a catch-all.
    pub fn rank(&self) -> u8 {
        match self {
            Segment::Static(_) => 0,
            Segment::Param(_) => 1,
            Segment::CatchAll(_) => 2,
        }
    }
}

/// A parsed route path: `/users/<id>/files/<rest..>?<q>&<page>`.
///
/// Parsing and printing are inverse: `PathTemplate::parse(&t.to_string()) == Ok(t)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PathTemplate {
    segments: Vec<Segment>,
    query: Vec<String>,
}

/// What is wrong with a route path, and where (a byte range of the path string).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateError {
    /// The mistake.
    pub kind: TemplateErrorKind,
    /// The bytes of the path the mistake is about.
    pub span: Range<usize>,
}

/// The mistakes a route path can contain. Each variant quotes the offending text.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TemplateErrorKind {
    /// `users/<id>`: every path starts with `/`.
    NoLeadingSlash,
    /// `/users//<id>`: only the last segment may be empty (a trailing slash).
    EmptySegment,
    /// `/users/<id`, `/users/id>`: a `<` without its `>` or the reverse, in this segment.
    UnbalancedBracket(String),
    /// `/users/user<id>`: a parameter shares its segment with static text.
    ParamNotWholeSegment(String),
    /// `/users/<1d>`: a parameter name that is not a Rust identifier.
    InvalidParamName(String),
    /// `/a/<x>/<x>`: the same parameter name twice (path and query together).
    DuplicateParam(String),
    /// `/files/<rest..>/edit`: a catch-all that is not the last segment.
    CatchAllNotLast(String),
    /// `/search?q`: a query item that is not `<name>`.
    InvalidQueryItem(String),
    /// `/search?`: a `?` with nothing after it.
    EmptyQuery,
    /// `/search?<q..>`: a catch-all in the query.
    CatchAllInQuery(String),
    /// `/a b`, `/a#b`, `/a%zz`: a byte that may not appear in a URI path unescaped.
    InvalidChar(char),
    /// `/users/{id}`, `/files/{*rest}`: a parameter in the brace syntax of axum and
    /// actix-web, which a route writes `<id>`.
    BraceParam(String),
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use TemplateErrorKind::*;
        match &self.kind {
            NoLeadingSlash => write!(f, "route path must start with `/`"),
            EmptySegment => write!(
                f,
                "route path has an empty segment (`//`); only a trailing slash may be empty"
            ),
            UnbalancedBracket(seg) => {
                let opens = seg.matches('<').count();
                let closes = seg.matches('>').count();
                let what = if opens > closes {
                    "a `<` without its closing `>`"
                } else if closes > opens {
                    "a `>` without its opening `<`"
                } else {
                    "a `>` before its `<`"
                };
                write!(
                    f,
                    "route path segment `{seg}` has {what}; a parameter is written `<name>`"
                )
            }
            ParamNotWholeSegment(seg) => {
                let param = seg
                    .find('<')
                    .and_then(|start| Some(&seg[start..=start + seg[start..].find('>')?]))
                    .unwrap_or("<name>");
                write!(
                    f,
                    "a parameter must be a whole segment, found `{seg}`; give `{param}` a segment of its own, between two `/`"
                )
            }
            InvalidParamName(name) if name.is_empty() => {
                write!(f, "parameter `<>` has no name; write `<name>`")
            }
            InvalidParamName(name) if is_unbindable_keyword(name) => write!(
                f,
                "parameter name `{name}` cannot name a function argument; choose another name"
            ),
            InvalidParamName(name) => write!(
                f,
                "parameter name `{name}` is not a Rust identifier; use letters, digits and `_`, not starting with a digit"
            ),
            DuplicateParam(name) => write!(
                f,
                "parameter `<{name}>` appears more than once in the route; rename one of them"
            ),
            CatchAllNotLast(name) => write!(
                f,
                "catch-all parameter `<{name}..>` must be the last segment of the path"
            ),
            InvalidQueryItem(item) => write!(
                f,
                "query item `{item}` is not a parameter; write `<{}>`",
                item.trim_matches(['<', '>', '{', '}'])
            ),
            EmptyQuery => write!(
                f,
                "route path ends with `?` but names no query parameter; write `?<name>` or remove the `?`"
            ),
            CatchAllInQuery(name) => write!(
                f,
                "query parameter `<{name}..>` cannot be a catch-all; write `<{name}>`"
            ),
            BraceParam(seg) => {
                let inner = &seg[1..seg.len() - 1];
                let fix = match inner.strip_prefix('*') {
                    Some(name) => format!("<{name}..>"),
                    None => format!("<{inner}>"),
                };
                write!(
                    f,
                    "route parameters are written `<name>`, not `{{name}}`; write `{fix}` for `{seg}`"
                )
            }
            InvalidChar(c) if *c == '%' => write!(
                f,
                "`%` in a route path must start a percent-escape such as `%20`"
            ),
            InvalidChar(c) => {
                let mut utf8 = [0; 4];
                let encoded: String = c
                    .encode_utf8(&mut utf8)
                    .bytes()
                    .map(|b| format!("%{b:02X}"))
                    .collect();
                write!(
                    f,
                    "character {c:?} is not allowed in a route path; write it percent-encoded, as `{encoded}`"
                )
            }
        }
    }
}

impl std::error::Error for TemplateError {}

/// `self`, `Self`, `super` and `crate` are keywords that not even a raw identifier can spell,
/// so no function argument could ever bind such a parameter.
fn is_unbindable_keyword(name: &str) -> bool {
    matches!(name, "self" | "Self" | "super" | "crate")
}

fn is_param_name(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first == '_' || first.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
        && name != "_"
        && !is_unbindable_keyword(name)
}

/// `{id}` or `{*rest}`, a whole segment: a parameter as axum and actix-web write it.
fn is_brace_param(text: &str) -> bool {
    text.strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .is_some_and(|inner| {
            let name = inner.strip_prefix('*').unwrap_or(inner);
            !name.is_empty() && name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric())
        })
}

/// RFC 3986 `pchar` minus `%`, which is checked separately: unreserved, sub-delims, `:` and `@`.
fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || (c.is_ascii() && b"-._~!$&'()*+,;=:@".contains(&(c as u8)))
}

impl PathTemplate {
    /// Parses a route path.
    ///
    /// # Errors
    ///
    /// Every mistake in the path, each with the byte range it concerns, in path order.
    pub fn parse<'p>(path: &'p str) -> Result<PathTemplate, Vec<TemplateError>> {
        let mut errors = Vec::new();
        let mut err = |kind, span: Range<usize>| errors.push(TemplateError { kind, span });

        if !path.starts_with('/') {
            // The span is the first character, which may be several bytes long.
            let first = path.chars().next().map_or(0, char::len_utf8);
            err(TemplateErrorKind::NoLeadingSlash, 0..first);
            return Err(errors);
        }
        let (path_part, query_part) = match path.find('?') {
            Some(q) => (&path[..q], Some((q + 1, &path[q + 1..]))),
            None => (path, None),
        };

        // `App::build` parses every route of the program at start-up: the names are borrowed
        // and only an error allocates.
        let mut names: Vec<&str> = Vec::new();
        let mut check_duplicate =
            |name: &'p str,
             span: Range<usize>,
             errs: &mut dyn FnMut(TemplateErrorKind, Range<usize>)| {
                if names.contains(&name) {
                    errs(TemplateErrorKind::DuplicateParam(name.to_owned()), span);
                } else {
                    names.push(name);
                }
            };

        let raw_segments: Vec<(usize, &str)> = split_with_offsets(&path_part[1..], b'/', 1);
        let mut segments = Vec::with_capacity(raw_segments.len());
        let last = raw_segments.len() - 1;
        for (i, &(start, text)) in raw_segments.iter().enumerate() {
            let span = start..start + text.len();
            if text.is_empty() {
                if i != last {
                    err(TemplateErrorKind::EmptySegment, start - 1..start + 1);
                }
                segments.push(Segment::Static(String::new()));
                continue;
            }
            match parse_bracketed(text) {
                Bracketed::Param { name, catch_all } => {
                    if !is_param_name(name) {
                        err(
                            TemplateErrorKind::InvalidParamName(name.to_owned()),
                            span.clone(),
                        );
                    } else {
                        check_duplicate(name, span.clone(), &mut err);
                    }
                    if catch_all {
                        if i != last {
                            err(TemplateErrorKind::CatchAllNotLast(name.to_owned()), span);
                        }
                        segments.push(Segment::CatchAll(name.to_owned()));
                    } else {
                        segments.push(Segment::Param(name.to_owned()));
                    }
                }
                Bracketed::Mixed => {
                    err(
                        TemplateErrorKind::ParamNotWholeSegment(text.to_owned()),
                        span,
                    );
                    segments.push(Segment::Static(text.to_owned()));
                }
                Bracketed::Unbalanced => {
                    err(TemplateErrorKind::UnbalancedBracket(text.to_owned()), span);
                    segments.push(Segment::Static(text.to_owned()));
                }
                Bracketed::None if is_brace_param(text) => {
                    err(TemplateErrorKind::BraceParam(text.to_owned()), span);
                    segments.push(Segment::Static(text.to_owned()));
                }
                Bracketed::None => {
                    check_static_chars(text, start, &mut err);
                    segments.push(Segment::Static(text.to_owned()));
                }
            }
        }

        let mut query = Vec::new();
        if let Some((qstart, qtext)) = query_part {
            if qtext.is_empty() {
                err(TemplateErrorKind::EmptyQuery, qstart - 1..qstart);
            } else {
                for (start, item) in split_with_offsets(qtext, b'&', qstart) {
                    let span = start..start + item.len();
                    match parse_bracketed(item) {
                        Bracketed::Param { name, catch_all } => {
                            if catch_all {
                                err(TemplateErrorKind::CatchAllInQuery(name.to_owned()), span);
                            } else if !is_param_name(name) {
                                err(TemplateErrorKind::InvalidParamName(name.to_owned()), span);
                            } else {
                                check_duplicate(name, span, &mut err);
                            }
                            query.push(name.to_owned());
                        }
                        _ => err(TemplateErrorKind::InvalidQueryItem(item.to_owned()), span),
                    }
                }
            }
        }

        if errors.is_empty() {
            Ok(PathTemplate { segments, query })
        } else {
            Err(errors)
        }
    }

    /// The path segments, in order. `/` alone is one empty static segment.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The path segments, taken out of the template.
    pub fn into_segments(self) -> Vec<Segment> {
        self.segments
    }

    /// The query parameter names, in declaration order.
    pub fn query(&self) -> &[String] {
        &self.query
    }

    /// The path parameter names (catch-all included), in path order.
    pub fn path_params(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(Segment::param_name)
    }

    /// The path with parameter names erased (`/users/<>/<..>`), query dropped: two templates
    /// with the same shape match exactly the same requests.
    pub fn shape(&self) -> String {
        let mut out = String::new();
        for seg in &self.segments {
            out.push('/');
            match seg {
                Segment::Static(s) => out.push_str(s),
                Segment::Param(_) => out.push_str("<>"),
                Segment::CatchAll(_) => out.push_str("<..>"),
            }
        }
        out
    }

    /// Matches a raw request path (no query) against this template alone, returning the raw
    /// text of each path parameter in path order.
    ///
    /// This is the definition of what a template matches, written for clarity rather than
    /// speed: the router must agree with it, and its tests check that it does.
    pub fn match_path<'p>(&self, path: &'p str) -> Option<Vec<&'p str>> {
        let rest = path.strip_prefix('/')?;
        let mut params = Vec::new();
        let mut parts = split_with_offsets(rest, b'/', 0).into_iter();
        for seg in &self.segments {
            match seg {
                Segment::CatchAll(_) => {
                    let (start, _) = parts.next()?;
                    let tail = &rest[start..];
                    if tail.is_empty() {
                        return None;
                    }
                    params.push(tail);
                    return Some(params);
                }
                Segment::Param(_) => {
                    let (_, text) = parts.next()?;
                    if text.is_empty() {
                        return None;
                    }
                    params.push(text);
                }
                Segment::Static(s) => {
                    let (_, text) = parts.next()?;
                    if text != s {
                        return None;
                    }
                }
            }
        }
        parts.next().is_none().then_some(params)
    }
}

/// Prints the template in `#[route]` syntax; [`PathTemplate::parse`] reads it back unchanged.
impl fmt::Display for PathTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for seg in &self.segments {
            match seg {
                Segment::Static(s) => write!(f, "/{s}")?,
                Segment::Param(name) => write!(f, "/<{name}>")?,
                Segment::CatchAll(name) => write!(f, "/<{name}..>")?,
            }
        }
        for (i, name) in self.query.iter().enumerate() {
            write!(f, "{}<{name}>", if i == 0 { '?' } else { '&' })?;
        }
        Ok(())
    }
}

enum Bracketed<'a> {
    None,
    Param { name: &'a str, catch_all: bool },
    Mixed,
    Unbalanced,
}

fn parse_bracketed(text: &str) -> Bracketed<'_> {
    let count = |wanted: u8| text.bytes().filter(|&b| b == wanted).count();
    let (opens, closes) = (count(b'<'), count(b'>'));
    if opens == 0 && closes == 0 {
        return Bracketed::None;
    }
    if opens != closes {
        return Bracketed::Unbalanced;
    }
    if opens == 1 && text.starts_with('<') && text.ends_with('>') {
        let inner = &text[1..text.len() - 1];
        return match inner.strip_suffix("..") {
            Some(name) => Bracketed::Param {
                name,
                catch_all: true,
            },
            None => Bracketed::Param {
                name: inner,
                catch_all: false,
            },
        };
    }
    match (text.find('<'), text.find('>')) {
        (Some(o), Some(c)) if o < c => Bracketed::Mixed,
        _ => Bracketed::Unbalanced,
    }
}

fn check_static_chars(
    text: &str,
    start: usize,
    err: &mut impl FnMut(TemplateErrorKind, Range<usize>),
) {
    let bytes = text.as_bytes();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        if c == '%' {
            let valid = bytes.len() > i + 2
                && bytes[i + 1].is_ascii_hexdigit()
                && bytes[i + 2].is_ascii_hexdigit();
            if valid {
                chars.next();
                chars.next();
                continue;
            }
            // The `%` and the (at most two) characters that should have been hex digits.
            let end = text[i..]
                .char_indices()
                .nth(3)
                .map_or(text.len(), |(j, _)| i + j);
            err(TemplateErrorKind::InvalidChar('%'), start + i..start + end);
        } else if !is_path_char(c) {
            err(
                TemplateErrorKind::InvalidChar(c),
                start + i..start + i + c.len_utf8(),
            );
        }
    }
}

/// `text.split(sep)` with the byte offset of each piece, `base` added.
fn split_with_offsets(text: &str, sep: u8, base: usize) -> Vec<(usize, &str)> {
    debug_assert!(
        sep.is_ascii(),
        "an ASCII separator is never inside a UTF-8 sequence"
    );
    let mut out = Vec::new();
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        if b == sep {
            out.push((base + start, &text[start..i]));
            start = i + 1;
        }
    }
    out.push((base + start, &text[start..]));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use TemplateErrorKind::*;

    fn errors(path: &str) -> Vec<(TemplateErrorKind, &str)> {
        PathTemplate::parse(path)
            .unwrap_err()
            .into_iter()
            .map(|e| (e.kind, &path[e.span]))
            .collect()
    }

    #[test]
    fn accepts_every_form_and_prints_it_back() {
        for path in [
            "/",
            "/a",
            "/a/",
            "/users/<id>",
            "/users/<id>/posts/<post_id>",
            "/files/<rest..>",
            "/search?<q>&<page>",
            "/users/<id>?<verbose>",
            "/a_b/c-d/e.f/~g/h:i/@j/%20k",
            "/r/<ref>",
            "/<a>/<b>/",
        ] {
            let t = PathTemplate::parse(path).unwrap();
            assert_eq!(t.to_string(), path);
        }
    }

    #[test]
    fn segments_and_query() {
        let t = PathTemplate::parse("/a/<b>/<c..>?<d>").unwrap();
        assert_eq!(
            t.segments(),
            [
                Segment::Static("a".into()),
                Segment::Param("b".into()),
                Segment::CatchAll("c".into())
            ]
        );
        assert_eq!(t.query(), ["d"]);
        assert_eq!(t.path_params().collect::<Vec<_>>(), ["b", "c"]);
        assert_eq!(t.shape(), "/a/<>/<..>");
    }

    #[test]
    fn rejects_with_spans() {
        let cases: Vec<(&str, Vec<(TemplateErrorKind, &str)>)> = vec![
            ("users", vec![(NoLeadingSlash, "u")]),
            ("", vec![(NoLeadingSlash, "")]),
            ("/a//b", vec![(EmptySegment, "//")]),
            ("/a/<id", vec![(UnbalancedBracket("<id".into()), "<id")]),
            ("/a/id>", vec![(UnbalancedBracket("id>".into()), "id>")]),
            (
                "/a/x<id>",
                vec![(ParamNotWholeSegment("x<id>".into()), "x<id>")],
            ),
            ("/a/<1d>", vec![(InvalidParamName("1d".into()), "<1d>")]),
            ("/a/<>", vec![(InvalidParamName(String::new()), "<>")]),
            (
                "/a/<self>",
                vec![(InvalidParamName("self".into()), "<self>")],
            ),
            ("/a/<x>/<x>", vec![(DuplicateParam("x".into()), "<x>")]),
            ("/a/<x>?<x>", vec![(DuplicateParam("x".into()), "<x>")]),
            ("/a/<r..>/b", vec![(CatchAllNotLast("r".into()), "<r..>")]),
            ("/a/<r..>/", vec![(CatchAllNotLast("r".into()), "<r..>")]),
            ("/a?q", vec![(InvalidQueryItem("q".into()), "q")]),
            ("/a?", vec![(EmptyQuery, "?")]),
            ("/a?<q..>", vec![(CatchAllInQuery("q".into()), "<q..>")]),
            ("/a b", vec![(InvalidChar(' '), " ")]),
            ("/a%zz", vec![(InvalidChar('%'), "%zz")]),
            ("/b/{id}", vec![(BraceParam("{id}".into()), "{id}")]),
            (
                "/f/{*rest}",
                vec![(BraceParam("{*rest}".into()), "{*rest}")],
            ),
            (
                "/b/{}",
                vec![(InvalidChar('{'), "{"), (InvalidChar('}'), "}")],
            ),
            (
                "/a//<1>/<r..>/x",
                vec![
                    (EmptySegment, "//"),
                    (InvalidParamName("1".into()), "<1>"),
                    (CatchAllNotLast("r".into()), "<r..>"),
                ],
            ),
        ];
        for (path, expected) in cases {
            assert_eq!(errors(path), expected, "{path}");
        }
    }

    #[test]
    fn match_path_defines_matching() {
        let t = PathTemplate::parse("/users/<id>/files/<rest..>").unwrap();
        assert_eq!(t.match_path("/users/7/files/a/b"), Some(vec!["7", "a/b"]));
        assert_eq!(t.match_path("/users/7/files/"), None);
        assert_eq!(t.match_path("/users//files/a"), None);
        let t = PathTemplate::parse("/a/").unwrap();
        assert_eq!(t.match_path("/a/"), Some(vec![]));
        assert_eq!(t.match_path("/a"), None);
        let root = PathTemplate::parse("/").unwrap();
        assert_eq!(root.match_path("/"), Some(vec![]));
        assert_eq!(root.match_path("//"), None);
        let p = PathTemplate::parse("/p/<x>").unwrap();
        assert_eq!(p.match_path("/p/a%2Fb"), Some(vec!["a%2Fb"]));
        assert_eq!(p.match_path("/p/a/b"), None);
    }

    /// Found by the `path_grammar` fuzz target: the span of a missing leading slash was the
    /// first byte, not the first character, and slicing the path with it panicked.
    #[test]
    fn error_spans_are_on_char_boundaries() {
        assert_eq!(errors("Ȥ"), [(NoLeadingSlash, "Ȥ")]);
        assert_eq!(errors("é/a"), [(NoLeadingSlash, "é")]);
        // Likewise a bad escape followed by a multi-byte character.
        assert_eq!(
            errors("/a%%䣯"),
            [
                (InvalidChar('%'), "%%䣯"),
                (InvalidChar('%'), "%䣯"),
                (InvalidChar('䣯'), "䣯")
            ]
        );
    }
}
