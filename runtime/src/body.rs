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
///
/// A body known whole (`&'static str`, `String`, `Vec<u8>`, `Bytes`, none at all) is kept
/// as its bytes, sent in one frame, without a box: one allocation fewer for most responses.
pub struct Body(Inner);

enum Inner {
    /// The whole body; empty once sent.
    Full(Bytes),
    Boxed(UnsyncBoxBody<Bytes, BoxError>),
}

impl Body {
    /// Wraps any [`http_body::Body`] of [`Bytes`] chunks.
    pub fn new<B>(body: B) -> Body
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        Body(Inner::Boxed(body.map_err(Into::into).boxed_unsync()))
    }

    /// A body with no bytes.
    pub const fn empty() -> Body {
        Body(Inner::Full(Bytes::new()))
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
            .field("size_hint", &http_body::Body::size_hint(self))
            .finish()
    }
}

macro_rules! body_from_full {
    ($($ty:ty),*) => {$(
        impl From<$ty> for Body {
            fn from(value: $ty) -> Body {
                Body(Inner::Full(Bytes::from(value)))
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
        match &mut self.0 {
            Inner::Full(bytes) if bytes.is_empty() => Poll::Ready(None),
            Inner::Full(bytes) => Poll::Ready(Some(Ok(Frame::data(std::mem::take(bytes))))),
            Inner::Boxed(body) => Pin::new(body).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.0 {
            Inner::Full(bytes) => bytes.is_empty(),
            Inner::Boxed(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.0 {
            Inner::Full(bytes) => SizeHint::with_exact(bytes.len() as u64),
            Inner::Boxed(body) => body.size_hint(),
        }
    }
}

#[cfg(test)]
mod tests {
    use http_body::Body as _;
    use http_body_util::BodyExt;

    use super::*;

    #[tokio::test]
    async fn a_whole_body_is_one_frame_then_the_end() {
        for mut body in [
            Body::from("hello"),
            Body::from(String::from("hello")),
            Body::from(b"hello".to_vec()),
            Body::from(Bytes::from_static(b"hello")),
        ] {
            assert_eq!(body.size_hint().exact(), Some(5));
            assert!(!body.is_end_stream());
            let frame = body.frame().await.expect("a frame").expect("no error");
            assert_eq!(frame.into_data().expect("data"), "hello");
            assert!(body.is_end_stream());
            assert_eq!(body.size_hint().exact(), Some(0));
            assert!(body.frame().await.is_none());
        }
    }

    #[tokio::test]
    async fn an_empty_body_has_no_frame() {
        for mut body in [Body::empty(), Body::default(), Body::from("")] {
            assert!(body.is_end_stream());
            assert_eq!(body.size_hint().exact(), Some(0));
            assert!(body.frame().await.is_none());
        }
    }

    #[tokio::test]
    async fn a_wrapped_body_keeps_its_frames_and_hints() {
        let chunks = [
            Ok::<_, BoxError>(Frame::data(Bytes::from_static(b"ab"))),
            Ok(Frame::data(Bytes::from_static(b"cd"))),
        ];
        let body = Body::new(http_body_util::StreamBody::new(futures_util::stream::iter(
            chunks,
        )));
        assert_eq!(body.size_hint().exact(), None);
        assert_eq!(body.collect().await.expect("no error").to_bytes(), "abcd");
    }
}
