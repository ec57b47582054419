//! Layers: the type-erased service a `tower::Layer` wraps ([`RouteService`]), how `App`
//! keeps layers until it builds the table, and which routes a layer applies to
//! ([`RouteFilter`]).

use std::any::Any;
use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::FutureExt;
use tower::util::BoxCloneSyncService;
use tower::{Layer, Service, ServiceExt};

use crate::dispatch::answers::{self, Failed};
use crate::response::{IntoResponse, Response};
use crate::route::Route;
use crate::service::entry::HandlerService;
use crate::service::{RouteFuture, Router};
use crate::{Body, BoxError};

/// A tower service routemark can serve, mount or wrap: it takes `http::Request<Body>`,
/// answers anything [`IntoResponse`], cannot fail (`Error` converts into [`Infallible`], as
/// axum asks too), and is `Clone + Send + Sync + 'static` with a `Send` future. Implemented
/// for every such service; it only names the bounds that [`App::layer`](crate::App::layer),
/// [`App::nest_service`](crate::App::nest_service), [`Server::serve`](crate::Server::serve)
/// and [`TestClient::new`](crate::testing::TestClient::new) share. An axum `Router`,
/// tower-http's `ServeDir` and a built [`Router`](crate::Router) are such services.
pub trait HttpService:
    Service<
        http::Request<Body>,
        Response: IntoResponse + 'static,
        Error: Into<Infallible> + 'static,
        Future: Send + 'static,
    > + Clone
    + Send
    + Sync
    + 'static
{
}

impl<S> HttpService for S where
    S: Service<
            http::Request<Body>,
            Response: IntoResponse + 'static,
            Error: Into<Infallible> + 'static,
            Future: Send + 'static,
        > + Clone
        + Send
        + Sync
        + 'static
{
}

/// The rest of the pipeline, as a layer sees it: what a `tower::Layer` given to
/// [`App::layer`](crate::App::layer) or [`App::route_layer`](crate::App::route_layer) wraps,
/// and the form in which a nested or fallback service is kept.
///
/// It takes `http::Request<B>` for any body of [`Bytes`] (so a layer may change the request
/// body type) and answers a [`Response`]; it never fails. Cheap to clone: one box, or, for a
/// routemark [`Router`] (the routing inside the `App::layer` stack, a nested router), an
/// `Arc`, and then its answers are not boxed either ([`RouteFuture`]).
#[derive(Clone)]
pub struct RouteService(pub(super) Erased);

#[derive(Clone)]
pub(super) enum Erased {
    Service(BoxCloneSyncService<http::Request<Body>, Response, Infallible>),
    /// Cloned per request behind each layer: a box would be an allocation each time, and
    /// its future another.
    Router(Router),
    /// A route's handler inside its route layers, likewise.
    Handler(HandlerService),
}

impl RouteService {
    /// Erases `service`, turning its responses into [`Response`]s.
    pub(crate) fn new<S>(service: S) -> RouteService
    where
        S: HttpService,
    {
        let mut slot = Some(service);
        if let Some(router) = (&mut slot as &mut dyn Any)
            .downcast_mut::<Option<Router>>()
            .and_then(Option::take)
        {
            return RouteService::routing(router);
        }
        let Some(service) = slot else {
            unreachable!("the slot is emptied only for a router");
        };
        let service = service
            .map_response(IntoResponse::into_response)
            .map_err(Into::<Infallible>::into);
        RouteService(Erased::Service(BoxCloneSyncService::new(service)))
    }

    /// `router` as a service, unboxed.
    pub(crate) fn routing(router: Router) -> RouteService {
        RouteService(Erased::Router(router))
    }

    /// A route's handler as a service, unboxed.
    pub(crate) fn handler(handler: HandlerService) -> RouteService {
        RouteService(Erased::Handler(handler))
    }

    /// Calls the service once (readiness included) with its panics caught: a panic in
    /// `poll_ready`, `call` or the future is answered `500` and logged like a handler's,
    /// naming `what`.
    pub(crate) async fn call_caught(
        mut self,
        request: http::Request<Body>,
        what: Failed<'_>,
    ) -> Response {
        let method = request.method().clone();
        let client_id = crate::dispatch::validate::request_id(request.headers());
        let call = async move {
            match ServiceExt::<http::Request<Body>>::ready(&mut self).await {
                Ok(ready) => ready.call(request).await,
                Err(never) => Err(never),
            }
        };
        match std::panic::AssertUnwindSafe(call).catch_unwind().await {
            Ok(Ok(response)) => response,
            Ok(Err(never)) => match never {},
            Err(panic) => answers::panicked(what, &method, client_id.as_ref(), &*panic),
        }
    }
}

impl fmt::Debug for RouteService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RouteService").finish_non_exhaustive()
    }
}

impl<B> Service<http::Request<B>> for RouteService
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = RouteFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        match &mut self.0 {
            Erased::Service(service) => service.poll_ready(cx),
            Erased::Router(_) | Erased::Handler(_) => Poll::Ready(Ok(())),
        }
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        match &mut self.0 {
            Erased::Service(service) => RouteFuture::later(service.call(request.map(into_body))),
            Erased::Router(router) => router.dispatch(request, into_body),
            Erased::Handler(handler) => handler.call(request.map(into_body)),
        }
    }
}

/// Any body as a [`Body`], without boxing one that already is.
pub(crate) fn into_body<B>(body: B) -> Body
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let mut slot = Some(body);
    match (&mut slot as &mut dyn Any).downcast_mut::<Option<Body>>() {
        Some(body) => body.take().unwrap_or_default(),
        None => slot.map(Body::new).unwrap_or_default(),
    }
}

/// A layer as `App` keeps it until the table is built: applied to each route it selects (and
/// again to a rebuilt table), so a function rather than the layer itself.
pub(crate) type LayerFn = Arc<dyn Fn(RouteService) -> RouteService + Send + Sync>;

/// The bounds of a layer `App` accepts, as axum's `Router::layer` has them.
pub(crate) fn layer_fn<L>(layer: L) -> LayerFn
where
    L: Layer<RouteService> + Send + Sync + 'static,
    L::Service: HttpService,
{
    Arc::new(move |inner| RouteService::new(layer.layer(inner)))
}

/// Which routes a layer given to [`App::route_layer_for`](crate::App::route_layer_for)
/// wraps.
///
/// ```
/// use routemark::RouteFilter;
///
/// let admin = RouteFilter::tag("admin");
/// let billing = RouteFilter::module("shop::billing"); // the module and those inside it
/// # let _ = (admin, billing);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteFilter(Filter);

#[derive(Clone, Debug, PartialEq, Eq)]
enum Filter {
    All,
    Tag(String),
    Module(String),
}

impl RouteFilter {
    /// Every route.
    pub fn all() -> RouteFilter {
        RouteFilter(Filter::All)
    }

    /// The routes declared with this tag (`#[route(GET "/stats", tags = ["admin"])]`).
    pub fn tag(tag: impl Into<String>) -> RouteFilter {
        RouteFilter(Filter::Tag(tag.into()))
    }

    /// The routes declared in module `path` (as `module_path!()` spells it, crate name
    /// first) or in a module inside it: `shop::billing` selects `shop::billing` and
    /// `shop::billing::refunds`, not `shop::billing_v2`.
    pub fn module(path: impl Into<String>) -> RouteFilter {
        RouteFilter(Filter::Module(path.into()))
    }

    /// Whether the filter selects `route`.
    pub fn matches(&self, route: &Route) -> bool {
        match &self.0 {
            Filter::All => true,
            Filter::Tag(tag) => route.tags().iter().any(|t| t == tag),
            Filter::Module(path) => route
                .module_path()
                .strip_prefix(path.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with("::")),
        }
    }
}
