//! The overlay document and its validation against the compiled routes: one function,
//! [`plan`], turns base routes + overlay into what the table builder needs, or into the list
//! of every problem found.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use routemark_path::{Method, PathTemplate};
use serde::Deserialize;

use crate::route::Route;

/// The overlay as written (JSON): identities to entries.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OverlayDoc {
    #[serde(default)]
    pub(crate) routes: BTreeMap<String, EntryDoc>,
}

/// One route's entry.
#[derive(Debug, Default, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct EntryDoc {
    pub(crate) enabled: Option<bool>,
    pub(crate) alias_of: Option<String>,
    /// Target identity → percent of this route's requests.
    pub(crate) split: Option<BTreeMap<String, i64>>,
    /// A header whose value pins a client to one side of the split.
    pub(crate) sticky: Option<String>,
    pub(crate) timeout_ms: Option<i64>,
    pub(crate) concurrency: Option<i64>,
    /// `"force_open"`, `"force_closed"`, or the thresholds object; read by [`resilience`]
    /// for messages that name the key.
    pub(crate) breaker: Option<serde_json::Value>,
}

/// The operator's switch, or thresholds that override the route's attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerOverride {
    /// Answer as an open breaker does, without calling the handler.
    ForceOpen,
    /// Always call the handler, whatever the failure rate.
    ForceClosed,
    /// Thresholds; `None` keeps the route's own (or the default).
    Thresholds {
        /// Failure percentage that trips the breaker, 1–100.
        errors_percent: Option<u8>,
        /// Requests in the window before it may trip.
        min_requests: Option<u32>,
        /// The rolling window, in milliseconds.
        window_ms: Option<u64>,
        /// How long it stays open, in milliseconds.
        open_ms: Option<u64>,
    },
}

/// The resilience keys of one route's overlay entry, validated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResilienceOverride {
    /// `timeout_ms`.
    pub timeout_ms: Option<u64>,
    /// `concurrency`.
    pub concurrency: Option<u32>,
    /// `breaker`.
    pub breaker: Option<BreakerOverride>,
}

impl ResilienceOverride {
    pub(crate) fn is_empty(&self) -> bool {
        *self == ResilienceOverride::default()
    }
}

/// A route identity, `METHOD /template` (or `tenant:METHOD /template`), split in parts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Identity {
    pub(crate) tenant: Option<String>,
    pub(crate) method: Method,
    pub(crate) template: String,
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(tenant) = &self.tenant {
            write!(f, "{tenant}:")?;
        }
        write!(f, "{} {}", self.method.as_str(), self.template)
    }
}

impl Identity {
    fn parse(text: &str) -> Result<Identity, String> {
        let (tenant, rest) = match text.split_once(':') {
            Some((tenant, rest)) if !tenant.contains(' ') && !tenant.contains('/') => {
                (Some(tenant.to_owned()), rest)
            }
            _ => (None, text),
        };
        let Some((method, template)) = rest.split_once(' ') else {
            return Err(format!(
                "`{text}` is not a route identity: write `METHOD /template`, as `GET /users/<id>`"
            ));
        };
        let method = Method::parse(method).map_err(|e| match e.suggestion {
            Some(m) => format!(
                "`{text}`: unknown HTTP method `{method}`; did you mean `{}`?",
                m.as_str()
            ),
            None => format!("`{text}`: unknown HTTP method `{method}`"),
        })?;
        if !template.starts_with('/') || template.contains('?') || template.contains(' ') {
            return Err(format!(
                "`{text}` is not a route identity: the template starts with `/` and has no query or space"
            ));
        }
        Ok(Identity {
            tenant,
            method,
            template: template.to_owned(),
        })
    }

    /// The identities of `route`, one per method.
    pub(crate) fn of(route: &'static Route) -> impl Iterator<Item = Identity> {
        route.methods().iter().map(move |method| Identity {
            tenant: None,
            method,
            template: route.path_without_query().to_owned(),
        })
    }
}

/// One problem of an overlay; a change with any is rejected whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OverlayProblem {
    /// The document is not valid JSON of the overlay's shape.
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// serde's message.
        message: String,
    },
    /// Anything else, as a sentence naming the identity.
    Invalid(String),
}

impl fmt::Display for OverlayProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OverlayProblem::Json {
                line,
                column,
                message,
            } => write!(
                f,
                "malformed overlay at line {line}, column {column}: {message}"
            ),
            OverlayProblem::Invalid(message) => f.write_str(message),
        }
    }
}

/// A route added under another path: `template` serves `target`'s handler.
#[derive(Debug, Clone)]
pub(crate) struct Alias {
    pub(crate) identity: Identity,
    pub(crate) target: &'static Route,
}

/// Where a share of a route's requests goes instead.
#[derive(Debug, Clone)]
pub(crate) struct SplitPlan {
    /// Targets with their percent; the rest stays on the route.
    pub(crate) targets: Vec<(&'static Route, u32)>,
    pub(crate) sticky: Option<http::HeaderName>,
}

/// What an overlay does to the table, validated: the input of the table builder.
#[derive(Debug, Clone, Default)]
pub(crate) struct Plan {
    /// (route, method) taken out.
    pub(crate) disabled: HashSet<(usize, Method)>,
    pub(crate) aliases: Vec<Alias>,
    /// By (route, method).
    pub(crate) splits: HashMap<(usize, Method), SplitPlan>,
    /// By (route, method).
    pub(crate) resilience: HashMap<(usize, Method), ResilienceOverride>,
}

/// The index of `method` in [`Method::ALL`].
fn method_slot(method: Method) -> usize {
    Method::ALL.iter().position(|&m| m == method).unwrap_or(0)
}

/// A route's key in a [`Plan`].
pub(crate) fn key(route: &'static Route, method: Method) -> (usize, Method) {
    (std::ptr::from_ref(route) as usize, method)
}

/// Parses an overlay document.
pub(crate) fn parse(json: &str) -> Result<OverlayDoc, Vec<OverlayProblem>> {
    serde_json::from_str(json).map_err(|e| {
        // serde's text ends with the position, given apart here.
        let text = e.to_string();
        let position = format!(" at line {} column {}", e.line(), e.column());
        vec![OverlayProblem::Json {
            line: e.line(),
            column: e.column(),
            message: text.strip_suffix(&position).unwrap_or(&text).to_owned(),
        }]
    })
}

/// Validates `doc` against `routes` as a whole: every problem found, or the plan.
pub(crate) fn plan(
    routes: &[&'static Route],
    doc: &OverlayDoc,
) -> Result<Plan, Vec<OverlayProblem>> {
    // By method, then template: lookups borrow the identity's text, nothing is allocated per
    // route (a rebuild of 10,000 routes checks its overlay in well under a millisecond).
    let mut by_method: Vec<HashMap<&'static str, &'static Route>> =
        vec![HashMap::new(); Method::ALL.len()];
    for &route in routes {
        for method in route.methods().iter() {
            by_method[method_slot(method)].insert(route.path_without_query(), route);
        }
    }
    let find = |identity: &Identity| -> Option<&'static Route> {
        if identity.tenant.is_some() {
            return None;
        }
        by_method[method_slot(identity.method)]
            .get(identity.template.as_str())
            .copied()
    };
    // Every identity, for "did you mean" hints: only when one is needed.
    let hint = |text: &str| {
        let known: Vec<String> = routes
            .iter()
            .flat_map(|&route| Identity::of(route))
            .map(|identity| identity.to_string())
            .collect();
        match routemark_path::closest_match(text, known.iter().map(String::as_str)) {
            Some(close) => format!("; did you mean `{close}`?"),
            None => String::new(),
        }
    };
    let mut problems = Vec::new();
    let mut invalid = |message: String| problems.push(OverlayProblem::Invalid(message));
    let invalid = &mut invalid;
    let mut plan = Plan::default();
    // The routes' shapes by method, to find aliases that collide: only with an alias.
    let mut shapes: HashMap<(Method, String), String> = HashMap::new();
    if doc.routes.values().any(|entry| entry.alias_of.is_some()) {
        for &route in routes {
            if let Ok(template) = PathTemplate::parse(route.path_without_query()) {
                for identity in Identity::of(route) {
                    shapes.insert(
                        (identity.method, template.shape()),
                        format!("route `{identity}` ({})", route.name()),
                    );
                }
            }
        }
    }
    let params = |template: &str| -> Vec<String> {
        PathTemplate::parse(template)
            .map(|t| t.path_params().map(str::to_owned).collect())
            .unwrap_or_default()
    };
    for (text, entry) in &doc.routes {
        let identity = match Identity::parse(text) {
            Ok(identity) => identity,
            Err(message) => {
                invalid(message);
                continue;
            }
        };
        let route = find(&identity);
        if let Some(target_text) = &entry.alias_of {
            if route.is_some() {
                invalid(format!(
                    "alias `{identity}` is already a route; an alias adds a path no route has"
                ));
                continue;
            }
            if *entry
                != (EntryDoc {
                    alias_of: entry.alias_of.clone(),
                    ..EntryDoc::default()
                })
            {
                invalid(format!(
                    "alias `{identity}` takes `alias_of` only; set the other keys on its target"
                ));
            }
            let target = match Identity::parse(target_text) {
                Ok(target) => target,
                Err(message) => {
                    invalid(format!("alias `{identity}`: {message}"));
                    continue;
                }
            };
            let Some(target_route) = find(&target) else {
                invalid(format!(
                    "alias `{identity}` points to `{target}`, which is not a route{}",
                    hint(&target.to_string())
                ));
                continue;
            };
            if target.method != identity.method {
                invalid(format!(
                    "alias `{identity}` has another method than its target `{target}`"
                ));
                continue;
            }
            let template = match PathTemplate::parse(&identity.template) {
                Ok(template) => template,
                Err(errors) => {
                    invalid(format!("alias `{identity}`: {}", errors[0]));
                    continue;
                }
            };
            let (mine, theirs) = (params(&identity.template), params(&target.template));
            if mine != theirs {
                invalid(format!(
                    "alias `{identity}` has parameters [{}] but its target `{target}` has [{}]; an alias binds the same parameters, in the same order",
                    mine.join(", "),
                    theirs.join(", ")
                ));
                continue;
            }
            let shape_key = (identity.method, template.shape());
            if let Some(other) = shapes.get(&shape_key) {
                invalid(format!(
                    "alias `{identity}` conflicts with {other}: both match the same requests"
                ));
                continue;
            }
            shapes.insert(shape_key, format!("alias `{identity}`"));
            plan.aliases.push(Alias {
                identity,
                target: target_route,
            });
            continue;
        }
        let Some(route) = route else {
            invalid(format!(
                "`{identity}` is not a route{}",
                hint(&identity.to_string())
            ));
            continue;
        };
        let route_key = key(route, identity.method);
        if entry.enabled == Some(false) {
            if entry.split.is_some() {
                invalid(format!(
                    "`{identity}` is both disabled and split; a disabled route has no requests to split"
                ));
            }
            plan.disabled.insert(route_key);
        }
        if let Some(split) = &entry.split {
            let mut targets = Vec::new();
            let mut total = 0i64;
            for (target_text, &weight) in split {
                if !(0..=100).contains(&weight) {
                    invalid(format!(
                        "`{identity}` splits {weight} % to `{target_text}`; a weight is 0 to 100"
                    ));
                    continue;
                }
                total += weight;
                let target = match Identity::parse(target_text) {
                    Ok(target) => target,
                    Err(message) => {
                        invalid(format!("split of `{identity}`: {message}"));
                        continue;
                    }
                };
                let Some(target_route) = find(&target) else {
                    invalid(format!(
                        "`{identity}` splits to `{target}`, which is not a route{}",
                        hint(&target.to_string())
                    ));
                    continue;
                };
                let (mine, theirs) = (params(&identity.template), params(&target.template));
                if mine != theirs {
                    invalid(format!(
                        "`{identity}` has parameters [{}] but its split target `{target}` has [{}]; a split target binds the same parameters, in the same order",
                        mine.join(", "),
                        theirs.join(", ")
                    ));
                    continue;
                }
                if weight > 0 {
                    targets.push((target_route, u32::try_from(weight).unwrap_or(0)));
                }
            }
            if total > 100 {
                invalid(format!(
                    "`{identity}` splits {total} % of its requests; the weights add up to at most 100"
                ));
            }
            let sticky = match &entry.sticky {
                None => None,
                Some(name) => match http::HeaderName::from_bytes(name.as_bytes()) {
                    Ok(name) => Some(name),
                    Err(_) => {
                        invalid(format!(
                            "`{identity}`: `sticky` is not a header name: `{name}`"
                        ));
                        None
                    }
                },
            };
            plan.splits.insert(route_key, SplitPlan { targets, sticky });
        } else if entry.sticky.is_some() {
            invalid(format!("`{identity}` has `sticky` without a `split`"));
        }
        let resilience = resilience(&identity, entry, invalid);
        if !resilience.is_empty() {
            plan.resilience.insert(route_key, resilience);
        }
    }
    if problems.is_empty() {
        Ok(plan)
    } else {
        Err(problems)
    }
}

/// `value` when it is 1 to `max`; else a problem naming `key`.
fn bounded(
    identity: &Identity,
    key: &str,
    value: Option<i64>,
    max: i64,
    invalid: &mut impl FnMut(String),
) -> Option<u64> {
    let value = value?;
    if (1..=max).contains(&value) {
        u64::try_from(value).ok()
    } else {
        invalid(format!(
            "`{identity}`: `{key}` is {value}; it must be 1 to {max}"
        ));
        None
    }
}

/// The resilience keys of `entry`, each checked as the attribute options are.
fn resilience(
    identity: &Identity,
    entry: &EntryDoc,
    invalid: &mut impl FnMut(String),
) -> ResilienceOverride {
    const DAY_MS: i64 = 86_400_000;
    let u32_max = i64::from(u32::MAX);
    let timeout_ms = bounded(identity, "timeout_ms", entry.timeout_ms, DAY_MS, invalid);
    let concurrency = bounded(identity, "concurrency", entry.concurrency, u32_max, invalid)
        .and_then(|v| u32::try_from(v).ok());
    let breaker = match &entry.breaker {
        None => None,
        Some(serde_json::Value::String(switch)) => match switch.as_str() {
            "force_open" => Some(BreakerOverride::ForceOpen),
            "force_closed" => Some(BreakerOverride::ForceClosed),
            other => {
                invalid(format!(
                    "`{identity}`: `breaker` is `{other}`; write \"force_open\", \"force_closed\" or the thresholds object"
                ));
                None
            }
        },
        Some(serde_json::Value::Object(fields)) => {
            let mut number = |key: &str, max: i64| {
                let value = match fields.get(key) {
                    None => None,
                    Some(v) => match v.as_i64() {
                        Some(n) => Some(n),
                        None => {
                            invalid(format!(
                                "`{identity}`: `breaker.{key}` is `{v}`; it must be an integer"
                            ));
                            None
                        }
                    },
                };
                bounded(identity, &format!("breaker.{key}"), value, max, invalid)
            };
            let thresholds = BreakerOverride::Thresholds {
                errors_percent: number("errors_percent", 100).and_then(|v| u8::try_from(v).ok()),
                min_requests: number("min_requests", u32_max).and_then(|v| u32::try_from(v).ok()),
                window_ms: number("window_ms", DAY_MS),
                open_ms: number("open_ms", DAY_MS),
            };
            for key in fields.keys() {
                if !["errors_percent", "min_requests", "window_ms", "open_ms"]
                    .contains(&key.as_str())
                {
                    invalid(format!(
                        "`{identity}`: unknown key `breaker.{key}`; expected `errors_percent`, `min_requests`, `window_ms` or `open_ms`"
                    ));
                }
            }
            Some(thresholds)
        }
        Some(other) => {
            invalid(format!(
                "`{identity}`: `breaker` is `{other}`; write \"force_open\", \"force_closed\" or the thresholds object"
            ));
            None
        }
    };
    ResilienceOverride {
        timeout_ms,
        concurrency,
        breaker,
    }
}
