//! Request bodies with an idle timeout between frames and a deadline for the whole body.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use tokio::time::{Instant, Sleep, sleep, sleep_until};

use crate::body::{BodyTimeout, BoxError};
use crate::observe::CloseReason;
use crate::observe::metrics::Fate;

pub(crate) struct TimedBody<B> {
    inner: B,
    idle_timeout: Duration,
    idle: Pin<Box<Sleep>>,
    deadline: Pin<Box<Sleep>>,
    /// The connection's: a body timeout closes it.
    fate: Arc<Fate>,
}

impl<B> TimedBody<B> {
    pub(crate) fn new(
        inner: B,
        idle_timeout: Duration,
        total_timeout: Duration,
        fate: Arc<Fate>,
    ) -> TimedBody<B> {
        TimedBody {
            inner,
            idle_timeout,
            idle: Box::pin(sleep(idle_timeout)),
            deadline: Box::pin(sleep_until(Instant::now() + total_timeout)),
            fate,
        }
    }
}

impl<B> http_body::Body for TimedBody<B>
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                let deadline = Instant::now() + this.idle_timeout;
                this.idle.as_mut().reset(deadline);
                Poll::Ready(frame.map(|f| f.map_err(Into::into)))
            }
            Poll::Pending => {
                if this.deadline.as_mut().poll(cx).is_ready() {
                    this.fate.set(CloseReason::BodyTimeout);
                    return Poll::Ready(Some(Err(Box::new(BodyTimeout::Total))));
                }
                if this.idle.as_mut().poll(cx).is_ready() {
                    this.fate.set(CloseReason::BodyTimeout);
                    return Poll::Ready(Some(Err(Box::new(BodyTimeout::Idle))));
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
