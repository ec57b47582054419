//! [`Server`]: hyper 1 on tokio, HTTP/1.1 and HTTP/2 (h2c), with production defaults and
//! graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::sync::Semaphore;

use crate::Body;
use crate::dispatch::Router;
use crate::error::Error;

/// The server's settings. Every field has a production default; see each setter of
/// [`Server`].
#[derive(Clone, Debug)]
struct ServerConfig {
    header_read_timeout: Duration,
    max_header_bytes: usize,
    max_headers: usize,
    max_connections: usize,
    shutdown_timeout: Duration,
    http2_max_concurrent_streams: u32,
    http2_max_header_list_size: u32,
    http2_keep_alive_interval: Duration,
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            header_read_timeout: Duration::from_secs(15),
            max_header_bytes: 64 << 10,
            max_headers: 100,
            max_connections: 10_000,
            shutdown_timeout: Duration::from_secs(10),
            http2_max_concurrent_streams: 200,
            http2_max_header_list_size: 16 << 10,
            http2_keep_alive_interval: Duration::from_secs(20),
        }
    }
}

/// A bound listener with the settings it serves with.
///
/// ```no_run
/// # async fn run(router: routemark::Router) -> Result<(), routemark::Error> {
/// use std::time::Duration;
///
/// let server = routemark::Server::bind("127.0.0.1:0")
///     .await?
///     .header_read_timeout(Duration::from_secs(5))
///     .max_connections(1_000);
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

    /// The address the server listens on (the real port when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// How long a client may take to send a request's headers, counted from the first
    /// byte the server waits for (also the HTTP/2 preface). Default 15 s; the connection is
    /// closed past it.
    #[must_use]
    pub fn header_read_timeout(mut self, timeout: Duration) -> Server {
        self.config.header_read_timeout = timeout;
        self
    }

    /// The most bytes of request line and headers buffered. Default 64 KiB; past it the
    /// request is answered `431`.
    #[must_use]
    pub fn max_header_bytes(mut self, bytes: usize) -> Server {
        self.config.max_header_bytes = bytes;
        self
    }

    /// The most header fields of one request. Default 100; past it, `431`.
    #[must_use]
    pub fn max_headers(mut self, count: usize) -> Server {
        self.config.max_headers = count;
        self
    }

    /// The most connections served at once; further connections wait in the kernel's
    /// accept queue. Default 10,000.
    #[must_use]
    pub fn max_connections(mut self, count: usize) -> Server {
        self.config.max_connections = count.max(1);
        self
    }

    /// How long in-flight requests may take to finish after a shutdown signal before their
    /// connections are closed. Default 10 s.
    #[must_use]
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Server {
        self.config.shutdown_timeout = timeout;
        self
    }

    /// The most concurrent streams of one HTTP/2 connection. Default 200.
    #[must_use]
    pub fn http2_max_concurrent_streams(mut self, streams: u32) -> Server {
        self.config.http2_max_concurrent_streams = streams;
        self
    }

    /// Serves `router` until SIGINT or SIGTERM, then shuts down gracefully.
    ///
    /// # Errors
    ///
    /// Only when the signal handlers cannot be installed; accept errors are logged and
    /// retried, never returned.
    pub async fn serve(self, router: Router) -> Result<(), Error> {
        let signal = shutdown_signal()?;
        self.serve_with_shutdown(router, signal).await
    }

    /// Serves `router` until `signal` completes, then stops accepting, lets every in-flight
    /// request finish within the shutdown timeout, and returns.
    ///
    /// # Errors
    ///
    /// None today; the `Result` leaves room for fatal listener errors.
    pub async fn serve_with_shutdown(
        self,
        router: Router,
        signal: impl Future<Output = ()> + Send,
    ) -> Result<(), Error> {
        let builder = Arc::new(self.connection_builder());
        let graceful = GracefulShutdown::new();
        let permits = Arc::new(Semaphore::new(self.config.max_connections));
        let mut signal = std::pin::pin!(signal);
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
            let router = router.clone();
            let service = hyper::service::service_fn(move |request: http::Request<Incoming>| {
                let router = router.clone();
                async move {
                    Ok::<_, std::convert::Infallible>(router.handle(request.map(Body::new)).await)
                }
            });
            let builder = builder.clone();
            let connection = builder
                .serve_connection(TokioIo::new(stream), service)
                .into_owned();
            let connection = graceful.watch(connection);
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                drop(permit);
            });
        }
        drop(self.listener);
        tokio::select! {
            () = graceful.shutdown() => {}
            () = tokio::time::sleep(self.config.shutdown_timeout) => {
                tracing::warn!("shutdown deadline passed; closing the remaining connections");
            }
        }
        Ok(())
    }

    fn connection_builder(&self) -> auto::Builder<TokioExecutor> {
        let c = &self.config;
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(c.header_read_timeout)
            .keep_alive(true)
            .max_buf_size(c.max_header_bytes)
            .max_headers(c.max_headers);
        builder
            .http2()
            .timer(TokioTimer::new())
            .max_concurrent_streams(c.http2_max_concurrent_streams)
            .max_header_list_size(c.http2_max_header_list_size)
            .keep_alive_interval(c.http2_keep_alive_interval);
        builder
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
