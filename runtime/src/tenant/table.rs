//! The tenants of a built table, and the resolution of one request's tenant.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use http::request::Parts;
use http::{HeaderName, StatusCode};
use routemark_path::{PathTemplate, Segment};

use super::Mode;
use super::Tenancy;
use crate::error::Problem;
use crate::request::StateMap;
use crate::response::{HttpError, IntoResponse, Response};
use crate::route::Route;
use crate::router::{RouteTable, Subtree};

/// What the application says about tenants, kept by the router's recipe.
#[derive(Default)]
pub(crate) struct TenantConfig {
    pub(crate) tenancy: Option<Tenancy>,
    /// `App::tenant_state`, one map per tenant named.
    pub(crate) states: Vec<(String, Arc<StateMap>)>,
}

/// The first segment under which a tenant's routes sit in the table: a NUL byte and the
/// name. `http::Uri` refuses control bytes in a path, so no request path has this segment
/// and only a lookup started at the tenant's subtree reaches these routes.
fn tenant_segment(tenant: &str) -> String {
    format!("\0{tenant}")
}

/// The segments of a tenant route in the table: its template under the tenant's segment.
pub(crate) fn scoped_segments(tenant: &str, template: PathTemplate) -> Vec<Segment> {
    let mut segments = vec![Segment::Static(tenant_segment(tenant))];
    segments.extend(template.into_segments());
    segments
}

/// The tenants of a built table: the declared names, sorted, each with its subtree and
/// state, and how a request names one.
pub(crate) struct Tenants {
    resolver: Resolver,
    /// Sorted; the index is the tenant's id.
    names: Vec<&'static str>,
    /// The id of each name, past [`BINARY_SEARCH_MAX`] names: one hash and one comparison
    /// per request, where a binary search of 100 names takes seven string comparisons (3x
    /// the time, `cost` below); a few names are searched faster than hashed.
    ids: HashMap<&'static str, usize, BuildHasherDefault<NameHasher>>,
    scopes: Vec<Scope>,
}

enum Resolver {
    Header(HeaderName),
    /// `(host, tenant id)`, sorted by host.
    Host(Vec<(Box<str>, usize)>),
    PathPrefix,
}

/// A declared tenant, as a lookup needs it.
#[derive(Clone)]
pub(crate) struct Scope {
    pub(crate) name: &'static str,
    /// The tenant's routes in the table; `None` for a tenant declared only by routes that
    /// failed to parse (already reported).
    pub(crate) subtree: Option<Subtree>,
    /// The tenant's `App::tenant_state` over the shared state.
    pub(crate) state: Arc<StateMap>,
}

/// The tenant of a request, in its extensions, for [`Tenant`](super::Tenant) and
/// [`MatchedRoute`](crate::MatchedRoute).
#[derive(Clone)]
pub(crate) struct TenantContext {
    pub(crate) name: &'static str,
    /// Whether the path's first segment named it and was stripped (path-prefix tenancy).
    pub(crate) stripped: bool,
    pub(crate) state: Arc<StateMap>,
}

/// The tenant of one request.
pub(crate) enum Resolved<'t> {
    /// The request names no tenant: shared routes only.
    Shared,
    /// A declared tenant; `strip` bytes of the path named it (path-prefix tenancy).
    Tenant { scope: &'t Scope, strip: usize },
    /// `400` or `404`, answered before any lookup.
    Refused(Response),
}

impl Tenants {
    /// The tenants of `routes`, checked against the application's configuration. `None`
    /// when the application chose no tenancy: every request is then routed as shared.
    ///
    /// Rules: every tenant named by `App::tenant_state` or `Tenancy::host` is declared by a
    /// route (a typo must not create an empty tenant); the tenancy header is a valid header
    /// name.
    pub(crate) fn build(
        config: &TenantConfig,
        routes: &[&'static Route],
        table: &RouteTable<crate::service::entry::Entry>,
        shared: &Arc<StateMap>,
        problems: &mut Vec<Problem>,
    ) -> Option<Tenants> {
        let mut names: Vec<&'static str> = routes.iter().filter_map(|r| r.tenant()).collect();
        names.sort_unstable();
        names.dedup();
        for (tenant, _) in &config.states {
            if names.binary_search(&tenant.as_str()).is_err() {
                problems.push(undeclared(tenant, "App::tenant_state", &names));
            }
        }
        let tenancy = config.tenancy.as_ref()?;
        let resolver = match &tenancy.mode {
            Mode::Header(name) => match HeaderName::try_from(name.as_str()) {
                Ok(name) => Resolver::Header(name),
                Err(_) => {
                    problems.push(Problem::Tenancy {
                        message: format!(
                            "`Tenancy::header(\"{}\")` is not a valid header name; use letters, digits and `-`, as in `x-tenant`",
                            name.escape_debug()
                        ),
                    });
                    return None;
                }
            },
            Mode::Host(hosts) => {
                let mut by_host = Vec::with_capacity(hosts.len());
                for (host, tenant) in hosts {
                    match names.binary_search(&tenant.as_str()) {
                        Ok(id) => by_host.push((host.as_str().into(), id)),
                        Err(_) => problems.push(undeclared(tenant, "Tenancy::host", &names)),
                    }
                }
                by_host.sort_unstable();
                for pair in by_host.windows(2) {
                    if pair[0].0 == pair[1].0 && pair[0].1 != pair[1].1 {
                        problems.push(Problem::Tenancy {
                            message: format!(
                                "`Tenancy::host` maps `{}` to two tenants, `{}` and `{}`; keep one",
                                pair[0].0, names[pair[0].1], names[pair[1].1]
                            ),
                        });
                    }
                }
                by_host.dedup();
                Resolver::Host(by_host)
            }
            Mode::PathPrefix => Resolver::PathPrefix,
        };
        let scopes = names
            .iter()
            .map(|&name| {
                let own = config.states.iter().filter(|(t, _)| t == name);
                let maps = own.map(|(_, map)| map.clone()).chain([shared.clone()]);
                Scope {
                    name,
                    subtree: table.subtree(&tenant_segment(name)),
                    state: Arc::new(StateMap::layered(maps.collect())),
                }
            })
            .collect();
        let ids = if names.len() > BINARY_SEARCH_MAX {
            names
                .iter()
                .enumerate()
                .map(|(id, &name)| (name, id))
                .collect()
        } else {
            HashMap::default()
        };
        Some(Tenants {
            resolver,
            names,
            ids,
            scopes,
        })
    }

    /// The tenant `head` names, by the application's tenancy.
    pub(crate) fn resolve(&self, head: &Parts) -> Resolved<'_> {
        match &self.resolver {
            Resolver::Header(name) => {
                let mut values = head.headers.get_all(name).iter();
                let Some(value) = values.next() else {
                    return Resolved::Shared;
                };
                if values.next().is_some() {
                    return refused_header(name, "is sent twice; send one");
                }
                let Ok(text) = value.to_str() else {
                    return refused_header(name, "is not a tenant name");
                };
                if text.is_empty() {
                    return refused_header(name, "is empty; name one tenant");
                }
                if text.contains(',') {
                    return refused_header(name, "names several tenants; name one");
                }
                self.named(text)
            }
            Resolver::Host(hosts) => {
                let host = match request_host(head) {
                    Ok(Some(host)) => normalize_host(host),
                    Ok(None) => return Resolved::Shared,
                    Err(why) => {
                        return Resolved::Refused(HttpError::bad_request(why).into_response());
                    }
                };
                match hosts.binary_search_by(|(known, _)| compare_lowercase(known, host)) {
                    Ok(at) => Resolved::Tenant {
                        scope: &self.scopes[hosts[at].1],
                        strip: 0,
                    },
                    Err(_) => Resolved::Shared,
                }
            }
            Resolver::PathPrefix => {
                let path = head.uri.path();
                let Some(rest) = path.strip_prefix('/') else {
                    return Resolved::Shared;
                };
                let first = rest.split('/').next().unwrap_or_default();
                match self.id(first) {
                    Some(id) => Resolved::Tenant {
                        scope: &self.scopes[id],
                        strip: 1 + first.len(),
                    },
                    None => Resolved::Shared,
                }
            }
        }
    }

    /// The id of the declared tenant `name`.
    #[inline]
    fn id(&self, name: &str) -> Option<usize> {
        if self.names.len() > BINARY_SEARCH_MAX {
            self.ids.get(name).copied()
        } else {
            self.names.binary_search(&name).ok()
        }
    }

    fn named(&self, name: &str) -> Resolved<'_> {
        match self.id(name) {
            Some(id) => Resolved::Tenant {
                scope: &self.scopes[id],
                strip: 0,
            },
            None => Resolved::Refused(unknown_tenant(name)),
        }
    }

    /// The declared tenant a shared route's path starts with, under path-prefix tenancy.
    pub(crate) fn prefix_shadowing(&self, path: &str) -> Option<&'static str> {
        if !matches!(self.resolver, Resolver::PathPrefix) {
            return None;
        }
        let first = path.strip_prefix('/')?.split(['/', '?']).next()?;
        let id = self.names.binary_search(&first).ok()?;
        Some(self.names[id])
    }

    /// The state of `tenant`'s requests.
    pub(crate) fn state(&self, tenant: &str) -> Option<&StateMap> {
        let id = self.names.binary_search(&tenant).ok()?;
        Some(&self.scopes[id].state)
    }

    /// Whether a request can name `tenant` with this tenancy (a host tenancy names only the
    /// tenants of its map).
    pub(crate) fn reachable(&self, tenant: &str) -> bool {
        match &self.resolver {
            Resolver::Host(hosts) => hosts.iter().any(|(_, id)| self.names[*id] == tenant),
            Resolver::Header(_) | Resolver::PathPrefix => true,
        }
    }
}

/// Up to this many tenants, a request's tenant is found by binary search.
const BINARY_SEARCH_MAX: usize = 8;

/// A multiply-rotate hash of a tenant name, eight bytes at a time. The map holds only the
/// declared names, so a request's name cannot make its chains grow: a fast hash without a
/// secret key is enough.
#[derive(Default)]
struct NameHasher(u64);

impl Hasher for NameHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0xf135_7aea_2e62_a9c5;
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0 ^ u64::from_le_bytes(word))
                .wrapping_mul(K)
                .rotate_left(26);
        }
    }

    fn finish(&self) -> u64 {
        self.0.wrapping_mul(0xf135_7aea_2e62_a9c5)
    }
}

fn undeclared(tenant: &str, by: &str, names: &[&str]) -> Problem {
    let hint = match routemark_path::closest_match(tenant, names.iter().copied()) {
        Some(close) => format!("did you mean `{close}`?"),
        None => "declare it on a route with `#[route(.., tenant = \"…\")]`".to_owned(),
    };
    Problem::Tenancy {
        message: format!(
            "`{by}` names tenant `{}`, which no route declares; {hint}",
            tenant.escape_debug()
        ),
    }
}

#[cold]
fn refused_header(name: &HeaderName, why: &str) -> Resolved<'static> {
    Resolved::Refused(HttpError::bad_request(format!("the `{name}` header {why}")).into_response())
}

/// `404`, naming the tenant (its first 100 characters).
#[cold]
fn unknown_tenant(name: &str) -> Response {
    let shown: String = name.chars().take(100).collect();
    HttpError::new(StatusCode::NOT_FOUND, format!("unknown tenant `{shown}`")).into_response()
}

/// The host of the request: the target's authority when it has one, which must agree with
/// a `Host` header, else `Host`. A client that could send one host in the target and
/// another in `Host` could otherwise be routed by one and seen by a proxy as the other.
fn request_host(head: &Parts) -> Result<Option<&str>, &'static str> {
    let header = head
        .headers
        .get(http::header::HOST)
        .and_then(|value| value.to_str().ok());
    let Some(authority) = head.uri.authority() else {
        return Ok(header);
    };
    let target = authority.as_str();
    match header {
        Some(header) if !normalize_host(target).eq_ignore_ascii_case(normalize_host(header)) => {
            Err("the request target and the `Host` header name different hosts")
        }
        _ => Ok(Some(target)),
    }
}

/// `host` without user information, port or trailing dot (`Acme.Example.com.:8080` →
/// `Acme.Example.com`); case is left to the comparison.
pub(crate) fn normalize_host(host: &str) -> &str {
    let host = host.rsplit('@').next().unwrap_or(host);
    let host = if host.starts_with('[') {
        // An IPv6 literal: the port follows the bracket.
        host.find(']').map_or(host, |end| &host[..=end])
    } else {
        host.split(':').next().unwrap_or(host)
    };
    host.strip_suffix('.').unwrap_or(host)
}

/// `known` (lowercase) against `host` lowercased, without allocating.
fn compare_lowercase(known: &str, host: &str) -> Ordering {
    known
        .bytes()
        .cmp(host.bytes().map(|b| b.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_normalized_without_port_dot_or_user() {
        for (given, expected) in [
            ("acme.example.com", "acme.example.com"),
            ("Acme.Example.COM:8080", "Acme.Example.COM"),
            ("acme.example.com.", "acme.example.com"),
            ("acme.example.com.:443", "acme.example.com"),
            ("user@acme.example.com:1", "acme.example.com"),
            ("[::1]:8080", "[::1]"),
            ("", ""),
        ] {
            assert_eq!(normalize_host(given), expected, "{given}");
        }
    }

    /// Tenants resolved by path prefix, without routes (no subtree).
    fn tenants(names: &[&'static str]) -> Tenants {
        let mut names = names.to_vec();
        names.sort_unstable();
        let ids = names
            .iter()
            .enumerate()
            .map(|(id, &name)| (name, id))
            .collect();
        let scopes = names
            .iter()
            .map(|&name| Scope {
                name,
                subtree: None,
                state: Arc::default(),
            })
            .collect();
        Tenants {
            resolver: Resolver::PathPrefix,
            names,
            ids,
            scopes,
        }
    }

    #[test]
    fn a_tenant_is_found_by_search_or_hash_whatever_their_number() {
        const NAMES: [&str; 20] = [
            "a", "b", "c", "acme", "acme-1", "acme_1", "globex", "initech", "umbrella", "hooli",
            "x", "yy", "zzz", "tenant00", "tenant01", "tenant10", "Acme", "ACME", "w3", "w4",
        ];
        for count in [1, 2, 8, 9, 20] {
            let tenants = tenants(&NAMES[..count]);
            for name in &NAMES[..count] {
                let id = tenants.id(name).expect(name);
                assert_eq!(tenants.names[id], *name, "{count} tenants");
            }
            for other in NAMES[count..]
                .iter()
                .chain(&["", "acm", "acme ", "tenant0"])
            {
                if !NAMES[..count].contains(other) {
                    assert_eq!(tenants.id(other), None, "{count} tenants: {other:?}");
                }
            }
        }
    }

    #[test]
    fn host_comparison_ignores_case_of_the_request_only() {
        assert_eq!(compare_lowercase("acme.io", "ACME.io"), Ordering::Equal);
        assert_eq!(compare_lowercase("acme.io", "acme.iox"), Ordering::Less);
        assert_ne!(compare_lowercase("acme.io", "acme.i"), Ordering::Equal);
    }
}

/// What a tenant costs a lookup: `cargo test -p routemark --release lookup_cost -- --ignored
/// --nocapture`. The same 20 routes shared and in each of N tenants; a tenant's request hits
/// its own route, or misses it and falls through to the shared one.
#[cfg(test)]
mod cost {
    use std::collections::HashMap;
    use std::hash::BuildHasherDefault;
    use std::hint::black_box;
    use std::time::Instant;

    use routemark_path::{Method, MethodSet, PathTemplate};

    use super::{scoped_segments, tenant_segment};
    use crate::router::RouteTableBuilder;

    const PATHS: [&str; 20] = [
        "/users",
        "/users/<id>",
        "/users/<id>/posts",
        "/posts/<id>",
        "/orders",
        "/orders/<id>",
        "/orders/<id>/lines/<line>",
        "/items",
        "/items/<id>",
        "/search",
        "/a/b/c",
        "/a/<x>/c",
        "/files/<path..>",
        "/health",
        "/v1/things",
        "/v1/things/<id>",
        "/v2/things/<id>",
        "/admin",
        "/admin/users/<id>",
        "/static/<rest..>",
    ];

    fn time(label: &str, mut f: impl FnMut() -> bool) {
        const N: u32 = 2_000_000;
        let start = Instant::now();
        let mut found = 0u32;
        for _ in 0..N {
            found += u32::from(black_box(f()));
        }
        let per = start.elapsed().as_nanos() as f64 / f64::from(N);
        println!("{label}: {per:.1} ns per lookup ({found} found)");
    }

    #[test]
    #[ignore = "a measurement, not a test"]
    fn lookup_cost() {
        let get = MethodSet::single(Method::Get);
        for tenants in [0usize, 1, 100] {
            let mut builder = RouteTableBuilder::new();
            for path in PATHS {
                builder.insert(get, &PathTemplate::parse(path).unwrap(), ());
            }
            let names: Vec<String> = (0..tenants).map(|i| format!("tenant{i:03}")).collect();
            for name in &names {
                // Half of the routes overridden by each tenant.
                for path in PATHS.iter().step_by(2) {
                    let template = PathTemplate::parse(path).unwrap();
                    builder.insert_segments(get, scoped_segments(name, template), ());
                }
            }
            let table = builder.build().unwrap();
            let scope = names
                .last()
                .and_then(|name| table.subtree(&tenant_segment(name)));
            time(
                &format!("{tenants} tenants, shared lookup, /orders/7/lines/3"),
                || {
                    matches!(
                        table.lookup(Method::Get, black_box("/orders/7/lines/3")),
                        crate::router::Lookup::Found { .. }
                    )
                },
            );
            time(&format!("{tenants} tenants, shared lookup, /users"), || {
                matches!(
                    table.lookup(Method::Get, black_box("/users")),
                    crate::router::Lookup::Found { .. }
                )
            });
            if scope.is_some() {
                time(
                    &format!("{tenants} tenants, tenant hit, /orders/7/lines/3"),
                    || {
                        matches!(
                            table.lookup_scoped(scope, Method::Get, black_box("/orders/7/lines/3")),
                            crate::router::Lookup::Found { .. }
                        )
                    },
                );
                time(&format!("{tenants} tenants, tenant hit, /users"), || {
                    matches!(
                        table.lookup_scoped(scope, Method::Get, black_box("/users")),
                        crate::router::Lookup::Found { .. }
                    )
                });
                time(
                    &format!("{tenants} tenants, tenant miss then shared, /users/7"),
                    || {
                        matches!(
                            table.lookup_scoped(scope, Method::Get, black_box("/users/7")),
                            crate::router::Lookup::Found { .. }
                        )
                    },
                );
                let sorted: Vec<&str> = names.iter().map(String::as_str).collect();
                let ids: HashMap<&str, usize, BuildHasherDefault<super::NameHasher>> =
                    sorted.iter().enumerate().map(|(i, &n)| (n, i)).collect();
                time(
                    &format!("{tenants} tenants, resolve the name (hash)"),
                    || ids.contains_key(black_box("tenant050")) || tenants < 50,
                );
                time(
                    &format!("{tenants} tenants, resolve the name (binary search)"),
                    || sorted.binary_search(&black_box("tenant050")).is_ok() || tenants < 50,
                );
            }
        }
    }
}
