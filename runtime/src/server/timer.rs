//! [`ConnectionTimer`]: hyper's HTTP/1 timer, one per connection.
//!
//! hyper arms its header-read timeout anew for every request of a keep-alive connection:
//! with hyper-util's `TokioTimer` that is a fresh tokio `Sleep` per request, inserted into
//! tokio's timer wheel while the connection waits for the next head and removed once the head
//! arrives. Here the connection keeps one tokio `Sleep`, and each of hyper's timers is a
//! deadline checked against it. Deadlines only move later from one request to the next, so
//! the shared `Sleep`, armed for an earlier deadline, stays registered as it is; when it
//! fires for a deadline that has been superseded, it is re-armed for the current one (once
//! per timeout period, not once per request).

use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use tokio::time::{Instant, Sleep};

/// Create one per connection (see the module documentation).
#[derive(Clone, Default)]
pub(crate) struct ConnectionTimer {
    shared: Arc<Mutex<SharedSleep>>,
}

#[derive(Default)]
struct SharedSleep {
    /// Created on first use; armed for `armed_for`.
    sleep: Option<Pin<Box<Sleep>>>,
    armed_for: Option<Instant>,
    /// The waker `sleep` was last polled with.
    waker: Option<Waker>,
}

impl hyper::rt::Timer for ConnectionTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        self.sleep_until((Instant::now() + duration).into_std())
    }

    fn sleep_until(&self, deadline: std::time::Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(Deadline {
            at: Instant::from_std(deadline),
            shared: self.shared.clone(),
        })
    }

    fn now(&self) -> std::time::Instant {
        // The clock tokio's timers run on (paused in tests), as with `TokioTimer`.
        Instant::now().into_std()
    }
}

/// One of hyper's timers: completes at `at`, woken by the connection's shared `Sleep`.
struct Deadline {
    at: Instant,
    shared: Arc<Mutex<SharedSleep>>,
}

impl Future for Deadline {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut shared = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        let SharedSleep {
            sleep,
            armed_for,
            waker,
        } = &mut *shared;
        let sleep = sleep.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(self.at)));
        // Armed in time, not fired, and holding this task's waker already: nothing to do.
        let same_task = waker.as_ref().is_some_and(|w| w.will_wake(cx.waker()));
        if same_task && armed_for.is_some_and(|armed| armed <= self.at) && !sleep.is_elapsed() {
            return Poll::Pending;
        }
        // Out of coop budget, tokio returns from the poll before handing the timer the
        // waker: remember it only when the poll will reach the timer.
        *waker = match tokio::task::coop::has_budget_remaining() {
            true if same_task => waker.take(),
            true => Some(cx.waker().clone()),
            false => None,
        };
        loop {
            match *armed_for {
                // Armed too late for this deadline (first use, or an earlier deadline came
                // after a later one): bring it forward.
                Some(armed) if armed <= self.at => {}
                _ => {
                    sleep.as_mut().reset(self.at);
                    *armed_for = Some(self.at);
                }
            }
            match sleep.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(()) if *armed_for == Some(self.at) => return Poll::Ready(()),
                // It fired for a deadline since superseded: re-arm for this one.
                Poll::Ready(()) => *armed_for = None,
            }
        }
    }
}

impl hyper::rt::Sleep for Deadline {}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::rt::Timer;

    /// Polls `sleep` once.
    async fn poll_once(sleep: Pin<&mut (dyn hyper::rt::Sleep + '_)>) -> Poll<()> {
        let mut sleep = sleep;
        std::future::poll_fn(|cx| Poll::Ready(sleep.as_mut().poll(cx))).await
    }

    #[tokio::test(start_paused = true)]
    async fn deadlines_complete_on_time_whatever_the_order() {
        let timer = ConnectionTimer::default();
        let start = Instant::now();
        let mut first = timer.sleep(Duration::from_secs(10));
        // Polled once so that the shared sleep is armed for 10 s.
        assert!(poll_once(first.as_mut()).await.is_pending());
        drop(first);
        let later = timer.sleep(Duration::from_secs(15));
        later.await;
        assert_eq!(start.elapsed(), Duration::from_secs(15));

        let mut late = timer.sleep(Duration::from_secs(20));
        assert!(poll_once(late.as_mut()).await.is_pending());
        let early = timer.sleep(Duration::from_secs(5));
        early.await;
        assert_eq!(start.elapsed(), Duration::from_secs(20));
        late.await;
        assert_eq!(start.elapsed(), Duration::from_secs(35));
    }
}
