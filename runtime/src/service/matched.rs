//! What routing found, for layers, handlers and logs: [`MatchedRoute`], and the
//! [`OriginalUri`] of a request handed to a nested service.

use std::fmt;

use routemark_path::MethodSet;

use crate::extract::FromRequestParts;
use crate::request::RequestParts;
use crate::response::HttpError;
use crate::route::Route;
use crate::tenant::TenantContext;

/// The route a request matched: its template, methods, handler, module and `file:line`.
///
/// A handler takes it as an argument (`route: MatchedRoute`). Layers find it in the request
/// extensions (route layers, which run after the lookup) and in the response extensions
/// (every layer, on the way out), whenever the application has layers; an application
/// without any layer skips both inserts, which would cost an allocation per request.
///
/// ```
/// use routemark::{route, MatchedRoute};
///
/// #[route(GET "/users/<id>")]
/// fn user(id: u64, matched: MatchedRoute) -> String {
///     format!("{id} via {}", matched.template()) // "7 via /users/<id>"
/// }
/// ```
#[derive(Clone, Copy)]
pub struct MatchedRoute {
    route: &'static Route,
    /// The request's tenant, and whether its path named it (and lost it before matching).
    tenant: Option<(&'static str, bool)>,
}

impl MatchedRoute {
    /// The route a request of `tenant` matched.
    pub(crate) fn new(route: &'static Route, tenant: Option<&TenantContext>) -> MatchedRoute {
        MatchedRoute {
            route,
            tenant: tenant.map(|tenant| (tenant.name, tenant.stripped)),
        }
    }

    /// The tenant of the request (`Tenancy`): the route's own tenant, or, for a shared
    /// route, the tenant that reached it; `None` for a request that names no tenant.
    pub fn tenant(&self) -> Option<&'static str> {
        self.tenant.map(|(name, _)| name)
    }

    /// The path prefix stripped before matching (`/acme` under
    /// [`Tenancy::path_prefix`](crate::Tenancy::path_prefix)); `None` when nothing was
    /// stripped.
    pub fn stripped_prefix(&self) -> Option<String> {
        match self.tenant {
            Some((name, true)) => Some(format!("/{name}")),
            _ => None,
        }
    }

    /// The route's descriptor.
    pub fn route(&self) -> &'static Route {
        self.route
    }

    /// The path template without its query part (`/users/<id>`): the route's name in metrics
    /// and traces, never the raw path.
    pub fn template(&self) -> &'static str {
        self.route.path_without_query()
    }

    /// The methods the route declares.
    pub fn methods(&self) -> MethodSet {
        self.route.methods()
    }

    /// The handler function's name.
    pub fn handler(&self) -> &'static str {
        self.route.name()
    }

    /// The module the handler is declared in.
    pub fn module(&self) -> &'static str {
        self.route.module_path()
    }

    /// `file:line` of the `#[route]` attribute.
    pub fn location(&self) -> String {
        self.route.location()
    }
}

impl fmt::Debug for MatchedRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MatchedRoute")
            .field("methods", &self.methods())
            .field("template", &self.template())
            .field("handler", &self.handler())
            .field("location", &self.location())
            .field("tenant", &self.tenant())
            .finish()
    }
}

impl FromRequestParts for MatchedRoute {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, Self::Rejection> {
        // A handler's request always has its route; a hand-made `RequestParts` may not.
        let tenant = parts.head.extensions.get::<TenantContext>();
        let route = parts.route();
        route
            .map(|route| MatchedRoute::new(route, tenant))
            .ok_or_else(|| {
                HttpError::new(
                    http::StatusCode::INTERNAL_SERVER_ERROR,
                    "no route matched this request",
                )
            })
    }
}

/// The request target as the client sent it, in the extensions of a request handed to a
/// service mounted with [`App::nest_service`](crate::App::nest_service), whose own URI has
/// the prefix stripped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OriginalUri(pub http::Uri);
