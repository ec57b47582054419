//! What extractors see of a request: [`RequestParts`].

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use http::request::Parts;
use http::{Extensions, HeaderMap, Method, Uri, Version};

use crate::route::Route;
use crate::router::ParamRanges;

/// The whole request but its body, with what routing found out about it: the matched
/// route, the raw path parameters, the application state and the body limit.
///
/// Extractors ([`FromRequestParts`](crate::FromRequestParts),
/// [`FromRequest`](crate::FromRequest)) receive it.
pub struct RequestParts {
    pub(crate) head: Parts,
    pub(crate) params: ParamRanges,
    /// `None` for a handler that runs no extractor (`RouteEntry::reads_state`).
    pub(crate) state: Option<Arc<StateMap>>,
    pub(crate) route: Option<&'static Route>,
    pub(crate) body_limit: usize,
}

impl RequestParts {
    pub(crate) fn new(head: Parts, state: Arc<StateMap>, body_limit: usize) -> RequestParts {
        RequestParts {
            head,
            params: ParamRanges::default(),
            state: Some(state),
            route: None,
            body_limit,
        }
    }

    /// A copy of the request head with what routing found, for a fallback that answers
    /// after the handler took the original.
    pub(crate) fn snapshot(&self) -> RequestParts {
        RequestParts {
            head: self.head.clone(),
            params: self.params.clone(),
            state: self.state.clone(),
            route: self.route,
            body_limit: self.body_limit,
        }
    }

    /// A request without route that no handler shim runs: it answers with the state its
    /// extractors declare (see `Route::state`). Handlers always get a route.
    pub(crate) fn probe() -> RequestParts {
        let (head, ()) = http::Request::new(()).into_parts();
        RequestParts {
            head,
            params: ParamRanges::default(),
            state: None,
            route: None,
            body_limit: 0,
        }
    }

    /// The request method.
    pub fn method(&self) -> &Method {
        &self.head.method
    }

    /// The request target.
    pub fn uri(&self) -> &Uri {
        &self.head.uri
    }

    /// The HTTP version.
    pub fn version(&self) -> Version {
        self.head.version
    }

    /// The request headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.head.headers
    }

    /// The request extensions, where tower layers leave values for handlers.
    pub fn extensions(&self) -> &Extensions {
        &self.head.extensions
    }

    /// The request extensions, mutably.
    pub fn extensions_mut(&mut self) -> &mut Extensions {
        &mut self.head.extensions
    }

    /// The `http` request head.
    pub fn head(&self) -> &Parts {
        &self.head
    }

    /// The route that matched, when the request reached a handler.
    pub fn route(&self) -> Option<&'static Route> {
        self.route
    }

    /// The raw (still percent-encoded) text of the `index`-th path parameter, in path order.
    pub fn raw_param(&self, index: usize) -> Option<&str> {
        self.params
            .get(index)
            .and_then(|r| self.head.uri.path().get(r))
    }

    /// The application state of type `T`, when [`App::state`](crate::App::state) provided one.
    pub fn state<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.state.as_deref()?.get::<T>()
    }

    /// The most bytes a body extractor reads before answering `413 Payload Too Large`.
    pub fn body_limit(&self) -> usize {
        self.body_limit
    }
}

impl fmt::Debug for RequestParts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestParts")
            .field("method", &self.head.method)
            .field("uri", &self.head.uri)
            .field("route", &self.route.map(Route::path))
            .finish_non_exhaustive()
    }
}

/// The values given to [`App::state`](crate::App::state), one per type. A tenant's map
/// has no values of its own and falls back to its `App::tenant_state` values, then to the
/// shared ones.
#[derive(Default)]
pub(crate) struct StateMap(
    HashMap<TypeId, Box<dyn Any + Send + Sync>>,
    Vec<Arc<StateMap>>,
);

impl StateMap {
    /// A map that looks in each of `maps` in turn.
    pub(crate) fn layered(maps: Vec<Arc<StateMap>>) -> StateMap {
        StateMap(HashMap::new(), maps)
    }

    pub(crate) fn insert<T: Send + Sync + 'static>(&mut self, value: T) {
        self.0.insert(TypeId::of::<T>(), Box::new(value));
    }

    pub(crate) fn get<T: Send + Sync + 'static>(&self) -> Option<&T> {
        match self.0.get(&TypeId::of::<T>()) {
            Some(value) => value.downcast_ref(),
            None => self.1.iter().find_map(|map| map.get::<T>()),
        }
    }

    /// Marks `type_id` as provided without a value: for [`check`](crate::check), which
    /// builds a router only to discard it.
    pub(crate) fn insert_placeholder(&mut self, type_id: TypeId) {
        self.0.insert(type_id, Box::new(()));
    }

    pub(crate) fn contains(&self, type_id: TypeId) -> bool {
        self.0.contains_key(&type_id) || self.1.iter().any(|map| map.contains(type_id))
    }
}
