//! Running a route's handler: the panic guard, the handler timeout (paused while the handler
//! reads the body), and `HEAD` answered by a `GET` route.

use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::FutureExt;
use http::header::{self, HeaderValue};
use routemark_path::Method;

use super::answers::{self, Failed};
use crate::request::RequestParts;
use crate::response::Response;
use crate::route::{BoxedHandler, HandlerFn, HandlerFuture, Route};
use crate::{Body, BoxError};

/// A handler called, not yet polled: its future and, for a request with a body, where the
/// reading of that body is.
pub(crate) struct Started {
    handler: BoxedHandler,
    progress: Option<Arc<BodyProgress>>,
}

/// What calling a handler's shim gave: its answer, from a handler that cannot wait, or its
/// future.
pub(crate) enum Begun {
    Answered(Response),
    Waiting(Started),
}

/// Calls `route`'s handler shim on a request that matched it, in `span` when a subscriber
/// wants it. Kept apart from [`finish`] so that the request, a few hundred bytes, moves
/// once, into the shim, and the `async` part takes only what the shim returned: the answer
/// itself for a handler that cannot wait, else its boxed future. The first runs here, in the
/// span; the second is instrumented (an allocation, only when a subscriber wants the span).
///
/// The router's own path does these steps itself ([`watch_body`], the call, [`waiting`]),
/// with the request built in the call's argument and the answer kept in one place: through
/// a function, inlined or not, the request was copied into its parameter first, and the
/// answer moved out of each enum it went through.
#[inline(always)]
pub(crate) fn start(
    handler: HandlerFn,
    parts: RequestParts,
    body: Body,
    span: &tracing::Span,
) -> Begun {
    let (body, progress) = watch_body(body);
    let entered = (!span.is_disabled()).then(|| span.enter());
    let handler = handler(parts, body);
    drop(entered);
    match handler.into_answer() {
        Ok(response) => Begun::Answered(response),
        Err(handler) => Begun::Waiting(waiting(handler, progress, span)),
    }
}

/// The body as the handler gets it, and where its reading is, for a request with a body:
/// only such a request needs its reading watched (an allocation per request).
#[inline(always)]
pub(crate) fn watch_body(body: Body) -> (Body, Option<Arc<BodyProgress>>) {
    let progress = (!http_body::Body::is_end_stream(&body)).then(Arc::<BodyProgress>::default);
    let body = match &progress {
        Some(progress) => Body::new(WatchedBody {
            inner: body,
            progress: progress.clone(),
        }),
        None => body,
    };
    (body, progress)
}

/// A handler's future to wait on, instrumented with `span` when a subscriber wants it.
#[inline(always)]
pub(crate) fn waiting(
    handler: BoxedHandler,
    progress: Option<Arc<BodyProgress>>,
    span: &tracing::Span,
) -> Started {
    if span.is_disabled() {
        return Started { handler, progress };
    }
    use tracing::Instrument;
    Started {
        handler: Box::pin(handler.instrument(span.clone())),
        progress,
    }
}

/// What answers a handler that ran past its timeout instead of the canned `503`.
pub(crate) trait OnTimeout {
    /// The fallback's answer, or `None` for the canned `503`.
    fn fallback(self) -> Option<HandlerFuture>;
}

/// The canned `503`: a route without a fallback.
pub(crate) struct Canned;

impl OnTimeout for Canned {
    #[inline(always)]
    fn fallback(self) -> Option<HandlerFuture> {
        None
    }
}

/// Whether a request's handler is polled a first time in the service's `call`, where the
/// request is routed ([`poll_in_call`]): over HTTP/1, whose connection polls the request's
/// future in its own task anyway. Over HTTP/2 each stream's future runs in a task of its
/// own, which a multi-threaded runtime may move to another thread: the handler runs there,
/// as it always did.
#[inline(always)]
pub(crate) fn polls_in_call(version: http::Version) -> bool {
    version != http::Version::HTTP_2
}

/// Polls a started handler once, with the panic guard, where it was called: its outcome if
/// it finished, which is then the request's answer at once (its future is the answer
/// itself, nothing boxed), as a handler that cannot wait answers in its shim.
///
/// Only in a task of the runtime: outside one, say a future built before `block_on`, the
/// handler could not reach the runtime's timers and sockets yet; it is polled where its
/// request's future is. The waker does nothing: a handler that waits is polled again, at
/// once, with the task's (see [`first_poll`]), and a future is always free to be polled
/// again, which re-registers it.
#[inline(always)]
pub(crate) fn poll_in_call(started: &mut Started) -> Option<Outcome> {
    tokio::task::try_id()?;
    let mut cx = Context::from_waker(std::task::Waker::noop());
    let handler = &mut started.handler;
    ready(std::panic::catch_unwind(AssertUnwindSafe(|| {
        handler.as_mut().poll(&mut cx)
    })))
}

/// Polls a started handler once, with the panic guard: its outcome if it finished (a panic
/// is an outcome too), `None` if it waits.
///
/// Most handlers finish on their first poll, so this comes before any clock read or timer:
/// such a request costs neither. The rest go to [`wait`]. The future holds one pointer; the
/// caller takes the outcome in an `if let` that ends before its next `await`, so that its
/// own future never holds a response across one.
#[inline(always)]
pub(crate) fn first_poll(started: &mut Started) -> impl Future<Output = Option<Outcome>> + '_ {
    std::future::poll_fn(move |cx| {
        let handler = &mut started.handler;
        Poll::Ready(ready(std::panic::catch_unwind(AssertUnwindSafe(|| {
            handler.as_mut().poll(cx)
        }))))
    })
}

/// Runs a started handler to its answer: [`first_poll`], then, for a handler that waits,
/// [`wait`], boxed; a `HEAD` answer trimmed. For the route services that stand alone
/// (behind the layers), whose futures are boxed anyway; the router's own path is
/// `HandlerRun::run`.
pub(crate) async fn finish(
    begun: Begun,
    route: &'static Route,
    method: Method,
    timeout: Duration,
    client_id: Option<&HeaderValue>,
    on_timeout: impl OnTimeout,
) -> Response {
    let mut started = match begun {
        Begun::Answered(mut response) => {
            head_only(method, &mut response);
            return response;
        }
        Begun::Waiting(started) => started,
    };
    let mut response = if let Some(outcome) = first_poll(&mut started).await {
        settle(outcome, route, method, client_id)
    } else {
        let wait = wait(&mut started, route, method, timeout, client_id, on_timeout);
        Box::pin(wait).await
    };
    head_only(method, &mut response);
    response
}

/// The answer of a handler that did not finish on its first poll: its own, or the timeout's
/// (`503`, or `on_timeout`'s). In a boxed future (the router's, or the caller's): the
/// timer, the `select!` and the fallback are the size of a few responses, and only a
/// handler that waits needs them.
pub(crate) async fn wait(
    started: &mut Started,
    route: &'static Route,
    method: Method,
    timeout: Duration,
    client_id: Option<&HeaderValue>,
    on_timeout: impl OnTimeout,
) -> Response {
    let Started { handler, progress } = started;
    match until_deadline(handler, progress.as_ref(), timeout).await {
        Some(outcome) => settle(outcome, route, method, client_id),
        None => match on_timeout.fallback() {
            None => answers::timed_out(route.path(), method, client_id, timeout),
            Some(fallback) => {
                answers::log_timed_out(route.path(), method, client_id);
                let mut response = caught(fallback, route, method, client_id).await;
                // Counted as a timeout, whatever the fallback answered.
                response.extensions_mut().insert(answers::Failure::Timeout);
                response
            }
        },
    }
}

/// A handler's outcome: its answer, or the panic it raised.
pub(crate) type Outcome = std::thread::Result<Response>;

/// The first poll's outcome, if it finished (a panic is an outcome too).
#[inline(always)]
fn ready(polled: std::thread::Result<Poll<Response>>) -> Option<Outcome> {
    match polled {
        Ok(Poll::Ready(response)) => Some(Ok(response)),
        Ok(Poll::Pending) => None,
        Err(panic) => Some(Err(panic)),
    }
}

/// The answer of a handler that finished or panicked.
#[inline(always)]
pub(crate) fn settle(
    outcome: Outcome,
    route: &'static Route,
    method: Method,
    client_id: Option<&HeaderValue>,
) -> Response {
    match outcome {
        Ok(response) => response,
        Err(panic) => answers::panicked(
            Failed::Route {
                path: route.path(),
                handler: route.name(),
            },
            &method,
            client_id,
            &*panic,
        ),
    }
}

/// Waits for a handler that did not finish on its first poll, until `timeout` has passed
/// outside the reading of the request body; `None` when it did not finish in time. The
/// deadline counts from the first poll's end: it could not have interrupted that poll anyway.
async fn until_deadline(
    handler: &mut BoxedHandler,
    progress: Option<&Arc<BodyProgress>>,
    timeout: Duration,
) -> Option<Outcome> {
    let mut handler = AssertUnwindSafe(handler).catch_unwind();
    // The handler timeout counts the time spent outside reading the request body, which
    // the server's body timeouts bound on their own (and report as 408).
    let mut deadline = tokio::time::Instant::now() + timeout;
    loop {
        tokio::select! {
            biased;
            outcome = &mut handler => return Some(outcome),
            () = tokio::time::sleep_until(deadline) => match progress.and_then(|p| p.deadline(timeout)) {
                Some(later) if later > deadline => deadline = later,
                _ => return None,
            },
        }
    }
}

/// A `HEAD` request answered by a `GET` route: the headers of the `GET` answer, with its
/// length, and no body.
#[inline(always)]
pub(crate) fn head_only(method: Method, response: &mut Response) {
    if method == Method::Head {
        head_only_body(response);
    }
}

/// [`head_only`] for a `HEAD` request.
#[cold]
fn head_only_body(response: &mut Response) {
    // Keep the length the GET would have sent, drop the bytes.
    let length = http_body::Body::size_hint(response.body()).exact();
    if let Some(length) = length {
        response
            .headers_mut()
            .entry(header::CONTENT_LENGTH)
            .or_insert(HeaderValue::from(length));
    }
    *response.body_mut() = Body::empty();
}

/// Runs a route's fallback with the panic guard of its handler.
pub(crate) async fn caught(
    fallback: HandlerFuture,
    route: &'static Route,
    method: Method,
    client_id: Option<&HeaderValue>,
) -> Response {
    match AssertUnwindSafe(fallback).catch_unwind().await {
        Ok(response) => response,
        Err(panic) => answers::panicked(
            Failed::Route {
                path: route.path(),
                handler: route.name(),
            },
            &method,
            client_id,
            &*panic,
        ),
    }
}

/// Where the handler is with the request body: the handler timeout pauses while it reads.
#[derive(Default)]
pub(crate) struct BodyProgress(std::sync::Mutex<BodyPhase>);

#[derive(Default, Clone, Copy)]
enum BodyPhase {
    #[default]
    Untouched,
    /// Polled last at this instant.
    Reading(tokio::time::Instant),
    Done(tokio::time::Instant),
}

impl BodyProgress {
    fn phase(&self) -> std::sync::MutexGuard<'_, BodyPhase> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The handler's deadline as of now: `timeout` after the body was last polled or
    /// ended, or `None` when the body was never touched (the deadline from the start
    /// stands). A handler that stops reading half-way is timed out from its last read.
    fn deadline(&self, timeout: Duration) -> Option<tokio::time::Instant> {
        match *self.phase() {
            BodyPhase::Untouched => None,
            BodyPhase::Reading(at) | BodyPhase::Done(at) => Some(at + timeout),
        }
    }
}

/// The request body, reporting to [`BodyProgress`].
struct WatchedBody {
    inner: Body,
    progress: Arc<BodyProgress>,
}

impl http_body::Body for WatchedBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, BoxError>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        let ended = matches!(polled, Poll::Ready(None) | Poll::Ready(Some(Err(_))))
            || (polled.is_ready() && self.inner.is_end_stream());
        let now = tokio::time::Instant::now();
        *self.progress.phase() = if ended {
            BodyPhase::Done(now)
        } else {
            BodyPhase::Reading(now)
        };
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
