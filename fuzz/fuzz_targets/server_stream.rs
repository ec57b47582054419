//! The whole server over an in-memory stream: arbitrary bytes, split into several writes,
//! sent to `ServerConfig::serve_connection` over `tokio::io::duplex`. No panic, no hang (the
//! server ends every connection before the harness's limit, on a paused clock; libFuzzer's
//! `-timeout` catches a busy loop), and never more responses than requests.
//!
//! Input layout: byte 0 is flags (bit 0: close the client's write side after the last
//! write; bits 1–3: the number of extra split points, each taken from the next two bytes);
//! the rest is the byte stream.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use routemark::Router;

#[path = "../../tests/tests/server_stream/harness.rs"]
mod harness;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(harness::runtime)
}

fn router() -> Router {
    static ROUTER: OnceLock<Router> = OnceLock::new();
    ROUTER.get_or_init(harness::router).clone()
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, mut rest)) = data.split_first() else {
        return;
    };
    let close = flags & 1 == 1;
    let mut splits = Vec::new();
    for _ in 0..(flags >> 1) & 7 {
        let Some((pair, tail)) = rest.split_first_chunk::<2>() else {
            break;
        };
        splits.push(usize::from(u16::from_le_bytes(*pair)));
        rest = tail;
    }
    let stream = rest;
    let mut points: Vec<usize> = splits.into_iter().map(|s| s % (stream.len() + 1)).collect();
    points.sort_unstable();
    points.dedup();
    let mut chunks = Vec::new();
    let mut start = 0;
    for p in points.into_iter().chain([stream.len()]) {
        if p > start {
            chunks.push(&stream[start..p]);
            start = p;
        }
    }
    runtime().block_on(harness::check(router(), &chunks, close));
});
