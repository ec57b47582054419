//! The path parameters of a match, stored without heap allocation for up to eight of them.

use std::fmt;

/// How many parameters [`Params`] holds inline before spilling to the heap.
const INLINE: usize = 8;

/// The raw (not percent-decoded) text of each path parameter of a matched route, in path
/// order; a catch-all contributes one item holding the whole rest of the path, slashes
/// included.
///
/// Up to eight parameters are stored inline, so a lookup that matches a route with eight
/// parameters or fewer allocates nothing; more than eight spill to a `Vec`. Inline
/// parameters are byte ranges of the path (`u32` offsets), which keeps the whole value small
/// enough to be returned in registers-and-a-few-stores rather than a `memcpy`.
#[derive(Clone)]
pub struct Params<'p> {
    /// The text the ranges point into.
    path: &'p str,
    /// `(start, end)` byte offsets into `path`.
    inline: [(u32, u32); INLINE],
    /// Parameters beyond the first [`INLINE`], in order; empty (unallocated) until needed.
    spill: Vec<&'p str>,
    len: usize,
}

impl<'p> Params<'p> {
    /// No parameters.
    pub(super) const fn new() -> Params<'p> {
        Params {
            path: "",
            inline: [(0, 0); INLINE],
            spill: Vec::new(),
            len: 0,
        }
    }

    /// Sets the text that [`push_range`](Params::push_range) offsets refer to; only while
    /// there are no parameters.
    pub(super) fn set_path(&mut self, path: &'p str) {
        if self.len == 0 {
            self.path = path;
        }
    }

    /// Adds `path[start..end]`. The caller passes offsets below 4 GiB (it does not look up
    /// longer paths).
    pub(super) fn push_range(&mut self, start: usize, end: usize) {
        if let Some(slot) = self.inline.get_mut(self.len) {
            *slot = (start as u32, end as u32);
        } else {
            self.spill
                .push(self.path.get(start..end).unwrap_or_default());
        }
        self.len += 1;
    }

    pub(super) fn pop(&mut self) {
        if self.len > INLINE {
            self.spill.pop();
        }
        self.len = self.len.saturating_sub(1);
    }

    /// The raw text of the `index`-th parameter (0-based, path order), if there is one.
    pub fn get(&self, index: usize) -> Option<&'p str> {
        if index >= self.len {
            None
        } else if let Some(&(start, end)) = self.inline.get(index) {
            self.path.get(start as usize..end as usize)
        } else {
            self.spill.get(index - INLINE).copied()
        }
    }

    /// The number of parameters.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the matched route has no parameters.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The raw text of each parameter, in path order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &'p str> + '_ {
        (0..self.len).map(|i| self.get(i).unwrap_or_default())
    }
}

impl Default for Params<'_> {
    fn default() -> Self {
        Params::new()
    }
}

impl fmt::Debug for Params<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PartialEq for Params<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Params<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Params over `path`, one per `/`-separated piece after the first `/`.
    fn pieces(path: &str) -> (Params<'_>, Vec<(usize, usize)>) {
        let mut ranges = Vec::new();
        let mut pos = 1;
        for piece in path[1..].split('/') {
            ranges.push((pos, pos + piece.len()));
            pos += piece.len() + 1;
        }
        let mut p = Params::new();
        p.set_path(path);
        (p, ranges)
    }

    #[test]
    fn push_pop_get_across_the_inline_boundary() {
        let names: Vec<String> = (0..12).map(|i| format!("p{i}")).collect();
        let path = format!("/{}/x/y", names.join("/"));
        let (mut p, ranges) = pieces(&path);
        assert!(p.is_empty());
        for &(s, e) in &ranges[..12] {
            p.push_range(s, e);
        }
        assert_eq!(p.len(), 12);
        assert_eq!(p.iter().collect::<Vec<_>>(), names);
        assert_eq!(p.get(0), Some("p0"));
        assert_eq!(p.get(7), Some("p7"));
        assert_eq!(p.get(8), Some("p8"));
        assert_eq!(p.get(11), Some("p11"));
        assert_eq!(p.get(12), None);
        for _ in 0..5 {
            p.pop();
        }
        assert_eq!(p.len(), 7);
        assert_eq!(p.get(7), None);
        assert_eq!(p.iter().collect::<Vec<_>>(), names[..7]);
        p.push_range(ranges[12].0, ranges[12].1);
        p.push_range(ranges[13].0, ranges[13].1);
        assert_eq!(p.get(7), Some("x"));
        assert_eq!(p.get(8), Some("y"));
        assert_eq!(p.len(), 9);
    }

    #[test]
    fn eight_params_stay_inline() {
        let (mut p, ranges) = pieces("/v/v/v/v/v/v/v/v/w");
        for &(s, e) in &ranges[..8] {
            p.push_range(s, e);
        }
        assert_eq!(p.spill.capacity(), 0);
        p.push_range(ranges[8].0, ranges[8].1);
        assert!(p.spill.capacity() > 0);
        assert_eq!(format!("{p:?}").matches('"').count(), 18);
    }

    #[test]
    fn set_path_is_ignored_once_there_are_parameters() {
        let (mut p, ranges) = pieces("/a/b");
        p.push_range(ranges[0].0, ranges[0].1);
        p.set_path("/zzzz");
        assert_eq!(p.get(0), Some("a"));
    }

    #[test]
    fn pop_on_empty_is_harmless() {
        let mut p = Params::new();
        p.pop();
        assert!(p.is_empty());
        assert_eq!(p, Params::default());
    }
}
