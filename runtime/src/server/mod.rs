//! [`Server`]: hyper 1 on tokio, HTTP/1.1 and HTTP/2 (h2c), with production defaults and
//! graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::{http1, http2};
use hyper_util::rt::TokioIo;
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
use tokio::sync::Semaphore;

use std::convert::Infallible;

use crate::Body;
use crate::error::Error;
use crate::observe::metrics::Fate;
use crate::observe::{CloseReason, Metrics};
use crate::response::Response;
use crate::service::{HttpService, Router};

mod framing;
mod graceful;
mod io;
mod ping_timer;
mod stream_executor;
mod timed_body;

use framing::FramingGuard;
use graceful::Graceful;
use io::GuardedIo;
use ping_timer::PingTimer;
use stream_executor::{SendsHeldStreams, StreamExecutor};
use timed_body::TimedBody;

/// The server's settings: every defence of `docs/hardening.md`, each with a production default.
///
/// | setting | default | on breach |
/// |---|---|---|
/// | [`header_read_timeout`](Self::header_read_timeout): a new connection's first bytes (and the whole HTTP/2 preface); each request line and headers, from their first byte | 15 s | connection closed |
/// | [`idle_timeout`](Self::idle_timeout): no byte read or written either way (a keep-alive connection waiting for its next request, HTTP/2 connections included), checked every quarter of it | 60 s (closed 60–75 s after the last byte) | connection closed |
/// | [`max_header_bytes`](Self::max_header_bytes): request line + headers | 64 KiB | 431 |
/// | [`max_headers`](Self::max_headers) | 100 | 431 |
/// | [`body_idle_timeout`](Self::body_idle_timeout) / [`body_timeout`](Self::body_timeout): between body frames / whole body | 15 s / 60 s | 408, connection closed |
/// | [`write_timeout`](Self::write_timeout): a write that makes no progress (a client that never reads) | 30 s | connection closed |
/// | [`max_connections`](Self::max_connections) | 10,000 | further connections wait in the accept queue |
/// | [`shutdown_delay`](Self::shutdown_delay): keep accepting after SIGINT/SIGTERM, `/readyz` failing | 0 | then the drain begins |
/// | [`shutdown_timeout`](Self::shutdown_timeout): drain after SIGINT/SIGTERM | 10 s | remaining connections closed |
/// | [`http2_max_concurrent_streams`](Self::http2_max_concurrent_streams) | 200 | stream refused |
/// | [`http2_max_header_list_size`](Self::http2_max_header_list_size) | 16 KiB | stream reset / GOAWAY |
/// | [`http2_keep_alive_interval`](Self::http2_keep_alive_interval): PING to detect dead peers (`None`: none) | 20 s | connection closed 20 s after an unanswered PING |
///
/// Always on as well: HTTP/2 streams buffer at most 64 KiB of unsent answer each (hyper's
/// default, 400 KiB, let a client that never reads hold 100 MiB per connection).
///
/// Always on, not settings: a timer installed on HTTP/2 (without one hyper's timeouts do
/// nothing; HTTP/1's header read timeout is the server's own); `Content-Length` together with `Transfer-Encoding` is answered 400
/// and the connection closed; an HTTP/1.1 request needs exactly one valid `Host` (400);
/// hyper's HTTP/2 reset-stream limits (20 pending-accept resets, 1024 local error resets).
/// The router's own limits (body size, URI length, handler timeout) are set on
/// [`App`](crate::App).
///
/// ```
/// use std::time::Duration;
/// use routemark::ServerConfig;
///
/// let _config = ServerConfig::default()
///     .header_read_timeout(Duration::from_secs(5))
///     .max_connections(1_000);
/// ```
#[derive(Clone, Debug)]
pub struct ServerConfig {
    header_read_timeout: Duration,
    idle_timeout: Duration,
    max_header_bytes: usize,
    max_headers: usize,
    body_idle_timeout: Duration,
    body_timeout: Duration,
    write_timeout: Duration,
    max_connections: usize,
    shutdown_timeout: Duration,
    shutdown_delay: Duration,
    http2_max_concurrent_streams: u32,
    http2_max_header_list_size: u32,
    http2_keep_alive_interval: Option<Duration>,
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            header_read_timeout: Duration::from_secs(15),
            idle_timeout: Duration::from_secs(60),
            max_header_bytes: 64 << 10,
            max_headers: 100,
            body_idle_timeout: Duration::from_secs(15),
            body_timeout: Duration::from_secs(60),
            write_timeout: Duration::from_secs(30),
            max_connections: 10_000,
            shutdown_timeout: Duration::from_secs(10),
            shutdown_delay: Duration::ZERO,
            http2_max_concurrent_streams: 200,
            http2_max_header_list_size: 16 << 10,
            http2_keep_alive_interval: Some(Duration::from_secs(20)),
        }
    }
}

macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident: $ty:ty $(=> $adjust:expr)?;)*) => {$(
        $(#[$doc])*
        #[must_use]
        pub fn $name(mut self, value: $ty) -> ServerConfig {
            $(let value = $adjust(value);)?
            self.$name = value;
            self
        }
    )*};
}

/// The HTTP/1 settings, on hyper's builder or on hyper-util's `auto` one (same method
/// names): one list for both, so that they cannot drift apart.
macro_rules! http1_settings {
    ($builder:expr, $config:expr) => {
        // No timer and no header read timeout: the guard times request heads (`io.rs`).
        $builder
            .header_read_timeout(None)
            .keep_alive(true)
            .max_buf_size($config.max_header_bytes)
            .max_headers($config.max_headers)
    };
}

/// The HTTP/2 settings, as `http1_settings`.
macro_rules! http2_settings {
    ($builder:expr, $config:expr) => {
        $builder
            .timer(PingTimer)
            .max_concurrent_streams($config.http2_max_concurrent_streams)
            .max_header_list_size($config.http2_max_header_list_size)
            .keep_alive_interval($config.http2_keep_alive_interval)
            .max_pending_accept_reset_streams(20)
            .max_local_error_reset_streams(1024)
            // hyper's default (400 KiB of unsent answer per stream) let a client that opens
            // its window wide and never reads hold 101 MiB per connection (200 streams);
            // 64 KiB: 26 MiB (tests/memory.rs, docs/hardening.md).
            .max_send_buf_size(64 << 10)
    };
}

impl ServerConfig {
    setters! {
        /// How long a client may take to send a request line and headers, from their first
        /// byte; also how long a new connection may stay silent before its first byte.
        /// Default 15 s. (A keep-alive connection waiting for its next request is bounded by
        /// the idle timeout.)
        header_read_timeout: Duration;
        /// How long a connection may stay without a byte read or written. Default 60 s; keep
        /// it above the handler timeout. Checked every quarter of it, without reading the
        /// clock per read or write: an idle connection closes between 1× and 1.25× this
        /// after its last byte.
        idle_timeout: Duration;
        /// The most bytes of request line and headers. Default 64 KiB (hyper's floor is
        /// 8 KiB); past it, 431.
        max_header_bytes: usize => |v: usize| v.max(8192);
        /// The most header fields of one request. Default 100; past it, 431.
        max_headers: usize;
        /// The longest pause between two frames of a request body. Default 15 s; past it, 408.
        body_idle_timeout: Duration;
        /// The longest a whole request body may take. Default 60 s; past it, 408.
        body_timeout: Duration;
        /// How long a write may make no progress before the connection is closed. Default 30 s.
        write_timeout: Duration;
        /// The most connections served at once. Default 10,000.
        max_connections: usize => |v: usize| v.max(1);
        /// How long in-flight requests may take to finish after a shutdown signal. Default 10 s.
        shutdown_timeout: Duration;
        /// How long the server keeps accepting after SIGINT/SIGTERM, with `/readyz`
        /// answering `503` from the first moment, before it stops accepting and drains.
        /// Default 0 (a developer's Ctrl-C is immediate); in Kubernetes, set it to the
        /// readiness probe's period (times its failure threshold) so that load balancers
        /// see the pod go unready before it stops taking connections.
        shutdown_delay: Duration;
        /// The most concurrent streams of one HTTP/2 connection. Default 200.
        http2_max_concurrent_streams: u32;
        /// The largest HTTP/2 header list. Default 16 KiB.
        http2_max_header_list_size: u32;
    }

    /// How long an HTTP/2 connection may go without a frame from the client before the
    /// server sends a PING; a PING unanswered for 20 s closes the connection (a peer that
    /// vanished without closing it). Default 20 s. `None` sends no PINGs, for a server whose
    /// clients are proxies that watch their connections themselves: it spares the lock and
    /// the clock reading hyper takes for every frame received (measured in
    /// `bench/README.md`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use routemark::ServerConfig;
    ///
    /// let every_minute = ServerConfig::default().http2_keep_alive_interval(Duration::from_secs(60));
    /// let never = ServerConfig::default().http2_keep_alive_interval(None);
    /// # let _ = (every_minute, never);
    /// ```
    #[must_use]
    pub fn http2_keep_alive_interval(
        mut self,
        interval: impl Into<Option<Duration>>,
    ) -> ServerConfig {
        self.http2_keep_alive_interval = interval.into();
        self
    }

    /// Serves one connection over any byte stream (a `TcpStream`, a TLS stream, an in-memory
    /// duplex for tests and fuzzing) with these settings, until the client is done or a
    /// limit closes it. `service` is a [`Router`] or any tower service, as for
    /// [`Server::serve`].
    pub async fn serve_connection<S, I>(&self, service: S, io: I)
    where
        S: HttpService,
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let builder = self.connection_builder();
        let connection = builder.serve_connection(
            TokioIo::new(self.guard(io, Arc::default())),
            connection_service(
                Router::serving(service),
                self.body_idle_timeout,
                self.body_timeout,
                Arc::default(),
            ),
        );
        if let Err(e) = SendsHeldStreams(std::pin::pin!(connection)).await {
            tracing::debug!(error = %e, "connection ended with an error");
        }
    }

    fn guard<I>(&self, io: I, fate: Arc<Fate>) -> GuardedIo<I> {
        GuardedIo::new(
            io,
            Some(FramingGuard::new(self.max_header_bytes)),
            self.header_read_timeout,
            self.write_timeout,
            self.idle_timeout,
            fate,
        )
    }

    /// The hyper builder of one connection of either version, for a stream that cannot be
    /// peeked at (its HTTP/1 timer belongs to that connection).
    fn connection_builder(&self) -> auto::Builder<StreamExecutor> {
        let mut builder = auto::Builder::new(StreamExecutor);
        http1_settings!(builder.http1(), self);
        http2_settings!(builder.http2(), self);
        builder
    }

    /// The HTTP/1 builder of one connection whose version is known.
    fn http1_builder(&self) -> http1::Builder {
        let mut builder = http1::Builder::new();
        http1_settings!(builder, self);
        // A complete head over the limit is 431 whatever the reads it came in: `max_buf_size`
        // alone catches only a head still incomplete when hyper's buffer fills, so a long head
        // that reaches hyper in a few large reads would pass. (hyper-util's `auto` builder
        // has no such setting; `serve_connection` relies on `max_buf_size` alone.)
        builder.max_header_size(self.max_header_bytes);
        builder
    }

    /// The HTTP/2 builder of one connection whose version is known.
    fn http2_builder(&self) -> http2::Builder<StreamExecutor> {
        let mut builder = http2::Builder::new(StreamExecutor);
        http2_settings!(builder, self);
        builder
    }
}

/// A bound listener with the [`ServerConfig`] it serves with.
///
/// ```no_run
/// # #[allow(dead_code)]
/// # async fn run(router: routemark::Router) -> Result<(), routemark::Error> {
/// use std::time::Duration;
/// use routemark::{Server, ServerConfig};
///
/// let server = Server::bind("127.0.0.1:0")
///     .await?
///     .config(ServerConfig::default().header_read_timeout(Duration::from_secs(5)));
/// println!("listening on {}", server.local_addr());
/// server.serve(router).await
/// # }
/// ```
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    local_addr: SocketAddr,
    config: ServerConfig,
}

impl Server {
    /// Binds `addr`.
    ///
    /// # Errors
    ///
    /// [`Error::Bind`] when the address cannot be bound.
    pub async fn bind(addr: impl ToSocketAddrs + std::fmt::Display) -> Result<Server, Error> {
        let shown = addr.to_string();
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Bind {
                addr: shown.clone(),
                source,
            })?;
        Server::from_listener(listener).map_err(|source| Error::Bind {
            addr: shown,
            source,
        })
    }

    /// Serves on an already bound listener.
    ///
    /// # Errors
    ///
    /// When the listener's local address cannot be read.
    pub fn from_listener(listener: TcpListener) -> std::io::Result<Server> {
        Ok(Server {
            local_addr: listener.local_addr()?,
            listener,
            config: ServerConfig::default(),
        })
    }

    /// Replaces the settings.
    #[must_use]
    pub fn config(mut self, config: ServerConfig) -> Server {
        self.config = config;
        self
    }

    /// The address the server listens on (the real port when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves `service` until SIGINT or SIGTERM, then shuts down gracefully.
    ///
    /// `service` is a [`Router`] (from [`App::build`](crate::App::build)), or any tower
    /// service of `http::Request<Body>` (an axum `Router`, a `tower::ServiceBuilder` stack)
    /// with the same hardening: the connection defences of [`ServerConfig`], the framing and
    /// `Host` checks, the 8 KiB target limit, and a panic answered `500` (logged) instead of
    /// a dropped connection. A `Router` is served directly, without boxing.
    ///
    /// # Errors
    ///
    /// Only when the signal handlers cannot be installed; accept errors are logged and
    /// retried, never returned.
    pub async fn serve<S>(self, service: S) -> Result<(), Error>
    where
        S: HttpService,
    {
        let signal = shutdown_signal()?;
        self.serve_with_shutdown(service, signal).await
    }

    /// Serves `service` until `signal` completes, then stops accepting, lets every in-flight
    /// request finish within the shutdown timeout, closes what is left, and returns.
    ///
    /// # Errors
    ///
    /// None today; the `Result` leaves room for fatal listener errors.
    pub async fn serve_with_shutdown<S>(
        self,
        service: S,
        signal: impl Future<Output = ()> + Send,
    ) -> Result<(), Error>
    where
        S: HttpService,
    {
        // One kind of target, a `Router`: its request future is hyper's service future
        // itself, and hyper's connection code is compiled once (a second accept loop for
        // other services made LLVM stop inlining it: +200 instructions per request).
        let router = Router::serving(service);
        let observe = router.inner.shared.recipe.observe.clone();
        // The overlay file, watched while the server runs.
        let watched = router
            .inner
            .shared
            .overlay
            .file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        #[cfg(feature = "etcd")]
        let _etcd_watcher = router
            .inner
            .shared
            .overlay
            .etcd
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
            .map(|source| {
                AbortOnDrop(tokio::spawn(crate::overlay::etcd::watch(
                    router.clone(),
                    source,
                )))
            });
        let _watcher = watched.map(|(path, seen)| {
            AbortOnDrop(tokio::spawn(crate::overlay::file::watch(
                router.clone(),
                path,
                seen,
            )))
        });
        let config = Arc::new(self.config);
        let graceful = Graceful::default();
        let permits = Arc::new(Semaphore::new(config.max_connections));
        // The signal, then the shutdown delay: `/readyz` fails from the signal on, and the
        // server keeps accepting until the delay is over.
        let stop = async {
            signal.await;
            observe.health.start_draining();
            if !config.shutdown_delay.is_zero() {
                tracing::info!(delay = ?config.shutdown_delay, "readiness failing; accepting until the shutdown delay is over");
                tokio::time::sleep(config.shutdown_delay).await;
            }
        };
        let mut signal = std::pin::pin!(stop);
        let mut backoff = Duration::from_millis(5);
        loop {
            let permit = tokio::select! {
                permit = permits.clone().acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_closed) => break,
                },
                () = &mut signal => break,
            };
            let (stream, _peer) = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok(accepted) => {
                        backoff = Duration::from_millis(5);
                        accepted
                    }
                    Err(e) => {
                        // EMFILE, ECONNABORTED …: keep serving; back off so a full fd
                        // table does not spin the loop.
                        tracing::warn!(error = %e, "accept failed; retrying in {backoff:?}");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(1));
                        continue;
                    }
                },
                () = &mut signal => break,
            };
            let _ = stream.set_nodelay(true);
            let config = config.clone();
            let fate = Arc::<Fate>::default();
            let service = connection_service(
                router.clone(),
                config.body_idle_timeout,
                config.body_timeout,
                fate.clone(),
            );
            let registration = graceful.register();
            let metrics = observe.metrics.clone();
            if let Some(metrics) = &metrics {
                metrics
                    .server
                    .open_connections
                    .fetch_add(1, Ordering::Relaxed);
            }
            let observe = observe.clone();
            tokio::spawn(async move {
                let _permit = permit;
                let mut counted = CountedClose {
                    metrics,
                    reason: CloseReason::Normal,
                };
                // The version is told from the first bytes, peeked with a timeout: a client
                // that connects and sends nothing, or part of the HTTP/2 preface, must not
                // hold the connection forever. Choosing the builder here spares every read
                // and write the buffer that hyper-util's `auto` detection puts in front.
                let detected =
                    tokio::time::timeout(config.header_read_timeout, is_http2(&stream)).await;
                let http2 = match detected {
                    Ok(Ok(http2)) => http2,
                    Ok(Err(_)) => return,
                    Err(_elapsed) => {
                        counted.reason = CloseReason::HeaderTimeout;
                        return;
                    }
                };
                let io = TokioIo::new(config.guard(stream, fate.clone()));
                let served = if http2 {
                    let connection = config.http2_builder().serve_connection(io, service);
                    SendsHeldStreams(registration.watch(std::pin::pin!(connection))).await
                } else {
                    let connection = config.http1_builder().serve_connection(io, service);
                    registration.watch(std::pin::pin!(connection)).await
                };
                counted.reason = close_reason(
                    served.as_ref().err(),
                    fate.get(),
                    observe.health.is_draining(),
                );
                if let Err(e) = served {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
            });
        }
        drop(self.listener);
        tokio::select! {
            () = graceful.shutdown() => {}
            () = tokio::time::sleep(config.shutdown_timeout) => {
                tracing::warn!("shutdown deadline passed; closing the remaining connections");
            }
        }
        Ok(())
    }
}

/// A background task of the server, stopped with it.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Counts a connection's close when its task ends, however it ends.
struct CountedClose {
    metrics: Option<Arc<Metrics>>,
    reason: CloseReason,
}

impl Drop for CountedClose {
    fn drop(&mut self) {
        if let Some(metrics) = &self.metrics {
            metrics.server.closed(self.reason);
        }
    }
}

/// Why a connection ended: the server's own cut when it made one (hyper reports some of
/// those as a clean end), else hyper's error.
fn close_reason(
    error: Option<&hyper::Error>,
    cut: Option<CloseReason>,
    draining: bool,
) -> CloseReason {
    if let Some(reason) = cut {
        return reason;
    }
    match error {
        None if draining => CloseReason::Shutdown,
        None => CloseReason::Normal,
        Some(e) if e.is_parse_too_large() => CloseReason::TooLarge,
        Some(e) if e.is_parse() || e.is_parse_status() => CloseReason::BadRequest,
        Some(e) if e.is_incomplete_message() || e.is_canceled() => CloseReason::Normal,
        Some(_) => CloseReason::Error,
    }
}

/// The hyper service of one connection: the router, with body timeouts on every request.
fn connection_service(
    router: Router,
    body_idle_timeout: Duration,
    body_timeout: Duration,
    fate: Arc<Fate>,
) -> impl hyper::service::Service<
    http::Request<Incoming>,
    Response = Response,
    Error = Infallible,
    Future = impl Future<Output = Result<Response, Infallible>> + Send,
> + Clone
+ Send
+ 'static {
    hyper::service::service_fn(move |request: http::Request<Incoming>| {
        // A request without a body (most of them) has nothing to time: no timers, no
        // wrapper, and no clone of the connection's `Fate`. The length hyper knows comes
        // first: over HTTP/2 it is zero when the stream ended with its headers, and
        // `is_end_stream` would lock the connection's stream store to say so again.
        let empty = http_body::Body::size_hint(request.body()).exact() == Some(0)
            || http_body::Body::is_end_stream(request.body());
        let fate = (!empty).then(|| fate.clone());
        let future = router.dispatch(request, move |body| match fate {
            None => Body::empty(),
            Some(fate) => Body::new(TimedBody::new(body, body_idle_timeout, body_timeout, fate)),
        });
        // Over HTTP/2, a stream whose answer is made is sent from the connection's task.
        stream_executor::note_answer_made(future.is_answered());
        future
    })
}

const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Waits until the bytes waiting on `stream` are enough to tell HTTP/1 from HTTP/2 (the
/// first byte, and, when the bytes so far are a prefix of the HTTP/2 preface, all of it),
/// and tells whether they are the preface: HTTP/2 with prior knowledge. The bytes stay in
/// the socket (peek); hyper reads them again.
async fn is_http2(stream: &TcpStream) -> std::io::Result<bool> {
    let mut buf = [0u8; 24];
    loop {
        stream.readable().await?;
        let n = stream.peek(&mut buf).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if n == buf.len() || !H2_PREFACE.starts_with(&buf[..n]) {
            return Ok(buf[..n] == *H2_PREFACE);
        }
        // A partial preface: `peek` leaves readiness set, so wait a little before looking
        // again rather than spinning.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Completes on SIGINT (Ctrl-C) or, on Unix, SIGTERM.
fn shutdown_signal() -> Result<impl Future<Output = ()> + Send, Error> {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutdown signal received; draining");
    })
}
