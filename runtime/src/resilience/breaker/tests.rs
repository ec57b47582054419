//! The breaker against a model written as plainly as possible (a list of every outcome with
//! its bucket), over random outcomes and clock steps on tokio's paused clock.

use std::time::Duration;

use proptest::prelude::*;
use tokio::time::Instant;

use super::{Admission, BUCKETS, Breaker, BreakerState, MillisClock, Transition};
use crate::route::BreakerConfig;

/// The breaker's rules, without atomics or packed words.
struct Model {
    config: BreakerConfig,
    bucket_ms: u64,
    state: ModelState,
    /// Every outcome counted since the window was last cleared: (bucket number, failed).
    outcomes: Vec<(u64, bool)>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum ModelState {
    Closed,
    Open { until_ms: u64 },
    HalfOpen,
}

impl Model {
    fn new(config: BreakerConfig) -> Model {
        Model {
            config,
            bucket_ms: (config.window().as_millis() as u64 / BUCKETS).max(1),
            state: ModelState::Closed,
            outcomes: Vec::new(),
        }
    }

    fn open_ms(&self) -> u64 {
        self.config.open_for().as_millis() as u64
    }

    fn admit(&mut self, now_ms: u64) -> Admission {
        match self.state {
            ModelState::Closed => Admission::Pass,
            ModelState::HalfOpen => Admission::Reject(self.config.open_for()),
            ModelState::Open { until_ms } if now_ms < until_ms => {
                Admission::Reject(Duration::from_millis(until_ms - now_ms))
            }
            ModelState::Open { .. } => {
                self.state = ModelState::HalfOpen;
                Admission::Trial
            }
        }
    }

    fn record(&mut self, now_ms: u64, admission: Admission, failed: bool) {
        match admission {
            Admission::Reject(_) => {}
            Admission::Trial if failed => {
                self.state = ModelState::Open {
                    until_ms: now_ms + self.open_ms(),
                };
            }
            Admission::Trial => {
                self.state = ModelState::Closed;
                self.outcomes.clear();
            }
            Admission::Pass => {
                let bucket = now_ms / self.bucket_ms;
                self.outcomes.push((bucket, failed));
                if self.state != ModelState::Closed {
                    return;
                }
                let in_window: Vec<bool> = self
                    .outcomes
                    .iter()
                    .filter(|(b, _)| bucket - b < BUCKETS)
                    .map(|&(_, failed)| failed)
                    .collect();
                let requests = in_window.len() as u64;
                let failures = in_window.iter().filter(|&&f| f).count() as u64;
                if requests >= u64::from(self.config.min_requests())
                    && failures * 100 >= u64::from(self.config.errors_percent()) * requests
                {
                    self.state = ModelState::Open {
                        until_ms: now_ms + self.open_ms(),
                    };
                }
            }
        }
    }

    fn public_state(&self) -> BreakerState {
        match self.state {
            ModelState::Closed => BreakerState::Closed,
            ModelState::Open { .. } => BreakerState::Open,
            ModelState::HalfOpen => BreakerState::HalfOpen,
        }
    }
}

#[derive(Clone, Debug)]
enum Step {
    /// The clock moves on.
    Wait(u64),
    /// A request is admitted and completes with this outcome.
    Request { failed: bool },
    /// Two requests are admitted before either completes (a trial and the one behind it).
    Overlapping {
        first_failed: bool,
        second_failed: bool,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0u64..1500).prop_map(Step::Wait),
        any::<bool>().prop_map(|failed| Step::Request { failed }),
        (any::<bool>(), any::<bool>()).prop_map(|(first_failed, second_failed)| {
            Step::Overlapping {
                first_failed,
                second_failed,
            }
        }),
    ]
}

fn config() -> impl Strategy<Value = BreakerConfig> {
    (1u8..=100, 1u32..8, 10u64..5000, 1u64..3000).prop_map(|(percent, min, window, open)| {
        BreakerConfig::DEFAULT
            .__errors_percent(percent)
            .__min_requests(min)
            .__window(Duration::from_millis(window))
            .__open_for(Duration::from_millis(open))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn breaker_follows_the_model(config in config(), steps in prop::collection::vec(step(), 1..200)) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        runtime.block_on(async {
            let start = Instant::now();
            let breaker = Breaker::new(config, MillisClock::new(start));
            let mut model = Model::new(config);
            let ms = || Instant::now().duration_since(start).as_millis() as u64;
            for step in steps {
                match step {
                    Step::Wait(d) => tokio::time::advance(Duration::from_millis(d)).await,
                    Step::Request { failed } => {
                        let (admission, _) = breaker.admit(Instant::now);
                        prop_assert_eq!(admission, model.admit(ms()));
                        breaker.record(Instant::now(), admission, failed);
                        model.record(ms(), admission, failed);
                    }
                    Step::Overlapping { first_failed, second_failed } => {
                        let (first, _) = breaker.admit(Instant::now);
                        prop_assert_eq!(first, model.admit(ms()));
                        let (second, _) = breaker.admit(Instant::now);
                        prop_assert_eq!(second, model.admit(ms()));
                        if first == Admission::Trial {
                            // One trial at a time.
                            prop_assert!(matches!(second, Admission::Reject(_)));
                        }
                        breaker.record(Instant::now(), first, first_failed);
                        model.record(ms(), first, first_failed);
                        breaker.record(Instant::now(), second, second_failed);
                        model.record(ms(), second, second_failed);
                    }
                }
                prop_assert_eq!(breaker.state(), model.public_state());
            }
            Ok(())
        })?;
    }
}

/// The defaults are Hystrix's: 20 requests at 50 % in 10 s open it for 5 s.
#[tokio::test(start_paused = true)]
async fn default_thresholds_open_on_the_twentieth_request_at_half_failures() {
    let breaker = Breaker::new(BreakerConfig::DEFAULT, MillisClock::new(Instant::now()));
    for n in 1..=19 {
        let (admission, _) = breaker.admit(Instant::now);
        assert_eq!(admission, Admission::Pass);
        assert_eq!(breaker.record(Instant::now(), admission, n % 2 == 0), None);
    }
    let (admission, _) = breaker.admit(Instant::now);
    assert_eq!(
        breaker.record(Instant::now(), admission, true),
        Some(Transition::Opened {
            failures: 10,
            requests: 20
        })
    );
    assert_eq!(
        breaker.admit(Instant::now),
        (Admission::Reject(Duration::from_secs(5)), None)
    );
    tokio::time::advance(Duration::from_secs(5)).await;
    assert_eq!(
        breaker.admit(Instant::now),
        (Admission::Trial, Some(Transition::HalfOpened))
    );
    assert_eq!(
        breaker.abandon_trial(),
        Some(Transition::Reopened { failed: false })
    );
    assert_eq!(
        breaker.admit(Instant::now),
        (Admission::Trial, Some(Transition::HalfOpened))
    );
    assert_eq!(
        breaker.record(Instant::now(), Admission::Trial, false),
        Some(Transition::Closed)
    );
    assert_eq!(breaker.state(), BreakerState::Closed);
}

/// Outcomes older than the window no longer count.
#[tokio::test(start_paused = true)]
async fn failures_leave_the_window_after_it_rolls_past_them() {
    let config = BreakerConfig::DEFAULT.__min_requests(4);
    let breaker = Breaker::new(config, MillisClock::new(Instant::now()));
    for _ in 0..3 {
        let (admission, _) = breaker.admit(Instant::now);
        breaker.record(Instant::now(), admission, true);
    }
    tokio::time::advance(Duration::from_secs(10)).await;
    let (admission, _) = breaker.admit(Instant::now);
    assert_eq!(breaker.record(Instant::now(), admission, true), None);
    assert_eq!(breaker.state(), BreakerState::Closed);
}

/// The per-thread cache of [`MillisClock::periods`] against a plain subtraction and
/// division: at every microsecond step across several periods, with two clocks of different
/// bases and two period lengths read in turn on one thread, and instants before a base and
/// back in time.
#[test]
fn millis_clock_periods_read_as_a_subtraction() {
    let origin = Instant::now();
    let late_base = origin + Duration::from_micros(2_500);
    let early = MillisClock::new(origin);
    let late = MillisClock::new(late_base);
    let one = std::num::NonZeroU64::MIN;
    let three = std::num::NonZeroU64::new(3).unwrap();
    let plain = |base: Instant, now: Instant, period: u64| {
        now.saturating_duration_since(base).as_millis() as u64 / period
    };
    for step in 0..9_000u64 {
        let now = origin + Duration::from_micros(step);
        assert_eq!(
            early.periods(now, one),
            plain(origin, now, 1),
            "early at {step} us"
        );
        assert_eq!(
            early.periods(now, one),
            plain(origin, now, 1),
            "again at {step} us"
        );
        assert_eq!(
            early.periods(now, three),
            plain(origin, now, 3),
            "by 3 at {step} us"
        );
        assert_eq!(
            late.periods(now, three),
            plain(late_base, now, 3),
            "late at {step} us"
        );
        assert_eq!(
            late.ms(now),
            plain(late_base, now, 1),
            "late ms at {step} us"
        );
    }
    // Back in time on one clock (another runtime's paused clock, say): not the cached value.
    let later = origin + Duration::from_millis(40);
    assert_eq!(early.periods(later, three), 13);
    assert_eq!(
        early.periods(origin + Duration::from_micros(38_999), three),
        12
    );
    assert_eq!(early.periods(origin + Duration::from_millis(3), three), 1);
    assert_eq!(early.periods(later, three), 13);
}
