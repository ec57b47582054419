//! OpenTelemetry export of the request spans (cargo feature `otel`).
//!
//! With `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) set,
//! [`App::serve`](crate::App::serve) installs a tracer provider that exports spans over
//! OTLP/HTTP protobuf to `{endpoint}/v1/traces`, with `OTEL_SERVICE_NAME` (and
//! `OTEL_RESOURCE_ATTRIBUTES`) as the resource, the W3C trace-context propagator, and the
//! SDK's default sampler (parent-based, always on: a caller's sampled flag is honoured). The
//! spans are flushed when the server has drained.
//!
//! The exporter uses hyper's client, which the server already links (the SDK's default,
//! a blocking reqwest client, would bring a second HTTP stack and its own thread); the batch
//! processor then runs as a tokio task.

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor;
use tracing_opentelemetry::{OpenTelemetryLayer, OpenTelemetrySpanExt};
use tracing_subscriber::Layer as _;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// The provider installed from the environment, by [`layer`] or by `App::serve`; flushed
/// and shut down when the server has drained.
static PROVIDER: std::sync::Mutex<Option<SdkTracerProvider>> = std::sync::Mutex::new(None);

/// The provider from the `OTEL_*` variables, made and registered once; `None` when no
/// endpoint is set (or the exporter cannot be built, which is logged).
fn installed_provider() -> Option<SdkTracerProvider> {
    let mut installed = PROVIDER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(provider) = &*installed {
        return Some(provider.clone());
    }
    let configured = [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ]
    .iter()
    .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()));
    if !configured {
        return None;
    }
    match provider() {
        Ok(provider) => {
            opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
            opentelemetry::global::set_tracer_provider(provider.clone());
            *installed = Some(provider.clone());
            Some(provider)
        }
        Err(e) => {
            tracing::error!(error = %e, "OpenTelemetry: cannot build the OTLP exporter; spans are not exported");
            None
        }
    }
}

/// The OpenTelemetry layer for a program that installs its own `tracing` subscriber:
/// `None` (a layer that does nothing) unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set. The
/// exporter is the one `App::serve` would install, and `App::serve` flushes it at
/// shutdown.
///
/// ```no_run
/// use tracing_subscriber::layer::SubscriberExt;
/// use tracing_subscriber::util::SubscriberInitExt;
///
/// tracing_subscriber::registry()
///     .with(tracing_subscriber::fmt::layer())
///     .with(routemark::otel::layer())
///     .init();
/// ```
pub fn layer<S>() -> Option<OpenTelemetryLayer<S, opentelemetry_sdk::trace::Tracer>>
where
    S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
{
    let provider = installed_provider()?;
    Some(tracing_opentelemetry::layer().with_tracer(provider.tracer("routemark")))
}

/// What `App::serve` does: with an endpoint set and no subscriber installed yet, installs
/// one with the OpenTelemetry layer and a `fmt` layer (`RUST_LOG`, default `info`, to
/// stderr). A program with its own subscriber adds [`layer`] to it; without that, the spans
/// cannot be exported, and a warning says so.
pub(crate) fn install_from_env() {
    if PROVIDER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .is_some()
    {
        return; // `layer()` was called: the program's subscriber exports.
    }
    let Some(provider) = installed_provider() else {
        return;
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let installed = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("routemark")))
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_filter(filter),
        )
        .try_init();
    if installed.is_err() {
        tracing::warn!(
            "OpenTelemetry: OTEL_EXPORTER_OTLP_ENDPOINT is set but the program installed its own tracing subscriber; add `routemark::otel::layer()` to it to export spans"
        );
    }
}

/// Exports what is left and stops the exporter, once the server has drained. The SDK's
/// shutdown blocks until its tokio task has exported, so it runs off the worker threads.
pub(crate) async fn shutdown() {
    let provider = PROVIDER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take();
    let Some(provider) = provider else {
        return;
    };
    let flushed = tokio::task::spawn_blocking(move || provider.shutdown()).await;
    if let Ok(Err(e)) = flushed {
        tracing::warn!(error = %e, "OpenTelemetry: spans not flushed at shutdown");
    }
}

/// An OTLP/HTTP tracer provider from the `OTEL_*` environment variables.
fn provider() -> Result<SdkTracerProvider, opentelemetry_otlp::ExporterBuildError> {
    use opentelemetry_otlp::WithExportConfig;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .build()?;
    let processor =
        BatchSpanProcessor::builder(exporter, opentelemetry_sdk::runtime::Tokio).build();
    Ok(SdkTracerProvider::builder()
        .with_span_processor(processor)
        .with_resource(opentelemetry_sdk::Resource::builder().build())
        .build())
}

/// Reads `traceparent`/`tracestate` from request headers.
struct HeaderReader<'a>(&'a http::HeaderMap);

impl Extractor for HeaderReader<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

/// Makes the caller's trace, from its `traceparent`, the parent of `span`.
pub(crate) fn continue_trace(span: &tracing::Span, headers: &http::HeaderMap) {
    if headers.contains_key("traceparent") {
        let parent = TraceContextPropagator::new().extract(&HeaderReader(headers));
        let _ = span.set_parent(parent);
    }
}

/// The `traceparent` (and `tracestate`) naming `span` as the parent, for outgoing calls.
pub(crate) fn inject(span: &tracing::Span) -> Vec<(String, String)> {
    struct Pairs(Vec<(String, String)>);
    impl Injector for Pairs {
        fn set(&mut self, key: &str, value: String) {
            self.0.push((key.to_owned(), value));
        }
    }
    let mut pairs = Pairs(Vec::new());
    TraceContextPropagator::new().inject_context(&span.context(), &mut pairs);
    pairs.0
}
