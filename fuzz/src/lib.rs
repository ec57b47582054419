//! Fuzz inputs shared by the route-table targets: a small route table and requests, derived
//! with `arbitrary` from the fuzzer's bytes, over a small alphabet of segments so that
//! routes and requests overlap often.

use arbitrary::Arbitrary;
use routemark::router::reference::RouteSpec;
use routemark_path::{Method, MethodSet, PathTemplate};

/// Static route segments: all valid in a template, several of them odd for a router
/// (dot segments, percent-escapes, case).
const STATICS: [&str; 11] = [
    "a", "b", "c", "ab", "A", "..", ".", "%2F", "%2f", "a.b", "~",
];

/// Request segments: the statics and some that no template can contain.
const REQUEST_SEGMENTS: [&str; 6] = ["", "x", "a/b", "%", "é", "?"];

const MAX_ROUTES: usize = 12;
const MAX_SEGMENTS: usize = 5;
const MAX_REQUESTS: usize = 24;

/// A route table and the requests to look up in it.
#[derive(Arbitrary, Debug)]
pub struct TableInput {
    routes: Vec<RouteInput>,
    requests: Vec<RequestInput>,
}

#[derive(Arbitrary, Debug)]
struct RouteInput {
    /// One bit per entry of [`Method::ALL`].
    methods: u8,
    segments: Vec<SegmentInput>,
    end: EndInput,
}

#[derive(Arbitrary, Debug)]
enum SegmentInput {
    Static(u8),
    Param,
}

#[derive(Arbitrary, Debug)]
enum EndInput {
    Nothing,
    TrailingSlash,
    CatchAll,
}

#[derive(Arbitrary, Debug)]
struct RequestInput {
    method: u8,
    path: PathInput,
}

#[derive(Arbitrary, Debug)]
enum PathInput {
    /// `/` followed by the segments, each an index into the statics and request segments.
    Segments(Vec<u8>),
    /// Any string at all: `*`, `http://a/b`, the empty string …
    Raw(String),
}

impl TableInput {
    /// The routes, each a method set and a template that parses.
    pub fn routes(&self) -> Vec<RouteSpec> {
        self.routes
            .iter()
            .take(MAX_ROUTES)
            .map(RouteInput::spec)
            .collect()
    }

    /// The requests: a method and a raw path.
    pub fn requests(&self) -> Vec<(Method, String)> {
        self.requests
            .iter()
            .take(MAX_REQUESTS)
            .map(|r| {
                let method = Method::ALL[usize::from(r.method) % Method::ALL.len()];
                let path = match &r.path {
                    PathInput::Segments(segs) => {
                        let segs: Vec<&str> = segs
                            .iter()
                            .take(MAX_SEGMENTS + 2)
                            .map(|&i| {
                                let i = usize::from(i) % (STATICS.len() + REQUEST_SEGMENTS.len());
                                STATICS
                                    .get(i)
                                    .copied()
                                    .unwrap_or_else(|| REQUEST_SEGMENTS[i - STATICS.len()])
                            })
                            .collect();
                        format!("/{}", segs.join("/"))
                    }
                    PathInput::Raw(raw) => raw.clone(),
                };
                (method, path)
            })
            .collect()
    }
}

impl RouteInput {
    fn spec(&self) -> RouteSpec {
        let methods: MethodSet = Method::ALL
            .iter()
            .enumerate()
            .filter(|(i, _)| self.methods & (1 << i) != 0)
            .map(|(_, &m)| m)
            .collect();
        let mut parts: Vec<String> = self
            .segments
            .iter()
            .take(MAX_SEGMENTS)
            .enumerate()
            .map(|(i, s)| match s {
                SegmentInput::Static(k) => STATICS[usize::from(*k) % STATICS.len()].to_owned(),
                SegmentInput::Param => format!("<p{i}>"),
            })
            .collect();
        match self.end {
            EndInput::TrailingSlash => parts.push(String::new()),
            EndInput::CatchAll => parts.push("<rest..>".to_owned()),
            EndInput::Nothing if parts.is_empty() => parts.push(String::new()),
            EndInput::Nothing => {}
        }
        let path = format!("/{}", parts.join("/"));
        let template = PathTemplate::parse(&path)
            .unwrap_or_else(|e| panic!("generated template {path:?} does not parse: {e:?}"));
        (methods, template)
    }
}
