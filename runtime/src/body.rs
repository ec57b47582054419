//! The body type of requests and responses.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;

/// The error type bodies carry: any error, boxed.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The error a request body yields when the client sends it too slowly; body extractors
/// answer it with `408 Request Timeout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyTimeout {
    /// No bytes for the idle timeout.
    Idle,
    /// The whole body took longer than the total timeout.
    Total,
}

impl fmt::Display for BodyTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BodyTimeout::Idle => "the client stopped sending the request body",
            BodyTimeout::Total => "the request body took too long to arrive",
        })
    }
}

impl std::error::Error for BodyTimeout {}

/// A streaming HTTP body, type-erased: what a handler's request arrives with and what every
/// response is sent with.
pub struct Body(UnsyncBoxBody<Bytes, BoxError>);

impl Body {
    /// Wraps any [`http_body::Body`] of [`Bytes`] chunks.
    pub fn new<B>(body: B) -> Body
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        Body(body.map_err(Into::into).boxed_unsync())
    }

    /// A body with no bytes.
    pub fn empty() -> Body {
        Body::new(http_body_util::Empty::new())
    }
}

impl Default for Body {
    fn default() -> Body {
        Body::empty()
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Body")
            .field("size_hint", &http_body::Body::size_hint(&self.0))
            .finish()
    }
}

macro_rules! body_from_full {
    ($($ty:ty),*) => {$(
        impl From<$ty> for Body {
            fn from(value: $ty) -> Body {
                Body::new(http_body_util::Full::new(Bytes::from(value)))
            }
        }
    )*};
}
body_from_full!(Bytes, String, Vec<u8>, &'static str, &'static [u8]);

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        Pin::new(&mut self.0).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.0.size_hint()
    }
}
