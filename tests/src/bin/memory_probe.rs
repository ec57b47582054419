//! A server for `tests/memory.rs`: the production defaults of [`ServerConfig`] on
//! `127.0.0.1:0`, with routes that let a client make the server hold memory (a large answer, a
//! long streamed answer, a slowly read upload). Prints its address on stdout, then serves
//! until killed. Its memory is measured from outside (`/proc/<pid>/status`), so that the
//! figures are the server's alone.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt;
use routemark::{App, Body, Response, Server, ServerConfig, route};

/// The size of `GET /large`: a 1 MiB answer, allocated anew for every request as an
/// application building its answer would.
const LARGE: usize = 1 << 20;
/// The length of `GET /stream`, produced `STREAM_CHUNK` bytes at a time, never held whole.
const STREAM_LEN: u64 = 64 << 20;
const STREAM_CHUNK: usize = 64 << 10;
/// How long `POST /upload` waits after each body frame: a handler slower than its client.
const UPLOAD_PAUSE: Duration = Duration::from_millis(2);

/// Bytes of `GET /stream` produced so far, all requests together.
static STREAMED: AtomicU64 = AtomicU64::new(0);
/// Bytes of `POST /upload` bodies read by their handlers so far.
static UPLOADED: AtomicU64 = AtomicU64::new(0);

#[route(GET "/")]
fn root() -> &'static str {
    "root"
}

#[route(GET "/users/<name>")]
fn user(name: String) -> String {
    format!("hello, {name}")
}

#[route(GET "/large")]
fn large() -> Vec<u8> {
    vec![b'x'; LARGE]
}

/// Chunk `i` of `GET /stream` is `STREAM_CHUNK` bytes of `b'a' + i % 26`, so that a client
/// can check every byte it receives against its offset.
#[route(GET "/stream")]
fn stream() -> Response {
    Response::new(Body::new(Streamed { sent: 0 }))
}

struct Streamed {
    sent: u64,
}

impl http_body::Body for Streamed {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.sent >= STREAM_LEN {
            return Poll::Ready(None);
        }
        let index = self.sent / STREAM_CHUNK as u64;
        let len = (STREAM_LEN - self.sent).min(STREAM_CHUNK as u64) as usize;
        self.sent += len as u64;
        STREAMED.fetch_add(len as u64, Ordering::Relaxed);
        let byte = b'a' + (index % 26) as u8;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(vec![byte; len])))))
    }

    fn is_end_stream(&self) -> bool {
        self.sent >= STREAM_LEN
    }

    // Exact, so that hyper sends a `Content-Length` and the client reads plain bytes.
    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(STREAM_LEN - self.sent)
    }
}

/// Reads the body a frame at a time, pausing after each, and answers how much it read.
#[route(POST "/upload")]
async fn upload(mut body: Body) -> String {
    let mut read = 0u64;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            break;
        };
        if let Some(data) = frame.data_ref() {
            read += data.len() as u64;
            UPLOADED.fetch_add(data.len() as u64, Ordering::Relaxed);
        }
        tokio::time::sleep(UPLOAD_PAUSE).await;
    }
    format!("uploaded {read}")
}

/// Keeps an HTTP/2 stream open (the handler timeout, 30 s, is longer than any test).
#[route(GET "/sleep")]
async fn sleep() -> &'static str {
    tokio::time::sleep(Duration::from_secs(20)).await;
    "slept"
}

#[route(GET "/stats")]
fn stats() -> String {
    format!(
        "streamed={} uploaded={}",
        STREAMED.load(Ordering::Relaxed),
        UPLOADED.load(Ordering::Relaxed)
    )
}

#[tokio::main]
async fn main() -> Result<(), routemark::Error> {
    let server = Server::bind("127.0.0.1:0")
        .await?
        .config(ServerConfig::default());
    println!("{}", server.local_addr());
    App::new().serve_on(server).await
}
