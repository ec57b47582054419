//! A route's circuit breaker: closed → open → half-open → closed (or open again), over a
//! rolling window of [`BUCKETS`] buckets.
//!
//! Lock-free: the state is one atomic word (what state, and until when it is open), and
//! each bucket is one atomic word (which bucket of time it counts, how many requests, how
//! many failed), so a bucket that comes round again is reset and counted in one
//! compare-and-swap. Requests of one route on many threads never wait on each other; the
//! cost on a closed breaker is a load to admit, and a compare-and-swap and two loads to
//! record a success (the whole window is read only while it holds a failure).
//!
//! The clock is tokio's, so that tests drive it with a paused runtime, read in milliseconds
//! through a [`MillisClock`].

use std::cell::Cell;
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use crate::route::BreakerConfig;

/// How many buckets the window is cut into (Hystrix's default).
pub(crate) const BUCKETS: u64 = 10;

/// Where the buckets are kept: the bucket of period `epoch` in slot `epoch % SLOTS`. A
/// power of two above [`BUCKETS`], so that the slot is a mask rather than a division; the
/// window sums the slots whose period is one of its last [`BUCKETS`].
const SLOTS: u64 = 16;

// A bucket word: | epoch (24 bits) | requests (20 bits) | failures (20 bits) |. The epoch is
// the bucket's number of `bucket_ms` periods since its clock's base, modulo 2^24; the
// counts saturate.
const COUNT_BITS: u32 = 20;
const COUNT_MAX: u64 = (1 << COUNT_BITS) - 1;
const EPOCH_MASK: u64 = (1 << 24) - 1;

// A state word: the state in the low two bits, and for `OPEN` the millisecond (since its
// clock's base) at which it may let a trial through, in the rest.
const CLOSED: u64 = 0;
const OPEN: u64 = 1;
const HALF_OPEN: u64 = 2;

/// The state of a breaker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerState {
    /// Requests reach the handler; failures are counted.
    Closed,
    /// Requests are answered by the fallback (or `503`) without calling the handler.
    Open,
    /// One trial request is at the handler; the others are answered as when open.
    HalfOpen,
}

impl BreakerState {
    /// `closed`, `open`, `half_open`: how logs and metrics name it.
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half_open",
        }
    }
}

/// What the breaker decided for one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Closed: call the handler and record the outcome.
    Pass,
    /// The one trial request after `open_for`: call the handler; its outcome decides.
    Trial,
    /// Open (or a trial is running): do not call the handler. Try again after this long.
    Reject(Duration),
}

/// A change of state, for the log and the metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Transition {
    /// Closed → open: `failures` of the `requests` in the window failed.
    Opened { failures: u64, requests: u64 },
    /// Open → half-open: a trial request goes through.
    HalfOpened,
    /// Half-open → closed: the trial succeeded; the window is cleared.
    Closed,
    /// Half-open → open: the trial failed (or was abandoned, `failed: false`).
    Reopened { failed: bool },
}

impl Transition {
    /// The state it leads to.
    pub(crate) fn to(self) -> BreakerState {
        match self {
            Transition::Opened { .. } | Transition::Reopened { .. } => BreakerState::Open,
            Transition::HalfOpened => BreakerState::HalfOpen,
            Transition::Closed => BreakerState::Closed,
        }
    }
}

pub(crate) struct Breaker {
    config: BreakerConfig,
    clock: MillisClock,
    bucket_ms: NonZeroU64,
    open_ms: u64,
    state: AtomicU64,
    buckets: [AtomicU64; SLOTS as usize],
    /// One more than the bucket number of the last failure counted (0: none since the
    /// window was cleared). While no failure is in the window, a completion cannot open the
    /// breaker, and the window is not summed: a healthy route pays one load for it.
    last_failure: AtomicU64,
}

impl std::fmt::Debug for Breaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Breaker")
            .field("config", &self.config)
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

/// Whole milliseconds, without `as_millis`' 128-bit arithmetic (read once per request).
fn millis(duration: Duration) -> u64 {
    duration
        .as_secs()
        .saturating_mul(1000)
        .saturating_add(u64::from(duration.subsec_millis()))
        .min(u64::MAX >> 2)
}

/// Whole milliseconds since a base instant, shared by the breakers of one route registry.
///
/// The breaker's bucket number ([`periods`](Self::periods)) is cached per thread with the
/// bounds of the bucket it fell in, so that the next reads in the same bucket (nearly all
/// of them) cost three comparisons instead of subtracting two `Instant`s, converting the
/// difference and dividing it, which was the largest part of what a closed breaker costs
/// a request.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MillisClock {
    /// Tells the clocks apart in the per-thread cache: two registries (two apps, or two
    /// paused test runtimes on one thread) have different bases.
    id: u64,
    base: Instant,
}

/// The last period read on this thread: which clock, how long a period, its bounds
/// `[from, until)`, and its number.
#[derive(Clone, Copy)]
struct LastPeriod {
    clock: u64,
    period_ms: u64,
    from: Instant,
    until: Instant,
    number: u64,
}

thread_local! {
    static LAST_PERIOD: Cell<Option<LastPeriod>> = const { Cell::new(None) };
}

impl MillisClock {
    pub(crate) fn new(base: Instant) -> MillisClock {
        static IDS: AtomicU64 = AtomicU64::new(0);
        MillisClock {
            id: IDS.fetch_add(1, Ordering::Relaxed),
            base,
        }
    }

    /// Whole milliseconds from the base to `now` (zero before it). Not cached: for what
    /// happens while a breaker is open or tripping.
    pub(crate) fn ms(&self, now: Instant) -> u64 {
        millis(now.saturating_duration_since(self.base))
    }

    /// Whole periods of `period_ms` from the base to `now` (zero before it): `ms / period_ms`.
    #[inline(always)]
    pub(crate) fn periods(&self, now: Instant, period_ms: NonZeroU64) -> u64 {
        if let Ok(Some(last)) = LAST_PERIOD.try_with(Cell::get)
            && last.clock == self.id
            && last.period_ms == period_ms.get()
            && last.from <= now
            && now < last.until
        {
            return last.number;
        }
        self.periods_uncached(now, period_ms)
    }

    #[inline(never)]
    fn periods_uncached(&self, now: Instant, period_ms: NonZeroU64) -> u64 {
        let number = self.ms(now) / period_ms;
        let bound = |n: u64| {
            n.checked_mul(period_ms.get())
                .and_then(|ms| self.base.checked_add(Duration::from_millis(ms)))
        };
        // Not cached before the base, where every instant reads as zero.
        if let (Some(from), Some(until)) = (bound(number), bound(number + 1))
            && from <= now
        {
            LAST_PERIOD.set(Some(LastPeriod {
                clock: self.id,
                period_ms: period_ms.get(),
                from,
                until,
                number,
            }));
        }
        number
    }
}

impl Breaker {
    pub(crate) fn new(config: BreakerConfig, clock: MillisClock) -> Breaker {
        Breaker {
            config,
            clock,
            // The window is at least a millisecond per bucket.
            bucket_ms: NonZeroU64::new(millis(config.window()) / BUCKETS)
                .unwrap_or(NonZeroU64::MIN),
            open_ms: millis(config.open_for()),
            state: AtomicU64::new(CLOSED),
            buckets: Default::default(),
            last_failure: AtomicU64::new(0),
        }
    }

    pub(crate) fn config(&self) -> BreakerConfig {
        self.config
    }

    #[inline(always)]
    fn ms(&self, now: Instant) -> u64 {
        self.clock.ms(now)
    }

    /// The state: an open breaker whose `open_for` has passed is still `Open` until a
    /// request takes the trial.
    pub(crate) fn state(&self) -> BreakerState {
        match self.state.load(Ordering::Acquire) & 3 {
            CLOSED => BreakerState::Closed,
            HALF_OPEN => BreakerState::HalfOpen,
            _ => BreakerState::Open,
        }
    }

    /// Whether a request may reach the handler, and as what. The request that finds the
    /// breaker open past `open_for` becomes the one trial (a transition, returned). The
    /// clock is read only when the breaker is open.
    #[inline(always)]
    pub(crate) fn admit(&self, now: impl Fn() -> Instant) -> (Admission, Option<Transition>) {
        let mut word = self.state.load(Ordering::Acquire);
        loop {
            match word & 3 {
                CLOSED => return (Admission::Pass, None),
                HALF_OPEN => {
                    return (Admission::Reject(Duration::from_millis(self.open_ms)), None);
                }
                _ => {
                    let until = word >> 2;
                    let now_ms = self.ms(now());
                    if now_ms < until {
                        return (
                            Admission::Reject(Duration::from_millis(until - now_ms)),
                            None,
                        );
                    }
                    match self.state.compare_exchange(
                        word,
                        HALF_OPEN,
                        Ordering::AcqRel,
                        Ordering::Acquire,
                    ) {
                        Ok(_) => return (Admission::Trial, Some(Transition::HalfOpened)),
                        Err(current) => word = current,
                    }
                }
            }
        }
    }

    /// Records the outcome of a request `admit` let through, and returns the transition it
    /// caused, if any.
    ///
    /// Rule: the breaker opens as soon as a completed request brings the window to at least
    /// `min_requests` requests with at least `errors_percent` % failures; a trial's success
    /// closes it and clears the window, its failure opens it again.
    #[inline(always)]
    pub(crate) fn record(
        &self,
        now: Instant,
        admission: Admission,
        failed: bool,
    ) -> Option<Transition> {
        // The common case inline: a success while closed, with no failure in the window.
        if admission == Admission::Pass && !failed {
            let epoch = self.clock.periods(now, self.bucket_ms);
            self.count(epoch, false);
            let last = self.last_failure.load(Ordering::Relaxed);
            if last == 0 || last + BUCKETS <= epoch + 1 {
                return None;
            }
        }
        self.record_counted(now, admission, failed)
    }

    /// [`Breaker::record`] past its common case. A success while closed is already counted.
    #[inline(never)]
    fn record_counted(
        &self,
        now: Instant,
        admission: Admission,
        failed: bool,
    ) -> Option<Transition> {
        match admission {
            Admission::Reject(_) => None,
            Admission::Trial if failed => {
                self.open(now);
                Some(Transition::Reopened { failed: true })
            }
            Admission::Trial => {
                for bucket in &self.buckets {
                    bucket.store(0, Ordering::Relaxed);
                }
                self.last_failure.store(0, Ordering::Relaxed);
                self.state.store(CLOSED, Ordering::Release);
                Some(Transition::Closed)
            }
            Admission::Pass => {
                let epoch = self.clock.periods(now, self.bucket_ms);
                if failed {
                    self.count(epoch, true);
                    self.last_failure.fetch_max(epoch + 1, Ordering::Relaxed);
                }
                // A success was counted by `record`, which found a failure in the window.
                if self.state.load(Ordering::Acquire) != CLOSED {
                    // Opened meanwhile by another request: this one is counted, nothing more.
                    return None;
                }
                let (requests, failures) = self.window(epoch);
                let tripped = requests >= u64::from(self.config.min_requests())
                    && failures * 100 >= u64::from(self.config.errors_percent()) * requests;
                if !tripped {
                    return None;
                }
                let open = OPEN | ((self.ms(now) + self.open_ms) << 2);
                // One request makes the transition, however many see the threshold crossed.
                self.state
                    .compare_exchange(CLOSED, open, Ordering::AcqRel, Ordering::Acquire)
                    .ok()
                    .map(|_| Transition::Opened { failures, requests })
            }
        }
    }

    /// The trial request ended without an outcome (its client went away): the breaker is
    /// open again, and the next request is the trial.
    pub(crate) fn abandon_trial(&self) -> Option<Transition> {
        let now_open = OPEN | (self.ms(Instant::now()) << 2);
        self.state
            .compare_exchange(HALF_OPEN, now_open, Ordering::AcqRel, Ordering::Acquire)
            .ok()
            .map(|_| Transition::Reopened { failed: false })
    }

    fn open(&self, now: Instant) {
        let open = OPEN | ((self.ms(now) + self.open_ms) << 2);
        self.state.store(open, Ordering::Release);
    }

    /// Counts one request in the bucket of `epoch`, resetting the bucket first when it last
    /// counted an older period.
    #[inline(always)]
    fn count(&self, epoch: u64, failed: bool) {
        let tag = epoch & EPOCH_MASK;
        let bucket = &self.buckets[(epoch % SLOTS) as usize];
        let mut old = bucket.load(Ordering::Relaxed);
        loop {
            let new = if old >> (2 * COUNT_BITS) == tag && old >> COUNT_BITS & COUNT_MAX < COUNT_MAX
            {
                // The bucket's own period, its count not saturated: one more request, in
                // one addition. Failures never outnumber requests, so they have room too.
                old + (1 << COUNT_BITS) + u64::from(failed)
            } else {
                let (requests, failures) = if old >> (2 * COUNT_BITS) == tag {
                    (old >> COUNT_BITS & COUNT_MAX, old & COUNT_MAX)
                } else {
                    (0, 0)
                };
                tag << (2 * COUNT_BITS)
                    | (requests + 1).min(COUNT_MAX) << COUNT_BITS
                    | (failures + u64::from(failed)).min(COUNT_MAX)
            };
            match bucket.compare_exchange_weak(old, new, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return,
                Err(current) => old = current,
            }
        }
    }

    /// Requests and failures in the window ending with the bucket of `epoch`: the buckets of
    /// the last [`BUCKETS`] periods.
    fn window(&self, epoch: u64) -> (u64, u64) {
        let tag = epoch & EPOCH_MASK;
        self.buckets
            .iter()
            .map(|bucket| bucket.load(Ordering::Relaxed))
            .filter(|word| (tag.wrapping_sub(word >> (2 * COUNT_BITS)) & EPOCH_MASK) < BUCKETS)
            .fold((0, 0), |(requests, failures), word| {
                (
                    requests + (word >> COUNT_BITS & COUNT_MAX),
                    failures + (word & COUNT_MAX),
                )
            })
    }
}

#[cfg(test)]
mod tests;
