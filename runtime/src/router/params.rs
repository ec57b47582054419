//! The path parameters of a match, stored without heap allocation for up to eight of them.
//!
//! One representation: [`ParamRanges`], byte ranges into the request path, which the lookup
//! fills and the request keeps (in [`RequestParts`](crate::RequestParts)) once the path it
//! borrowed from moves with the request; [`Params`] is the same ranges with the path, to read
//! them as text.

use std::fmt;
use std::ops::Range;

/// How many parameters are held inline before spilling to the heap.
const INLINE: usize = 8;

/// Where the path parameters are in the request path: `(start, end)` byte offsets, inline up
/// to eight (no allocation per request for typical routes), on the heap beyond. `u32`
/// offsets keep the inline part small enough to be returned without a `memcpy`; a path is
/// far shorter than 4 GiB (the URI length limit).
#[derive(Clone, Default)]
pub(crate) struct ParamRanges {
    len: usize,
    inline: [(u32, u32); INLINE],
    spill: Vec<(u32, u32)>,
}

impl ParamRanges {
    pub(crate) const fn new() -> ParamRanges {
        ParamRanges {
            len: 0,
            inline: [(0, 0); INLINE],
            spill: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, start: usize, end: usize) {
        let range = (start as u32, end as u32);
        match self.inline.get_mut(self.len) {
            Some(slot) => *slot = range,
            None => self.spill.push(range),
        }
        self.len += 1;
    }

    /// Drops the parameters from the `len`-th on (none when there are fewer).
    pub(crate) fn truncate(&mut self, len: usize) {
        if len < self.len {
            self.spill.truncate(len.saturating_sub(INLINE));
            self.len = len;
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn get(&self, index: usize) -> Option<Range<usize>> {
        if index >= self.len {
            return None;
        }
        let &(start, end) = match self.inline.get(index) {
            Some(range) => range,
            None => self.spill.get(index - INLINE)?,
        };
        Some(start as usize..end as usize)
    }

    /// Every range in order: the inline ones, then the spilled ones.
    fn iter(&self) -> impl Iterator<Item = Range<usize>> + '_ {
        let inline = self.inline.get(..self.len).unwrap_or(&self.inline);
        inline
            .iter()
            .chain(&self.spill)
            .map(|&(start, end)| start as usize..end as usize)
    }
}

impl fmt::Debug for ParamRanges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries((0..self.len).filter_map(|i| self.get(i)))
            .finish()
    }
}

/// The raw (not percent-decoded) text of each path parameter of a matched route, in path
/// order; a catch-all contributes one item holding the whole rest of the path, slashes
/// included. Up to eight parameters are stored inline, so a lookup that matches a route with
/// eight parameters or fewer allocates nothing.
#[derive(Clone)]
pub struct Params<'p> {
    /// The text the ranges point into.
    path: &'p str,
    ranges: ParamRanges,
}

impl<'p> Params<'p> {
    pub(super) const fn new() -> Params<'p> {
        Params {
            path: "",
            ranges: ParamRanges::new(),
        }
    }

    /// Sets the text the ranges point into; ignored once there are parameters, which point
    /// into the first.
    pub(super) fn set_path(&mut self, path: &'p str) {
        if self.ranges.len() == 0 {
            self.path = path;
        }
    }

    pub(super) fn push_range(&mut self, start: usize, end: usize) {
        self.ranges.push(start, end);
    }

    /// Drops the parameters from the `len`-th on.
    pub(super) fn truncate(&mut self, len: usize) {
        self.ranges.truncate(len);
    }

    /// The ranges without the path they point into, for a request that keeps them while its
    /// path moves.
    pub(crate) fn into_ranges(self) -> ParamRanges {
        self.ranges
    }

    /// The `index`-th parameter.
    pub fn get(&self, index: usize) -> Option<&'p str> {
        self.path.get(self.ranges.get(index)?)
    }

    /// How many parameters there are.
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ranges.len() == 0
    }

    /// The parameters in path order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &'p str> + '_ {
        let path = self.path;
        ParamsIter {
            ranges: self.ranges.iter(),
            left: self.len(),
        }
        .map(move |range| path.get(range).unwrap_or_default())
    }
}

/// The ranges of [`Params::iter`], with the count that makes it exact-size (a `Chain` is not).
struct ParamsIter<I> {
    ranges: I,
    left: usize,
}

impl<I: Iterator<Item = Range<usize>>> Iterator for ParamsIter<I> {
    type Item = Range<usize>;

    fn next(&mut self) -> Option<Range<usize>> {
        let range = self.ranges.next()?;
        self.left -= 1;
        Some(range)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }

    fn fold<B, F: FnMut(B, Range<usize>) -> B>(self, init: B, f: F) -> B {
        self.ranges.fold(init, f)
    }
}

impl<I: Iterator<Item = Range<usize>>> ExactSizeIterator for ParamsIter<I> {}

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
        p.truncate(7);
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
        assert_eq!(p.ranges.spill.capacity(), 0);
        p.push_range(ranges[8].0, ranges[8].1);
        assert!(p.ranges.spill.capacity() > 0);
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
    fn truncate_beyond_the_length_is_harmless() {
        let mut p = Params::new();
        p.truncate(0);
        p.truncate(3);
        assert!(p.is_empty());
        assert_eq!(p, Params::default());
    }
}
