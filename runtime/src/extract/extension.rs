//! [`Extension`]: a value a layer put into the request, for the handler.

use std::any::type_name;
use std::task::{Context, Poll};

use http::StatusCode;

use super::FromRequestParts;
use crate::request::RequestParts;
use crate::response::HttpError;

/// A value from the request's extensions, where a layer put it: an authentication layer
/// inserts the user, the handler takes `Extension(user): Extension<User>`.
///
/// A request without such a value is answered `500 Internal Server Error` (a missing layer
/// is a bug of the application, not of the client), and the log line names the type and the
/// route.
///
/// `Extension(value)` is also a layer that inserts a clone of `value` into every request it
/// sees, as with axum:
///
/// ```
/// use routemark::{route, App, Extension};
///
/// #[derive(Clone)]
/// struct Region(&'static str);
///
/// #[route(GET "/region")]
/// fn region(Extension(region): Extension<Region>) -> &'static str {
///     region.0
/// }
///
/// let router = App::new().layer(Extension(Region("eu-west-1"))).build();
/// # let _ = router;
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Extension<T>(pub T);

impl<T: Clone + Send + Sync + 'static> FromRequestParts for Extension<T> {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, Self::Rejection> {
        match parts.extensions().get::<T>() {
            Some(value) => Ok(Extension(value.clone())),
            None => Err(missing::<T>(parts)),
        }
    }
}

#[cold]
fn missing<T>(parts: &RequestParts) -> HttpError {
    let route = parts.route().map_or("", |r| r.path());
    let handler = parts.route().map_or("", |r| r.name());
    tracing::error!(
        route,
        handler,
        r#type = type_name::<T>(),
        "`Extension<{}>` is not in the request: no layer inserted it",
        type_name::<T>()
    );
    HttpError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!(
            "missing request extension `{}`: add a layer that inserts it",
            type_name::<T>()
        ),
    )
}

impl<S, T: Clone> tower::Layer<S> for Extension<T> {
    type Service = AddExtension<S, T>;

    fn layer(&self, inner: S) -> AddExtension<S, T> {
        AddExtension {
            inner,
            value: self.0.clone(),
        }
    }
}

/// The service of the [`Extension`] layer: inserts a clone of the value into each request.
#[derive(Clone, Debug)]
pub struct AddExtension<S, T> {
    inner: S,
    value: T,
}

impl<S, T, B> tower::Service<http::Request<B>> for AddExtension<S, T>
where
    S: tower::Service<http::Request<B>>,
    T: Clone + Send + Sync + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> S::Future {
        request.extensions_mut().insert(self.value.clone());
        self.inner.call(request)
    }
}
