//! The path parameters of a match, stored without heap allocation for up to eight of them.

use std::fmt;

/// How many parameters [`Params`] holds inline before spilling to the heap.
const INLINE: usize = 8;

/// The raw (not percent-decoded) text of each path parameter of a matched route, in path
/// order; a catch-all contributes one item holding the whole rest of the path, slashes
/// included.
///
/// Up to eight parameters are stored inline, so a lookup that matches a route with eight
/// parameters or fewer allocates nothing; more than eight spill to a `Vec`.
#[derive(Clone)]
pub struct Params<'p> {
    inline: [&'p str; INLINE],
    /// Parameters beyond the first [`INLINE`], in order; empty (unallocated) until needed.
    spill: Vec<&'p str>,
    len: usize,
}

impl<'p> Params<'p> {
    /// No parameters.
    pub(super) const fn new() -> Params<'p> {
        Params {
            inline: [""; INLINE],
            spill: Vec::new(),
            len: 0,
        }
    }

    pub(super) fn push(&mut self, value: &'p str) {
        if let Some(slot) = self.inline.get_mut(self.len) {
            *slot = value;
        } else {
            self.spill.push(value);
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
        } else if index < INLINE {
            Some(self.inline[index])
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

    #[test]
    fn push_pop_get_across_the_inline_boundary() {
        let names: Vec<String> = (0..12).map(|i| format!("p{i}")).collect();
        let mut p = Params::new();
        assert!(p.is_empty());
        for n in &names {
            p.push(n);
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
        p.push("x");
        p.push("y");
        assert_eq!(p.get(7), Some("x"));
        assert_eq!(p.get(8), Some("y"));
        assert_eq!(p.len(), 9);
    }

    #[test]
    fn eight_params_stay_inline() {
        let mut p = Params::new();
        for _ in 0..8 {
            p.push("v");
        }
        assert_eq!(p.spill.capacity(), 0);
        p.push("w");
        assert!(p.spill.capacity() > 0);
        assert_eq!(format!("{p:?}").matches('"').count(), 18);
    }

    #[test]
    fn pop_on_empty_is_harmless() {
        let mut p = Params::new();
        p.pop();
        assert!(p.is_empty());
        assert_eq!(p, Params::default());
    }
}
