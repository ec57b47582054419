//! Multi-tenant routing: which tenant a request belongs to, and what it may reach.
//!
//! - [`Tenancy`]: where the tenant of a request comes from, given to
//!   [`App::tenancy`](crate::App::tenancy);
//! - `table.rs`: the tenants of a built table, and the resolution of one request's tenant;
//! - [`Tenant`]: the extractor of the request's tenant.
//!
//! A route is declared for a tenant with `#[route(GET "/orders", tenant = "acme")]`; without
//! `tenant` it is shared. The routes of every tenant live in the one route table, each
//! tenant's under a first segment no request path can hold (see `scoped_segments`), so the
//! tree checks conflicts per tenant and a lookup starts at the tenant's own subtree, then
//! tries the shared routes: there is no map of tables, and an application without tenancy
//! routes exactly as before.

mod table;

use std::fmt;

use crate::extract::FromRequestParts;
use crate::request::RequestParts;
use crate::response::HttpError;

pub(crate) use table::{Resolved, Scope, TenantConfig, TenantContext, Tenants, scoped_segments};

/// Where the tenant of a request comes from: one source per application, given to
/// [`App::tenancy`](crate::App::tenancy).
///
/// A request that names a tenant reaches that tenant's routes and the shared ones (a tenant
/// route with the method and path of a shared one overrides it for that tenant only), never
/// another tenant's. A request that names a tenant no route declares is `404 unknown
/// tenant`; a request that names none reaches the shared routes only.
///
/// ```
/// use routemark::{App, Tenancy, route};
///
/// #[route(GET "/orders", tenant = "acme")]
/// fn acme_orders() -> &'static str { "acme's orders" }
///
/// let app = App::new().tenancy(Tenancy::header("x-tenant"));
/// assert!(app.build().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct Tenancy {
    pub(crate) mode: Mode,
}

#[derive(Clone, Debug)]
pub(crate) enum Mode {
    /// The header's name as given; checked when the application is built.
    Header(String),
    /// `(host, tenant)`, the host lowercased without port or trailing dot.
    Host(Vec<(String, String)>),
    PathPrefix,
}

impl Tenancy {
    /// The tenant is the value of the header `name` (`x-tenant: acme`), compared exactly.
    /// Two such headers, a comma-joined value or an empty one are `400`; a request without
    /// the header names no tenant. A name that is not a valid header name is reported by
    /// [`App::build`](crate::App::build).
    pub fn header(name: impl AsRef<str>) -> Tenancy {
        Tenancy {
            mode: Mode::Header(name.as_ref().to_owned()),
        }
    }

    /// The tenant is the one mapped to the request's host: `Tenancy::host([("acme.example.com",
    /// "acme")])`. Hosts are compared case-insensitively, without port or trailing dot; a
    /// host that is not in the map names no tenant. Tenant headers are ignored. The host is
    /// the request target's authority when it has one (absolute form, HTTP/2), which must
    /// then agree with `Host` (`400` otherwise), else the `Host` header.
    ///
    /// Every tenant named here must be declared by a route (`tenant = "acme"`), or
    /// [`App::build`](crate::App::build) fails: a typo must not create an empty tenant.
    pub fn host<I, H, T>(hosts: I) -> Tenancy
    where
        I: IntoIterator<Item = (H, T)>,
        H: AsRef<str>,
        T: AsRef<str>,
    {
        let hosts = hosts
            .into_iter()
            .map(|(host, tenant)| {
                (
                    table::normalize_host(host.as_ref()).to_ascii_lowercase(),
                    tenant.as_ref().to_owned(),
                )
            })
            .collect();
        Tenancy {
            mode: Mode::Host(hosts),
        }
    }

    /// The tenant is the first segment of the path (`/acme/orders`), stripped before
    /// matching: `GET /acme/orders` is looked up as `/orders` among `acme`'s routes and the
    /// shared ones. A path whose first segment is no declared tenant names no tenant and is
    /// matched whole against the shared routes. Segments are compared byte for byte:
    /// `/ACME/orders` and `/%61cme/orders` name no tenant.
    pub fn path_prefix() -> Tenancy {
        Tenancy {
            mode: Mode::PathPrefix,
        }
    }
}

/// The tenant of the request, for a handler that wants its name.
///
/// A request that names no tenant is rejected with `400`; a shared route that serves both
/// reads [`MatchedRoute::tenant`](crate::MatchedRoute::tenant) instead.
///
/// ```
/// use routemark::{Tenant, route};
///
/// #[route(GET "/whoami")]
/// fn whoami(tenant: Tenant) -> String {
///     format!("tenant {}", tenant.name())
/// }
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tenant(&'static str);

impl Tenant {
    /// The tenant's name, as declared in `tenant = "…"`.
    pub fn name(&self) -> &'static str {
        self.0
    }

    /// The same as [`Tenant::name`].
    pub fn as_str(&self) -> &'static str {
        self.0
    }
}

impl std::ops::Deref for Tenant {
    type Target = str;

    fn deref(&self) -> &str {
        self.0
    }
}

impl AsRef<str> for Tenant {
    fn as_ref(&self) -> &str {
        self.0
    }
}

impl fmt::Debug for Tenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Tenant").field(&self.0).finish()
    }
}

impl fmt::Display for Tenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl PartialEq<str> for Tenant {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Tenant {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl FromRequestParts for Tenant {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, Self::Rejection> {
        match parts.head.extensions.get::<TenantContext>() {
            Some(context) => Ok(Tenant(context.name)),
            None => Err(HttpError::bad_request(
                "this route needs a tenant, and the request names none",
            )),
        }
    }
}
