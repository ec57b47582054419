//! [`GuardedIo`]: the connection's byte stream, with the defences hyper leaves to us: a
//! write-stall timeout, an inactivity timeout, and the [`FramingGuard`] on reads.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep, sleep};

use super::framing::FramingGuard;

pub(crate) struct GuardedIo<S> {
    inner: S,
    guard: Option<FramingGuard>,
    /// Bytes read and released by the guard, not yet handed to hyper.
    ready: Vec<u8>,
    ready_at: usize,
    eof: bool,
    write_timeout: Duration,
    write_stall: Option<Pin<Box<Sleep>>>,
    idle_timeout: Duration,
    /// Fires at the earliest moment the connection could have been idle for
    /// `idle_timeout`; `last_activity` tells whether it really was. Resetting the timer on
    /// every read and write would touch tokio's timer wheel per I/O call, so activity only
    /// records an instant and the timer is re-armed when it fires.
    idle: Pin<Box<Sleep>>,
    last_activity: Instant,
}

impl<S> GuardedIo<S> {
    /// `guard` watches HTTP/1 framing when given (see `framing.rs`).
    pub(crate) fn new(
        inner: S,
        guard: Option<FramingGuard>,
        write_timeout: Duration,
        idle_timeout: Duration,
    ) -> GuardedIo<S> {
        GuardedIo {
            inner,
            guard,
            ready: Vec::new(),
            ready_at: 0,
            eof: false,
            write_timeout,
            write_stall: None,
            idle_timeout,
            idle: Box::pin(sleep(idle_timeout)),
            last_activity: Instant::now(),
        }
    }

    fn touch(&mut self) {
        self.last_activity = Instant::now();
    }

    /// Fails the connection when nothing moved either way for the idle timeout.
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        while self.idle.as_mut().poll(cx).is_ready() {
            let idle_until = self.last_activity + self.idle_timeout;
            if idle_until <= Instant::now() {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "connection idle for too long",
                ));
            }
            // There was activity since the timer was armed: re-arm it for the new end.
            self.idle.as_mut().reset(idle_until);
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
                self.touch();
                Poll::Ready(result)
            }
            Poll::Pending => {
                let timeout = self.write_timeout;
                let stall = self
                    .write_stall
                    .get_or_insert_with(|| Box::pin(sleep(timeout)));
                match stall.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
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
                    this.ready.clear();
                    this.ready_at = 0;
                }
                return Poll::Ready(Ok(()));
            }
            if this.eof {
                return Poll::Ready(Ok(()));
            }
            let Some(guard) = this.guard.as_mut() else {
                let before = buf.filled().len();
                let result = Pin::new(&mut this.inner).poll_read(cx, buf);
                if let Poll::Ready(Ok(())) = result {
                    if buf.filled().len() > before {
                        this.touch();
                    }
                } else if result.is_pending() {
                    this.poll_idle(cx)?;
                }
                return result;
            };
            let mut scratch = [0u8; 8192];
            let mut scratch_buf = ReadBuf::new(&mut scratch);
            match Pin::new(&mut this.inner).poll_read(cx, &mut scratch_buf) {
                Poll::Pending => {
                    this.poll_idle(cx)?;
                    return Poll::Pending;
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) => {
                    let filled = scratch_buf.filled();
                    if filled.is_empty() {
                        guard.finish(&mut this.ready);
                        this.eof = true;
                    } else {
                        this.last_activity = Instant::now();
                        guard.feed(filled, &mut this.ready);
                    }
                }
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
        self.get_mut()
            .poll_write_op(cx, |inner, cx| inner.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .poll_write_op(cx, |inner, cx| inner.poll_write_vectored(cx, bufs))
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
