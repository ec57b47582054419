//! Extractors that read the request head: [`State`] and [`Query`].

use serde::de::DeserializeOwned;

use super::FromRequestParts;
use crate::request::RequestParts;
use crate::response::HttpError;

/// Application state, provided once with [`App::state`](crate::App::state) and cloned into
/// every handler that asks for it. Put shared, mutable things behind an `Arc`.
///
/// `App` refuses to start when a route asks for a `State<T>` that was never provided, so the
/// 500 this extractor can answer is unreachable in a served application.
///
/// ```standalone_crate
/// use std::sync::{Arc, Mutex};
/// use routemark::{route, State};
///
/// #[derive(Clone, Default)]
/// struct Counter(Arc<Mutex<u64>>);
///
/// #[route(POST "/hits")]
/// fn hit(State(counter): State<Counter>) -> String {
///     let mut n = counter.0.lock().unwrap();
///     *n += 1;
///     n.to_string()
/// }
///
/// let app = routemark::App::new().state(Counter::default());
/// assert!(app.build().is_ok()); // without `.state(..)`, the build names `State<Counter>`
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct State<T>(pub T);

impl<T: Clone + Send + Sync + 'static> FromRequestParts for State<T> {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, HttpError> {
        parts.state::<T>().cloned().map(State).ok_or_else(|| {
            HttpError::new(
                http::StatusCode::INTERNAL_SERVER_ERROR,
                format!(
                    "state `{}` was never provided; call `App::state` with it",
                    std::any::type_name::<T>()
                ),
            )
        })
    }
}

/// The whole query string, deserialised with serde (`application/x-www-form-urlencoded`
/// rules: `+` is a space). A query that does not fit `T` is `400 Bad Request`.
///
/// For one or two values, prefer query parameters in the route: `#[route(GET "/s?<q>")]`.
///
/// ```
/// use routemark::{route, Query};
///
/// #[derive(serde::Deserialize)]
/// struct Page { offset: u32, limit: Option<u32> }
///
/// #[route(GET "/items")]
/// fn items(Query(page): Query<Page>) -> String {
///     format!("{}+{}", page.offset, page.limit.unwrap_or(20))
/// }
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts for Query<T> {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, HttpError> {
        let query = parts.uri().query().unwrap_or_default();
        serde_urlencoded::from_str(query)
            .map(Query)
            .map_err(|e| HttpError::bad_request(format!("invalid query string: {e}")))
    }
}
