//! Graceful shutdown of the server's connections: on the signal, each connection finishes
//! its in-flight requests and closes; the server waits until the last one is gone.
//!
//! hyper-util's `GracefulShutdown` does the same with a `tokio::sync::watch` channel whose
//! `changed()` future every connection polls before each poll of the connection, once per
//! request or more (~150 instructions of the ~11,000 a request costs). Here a connection
//! registers its task's waker once and afterwards only loads a flag: the shutdown sets the
//! flag and wakes every registered task, under the lock a registration takes, so no
//! connection can miss it.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use hyper_util::server::graceful::GracefulConnection;
use tokio::sync::Notify;

#[derive(Default)]
struct Shared {
    shutting_down: AtomicBool,
    connections: Mutex<Connections>,
    /// Notified when the last connection is dropped after the shutdown began.
    all_closed: Notify,
}

#[derive(Default)]
struct Connections {
    next_id: u64,
    /// The live connections, with the waker of each one's last poll (`None` before it).
    wakers: HashMap<u64, Option<Waker>>,
}

impl Shared {
    fn connections(&self) -> MutexGuard<'_, Connections> {
        self.connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// The server's side: registers connections and shuts them down.
#[derive(Default)]
pub(crate) struct Graceful {
    shared: Arc<Shared>,
}

impl Graceful {
    /// Registers a connection as soon as it is accepted, before its version is known: the
    /// shutdown waits for it from then on.
    pub(crate) fn register(&self) -> Registration {
        let mut connections = self.shared.connections();
        let id = connections.next_id;
        connections.next_id += 1;
        connections.wakers.insert(id, None);
        Registration {
            shared: self.shared.clone(),
            id,
        }
    }

    /// Tells every connection to finish (stop reading new requests, answer those in flight,
    /// close) and waits until all of them are closed.
    pub(crate) async fn shutdown(self) {
        let all_closed = self.shared.all_closed.notified();
        let mut all_closed = std::pin::pin!(all_closed);
        all_closed.as_mut().enable();
        let empty = {
            let connections = self.shared.connections();
            self.shared.shutting_down.store(true, Ordering::Release);
            for waker in connections.wakers.values().flatten() {
                waker.wake_by_ref();
            }
            connections.wakers.is_empty()
        };
        if !empty {
            all_closed.await;
        }
    }
}

/// One accepted connection, counted by the shutdown until dropped.
pub(crate) struct Registration {
    shared: Arc<Shared>,
    id: u64,
}

impl Registration {
    /// `connection`, shut down gracefully once the server shuts down.
    pub(crate) fn watch<C: GracefulConnection>(self, connection: Pin<&mut C>) -> Watched<'_, C> {
        Watched {
            connection,
            registration: self,
            waker: None,
            signalled: false,
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut connections = self.shared.connections();
        connections.wakers.remove(&self.id);
        if connections.wakers.is_empty() && self.shared.shutting_down.load(Ordering::Acquire) {
            self.shared.all_closed.notify_waiters();
        }
    }
}

/// A connection that closes gracefully once the server shuts down.
pub(crate) struct Watched<'a, C> {
    connection: Pin<&'a mut C>,
    registration: Registration,
    /// The waker registered for this connection.
    waker: Option<Waker>,
    signalled: bool,
}

impl<C: GracefulConnection> Future for Watched<'_, C> {
    type Output = C::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<C::Output> {
        let this = &mut *self;
        if !this.signalled {
            let shared = &this.registration.shared;
            let registered = this
                .waker
                .as_ref()
                .is_some_and(|waker| waker.will_wake(cx.waker()));
            let shutting_down = if registered {
                shared.shutting_down.load(Ordering::Acquire)
            } else {
                // Under the lock the shutdown holds while it sets the flag and wakes the
                // registered tasks: either this task is woken or it sees the flag now.
                let mut connections = shared.connections();
                this.waker = Some(cx.waker().clone());
                connections
                    .wakers
                    .insert(this.registration.id, this.waker.clone());
                shared.shutting_down.load(Ordering::Acquire)
            };
            if shutting_down {
                this.signalled = true;
                this.connection.as_mut().graceful_shutdown();
            }
        }
        this.connection.as_mut().poll(cx)
    }
}
