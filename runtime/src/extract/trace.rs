//! [`TraceContext`]: the W3C trace context to forward on a handler's own outgoing calls.

use std::convert::Infallible;

use super::FromRequestParts;
use crate::request::RequestParts;

/// The W3C trace context (`traceparent`, `tracestate`) a handler forwards on its own calls
/// to other services, so that they join the request's trace.
///
/// With the `otel` feature and spans exported, `traceparent` names this request's span as
/// the parent; otherwise it is the caller's, passed through unchanged. Empty when there is
/// neither.
///
/// ```
/// use routemark::{route, TraceContext};
///
/// #[route(GET "/checkout")]
/// async fn checkout(trace: TraceContext) -> String {
///     // e.g. `client.get(url).headers(trace.headers())`
///     format!("{} header(s) to forward", trace.headers().len())
/// }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraceContext {
    traceparent: Option<String>,
    tracestate: Option<String>,
}

impl TraceContext {
    /// The `traceparent` value (`00-<trace id>-<span id>-<flags>`), if any.
    pub fn traceparent(&self) -> Option<&str> {
        self.traceparent.as_deref()
    }

    /// The `tracestate` value, if any.
    pub fn tracestate(&self) -> Option<&str> {
        self.tracestate.as_deref()
    }

    /// Both as headers, ready to add to an outgoing request.
    pub fn headers(&self) -> http::HeaderMap {
        let mut headers = http::HeaderMap::new();
        for (name, value) in [
            ("traceparent", &self.traceparent),
            ("tracestate", &self.tracestate),
        ] {
            if let Some(value) = value.as_deref().and_then(|v| v.parse().ok()) {
                headers.insert(name, value);
            }
        }
        headers
    }
}

impl FromRequestParts for TraceContext {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, Infallible> {
        #[cfg(feature = "otel")]
        {
            let span = tracing::Span::current();
            if !span.is_disabled() {
                let mut context = TraceContext::default();
                for (key, value) in crate::observe::otel::inject(&span) {
                    match key.as_str() {
                        "traceparent" => context.traceparent = Some(value),
                        "tracestate" if !value.is_empty() => context.tracestate = Some(value),
                        _ => {}
                    }
                }
                if context.traceparent.is_some() {
                    return Ok(context);
                }
            }
        }
        let header = |name: &str| {
            parts
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Ok(TraceContext {
            traceparent: header("traceparent"),
            tracestate: header("tracestate"),
        })
    }
}
