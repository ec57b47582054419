//! The protocol checks every request passes before anything else sees it (layers, routing,
//! a nested service): target length, framing, `Host`. See `docs/hardening.md`.

use http::header::{self, HeaderName, HeaderValue};
use http::request::Parts;
use http::{StatusCode, Version};

use crate::response::{HttpError, IntoResponse, Response};

/// The header name the server's framing guard (`server/framing.rs`) gives a `Content-Length`
/// sent together with `Transfer-Encoding`. Same length as `content-length`, so the stream's
/// byte counts are unchanged. A client that sends it itself is answered 400 as well.
pub(crate) const CONFLICT_MARKER: &str = "x-routemark-cl";

const _: () = assert!(CONFLICT_MARKER.len() == "content-length".len());

/// A constant name: a string key would be parsed and lower-cased on every request.
static CONFLICT: HeaderName = HeaderName::from_static(CONFLICT_MARKER);

/// The client's request id, echoed in the logs and answers of failed requests.
pub(crate) static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Checks a request head: `414` for a target longer than `max_uri_len`, `400` (and
/// `connection: close`) for ambiguous framing or `Host`. On success, the client's request
/// id, kept for the logs and answers of failed requests.
#[inline]
pub(crate) fn check(head: &Parts, max_uri_len: usize) -> Result<Option<HeaderValue>, Rejected> {
    if uri_len(&head.uri) > max_uri_len {
        return Err(Rejected::UriTooLong(max_uri_len));
    }
    let fields = HeaderFacts::scan(&head.headers);
    if let Some(problem) = framing_problem(head.version, &fields) {
        return Err(Rejected::Framing(problem));
    }
    Ok(fields.request_id.cloned())
}

/// Why [`check`] refused a request: small, so that the accepted path moves no answer.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Rejected {
    /// The target is longer than this limit.
    UriTooLong(usize),
    /// Ambiguous framing or `Host`.
    Framing(&'static str),
}

impl Rejected {
    /// The answer: `414`, or `400` with `connection: close`.
    #[cold]
    pub(crate) fn answer(self) -> Response {
        match self {
            Rejected::UriTooLong(max_uri_len) => HttpError::new(
                StatusCode::URI_TOO_LONG,
                format!("request target is longer than {max_uri_len} bytes"),
            )
            .into_response(),
            Rejected::Framing(problem) => {
                let mut response = HttpError::bad_request(problem).into_response();
                response
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
                response
            }
        }
    }
}

/// The client's `x-request-id`, for a request that did not go through [`check`] here (a
/// layer's request, say).
pub(crate) fn request_id(headers: &http::HeaderMap) -> Option<HeaderValue> {
    headers.get(&REQUEST_ID).cloned()
}

/// What dispatch reads from the request's header fields, found in one pass over them: a
/// request has few fields, and walking them costs less than hashing the names of the
/// lookups (the custom ones especially).
struct HeaderFacts<'a> {
    /// The framing guard marked a `Content-Length` sent with `Transfer-Encoding`.
    conflict: bool,
    hosts: usize,
    first_host: Option<&'a HeaderValue>,
    request_id: Option<&'a HeaderValue>,
}

impl<'a> HeaderFacts<'a> {
    #[inline]
    fn scan(headers: &'a http::HeaderMap) -> HeaderFacts<'a> {
        let mut facts = HeaderFacts {
            conflict: false,
            hosts: 0,
            first_host: None,
            request_id: None,
        };
        for (name, value) in headers {
            if name == header::HOST {
                facts.hosts += 1;
                facts.first_host.get_or_insert(value);
            } else if *name == CONFLICT {
                facts.conflict = true;
            } else if *name == REQUEST_ID {
                facts.request_id.get_or_insert(value);
            }
        }
        facts
    }
}

/// Rule: a request whose framing or `Host` is ambiguous never reaches a handler.
///
/// - `Content-Length` together with `Transfer-Encoding` (hyper strips the length; the
///   server's framing guard marks such requests, see `server/framing.rs`);
/// - on HTTP/1.1, anything but exactly one `Host` header holding a valid authority without
///   user information (RFC 9112 §3.2); on HTTP/1.0, more than one.
fn framing_problem(version: Version, fields: &HeaderFacts<'_>) -> Option<&'static str> {
    if fields.conflict {
        return Some("a request must not have both `Content-Length` and `Transfer-Encoding`");
    }
    match version {
        Version::HTTP_11 if fields.hosts != 1 => {
            Some("an HTTP/1.1 request must have exactly one `Host` header")
        }
        Version::HTTP_10 if fields.hosts > 1 => {
            Some("a request must not have several `Host` headers")
        }
        // At most one `Host` is left to check.
        Version::HTTP_10 | Version::HTTP_11 if !fields.first_host.is_none_or(is_valid_host) => {
            Some("the `Host` header is not a valid host")
        }
        _ => None,
    }
}

/// Whether a `Host` value is a valid authority without user information.
///
/// Parsing it as an `Authority` copies it to the heap, for every request; a client sends the
/// same `Host` on all its requests, so the last valid value on this thread is remembered
/// and a request with the same bytes skips the parse.
#[inline(always)]
fn is_valid_host(value: &HeaderValue) -> bool {
    /// Longer values are checked every time rather than kept.
    const REMEMBERED_MAX: usize = 256;
    thread_local! {
        static LAST_VALID: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let bytes = value.as_bytes();
    if !bytes.is_empty() && LAST_VALID.with_borrow(|last| last.as_slice() == bytes) {
        return true;
    }
    let valid = value.to_str().is_ok_and(|text| {
        !text.is_empty() && !text.contains('@') && text.parse::<http::uri::Authority>().is_ok()
    });
    if valid && bytes.len() <= REMEMBERED_MAX {
        LAST_VALID.with_borrow_mut(|last| {
            last.clear();
            last.extend_from_slice(bytes);
        });
    }
    valid
}

/// The length of `uri`'s `Display` form (`scheme://authority/path?query`), without
/// formatting it.
#[inline]
fn uri_len(uri: &http::Uri) -> usize {
    // The origin form (`/path?query`) of nearly every request: its text as received.
    if uri.scheme().is_none()
        && uri.authority().is_none()
        && let Some(target) = uri.path_and_query()
    {
        return target.as_str().len();
    }
    uri.scheme_str().map_or(0, |s| s.len() + "://".len())
        + uri.authority().map_or(0, |a| a.as_str().len())
        + uri.path().len()
        + uri.query().map_or(0, |q| "?".len() + q.len())
}

#[cfg(test)]
mod tests {
    use super::uri_len;

    #[test]
    fn host_validity_does_not_depend_on_the_remembered_value() {
        let cases: [(&[u8], bool); 7] = [
            (b"example.com", true),
            (b"example.com:8080", true),
            (b"user@example.com", false),
            (b"", false),
            (b"exa mple.com", false),
            (b"example.com", true),
            (b"\xff", false),
        ];
        // Each value checked after every other one, so after each possible remembered value.
        let header = |bytes: &[u8]| http::HeaderValue::from_bytes(bytes).unwrap();
        for (before, _) in cases {
            for (value, valid) in cases {
                super::is_valid_host(&header(before));
                assert_eq!(
                    super::is_valid_host(&header(value)),
                    valid,
                    "{value:?} after {before:?}"
                );
            }
        }
    }

    #[test]
    fn uri_len_is_the_length_of_the_displayed_uri() {
        for text in [
            "/",
            "/a/b?x=1&y",
            "/?",
            "/?q",
            "/a?",
            "*",
            "http://example.com",
            "http://example.com/a?b",
            "https://user@example.com:8080/a/b?c=d",
            "example.com:443",
        ] {
            let uri: http::Uri = text.parse().unwrap();
            assert_eq!(uri_len(&uri), uri.to_string().len(), "{text}");
        }
    }
}
