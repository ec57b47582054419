//! OpenTelemetry export (feature `otel`): a real server process configured only by the
//! `OTEL_*` environment variables exports its request spans over OTLP/HTTP to a receiver
//! here that decodes the real protobuf (`opentelemetry-proto`). The caller's `traceparent`
//! is continued (same trace, caller's span as parent, sampled flag honoured), and the spans
//! are flushed at SIGTERM.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::{Span, span::SpanKind, status::StatusCode};
use prost::Message;
use routemark::{Body, Server};

/// A span with the `service.name` of its resource.
#[derive(Clone, Debug)]
struct Received {
    service: String,
    span: Span,
}

/// An OTLP/HTTP trace receiver on `127.0.0.1:0`: decodes every export and keeps its spans.
async fn receiver() -> (std::net::SocketAddr, Arc<Mutex<Vec<Received>>>, Vec<String>) {
    let spans = Arc::new(Mutex::new(Vec::<Received>::new()));
    let server = Server::bind("127.0.0.1:0").await.unwrap();
    let addr = server.local_addr();
    let sink = spans.clone();
    let service = tower::service_fn(move |request: routemark::http::Request<Body>| {
        let sink = sink.clone();
        async move {
            assert_eq!(request.uri().path(), "/v1/traces");
            assert_eq!(request.headers()["content-type"], "application/x-protobuf");
            let bytes = http_body_util::BodyExt::collect(request.into_body())
                .await
                .unwrap()
                .to_bytes();
            let export = ExportTraceServiceRequest::decode(bytes).expect("OTLP protobuf");
            for resource_spans in export.resource_spans {
                let service = resource_spans
                    .resource
                    .iter()
                    .flat_map(|r| &r.attributes)
                    .find(|kv| kv.key == "service.name")
                    .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
                        Value::StringValue(s) => Some(s.clone()),
                        _ => None,
                    })
                    .unwrap_or_default();
                for scope in resource_spans.scope_spans {
                    for span in scope.spans {
                        sink.lock().unwrap().push(Received {
                            service: service.clone(),
                            span,
                        });
                    }
                }
            }
            Ok::<_, std::convert::Infallible>(routemark::http::Response::new(Body::empty()))
        }
    });
    tokio::spawn(server.serve_with_shutdown(service, std::future::pending()));
    (addr, spans, Vec::new())
}

fn attribute(span: &Span, key: &str) -> Option<Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref()?.value.clone())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn spans_are_exported_over_otlp_continuing_the_callers_trace() {
    let (receiver, spans, _) = receiver().await;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_routemark-otel-probe"))
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{receiver}"))
        .env("OTEL_SERVICE_NAME", "shop-test")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .expect("start the otel probe");
    let addr: std::net::SocketAddr = {
        use std::io::BufRead;
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        line.trim().parse().unwrap()
    };
    let client = reqwest::Client::new();
    let url = |path: &str| format!("http://{addr}{path}");
    let sampled_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller_span = "00f067aa0ba902b7";
    let unsampled_trace = "0af7651916cd43dd8448eb211c80319c";
    let forwarded_trace = "11111111111111111111111111111111";
    let get = |path: &'static str, traceparent: Option<String>| {
        let mut request = client.get(url(path));
        if let Some(tp) = traceparent {
            request = request.header("traceparent", tp);
        }
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    assert_eq!(
        get(
            "/shop/items/7",
            Some(format!("00-{sampled_trace}-{caller_span}-01"))
        )
        .await,
        (200, "item 7".into())
    );
    assert_eq!(
        get(
            "/shop/items/8",
            Some(format!("00-{unsampled_trace}-{caller_span}-00"))
        )
        .await,
        (200, "item 8".into())
    );
    assert_eq!(get("/shop/broken", None).await.0, 502);
    assert_eq!(get("/no/such/thing", None).await.0, 404);
    let (status, forwarded) = get(
        "/shop/forward",
        Some(format!("00-{forwarded_trace}-{caller_span}-01")),
    )
    .await;
    assert_eq!(status, 200);
    // The handler forwards this request's own span as the parent of its calls.
    let parts: Vec<&str> = forwarded.split('-').collect();
    assert_eq!(parts.len(), 4, "{forwarded}");
    assert_eq!(
        (parts[0], parts[1], parts[3]),
        ("00", forwarded_trace, "01")
    );
    assert_ne!(parts[2], caller_span);

    // Flushed at SIGTERM, before the process exits.
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let exited = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(exited.success(), "{exited:?}");
    tokio::time::sleep(Duration::from_millis(100)).await;

    let spans = spans.lock().unwrap().clone();
    let names: Vec<&str> = spans.iter().map(|r| r.span.name.as_str()).collect();
    assert_eq!(spans.len(), 4, "{names:?}");
    assert!(spans.iter().all(|r| r.service == "shop-test"));
    let find = |name: &str| {
        spans
            .iter()
            .map(|r| &r.span)
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no span {name} in {names:?}"))
    };
    let item = find("GET /shop/items/<id>");
    assert_eq!(hex(&item.trace_id), sampled_trace);
    assert_eq!(hex(&item.parent_span_id), caller_span);
    assert_eq!(item.kind, SpanKind::Server as i32);
    assert_eq!(
        attribute(item, "http.route"),
        Some(Value::StringValue("/shop/items/<id>".into()))
    );
    assert_eq!(
        attribute(item, "http.request.method"),
        Some(Value::StringValue("GET".into()))
    );
    assert_eq!(
        attribute(item, "url.path"),
        Some(Value::StringValue("/shop/items/7".into()))
    );
    assert_eq!(
        attribute(item, "http.response.status_code"),
        Some(Value::IntValue(200))
    );
    assert_ne!(
        item.status.as_ref().map(|s| s.code),
        Some(StatusCode::Error as i32)
    );
    // The unsampled caller's request exported nothing.
    assert!(
        spans
            .iter()
            .all(|r| hex(&r.span.trace_id) != unsampled_trace)
    );
    let broken = find("GET /shop/broken");
    assert_eq!(
        broken.status.as_ref().map(|s| s.code),
        Some(StatusCode::Error as i32)
    );
    assert!(broken.parent_span_id.is_empty(), "a new trace");
    let unmatched = find("GET");
    assert_eq!(
        attribute(unmatched, "http.route"),
        Some(Value::StringValue(String::new()))
    );
    let forward = find("GET /shop/forward");
    assert_eq!(hex(&forward.trace_id), forwarded_trace);
    assert_eq!(hex(&forward.span_id), parts[2]);
}
