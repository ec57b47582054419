//! hyper's timer for HTTP/2: tokio's, with a sleep that is cheap to poll again.
//!
//! With the keep-alive PING on (20 s, `docs/hardening.md`), hyper polls the PING's sleep on
//! every poll of the connection, which over HTTP/2 is about once a request. tokio's `Sleep`
//! takes a unit of the task's budget and registers the waker again (two atomic
//! read-modify-writes) on each of those polls, though the deadline is 20 s away and the waker
//! has not changed. [`QuietSleep`] answers such a poll from what it knows: while the timer is
//! still in tokio's wheel and the waker is the one it registered, tokio will wake that waker
//! when the deadline passes, so the poll is `Pending` without asking tokio. Anything else
//! (the first poll, a new waker, a fired timer, a reset) goes to tokio as before.
//!
//! `now()` stays tokio's clock, so that tests on tokio's paused clock drive the PING.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use hyper::rt::{Sleep, Timer};

/// The timer given to hyper's HTTP/2 connections (`http2_settings!`).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PingTimer;

impl Timer for PingTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        Box::pin(QuietSleep::new(tokio::time::sleep(duration)))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        Box::pin(QuietSleep::new(tokio::time::sleep_until(deadline.into())))
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn Sleep>>, new_deadline: Instant) {
        if let Some(sleep) = sleep.as_mut().downcast_mut_pin::<QuietSleep>() {
            sleep.get_mut().reset(new_deadline);
        }
    }

    fn now(&self) -> Instant {
        tokio::time::Instant::now().into_std()
    }
}

/// A tokio sleep that remembers the waker it registered (see the module's comment).
#[derive(Debug)]
pub(crate) struct QuietSleep {
    // Boxed so that `QuietSleep` is `Unpin` without a pin-projection crate; one allocation per
    // connection.
    inner: Pin<Box<tokio::time::Sleep>>,
    /// The waker tokio holds for this timer, if it holds one.
    registered: Option<Waker>,
}

impl QuietSleep {
    fn new(inner: tokio::time::Sleep) -> Self {
        Self {
            inner: Box::pin(inner),
            registered: None,
        }
    }

    fn reset(&mut self, deadline: Instant) {
        // A reset timer is back in the wheel, and tokio may no longer hold a waker for it
        // (a fired timer gave its waker up): the next poll registers again.
        self.registered = None;
        self.inner.as_mut().reset(deadline.into());
    }
}

impl Future for QuietSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if let Some(waker) = &this.registered {
            if waker.will_wake(cx.waker()) && !this.inner.is_elapsed() {
                return Poll::Pending;
            }
        }
        match this.inner.as_mut().poll(cx) {
            Poll::Ready(()) => {
                this.registered = None;
                Poll::Ready(())
            }
            Poll::Pending => {
                if !this
                    .registered
                    .as_ref()
                    .is_some_and(|w| w.will_wake(cx.waker()))
                {
                    this.registered = Some(cx.waker().clone());
                }
                Poll::Pending
            }
        }
    }
}

impl Sleep for QuietSleep {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    /// A waker that counts its wakes.
    struct Counter(AtomicUsize);

    impl Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counting_waker() -> (Arc<Counter>, Waker) {
        let counter = Arc::new(Counter(AtomicUsize::new(0)));
        (counter.clone(), Waker::from(counter))
    }

    fn poll(sleep: &mut Pin<Box<dyn Sleep>>, waker: &Waker) -> Poll<()> {
        sleep.as_mut().poll(&mut Context::from_waker(waker))
    }

    #[tokio::test(start_paused = true)]
    async fn a_quiet_sleep_wakes_and_ends_at_its_deadline_polled_often_or_once() {
        let timer = PingTimer;
        let (count, waker) = counting_waker();
        let mut sleep = timer.sleep(Duration::from_secs(20));
        for _ in 0..5 {
            assert_eq!(poll(&mut sleep, &waker), Poll::Pending);
        }
        tokio::time::sleep(Duration::from_millis(19_999)).await;
        assert_eq!(poll(&mut sleep, &waker), Poll::Pending);
        assert_eq!(count.0.load(Ordering::SeqCst), 0);
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert_eq!(
            count.0.load(Ordering::SeqCst),
            1,
            "tokio woke the registered waker"
        );
        assert_eq!(poll(&mut sleep, &waker), Poll::Ready(()));
        assert_eq!(poll(&mut sleep, &waker), Poll::Ready(()), "and stays done");
    }

    #[tokio::test(start_paused = true)]
    async fn a_new_waker_is_registered_and_the_old_one_is_not_woken() {
        let timer = PingTimer;
        let (first, first_waker) = counting_waker();
        let (second, second_waker) = counting_waker();
        let mut sleep = timer.sleep(Duration::from_secs(1));
        assert_eq!(poll(&mut sleep, &first_waker), Poll::Pending);
        assert_eq!(poll(&mut sleep, &second_waker), Poll::Pending);
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(first.0.load(Ordering::SeqCst), 0);
        assert_eq!(second.0.load(Ordering::SeqCst), 1);
        assert_eq!(poll(&mut sleep, &second_waker), Poll::Ready(()));
    }

    #[tokio::test(start_paused = true)]
    async fn a_reset_after_firing_registers_again_and_fires_at_the_new_deadline() {
        let timer = PingTimer;
        let (count, waker) = counting_waker();
        let mut sleep = timer.sleep(Duration::from_secs(1));
        assert_eq!(poll(&mut sleep, &waker), Poll::Pending);
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(poll(&mut sleep, &waker), Poll::Ready(()));

        // As hyper does after a PING: the same sleep, a later deadline.
        timer.reset(&mut sleep, timer.now() + Duration::from_secs(20));
        assert_eq!(poll(&mut sleep, &waker), Poll::Pending);
        assert_eq!(poll(&mut sleep, &waker), Poll::Pending);
        tokio::time::sleep(Duration::from_secs(19)).await;
        assert_eq!(poll(&mut sleep, &waker), Poll::Pending);
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(
            count.0.load(Ordering::SeqCst),
            2,
            "woken at the new deadline"
        );
        assert_eq!(poll(&mut sleep, &waker), Poll::Ready(()));
    }

    #[tokio::test(start_paused = true)]
    async fn a_timer_reset_after_firing_unpolled_registers_again() {
        let timer = PingTimer;
        let (count, waker) = counting_waker();
        let mut sleep = timer.sleep(Duration::from_secs(1));
        assert_eq!(poll(&mut sleep, &waker), Poll::Pending);
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        // Fired (tokio gave its waker up), and reset before anyone saw it end: the next poll
        // must register the waker again, or nothing would wake it at the new deadline.
        timer.reset(&mut sleep, timer.now() + Duration::from_secs(3));
        assert_eq!(poll(&mut sleep, &waker), Poll::Pending);
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(count.0.load(Ordering::SeqCst), 2);
        assert_eq!(poll(&mut sleep, &waker), Poll::Ready(()));
    }

    #[tokio::test(start_paused = true)]
    async fn a_reset_while_pending_moves_the_deadline_both_ways() {
        let timer = PingTimer;
        let (count, waker) = counting_waker();
        let mut sleep = timer.sleep_until(timer.now() + Duration::from_secs(20));
        assert_eq!(poll(&mut sleep, &waker), Poll::Pending);
        timer.reset(&mut sleep, timer.now() + Duration::from_secs(2));
        assert_eq!(poll(&mut sleep, &waker), Poll::Pending);
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert_eq!(poll(&mut sleep, &waker), Poll::Ready(()));

        let mut sleep = timer.sleep(Duration::from_secs(1));
        assert_eq!(poll(&mut sleep, &waker), Poll::Pending);
        timer.reset(&mut sleep, timer.now() + Duration::from_secs(5));
        assert_eq!(poll(&mut sleep, &waker), Poll::Pending);
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(
            poll(&mut sleep, &waker),
            Poll::Pending,
            "the old deadline is gone"
        );
        tokio::time::sleep(Duration::from_secs(4)).await;
        assert_eq!(poll(&mut sleep, &waker), Poll::Ready(()));
    }
}
