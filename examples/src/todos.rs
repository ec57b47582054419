//! A small to-do API: an in-memory store behind `State`, JSON in and out, a query
//! parameter and typed errors; with what operators get without code (`/livez`, `/readyz`,
//! `/metrics`, a span per request) and one readiness check of its own.
//!
//! ```text
//! cargo run -p routemark-examples --bin todos          # listens on 127.0.0.1:3000
//! ROUTEMARK_ADDR=127.0.0.1:8080 cargo run -p routemark-examples --bin todos
//! curl 127.0.0.1:3000/readyz?verbose                   # [+]shutdown ok, [+]store ok
//! curl 127.0.0.1:3000/metrics                          # Prometheus text
//! # spans to an OpenTelemetry collector:
//! OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 OTEL_SERVICE_NAME=todos \
//!   cargo run -p routemark-examples --bin todos --features otel
//! ```

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use routemark::http::StatusCode;
use routemark::{App, HttpError, IntoResponse, Json, Response, State, route};
use serde::{Deserialize, Serialize};

/// A to-do item as the API shows it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
struct Todo {
    id: u64,
    title: String,
    done: bool,
}

/// The body of `POST /todos`.
#[derive(Debug, Deserialize)]
struct NewTodo {
    title: String,
}

/// The body of `PATCH /todos/<id>`: every field optional.
#[derive(Debug, Deserialize)]
struct TodoChange {
    title: Option<String>,
    done: Option<bool>,
}

/// The store: shared by every request, so behind an `Arc<Mutex<_>>`.
#[derive(Clone, Default)]
struct Store(Arc<Mutex<StoreInner>>);

#[derive(Default)]
struct StoreInner {
    next_id: u64,
    todos: BTreeMap<u64, Todo>,
}

impl Store {
    fn with<R>(&self, f: impl FnOnce(&mut StoreInner) -> R) -> R {
        // A panic while holding the lock leaves the map consistent (every write is one
        // insert or remove), so a poisoned lock is still safe to use.
        let mut inner = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut inner)
    }
}

/// The API's own errors, each with its status.
#[derive(Debug)]
enum ApiError {
    NotFound(u64),
    EmptyTitle,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::NotFound(id) => {
                HttpError::new(StatusCode::NOT_FOUND, format!("no to-do with id {id}"))
            }
            ApiError::EmptyTitle => HttpError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "a to-do needs a non-empty `title`",
            ),
        }
        .into_response()
    }
}

/// Lists to-dos; `?done=true` or `?done=false` filters, `?limit=N` caps the count.
#[route(GET "/todos?<done>&<limit>")]
fn list_todos(
    done: Option<bool>,
    limit: Option<usize>,
    State(store): State<Store>,
) -> Json<Vec<Todo>> {
    let todos = store.with(|s| {
        s.todos
            .values()
            .filter(|t| done.is_none_or(|d| t.done == d))
            .take(limit.unwrap_or(usize::MAX))
            .cloned()
            .collect()
    });
    Json(todos)
}

/// Creates a to-do: `201 Created` with the new item.
#[route(POST "/todos")]
async fn create_todo(
    State(store): State<Store>,
    Json(new): Json<NewTodo>,
) -> Result<(StatusCode, Json<Todo>), ApiError> {
    let title = new.title.trim();
    if title.is_empty() {
        return Err(ApiError::EmptyTitle);
    }
    let todo = store.with(|s| {
        s.next_id += 1;
        let todo = Todo {
            id: s.next_id,
            title: title.to_owned(),
            done: false,
        };
        s.todos.insert(todo.id, todo.clone());
        todo
    });
    Ok((StatusCode::CREATED, Json(todo)))
}

/// One to-do.
#[route(GET "/todos/<id>")]
async fn get_todo(id: u64, State(store): State<Store>) -> Result<Json<Todo>, ApiError> {
    store
        .with(|s| s.todos.get(&id).cloned())
        .map(Json)
        .ok_or(ApiError::NotFound(id))
}

/// Changes a to-do's title or state.
#[route(PATCH "/todos/<id>")]
async fn update_todo(
    id: u64,
    State(store): State<Store>,
    Json(change): Json<TodoChange>,
) -> Result<Json<Todo>, ApiError> {
    if change.title.as_deref().is_some_and(|t| t.trim().is_empty()) {
        return Err(ApiError::EmptyTitle);
    }
    store.with(|s| {
        let todo = s.todos.get_mut(&id).ok_or(ApiError::NotFound(id))?;
        if let Some(title) = change.title {
            todo.title = title.trim().to_owned();
        }
        if let Some(done) = change.done {
            todo.done = done;
        }
        Ok(Json(todo.clone()))
    })
}

/// Deletes a to-do: `204 No Content`.
#[route(DELETE "/todos/<id>")]
async fn delete_todo(id: u64, State(store): State<Store>) -> Result<StatusCode, ApiError> {
    store
        .with(|s| s.todos.remove(&id))
        .map(|_| StatusCode::NO_CONTENT)
        .ok_or(ApiError::NotFound(id))
}

#[tokio::main]
async fn main() -> Result<(), routemark::Error> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let subscriber = tracing_subscriber::registry()
        .with(filter)
        .with(tracing_subscriber::fmt::layer());
    // With the `otel` feature: the request spans, exported when the `OTEL_*` variables say
    // where (a layer that does nothing otherwise).
    #[cfg(feature = "otel")]
    let subscriber = subscriber.with(routemark::otel::layer());
    subscriber.init();

    let addr = std::env::var("ROUTEMARK_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let store = Store::default();
    let probe = store.clone();
    App::new()
        .state(store)
        // `/readyz` fails while this does: here, a store whose lock a panic poisoned.
        .readiness_check("store", move || {
            let healthy = !probe.0.is_poisoned();
            async move {
                if healthy {
                    Ok(())
                } else {
                    Err("the store's lock is poisoned")
                }
            }
        })
        .serve(addr)
        .await
}
