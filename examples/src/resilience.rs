//! A flaky dependency behind a circuit breaker, with a cached fallback: `/reports/<id>`
//! asks a "warehouse" that can be switched down or slow; while it fails, the breaker opens
//! and the last good copy of each report is served instead, without calling the warehouse.
//!
//! ```console
//! $ cargo run -p routemark-examples --bin resilience
//! $ curl -i localhost:3000/reports/7                    # 200, fresh (and cached)
//! $ curl -X POST localhost:3000/warehouse/down          # the dependency starts failing
//! $ for i in $(seq 5); do curl -s -o /dev/null -w '%{http_code} ' localhost:3000/reports/7; done
//! 500 500 500 500 200     # the fourth failure makes five requests, 80 % failed: open (see the log)
//! $ curl -i localhost:3000/reports/7                    # 200 "(cached)", the warehouse is not called
//! $ curl -i localhost:3000/reports/8                    # 404 "no copy": the fallback's own answer
//! $ curl -X POST localhost:3000/warehouse/up            # after 10 s, one trial closes the breaker
//! $ curl -X POST localhost:3000/warehouse/slow          # past the 2 s timeout: the fallback answers
//! ```

use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use routemark::http::StatusCode;
use routemark::{App, State, route};

/// The dependency: up, down (answers errors) or slow (answers after 5 s).
#[derive(Clone, Default)]
struct Warehouse(Arc<AtomicU8>);

const UP: u8 = 0;
const DOWN: u8 = 1;
const SLOW: u8 = 2;

impl Warehouse {
    async fn report(&self, id: u64) -> Result<String, String> {
        match self.0.load(Ordering::Relaxed) {
            DOWN => Err("warehouse unreachable".to_owned()),
            SLOW => {
                tokio::time::sleep(Duration::from_secs(5)).await;
                Ok(format!("report {id}: 42 pallets (slowly)"))
            }
            _ => Ok(format!("report {id}: 42 pallets")),
        }
    }
}

/// The last good copy of each report.
#[derive(Clone, Default)]
struct Cache(Arc<Mutex<HashMap<u64, String>>>);

/// Protected by a breaker: at least five requests in 30 s, half of them failed, open it for
/// 10 s; a concurrency limit and a timeout bound what a slow warehouse can hold up.
#[route(
    GET "/reports/<id>",
    timeout = "2s",
    concurrency = 32,
    breaker(errors_percent = 50, min_requests = 5, window = "30s", open_for = "10s"),
    fallback = cached_report
)]
async fn report(
    id: u64,
    State(warehouse): State<Warehouse>,
    State(cache): State<Cache>,
) -> (StatusCode, String) {
    match warehouse.report(id).await {
        Ok(report) => {
            let mut copies = cache.0.lock().unwrap_or_else(|e| e.into_inner());
            copies.insert(id, report.clone());
            (StatusCode::OK, format!("{report}\n"))
        }
        Err(why) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{why}\n")),
    }
}

/// Answers while the breaker is open, while 32 requests are in the handler, or when the
/// handler times out: with the handler's own arguments.
fn cached_report(
    id: u64,
    State(_warehouse): State<Warehouse>,
    State(cache): State<Cache>,
) -> (StatusCode, String) {
    let copies = cache.0.lock().unwrap_or_else(|e| e.into_inner());
    match copies.get(&id) {
        Some(report) => (StatusCode::OK, format!("{report} (cached)\n")),
        None => (StatusCode::NOT_FOUND, format!("no copy of report {id}\n")),
    }
}

#[route(POST "/warehouse/<state>")]
fn switch_warehouse(state: &str, State(warehouse): State<Warehouse>) -> (StatusCode, String) {
    let value = match state {
        "up" => UP,
        "down" => DOWN,
        "slow" => SLOW,
        _ => return (StatusCode::BAD_REQUEST, "up, down or slow\n".to_owned()),
    };
    warehouse.0.store(value, Ordering::Relaxed);
    (StatusCode::OK, format!("warehouse {state}\n"))
}

#[tokio::main]
async fn main() -> Result<(), routemark::Error> {
    // The breaker logs each transition with the route and the failure rate that tripped it.
    tracing_subscriber::fmt().init();
    App::new()
        .state(Warehouse::default())
        .state(Cache::default())
        .serve("127.0.0.1:3000")
        .await
}
