//! The `tracing` span of a request, with OpenTelemetry's HTTP server attributes.
//!
//! The span is made only when a subscriber wants it (`tracing`'s per-callsite interest):
//! without one, a request pays a relaxed atomic load. Its OpenTelemetry name is
//! `{method} {template}` (`GET /users/<id>`), just `{method}` when nothing matched;
//! `tracing-opentelemetry` reads it from the `otel.name` field.

use http::header::HeaderValue;
use tracing::Span;
use tracing::field::Empty;

/// The target of the request spans, for filters (`RUST_LOG=routemark::request=info`).
pub(crate) const TARGET: &str = "routemark::request";

/// The span of one request, or a disabled one.
#[inline]
pub(crate) fn request_span(
    method: &http::Method,
    route: Option<&'static crate::route::Route>,
    uri: &http::Uri,
    headers: &http::HeaderMap,
    request_id: Option<&HeaderValue>,
) -> Span {
    // No subscriber wants `INFO`: no span. The macro would decide the same, except that
    // with `tracing`'s `log` feature on (any crate of the program may turn it on; actix-web
    // does) and no subscriber installed, it builds every field for a `log` record anyway:
    // about 1,600 instructions per request (bench/README.md, "The stack's layers").
    if tracing::Level::INFO > tracing::level_filters::LevelFilter::current() {
        return Span::none();
    }
    // The field values are computed only when a subscriber wants the span.
    let template = || route.map(crate::route::Route::path_without_query);
    let span = tracing::info_span!(
        target: TARGET,
        "request",
        otel.name = %match template() {
            Some(template) => format!("{method} {template}"),
            None => method.to_string(),
        },
        otel.kind = "server",
        otel.status_code = Empty,
        http.request.method = %method,
        http.route = template().unwrap_or(""),
        url.path = uri.path(),
        url.scheme = uri.scheme_str().unwrap_or("http"),
        url.query = uri.query(),
        http.response.status_code = Empty,
        request_id = request_id.and_then(|v| v.to_str().ok()),
        tenant = Empty,
    );
    #[cfg(feature = "otel")]
    if !span.is_disabled() {
        super::otel::continue_trace(&span, headers);
    }
    #[cfg(not(feature = "otel"))]
    let _ = headers;
    span
}

/// Records the answer's status on the span; a `5xx` marks it as an error.
#[inline(always)]
pub(crate) fn record_status(span: &Span, status: http::StatusCode) {
    if !span.is_disabled() {
        record_enabled(span, status);
    }
}

#[cold]
fn record_enabled(span: &Span, status: http::StatusCode) {
    span.record("http.response.status_code", i64::from(status.as_u16()));
    if status.is_server_error() {
        span.record("otel.status_code", "ERROR");
    }
}

/// Records the request's tenant on its span (one of the declared tenants).
#[inline]
pub(crate) fn record_tenant(span: &Span, tenant: Option<&crate::tenant::TenantContext>) {
    if let Some(tenant) = tenant
        && !span.is_disabled()
    {
        span.record("tenant", tenant.name);
    }
}

/// Names the current span after the route, from the router behind the `App::layer` stack
/// (the span was opened in front of the layers, before the route was known).
pub(crate) fn name_current(method: &http::Method, route: &'static crate::route::Route) {
    let current = Span::current();
    if current.is_disabled() || current.metadata().is_none_or(|m| m.target() != TARGET) {
        return;
    }
    let template = route.path_without_query();
    current.record("otel.name", format!("{method} {template}"));
    current.record("http.route", template);
}

/// The span of a request the framework answered at once (`404`, `405`, a rejected
/// request): opened and closed with its status.
#[inline]
pub(crate) fn answered(
    head: &http::request::Parts,
    request_id: Option<&HeaderValue>,
    status: http::StatusCode,
) {
    let span = request_span(&head.method, None, &head.uri, &head.headers, request_id);
    record_status(&span, status);
}
