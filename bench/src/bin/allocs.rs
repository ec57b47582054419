//! Heap allocations per request, counted by a global allocator: around
//! `RouteTable::lookup` for every request of every route set, and around `Router::handle` for
//! a static route and a parameterised one, its parameters owned (`String`) and borrowed
//! (`&str`), and a `400` for a parameter that does not parse. Counts, not times: the output is the same on any
//! machine.
//!
//! ```text
//! cargo run --release -p routemark-bench --bin allocs
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};

use routemark::http::{Request, header};
use routemark::router::Lookup;
use routemark::{App, Body, Router, route};
use routemark_bench::{all_sets, routemark_table};

/// The system allocator, counting the allocations (and reallocations) and bytes it serves.
struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

#[allow(unsafe_code)]
// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the
// counters are plain atomics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: forwarded as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as is.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: forwarded as is.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(new_size as u64, Ordering::Relaxed);
        // SAFETY: forwarded as is.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` and returns its result with the allocations and bytes it made.
fn counted<R>(f: impl FnOnce() -> R) -> (R, u64, u64) {
    let (a, b) = (ALLOCS.load(Ordering::SeqCst), BYTES.load(Ordering::SeqCst));
    let r = f();
    let (a2, b2) = (ALLOCS.load(Ordering::SeqCst), BYTES.load(Ordering::SeqCst));
    (r, a2 - a, b2 - b)
}

#[route(GET "/bench/static")]
async fn bench_static() -> &'static str {
    "Hello, world!"
}

#[route(GET "/repos/<owner>/<repo>/issues/<number>")]
async fn bench_params(owner: String, repo: String, number: u64) -> &'static str {
    std::hint::black_box((owner, repo, number));
    "Hello, world!"
}

/// The same parameters borrowed: no copy of the text when it needs no decoding.
#[route(GET "/repos/<owner>/<repo>/pulls/<number>")]
async fn bench_borrowed_params(owner: &str, repo: &str, number: u64) -> &'static str {
    std::hint::black_box((owner, repo, number));
    "Hello, world!"
}

/// Polls `future` once on the current thread; the handlers here never wait.
fn poll_once<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("the handler did not finish in one poll"),
    }
}

fn request(path: &str) -> Request<Body> {
    Request::builder()
        .uri(path)
        .header(header::HOST, "localhost")
        .body(Body::empty())
        .expect("valid request")
}

fn handle_allocs(router: &Router, path: &str, status: u16) -> (u64, u64) {
    // Warm up once (lazy statics, thread-locals), then count the second request.
    drop(poll_once(router.handle(request(path))));
    let req = request(path);
    let (response, allocs, bytes) = counted(|| poll_once(router.handle(req)));
    assert_eq!(response.status(), status, "{path}");
    drop(response);
    (allocs, bytes)
}

fn main() {
    println!("# Heap allocations per request (counting global allocator)\n");
    println!("## RouteTable::lookup, every request of each set\n");
    println!("| set | lookups | allocations | per lookup | bytes |");
    println!("|---|---:|---:|---:|---:|");
    for set in all_sets() {
        let table = routemark_table(&set);
        let ((), allocs, bytes) = counted(|| {
            for (method, path, _) in &set.requests {
                let found = matches!(table.lookup(*method, path), Lookup::Found { .. });
                assert!(found, "{method} {path}");
            }
        });
        let n = set.requests.len();
        println!(
            "| {} | {n} | {allocs} | {:.2} | {bytes} |",
            set.name,
            allocs as f64 / n as f64
        );
    }

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let _context = runtime.enter();
    let router = App::new().build().expect("the bench routes build");
    println!("\n## Router::handle, one request (request built before, response dropped after)\n");
    println!("| route | request | allocations | bytes |");
    println!("|---|---|---:|---:|");
    for (route, path, status) in [
        ("`GET /bench/static`", "/bench/static", 200),
        (
            "`GET /repos/<owner>/<repo>/issues/<number>`",
            "/repos/rust-lang/rust/issues/12345",
            200,
        ),
        (
            "`GET /repos/<owner>/<repo>/pulls/<number>`, `&str`",
            "/repos/rust-lang/rust/pulls/12345",
            200,
        ),
        (
            "`GET /repos/<owner>/<repo>/issues/<number>`, `400`: `<number>` is no `u64`",
            "/repos/rust-lang/rust/issues/twelve",
            400,
        ),
    ] {
        let (allocs, bytes) = handle_allocs(&router, path, status);
        println!("| {route} | `{path}` | {allocs} | {bytes} |");
    }
}
