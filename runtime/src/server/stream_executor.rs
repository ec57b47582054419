//! hyper's executor for HTTP/2 streams: a stream whose answer is already made is sent from
//! its connection's task, not from a task of its own.
//!
//! hyper hands every HTTP/2 stream (the service's future, then the sending of its answer) to
//! an executor, and tokio's makes a task of each: an allocation, an entry in the runtime's
//! list of tasks (under a lock), a trip through the run queue, and the task's state changes,
//! once per request. Most of routemark's answers are made while the request is routed
//! ([`RouteFuture`](crate::RouteFuture) is then the answer itself), so that task would only
//! send them.
//!
//! Such a stream is held here and polled in the connection's task, once hyper's connection
//! has been polled ([`SendsHeldStreams`]): by then hyper has taken every request the last read
//! brought, so their answers still leave in one write. Polled at once, inside hyper's loop,
//! each answer would be flushed on its own. A held stream that cannot finish (its flow-control
//! window is full) gets a task then, where it is polled again with that task's waker.
//!
//! A stream whose handler has work left gets its own task at once, as with tokio's executor,
//! so that a multi-threaded runtime can run the streams of one connection on several threads.
//!
//! How the executor knows: hyper calls the service and, right after, on the same thread,
//! hands the stream to the executor (`proto/h2/server.rs`, `poll_server`); the connection's
//! service notes in between whether the answer is made ([`note_answer_made`]).

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

type Stream = Pin<Box<dyn Future<Output = ()> + Send>>;

thread_local! {
    /// Whether the service's last call on this thread made its answer at once; taken by the
    /// next [`StreamExecutor::execute`].
    static ANSWER_MADE: Cell<bool> = const { Cell::new(false) };
    /// Whether a [`SendsHeldStreams`] is polling its connection on this thread, and will
    /// poll what `HELD` holds before its poll returns.
    static HOLDING: Cell<bool> = const { Cell::new(false) };
    /// The streams held for the [`SendsHeldStreams`] being polled.
    static HELD: RefCell<Vec<Stream>> = const { RefCell::new(Vec::new()) };
}

/// Called by the connection's service with each call's future: whether the answer is made.
#[inline]
pub(crate) fn note_answer_made(made: bool) {
    ANSWER_MADE.set(made);
}

/// The executor of the server's connections (see the module's comment). Anything it is not
/// sure it may hold goes to `tokio::spawn`, as with hyper-util's `TokioExecutor`.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct StreamExecutor;

impl<F> hyper::rt::Executor<F> for StreamExecutor
where
    F: Future<Output = ()> + Send + 'static,
{
    fn execute(&self, stream: F) {
        if ANSWER_MADE.replace(false) && HOLDING.get() {
            HELD.with_borrow_mut(|held| held.push(Box::pin(stream)));
        } else {
            tokio::spawn(stream);
        }
    }
}

/// A connection's future that polls the streams held by [`StreamExecutor`] after each poll
/// of the connection, in the connection's task.
pub(crate) struct SendsHeldStreams<C>(pub(crate) C);

impl<C: Future + Unpin> Future for SendsHeldStreams<C> {
    type Output = C::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<C::Output> {
        let outer = HOLDING.replace(true);
        // Restored however the poll ends, a panic included.
        let _restore = Restore(outer);
        let polled = Pin::new(&mut self.0).poll(cx);
        send_held(cx);
        polled
    }
}

struct Restore(bool);

impl Drop for Restore {
    fn drop(&mut self) {
        HOLDING.set(self.0);
    }
}

/// Polls the held streams once each with the connection's context; one that is not done
/// goes to a task of its own. A stream polled here may hold another (an upgrade's): the loop
/// takes it too.
fn send_held(cx: &mut Context<'_>) {
    loop {
        let batch = HELD.with_borrow_mut(|held| (!held.is_empty()).then(|| std::mem::take(held)));
        let Some(mut batch) = batch else {
            return;
        };
        for mut stream in batch.drain(..) {
            // A panic ends the stream alone, as it would end its task: the connection and
            // its other streams go on (hyper resets a stream whose sender is dropped).
            if let Ok(Poll::Pending) = catch_unwind(AssertUnwindSafe(|| stream.as_mut().poll(cx))) {
                tokio::spawn(stream);
            }
        }
        // The vector's capacity serves the next batch.
        HELD.with_borrow_mut(|held| {
            if held.is_empty() {
                *held = batch;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::rt::Executor;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A stream that counts its polls and is done at its `done_at`-th.
    struct Counted {
        polls: Arc<AtomicUsize>,
        done_at: usize,
    }

    impl Future for Counted {
        type Output = ();

        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            let n = self.polls.fetch_add(1, Ordering::SeqCst) + 1;
            if n >= self.done_at {
                Poll::Ready(())
            } else {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }

    fn counted(done_at: usize) -> (Arc<AtomicUsize>, Counted) {
        let polls = Arc::new(AtomicUsize::new(0));
        (polls.clone(), Counted { polls, done_at })
    }

    /// A connection that hands its streams to the executor on its first poll, as hyper does
    /// after each call of the service, and then checks what ran before its poll returned.
    struct Connection {
        streams: Vec<(bool, Counted)>,
    }

    impl Future for Connection {
        type Output = ();

        fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
            for (made, stream) in self.streams.drain(..) {
                note_answer_made(made);
                StreamExecutor.execute(stream);
            }
            Poll::Ready(())
        }
    }

    #[tokio::test]
    async fn made_answers_are_sent_in_the_connections_poll_and_the_rest_get_tasks() {
        let (made, made_stream) = counted(1);
        let (waiting, waiting_stream) = counted(1);
        let (blocked, blocked_stream) = counted(2);
        SendsHeldStreams(Connection {
            streams: vec![
                (true, made_stream),
                (false, waiting_stream),
                (true, blocked_stream),
            ],
        })
        .await;
        // Before any other task ran: the made answer was polled and finished in the
        // connection's poll; the one that would wait was not polled; the one held that could
        // not finish was polled once there.
        assert_eq!(made.load(Ordering::SeqCst), 1);
        assert_eq!(waiting.load(Ordering::SeqCst), 0);
        assert_eq!(blocked.load(Ordering::SeqCst), 1);
        // Their tasks run them to the end, the held one polled again with its task's waker.
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        assert_eq!(made.load(Ordering::SeqCst), 1);
        assert_eq!(waiting.load(Ordering::SeqCst), 1);
        assert_eq!(blocked.load(Ordering::SeqCst), 2);
        assert!(HELD.with_borrow(Vec::is_empty));
        assert!(!HOLDING.get(), "the flag is restored after the poll");
    }

    #[tokio::test]
    async fn outside_a_connections_poll_every_stream_gets_a_task() {
        let (polls, stream) = counted(1);
        note_answer_made(true);
        StreamExecutor.execute(stream);
        assert_eq!(polls.load(Ordering::SeqCst), 0, "not polled in place");
        assert!(HELD.with_borrow(Vec::is_empty), "not held");
        tokio::task::yield_now().await;
        assert_eq!(polls.load(Ordering::SeqCst), 1, "its task ran it");
    }

    struct Panics;

    impl Future for Panics {
        type Output = ();

        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
            panic!("a stream that panics");
        }
    }

    struct PanickingStreams(Option<Counted>);

    impl Future for PanickingStreams {
        type Output = &'static str;

        fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<&'static str> {
            note_answer_made(true);
            StreamExecutor.execute(Panics);
            note_answer_made(true);
            StreamExecutor.execute(self.0.take().expect("polled once"));
            Poll::Ready("the connection went on")
        }
    }

    #[tokio::test]
    async fn a_held_stream_that_panics_ends_alone() {
        let (polls, after) = counted(1);
        let ended = SendsHeldStreams(PanickingStreams(Some(after))).await;
        assert_eq!(ended, "the connection went on");
        assert_eq!(polls.load(Ordering::SeqCst), 1, "the next stream was sent");
        assert!(!HOLDING.get());
    }
}
