//! The overlay's resilience keys for one route (`timeout_ms`, `concurrency`, `breaker`), as
//! the overlay's JSON spells them.

use std::time::Duration;

use serde::Deserialize;

use crate::route::BreakerConfig;

/// The resilience keys of a route's overlay entry, which override the route's attribute
/// options:
///
/// ```json
/// { "timeout_ms": 2000, "concurrency": 32,
///   "breaker": { "errors_percent": 50, "min_requests": 20, "window_ms": 10000, "open_ms": 5000 } }
/// ```
///
/// or the operator's switch, `"breaker": "force_open"` (answered as when open, the handler
/// is not called) or `"breaker": "force_closed"` (every request reaches the handler).
///
/// ```
/// use routemark::{BreakerOverride, ResilienceOverride};
///
/// let o: ResilienceOverride = serde_json::from_str(r#"{ "timeout_ms": 2000, "breaker": "force_open" }"#).unwrap();
/// assert_eq!(o.timeout_ms, Some(2000));
/// assert_eq!(o.breaker, Some(BreakerOverride::ForceOpen));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ResilienceOverride {
    /// The handler's time limit in milliseconds.
    pub timeout_ms: Option<u64>,
    /// The most requests in the handler at once.
    pub concurrency: Option<u32>,
    /// The breaker's thresholds, or the operator's switch.
    pub breaker: Option<BreakerOverride>,
}

impl ResilienceOverride {
    /// No override.
    pub fn new() -> ResilienceOverride {
        ResilienceOverride::default()
    }

    /// Sets `timeout_ms`.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> ResilienceOverride {
        self.timeout_ms = Some(u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX));
        self
    }

    /// Sets `concurrency`.
    #[must_use]
    pub fn concurrency(mut self, limit: u32) -> ResilienceOverride {
        self.concurrency = Some(limit);
        self
    }

    /// Sets `breaker`.
    #[must_use]
    pub fn breaker(mut self, breaker: BreakerOverride) -> ResilienceOverride {
        self.breaker = Some(breaker);
        self
    }

    /// Why the override cannot apply: a zero limit or a percent outside 1–100.
    pub(crate) fn problem(&self) -> Option<String> {
        if self.timeout_ms == Some(0) {
            return Some("`timeout_ms` must be at least 1".to_owned());
        }
        if self.concurrency == Some(0) {
            return Some("`concurrency` must be at least 1".to_owned());
        }
        if let Some(BreakerOverride::Thresholds(t)) = &self.breaker {
            if t.errors_percent.is_some_and(|p| !(1..=100).contains(&p)) {
                return Some("`breaker.errors_percent` must be between 1 and 100".to_owned());
            }
            for (name, value) in [
                ("min_requests", t.min_requests.map(u64::from)),
                ("window_ms", t.window_ms),
                ("open_ms", t.open_ms),
            ] {
                if value == Some(0) {
                    return Some(format!("`breaker.{name}` must be at least 1"));
                }
            }
        }
        None
    }
}

/// The `breaker` key of an overlay entry: new thresholds, or the operator's switch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BreakerOverride {
    /// `"force_open"`: every request is answered as when the breaker is open.
    ForceOpen,
    /// `"force_closed"`: every request reaches the handler, whatever its failures.
    ForceClosed,
    /// `{ "errors_percent": 50, "min_requests": 20, "window_ms": 10000, "open_ms": 5000 }`;
    /// a key left out keeps the route's value (or Hystrix's default).
    Thresholds(BreakerThresholds),
}

impl<'de> Deserialize<'de> for BreakerOverride {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Switch(String),
            Thresholds(BreakerThresholds),
        }
        match Raw::deserialize(d)? {
            Raw::Switch(word) if word == "force_open" => Ok(BreakerOverride::ForceOpen),
            Raw::Switch(word) if word == "force_closed" => Ok(BreakerOverride::ForceClosed),
            Raw::Switch(word) => Err(serde::de::Error::custom(format!(
                "unknown breaker switch `{word}`; expected `force_open` or `force_closed`, or an object of thresholds"
            ))),
            Raw::Thresholds(t) => Ok(BreakerOverride::Thresholds(t)),
        }
    }
}

/// New thresholds for a route's breaker; each key left out keeps the route's own value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct BreakerThresholds {
    /// Percent of failures, 1–100.
    pub errors_percent: Option<u8>,
    /// The fewest requests in the window before the breaker may open.
    pub min_requests: Option<u32>,
    /// The rolling window, in milliseconds.
    pub window_ms: Option<u64>,
    /// How long the breaker stays open, in milliseconds.
    pub open_ms: Option<u64>,
}

impl BreakerThresholds {
    /// `base` with these thresholds over it.
    pub(crate) fn over(&self, base: BreakerConfig) -> BreakerConfig {
        BreakerConfig::__new(
            self.errors_percent.unwrap_or(base.errors_percent()),
            self.min_requests.unwrap_or(base.min_requests()),
            self.window_ms.map_or(base.window(), Duration::from_millis),
            self.open_ms.map_or(base.open_for(), Duration::from_millis),
        )
    }
}
