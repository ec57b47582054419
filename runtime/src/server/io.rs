//! [`GuardedIo`]: the connection's byte stream, with the defences hyper leaves to us: a
//! write-stall timeout, an inactivity timeout, and the [`FramingGuard`] on reads, which also
//! times each request head.
//!
//! The header read timeout is ours rather than hyper's: hyper arms its timer anew for every
//! request (a boxed `Sleep` and a clock read each time, and it restarts whenever a keep-alive
//! connection goes idle, which makes the idle timeout moot). The guard already sees where
//! each head starts and ends, and a head that arrives whole in one read, nearly every head,
//! needs no timer at all: one is armed only while the guard holds an incomplete head, from
//! the read that brought its first bytes (and, from the start, for a connection's first
//! byte).

use std::sync::Arc;

use crate::observe::CloseReason;
use crate::observe::metrics::Fate;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, Waker, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep, sleep};

use super::framing::{FramingGuard, RETAINED_CAPACITY};

/// How many timer periods make up the idle timeout (see `GuardedIo::idle`).
const IDLE_PERIODS: u32 = 4;

/// In field order (`repr(C)`): first what every request reads or writes, in the fewest
/// cache lines (a connection's state is cold again by its next request when many
/// connections take turns), then the settings and what only a timeout or a held head uses.
#[repr(C)]
pub(crate) struct GuardedIo<S> {
    inner: S,
    ready_at: usize,
    /// Bytes read and released by the guard, not yet handed to hyper.
    ready: Vec<u8>,
    /// The header read timeout, armed from the start for the connection's first byte, then
    /// while the guard holds an incomplete head: the timer, and the number of the head it
    /// times (`None` for the first byte; see `time_head`).
    head_deadline: Option<(Pin<Box<Sleep>>, Option<u32>)>,
    write_stall: Option<Pin<Box<Sleep>>>,
    /// Fires every `idle_timeout / IDLE_PERIODS`; a connection with no I/O during
    /// `IDLE_PERIODS` periods in a row is closed, so between 1× and 1.25× the idle timeout
    /// after its last byte. Resetting a timer, or even reading the clock, on every read and
    /// write would cost every request; activity only sets `active`, looked at when the
    /// timer fires.
    idle: Pin<Box<Sleep>>,
    /// The waker `idle` was last polled with (see `poll_idle`).
    idle_waker: Option<Waker>,
    eof: bool,
    active: bool,
    quiet_periods: u32,
    guard: Option<FramingGuard>,
    /// How long a request head may take from its first byte to its end.
    head_timeout: Duration,
    write_timeout: Duration,
    idle_period: Duration,
    /// Where a cut is recorded, for the connection-close metrics.
    fate: Arc<Fate>,
}

impl<S> GuardedIo<S> {
    /// `guard` watches HTTP/1 framing when given (see `framing.rs`) and bounds each request
    /// head to `head_timeout`.
    pub(crate) fn new(
        inner: S,
        guard: Option<FramingGuard>,
        head_timeout: Duration,
        write_timeout: Duration,
        idle_timeout: Duration,
        fate: Arc<Fate>,
    ) -> GuardedIo<S> {
        GuardedIo {
            inner,
            guard,
            head_timeout,
            // A stream whose version was not told by peeking (`serve_connection`) gets its
            // first-byte timeout here; after a peek the first read has bytes at once.
            head_deadline: Some((Box::pin(sleep(head_timeout)), None)),
            ready: Vec::new(),
            ready_at: 0,
            eof: false,
            write_timeout,
            write_stall: None,
            idle: Box::pin(sleep(idle_timeout / IDLE_PERIODS)),
            idle_period: idle_timeout / IDLE_PERIODS,
            active: false,
            quiet_periods: 0,
            idle_waker: None,
            fate,
        }
    }

    /// The error that cuts the connection, with its reason recorded.
    fn cut(&self, reason: CloseReason, why: &'static str) -> io::Error {
        self.fate.set(reason);
        io::Error::new(io::ErrorKind::TimedOut, why)
    }

    /// Records bytes read or written. A flush, which hyper calls on every poll of the
    /// connection, is not activity: it would keep an idle connection open for ever.
    fn touch(&mut self) {
        self.active = true;
    }

    fn wrote(&mut self, written: usize) -> Poll<io::Result<usize>> {
        if written > 0 {
            self.touch();
        }
        Poll::Ready(Ok(written))
    }

    /// Starts the header read timeout when the guard begins to hold an incomplete head (again
    /// when a head completes and the next one starts in the same bytes), and stops it once
    /// the guard holds none (the head is complete, or the guard stopped watching).
    fn time_head(&mut self, held: Option<u32>) {
        match (held, &mut self.head_deadline) {
            (None, timed) => *timed = None,
            (Some(head), Some((_, timed))) if *timed == Some(head) => {}
            (Some(head), Some((timer, timed))) => {
                timer.as_mut().reset(Instant::now() + self.head_timeout);
                *timed = Some(head);
            }
            (Some(head), timed @ None) => {
                *timed = Some((Box::pin(sleep(self.head_timeout)), Some(head)));
            }
        }
    }

    /// Fails the connection when the head being held took longer than the header read
    /// timeout. Looked at whenever a read would block, which hyper also asks for while a
    /// request is in flight (to notice a closed connection) as long as it has no bytes
    /// buffered, and none of a held head reach it: so the rest of a pipelined head is read,
    /// and a client stalling in one is cut off on time, when a request is in flight too.
    fn poll_head_deadline(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        match self
            .head_deadline
            .as_mut()
            .map(|(deadline, _)| deadline.as_mut().poll(cx))
        {
            Some(Poll::Ready(())) => Err(self.cut(
                CloseReason::HeaderTimeout,
                "request head not complete within the header read timeout",
            )),
            _ => Ok(()),
        }
    }

    /// Fails the connection when nothing moved either way for the idle timeout.
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        // Called whenever a read would block, that is once per request or more. The timer
        // keeps the waker of its last poll, so while it has not fired and the task is the
        // same, polling it again would only repeat tokio's bookkeeping.
        let same_task = self
            .idle_waker
            .as_ref()
            .is_some_and(|waker| waker.will_wake(cx.waker()));
        if same_task && !self.idle.is_elapsed() {
            return Ok(());
        }
        // Out of coop budget, tokio returns from the poll before handing the timer the
        // waker: remember it only when the poll will reach the timer.
        self.idle_waker = match tokio::task::coop::has_budget_remaining() {
            true if same_task => self.idle_waker.take(),
            true => Some(cx.waker().clone()),
            false => None,
        };
        while self.idle.as_mut().poll(cx).is_ready() {
            if std::mem::take(&mut self.active) {
                self.quiet_periods = 0;
            } else {
                self.quiet_periods += 1;
                if self.quiet_periods >= IDLE_PERIODS {
                    return Err(self.cut(CloseReason::Idle, "connection idle for too long"));
                }
            }
            // From now, not from the last deadline: a late wake-up must not count as
            // several quiet periods.
            self.idle.as_mut().reset(Instant::now() + self.idle_period);
        }
        Ok(())
    }

    /// Runs a write, failing it when it stays blocked past the write-stall timeout (a client
    /// that never reads its responses).
    fn poll_write_op<T>(
        &mut self,
        cx: &mut Context<'_>,
        op: impl FnOnce(Pin<&mut S>, &mut Context<'_>) -> Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>>
    where
        S: Unpin,
    {
        match op(Pin::new(&mut self.inner), cx) {
            Poll::Ready(result) => {
                self.write_stall = None;
                Poll::Ready(result)
            }
            Poll::Pending => {
                let timeout = self.write_timeout;
                let stall = self
                    .write_stall
                    .get_or_insert_with(|| Box::pin(sleep(timeout)));
                match stall.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(self.cut(
                        CloseReason::WriteStall,
                        "client stopped reading: write stalled",
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for GuardedIo<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.ready_at < this.ready.len() {
                let n = buf.remaining().min(this.ready.len() - this.ready_at);
                buf.put_slice(&this.ready[this.ready_at..this.ready_at + n]);
                this.ready_at += n;
                if this.ready_at == this.ready.len() {
                    // At most one read plus a held head, once drained; a connection keeps
                    // no more than a small buffer between such reads.
                    if this.ready.capacity() > RETAINED_CAPACITY {
                        this.ready = Vec::new();
                    } else {
                        this.ready.clear();
                    }
                    this.ready_at = 0;
                }
                return Poll::Ready(Ok(()));
            }
            // A full buffer would read as end of stream below.
            if this.eof || buf.remaining() == 0 {
                return Poll::Ready(Ok(()));
            }
            // The client's bytes are read straight into hyper's buffer and checked there;
            // only an incomplete head is taken out again (into the guard) until it is whole.
            let before = buf.filled().len();
            match Pin::new(&mut this.inner).poll_read(cx, buf) {
                Poll::Pending => {
                    this.poll_head_deadline(cx)?;
                    this.poll_idle(cx)?;
                    return Poll::Pending;
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) => {}
            }
            let read = buf.filled().len() - before;
            let guard = match this.guard.as_mut() {
                Some(guard) if !guard.is_passing_through() => guard,
                _ => {
                    if read > 0 {
                        this.touch();
                        // No heads to time: HTTP/2, or bytes hyper rejects.
                        this.head_deadline = None;
                    }
                    return Poll::Ready(Ok(()));
                }
            };
            if read == 0 {
                guard.finish(&mut this.ready);
                this.eof = true;
                continue;
            }
            this.active = true;
            if guard.is_holding() {
                // Released bytes, if any, wait in `ready` for the next turn of the loop.
                guard.feed(&buf.filled()[before..], &mut this.ready);
                buf.set_filled(before);
            } else {
                let released = guard.feed_in_place(&mut buf.filled_mut()[before..]);
                buf.set_filled(before + released);
            }
            let held = guard.held_head();
            this.time_head(held);
            if buf.filled().len() > before {
                return Poll::Ready(Ok(()));
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for GuardedIo<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = ready!(this.poll_write_op(cx, |inner, cx| inner.poll_write(cx, buf)))?;
        this.wrote(written)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written =
            ready!(this.poll_write_op(cx, |inner, cx| inner.poll_write_vectored(cx, bufs)))?;
        this.wrote(written)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_write_op(cx, AsyncWrite::poll_flush)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_write_op(cx, AsyncWrite::poll_shutdown))?;
        Poll::Ready(Ok(()))
    }
}
