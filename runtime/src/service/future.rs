//! [`RouteFuture`]: what a call of a [`Router`](crate::Router) or a
//! [`RouteService`](crate::RouteService) returns.

use std::convert::Infallible;
use std::fmt;
use std::future::{Future, Ready};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::FutureExt;
use futures_util::future::Either;

use crate::response::Response;

/// The rest of a request that waits: boxed, whatever it waits on.
pub(crate) type Reply = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

/// The future of a call of a [`Router`](crate::Router) or a
/// [`RouteService`](crate::RouteService): the answer itself when the request was answered
/// while it was routed (a `fn` handler, a `404`, most requests), else a box of what is
/// left. Answered requests allocate nothing for their future, and a router behind
/// `App::layer`s or in another tower stack answers them as the server would.
pub struct RouteFuture(Either<Ready<Result<Response, Infallible>>, Reply>);

impl RouteFuture {
    pub(crate) fn ready(response: Response) -> RouteFuture {
        RouteFuture(Either::Left(std::future::ready(Ok(response))))
    }

    pub(crate) fn later(reply: Reply) -> RouteFuture {
        RouteFuture(Either::Right(reply))
    }

    /// Whether the answer is made: the future is ready on its first poll.
    pub(crate) fn is_answered(&self) -> bool {
        matches!(self.0, Either::Left(_))
    }
}

impl Future for RouteFuture {
    type Output = Result<Response, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.poll_unpin(cx)
    }
}

impl fmt::Debug for RouteFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.0 {
            Either::Left(_) => "answered",
            Either::Right(_) => "waiting",
        };
        f.debug_tuple("RouteFuture").field(&state).finish()
    }
}
