//! One spare header map per thread: a request's map, emptied once its handler no longer
//! needs it, becomes the map of the next response made on the thread.
//!
//! A new response's map allocates twice on its first header (its index table and its
//! entries), and the request's map is freed twice when the request is dropped. Passing the
//! request's map on saves all four. Over HTTP/1 it goes round: hyper parses each request
//! into the map of the previous response (`cached_headers` in hyper's `h1::conn`), so in a
//! steady stream of requests no header map is allocated at all.
//!
//! Only the paths most requests take hand their map on (the shims of handlers whose last
//! argument reads no body, `keep_headers` in `private/`; `callN` when an extractor before
//! the last refuses the request; the router's own answers) and take one (the responses of
//! `IntoResponse` that set `Content-Type`, `response.rs`); anywhere else a map is made and
//! dropped as before.

use std::cell::Cell;

use http::HeaderMap;

/// The most headers a kept map may have room for: the map of a request with many headers
/// is dropped rather than kept, so a thread holds no more than a small map.
const MAX_KEPT: usize = 24;

thread_local! {
    /// The newest kept map first. Two, because shims hand maps on at two moments: before
    /// the answer is made (nothing borrows the request) or after (its parameters do). A
    /// request of the first kind takes back its own map; one of the second takes the map
    /// kept before it and leaves its own. With one slot, a request of the second kind after
    /// one of the first found the slot empty and allocated.
    static SPARE: [Cell<Option<HeaderMap>>; 2] = const { [Cell::new(None), Cell::new(None)] };
}

/// Keeps `headers`, emptied, for a later response; drops the oldest map kept, if there were
/// two already.
#[inline]
pub(crate) fn keep(mut headers: HeaderMap) {
    if headers.capacity() == 0 || headers.capacity() > MAX_KEPT {
        return;
    }
    headers.clear();
    // During the thread's teardown there is nowhere to keep it: it is dropped.
    let _ = SPARE.try_with(|[newest, older]| {
        if let Some(previous) = newest.replace(Some(headers)) {
            older.set(Some(previous));
        }
    });
}

/// The newest kept map, empty, or a new one (which allocates on its first header).
#[inline]
pub(crate) fn take() -> HeaderMap {
    SPARE
        .try_with(|[newest, older]| newest.take().or_else(|| older.take()))
        .ok()
        .flatten()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use http::header::{CONTENT_TYPE, HOST};

    #[test]
    fn a_kept_map_comes_back_empty_with_its_room() {
        let mut request = HeaderMap::with_capacity(4);
        request.insert(HOST, HeaderValue::from_static("example.com"));
        request.append(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        let room = request.capacity();
        keep(request);
        let reused = take();
        assert!(reused.is_empty());
        assert_eq!(reused.capacity(), room);
        // Taken once: the next one is new.
        assert_eq!(take().capacity(), 0);
    }

    #[test]
    fn two_maps_are_kept_the_newest_comes_first() {
        let room = |n| {
            let mut map = HeaderMap::with_capacity(n);
            map.insert(HOST, HeaderValue::from_static("example.com"));
            map.capacity()
        };
        let (small, large) = (room(2), room(12));
        assert_ne!(small, large);
        keep(HeaderMap::with_capacity(2));
        keep(HeaderMap::with_capacity(12));
        assert_eq!(take().capacity(), large);
        assert_eq!(take().capacity(), small);
        assert_eq!(take().capacity(), 0);
        // A third map pushes the oldest out.
        keep(HeaderMap::with_capacity(1));
        keep(HeaderMap::with_capacity(2));
        keep(HeaderMap::with_capacity(12));
        assert_eq!(take().capacity(), large);
        assert_eq!(take().capacity(), small);
        assert_eq!(take().capacity(), 0);
    }

    #[test]
    fn a_large_map_is_not_kept() {
        let mut request = HeaderMap::with_capacity(MAX_KEPT * 2);
        request.insert(HOST, HeaderValue::from_static("example.com"));
        keep(request);
        assert_eq!(take().capacity(), 0);
    }

    #[test]
    fn each_thread_keeps_its_own() {
        keep(HeaderMap::with_capacity(4));
        std::thread::spawn(|| assert_eq!(take().capacity(), 0))
            .join()
            .unwrap();
        assert!(take().capacity() >= 4);
    }
}
