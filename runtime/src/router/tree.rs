//! The segment trie behind [`RouteTable`](super::RouteTable).
//!
//! Nodes live in one arena (`Vec<Node>`) and refer to each other by index. A node stands for
//! a sequence of template segments (a shape prefix); its edges are the next segment: static
//! children by text, at most one parameter child, and at most one catch-all, which is always
//! a leaf and so points straight at an endpoint. An endpoint is one shape: the value index
//! serving each method, and the methods declared for it. A node with many static children
//! also indexes them by a hash of their key ([`EdgeTable`]).
//!
//! Lookup is a depth-first walk over the request path's segments, trying static, then
//! parameter, then catch-all edges, and backtracking when a branch dead-ends (or ends at a
//! node that does not serve the method). A trie node at depth `d` is only ever visited with
//! the request's `d`-th segment, so a lookup visits each node at most once: the walk is
//! linear in the size of the trie in the worst case, and in practice follows a single path.

use routemark_path::{Method, MethodSet, Segment};

use super::params::Params;

/// How many [`Method`]s there are.
const METHODS: usize = Method::ALL.len();

/// Above this many static children, a node looks its children up in an [`EdgeTable`]
/// instead of a linear scan.
const LINEAR_SCAN_MAX: usize = 8;

/// The multiplier of the multiplicative hashes below (odd, bits well mixed).
const HASH_K: u64 = 0xf135_7aea_2e62_a9c5;

/// The slot of `method` in [`Endpoint::serve`], or `None` for a method this router was not
/// built to know (`Method` is `#[non_exhaustive]`).
fn method_index(method: Method) -> Option<usize> {
    let index = method as usize;
    (Method::ALL.get(index) == Some(&method)).then_some(index)
}

/// Converts an arena length to an index. Four billion routes do not fit in memory anyway.
fn to_index(len: usize) -> u32 {
    u32::try_from(len).expect("route table too large")
}

/// A static edge while the trie is built.
#[derive(Debug)]
struct StaticEdge {
    text: Box<str>,
    node: u32,
}

/// `0x2f` ('/') in every byte.
const SLASHES: u64 = 0x2f2f_2f2f_2f2f_2f2f;
/// The low seven bits of every byte.
const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// The high bit of each zero byte of `x`, and no other bit. Exact, unlike the shorter
/// `(x - 0x01..) & !x & 0x80..`, whose borrows can flag a byte above a zero byte: no byte of
/// `(x & LOW7) + LOW7` carries into the next.
fn zero_bytes(x: u64) -> u64 {
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// The (up to) eight bytes of `bytes` from `at` as a little-endian word, zero past the end.
/// Zero is not `/`, so the padding never reads as a slash.
fn word_at(bytes: &[u8], at: usize) -> u64 {
    if let Some(chunk) = bytes.get(at..).and_then(<[u8]>::first_chunk) {
        return u64::from_le_bytes(*chunk);
    }
    let len = bytes.len();
    if at >= len {
        return 0;
    }
    match len.checked_sub(8) {
        // The last eight bytes, shifted down past those before `at` (one to seven of them).
        Some(tail) => {
            let word = bytes[tail..].try_into().map_or(0, u64::from_le_bytes);
            word >> (8 * (at - tail))
        }
        None => bytes[at..]
            .iter()
            .rev()
            .fold(0, |word, &b| (word << 8) | u64::from(b)),
    }
}

/// The segment of `bytes` that starts at `pos` (at most `bytes.len()`): where it ends (the
/// next `/`, or the end of `bytes`), and its [`head`]. The first word read serves both, and
/// finds the end of most segments, which are shorter than eight bytes.
fn segment_at(bytes: &[u8], pos: usize) -> (usize, u64) {
    let word = word_at(bytes, pos);
    let slashes = zero_bytes(word ^ SLASHES);
    if slashes != 0 {
        // The lowest flag is bit 7 of the slash's byte: the bytes below it are the segment's.
        let below = ((slashes & slashes.wrapping_neg()) >> 7) - 1;
        return (pos + (slashes.trailing_zeros() / 8) as usize, word & below);
    }
    let mut at = pos + 8;
    while at < bytes.len() {
        let slashes = zero_bytes(word_at(bytes, at) ^ SLASHES);
        if slashes != 0 {
            return (at + (slashes.trailing_zeros() / 8) as usize, word);
        }
        at += 8;
    }
    (bytes.len(), word)
}

/// The first eight bytes of a segment (all of a shorter one, zero-padded) as a word. With
/// the length, it tells segments of up to eight bytes apart by two integer comparisons.
fn head(text: &[u8]) -> u64 {
    word_at(text, 0)
}

/// A static edge as looked up: the segment's [`head`], last eight bytes (for a segment
/// longer than eight bytes: with the head, all of one up to sixteen bytes long) and length,
/// and the child (`0`, the root, which is no one's child, marks an empty slot of an
/// [`EdgeTable`]).
#[derive(Clone, Copy, Debug, Default)]
struct Edge {
    head: u64,
    tail: u64,
    len: u32,
    node: u32,
}

/// The last eight bytes of `bytes`, which has more than eight.
fn tail(bytes: &[u8]) -> u64 {
    bytes
        .get(bytes.len().saturating_sub(8)..)
        .and_then(|w| w.try_into().ok())
        .map_or(0, u64::from_le_bytes)
}

/// A node's static edges: a list scanned in order, or for a node with more than
/// [`LINEAR_SCAN_MAX`] of them an open-addressing table by a hash of head and length, at
/// most half full, so a probe usually ends at its first slot whether or not the segment is
/// there. It replaced a binary search whose six or so dependent loads were a quarter of the
/// lookup time on matchit's set (the root and `/repos/<owner>/<repo>` have dozens of
/// children).
#[derive(Debug, Default)]
struct EdgeTable {
    /// The edges, or the slots of the table (a power of two of them).
    slots: Box<[Edge]>,
    /// `0` for a list; otherwise `64 - log2(slots.len())`: the slot of a segment is the top
    /// bits of its hash.
    shift: u32,
}

fn edge_slot(head: u64, len: usize, shift: u32) -> usize {
    ((head ^ len as u64).wrapping_mul(HASH_K) >> shift) as usize
}

impl EdgeTable {
    fn build(edges: &[StaticEdge]) -> EdgeTable {
        let edge = |e: &StaticEdge| Edge {
            head: head(e.text.as_bytes()),
            tail: tail(e.text.as_bytes()),
            len: to_index(e.text.len()),
            node: e.node,
        };
        if edges.len() <= LINEAR_SCAN_MAX {
            return EdgeTable {
                slots: edges.iter().map(edge).collect(),
                shift: 0,
            };
        }
        let len = (edges.len() * 2).next_power_of_two();
        let mut slots = vec![Edge::default(); len].into_boxed_slice();
        let shift = 64 - len.trailing_zeros();
        for e in edges {
            let mut slot = edge_slot(head(e.text.as_bytes()), e.text.len(), shift);
            while slots[slot].node != 0 {
                slot = (slot + 1) & (len - 1);
            }
            slots[slot] = edge(e);
        }
        EdgeTable { slots, shift }
    }
}

#[derive(Debug, Default)]
struct Node {
    /// The text of the static edge into this node (empty for the root and parameter nodes),
    /// compared in full only for segments longer than eight bytes.
    text: Box<str>,
    /// Built once the trie is complete.
    edges: EdgeTable,
    /// The node after a `<param>` segment.
    param: Option<u32>,
    /// The endpoint of a `<rest..>` segment.
    catch_all: Option<u32>,
    /// The endpoint of templates that end at this node.
    endpoint: Option<u32>,
}

impl Node {
    /// The child along the static edge `segment`, whose [`head`] is `head`.
    #[inline(always)]
    fn static_child(&self, nodes: &[Node], head: u64, segment: &[u8]) -> Option<u32> {
        let len = segment.len();
        // Only compared for segments longer than eight bytes.
        let seg_tail = if len > 8 { tail(segment) } else { 0 };
        let is = |e: &Edge| {
            e.head == head
                && e.len as usize == len
                && (len <= 8
                    || (e.tail == seg_tail
                        && (len <= 16
                            || nodes
                                .get(e.node as usize)
                                .is_some_and(|n| same_text(n.text.as_bytes(), segment)))))
        };
        let slots = &self.edges.slots;
        if self.edges.shift == 0 {
            return slots.iter().find(|e| is(e)).map(|e| e.node);
        }
        let mut slot = edge_slot(head, len, self.edges.shift);
        loop {
            let edge = slots.get(slot)?;
            // An empty slot ends the probe.
            if edge.node == 0 {
                return None;
            }
            if is(edge) {
                return Some(edge.node);
            }
            slot = (slot + 1) & (slots.len() - 1);
        }
    }
}

/// One shape: which value serves each method.
#[derive(Debug)]
struct Endpoint {
    /// Value index per method slot. The HEAD slot falls back to the GET value when no route
    /// of this shape declares HEAD.
    serve: [Option<u32>; METHODS],
    /// The union of the methods declared by the routes of this shape.
    declared: MethodSet,
}

/// The result of a walk.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Outcome {
    /// The value index of the winning route; the parameters were written to the caller's
    /// [`Params`].
    Found(u32),
    /// Templates match the path but none serves the method: the `Allow` set.
    MethodNotAllowed(MethodSet),
    NotFound,
}

/// The built trie.
#[derive(Debug)]
pub(super) struct Tree {
    nodes: Vec<Node>,
    endpoints: Vec<Endpoint>,
    /// The endpoints of templates without parameters, by their whole path: a request for
    /// such a path is answered by one hash probe when the endpoint serves the method (a
    /// template of static segments only outranks every other template matching its path).
    static_paths: StaticPaths,
}

/// Little-endian words that together hold every byte of `bytes`: each eight bytes but the
/// last one to eight, then a word read from the end. Reading the end as one (overlapping)
/// load rather than copying a remainder into a buffer matters: a copy followed by a word
/// load of the buffer stalls on store forwarding, and was most of the hash's time. Two
/// slices of the same length are equal exactly when their words are.
fn covering_words(bytes: &[u8]) -> impl Iterator<Item = u64> + '_ {
    let whole_words = bytes.len().saturating_sub(1) / 8;
    let (head, _) = bytes.split_at(whole_words * 8);
    head.chunks_exact(8)
        .map(|chunk| chunk.try_into().map_or(0, u64::from_le_bytes))
        .chain(std::iter::once(last_word(bytes)))
}

/// The last one to eight bytes of `bytes` as one word, every one of them included: the last
/// eight bytes of a longer slice; two four-byte loads (overlapping when shorter than eight);
/// or the first, middle and last byte of one to three bytes.
fn last_word(bytes: &[u8]) -> u64 {
    let load4 = |at: usize| {
        bytes
            .get(at..at + 4)
            .and_then(|w| w.try_into().ok())
            .map_or(0, |w| u64::from(u32::from_le_bytes(w)))
    };
    let len = bytes.len();
    match len {
        0 => 0,
        1..=3 => {
            u64::from(bytes[0]) | u64::from(bytes[len / 2]) << 8 | u64::from(bytes[len - 1]) << 16
        }
        4..=8 => load4(0) | load4(len - 4) << 32,
        _ => bytes[len - 8..].try_into().map_or(0, u64::from_le_bytes),
    }
}

/// Byte equality for short strings without a call to `memcmp`, which costs more than the
/// comparison itself for the segments and paths of a route table.
#[inline]
fn same_text(a: &[u8], b: &[u8]) -> bool {
    let word = |chunk: &[u8]| chunk.try_into().map_or(0, u64::from_le_bytes);
    a.len() == b.len()
        && last_word(a) == last_word(b)
        && a.chunks_exact(8)
            .zip(b.chunks_exact(8))
            .all(|(x, y)| word(x) == word(y))
}

/// Hashes a path a word at a time (a multiply-rotate hash: the table is built from the
/// program's own routes, so it needs speed, not resistance to chosen keys).
fn hash_path(bytes: &[u8]) -> u64 {
    covering_words(bytes)
        .fold((bytes.len() as u64).wrapping_mul(HASH_K), |h, word| {
            (h ^ word).wrapping_mul(HASH_K).rotate_left(26)
        })
        .wrapping_mul(HASH_K)
}

/// An open-addressing hash table from whole static paths to endpoints, at most half full.
#[derive(Debug, Default)]
struct StaticPaths {
    /// `(low 32 bits of the hash, entry index + 1)`; `0` marks an empty slot. The length is
    /// a power of two, or zero when there are no entries.
    slots: Vec<(u32, u32)>,
    /// `(path, endpoint)`.
    entries: Vec<(Box<str>, u32)>,
    /// `64 - log2(slots.len())`: the slot of a hash is its top bits.
    shift: u32,
    /// A filter of 1,024 bits, one set for each entry's [`filter_bit`] (its length and first
    /// eight bytes). Most requests for parameterised routes have no static path of their
    /// length that begins as they do, and skip hashing altogether.
    filter: [u64; FILTER_WORDS],
}

/// The words of [`StaticPaths::filter`].
const FILTER_WORDS: usize = 16;

/// The word and bit of `path` in [`StaticPaths::filter`]: ten bits of a hash of its length
/// and its first eight bytes, which tell `/users/me` from `/users/42`.
fn filter_bit(path: &[u8]) -> (usize, u64) {
    let key = ((path.len() as u64).wrapping_mul(HASH_K) ^ head(path)).wrapping_mul(HASH_K) >> 54;
    ((key >> 6) as usize, 1 << (key & 63))
}

impl StaticPaths {
    fn build(entries: Vec<(Box<str>, u32)>) -> StaticPaths {
        if entries.is_empty() {
            return StaticPaths::default();
        }
        let len = (entries.len() * 2).next_power_of_two();
        let mut slots = vec![(0u32, 0u32); len];
        let shift = 64 - len.trailing_zeros();
        let mask = len - 1;
        for (index, (path, _)) in entries.iter().enumerate() {
            let h = hash_path(path.as_bytes());
            let mut i = (h >> shift) as usize & mask;
            while slots[i].1 != 0 {
                i = (i + 1) & mask;
            }
            // Truncation intended: the tag is the hash's low half.
            slots[i] = (h as u32, to_index(index + 1));
        }
        let mut filter = [0u64; FILTER_WORDS];
        for (path, _) in &entries {
            let (word, bit) = filter_bit(path.as_bytes());
            filter[word] |= bit;
        }
        StaticPaths {
            slots,
            entries,
            shift,
            filter,
        }
    }

    fn get(&self, path: &str) -> Option<u32> {
        let (word, bit) = filter_bit(path.as_bytes());
        if self.filter.get(word).is_none_or(|w| w & bit == 0) {
            return None;
        }
        let h = hash_path(path.as_bytes());
        let mask = self.slots.len() - 1;
        let tag = h as u32;
        let mut i = (h >> self.shift) as usize & mask;
        loop {
            let &(slot_tag, entry) = self.slots.get(i)?;
            if entry == 0 {
                return None;
            }
            if slot_tag == tag {
                let (text, endpoint) = self.entries.get(entry as usize - 1)?;
                if same_text(text.as_bytes(), path.as_bytes()) {
                    return Some(*endpoint);
                }
            }
            i = (i + 1) & mask;
        }
    }
}

/// What [`Tree::build`] returns besides the tree: for each endpoint (shape), the insertion
/// indices of the routes with that shape, for conflict detection.
pub(super) type ShapeGroups = Vec<Vec<usize>>;

impl Tree {
    /// Builds the trie of `routes` (method set and template segments, in insertion order;
    /// value indices are insertion indices). When two routes of one shape declare the same
    /// method, the earlier one serves it; the caller rejects such tables as conflicts anyway.
    pub(super) fn build<'a>(
        routes: impl IntoIterator<Item = (MethodSet, &'a [Segment])>,
    ) -> (Tree, ShapeGroups) {
        let mut tree = Tree {
            nodes: vec![Node::default()],
            endpoints: Vec::new(),
            static_paths: StaticPaths::default(),
        };
        let mut groups: ShapeGroups = Vec::new();
        let mut static_paths = Vec::new();
        // Each node's static edges, sorted by text.
        let mut statics: Vec<Vec<StaticEdge>> = vec![Vec::new()];
        for (route, (methods, segments)) in routes.into_iter().enumerate() {
            let endpoint = tree.insert(&mut statics, segments);
            let slot = endpoint as usize;
            if slot == groups.len() {
                groups.push(Vec::new());
                // A new endpoint: record its whole path when it has no parameters.
                let mut path = String::new();
                for segment in segments {
                    match segment {
                        Segment::Static(text) => {
                            path.push('/');
                            path.push_str(text);
                        }
                        _ => {
                            path.clear();
                            break;
                        }
                    }
                }
                if !path.is_empty() {
                    static_paths.push((path.into_boxed_str(), endpoint));
                }
            }
            groups[slot].push(route);
            let ep = &mut tree.endpoints[slot];
            ep.declared = ep.declared.union(methods);
            for m in methods.iter() {
                if let Some(i) = method_index(m) {
                    ep.serve[i].get_or_insert(to_index(route));
                }
            }
        }
        if let (Some(get), Some(head)) = (method_index(Method::Get), method_index(Method::Head)) {
            for ep in &mut tree.endpoints {
                if ep.serve[head].is_none() {
                    ep.serve[head] = ep.serve[get];
                }
            }
        }
        for (node, edges) in tree.nodes.iter_mut().zip(&statics) {
            node.edges = EdgeTable::build(edges);
        }
        tree.static_paths = StaticPaths::build(static_paths);
        (tree, groups)
    }

    /// Adds the nodes of one template and returns its endpoint.
    fn insert(&mut self, statics: &mut Vec<Vec<StaticEdge>>, segments: &[Segment]) -> u32 {
        let mut node = 0usize;
        for seg in segments {
            match seg {
                Segment::Static(text) => {
                    let edges = &statics[node];
                    node = match edges.binary_search_by(|e| (*e.text).cmp(text.as_str())) {
                        Ok(i) => edges[i].node as usize,
                        Err(i) => {
                            let child = self.new_node(statics, text);
                            statics[node].insert(
                                i,
                                StaticEdge {
                                    text: text.as_str().into(),
                                    node: child,
                                },
                            );
                            child as usize
                        }
                    };
                }
                Segment::Param(_) => {
                    node = match self.nodes[node].param {
                        Some(child) => child as usize,
                        None => {
                            let child = self.new_node(statics, "");
                            self.nodes[node].param = Some(child);
                            child as usize
                        }
                    };
                }
                // Always the last segment (the grammar says so); anything after it is ignored.
                Segment::CatchAll(_) => {
                    return match self.nodes[node].catch_all {
                        Some(ep) => ep,
                        None => {
                            let ep = self.new_endpoint();
                            self.nodes[node].catch_all = Some(ep);
                            ep
                        }
                    };
                }
            }
        }
        match self.nodes[node].endpoint {
            Some(ep) => ep,
            None => {
                let ep = self.new_endpoint();
                self.nodes[node].endpoint = Some(ep);
                ep
            }
        }
    }

    fn new_node(&mut self, statics: &mut Vec<Vec<StaticEdge>>, text: &str) -> u32 {
        self.nodes.push(Node {
            text: text.into(),
            ..Node::default()
        });
        statics.push(Vec::new());
        to_index(self.nodes.len() - 1)
    }

    fn new_endpoint(&mut self) -> u32 {
        self.endpoints.push(Endpoint {
            serve: [None; METHODS],
            declared: MethodSet::EMPTY,
        });
        to_index(self.endpoints.len() - 1)
    }

    /// The value index of the template without parameters whose path is exactly `path`, when
    /// it serves `method`: the winner of the lookup, since a template of static segments
    /// outranks every other template matching its path. `None` decides nothing; [`find`]
    /// then gives the answer (it finds static templates too, by walking the trie).
    ///
    /// [`find`]: Tree::find
    pub(super) fn find_static(&self, method: Method, path: &str) -> Option<u32> {
        let ep = self.static_paths.get(path)?;
        self.endpoints.get(ep as usize)?.serve[method_index(method)?]
    }

    /// The node after the root's static edge `segment`.
    pub(super) fn root_child(&self, segment: &str) -> Option<u32> {
        let segment = segment.as_bytes();
        self.nodes
            .first()?
            .static_child(&self.nodes, head(segment), segment)
    }

    /// Looks `path` up for `method`, writing the winner's parameters to `params` (which must
    /// be empty). Never panics, never allocates unless the winner has more than eight
    /// parameters.
    pub(super) fn find<'p>(
        &self,
        method: Method,
        path: &'p str,
        params: &mut Params<'p>,
    ) -> Outcome {
        self.find_from(0, method, path, params)
    }

    /// [`find`](Self::find) among the templates under `start`, as if they began there:
    /// `path` is matched against what follows `start`'s segments.
    pub(super) fn find_from<'p>(
        &self,
        start: u32,
        method: Method,
        path: &'p str,
        params: &mut Params<'p>,
    ) -> Outcome {
        // Parameters are stored as `u32` offsets; no request path comes near 4 GiB.
        if !path.starts_with('/') || u32::try_from(path.len()).is_err() {
            return Outcome::NotFound;
        }
        params.set_path(path);
        let method = method_index(method);
        let mut search = Search {
            tree: self,
            path,
            method,
            params,
            allow: MethodSet::EMPTY,
            matched: false,
        };
        if let Some(value) = search.walk(start, 1) {
            return Outcome::Found(value);
        }
        if !search.matched {
            return Outcome::NotFound;
        }
        let mut allow = search.allow.with(Method::Options);
        if allow.contains(Method::Get) {
            allow = allow.with(Method::Head);
        }
        Outcome::MethodNotAllowed(allow)
    }
}

/// The state of one lookup.
struct Search<'t, 'p, 'a> {
    tree: &'t Tree,
    path: &'p str,
    method: Option<usize>,
    params: &'a mut Params<'p>,
    /// Declared methods of the matching endpoints that do not serve `method`.
    allow: MethodSet,
    /// Whether any endpoint matched the path.
    matched: bool,
}

impl Search<'_, '_, '_> {
    /// Matches the segments from byte `pos` on against the subtrie at `node`. `pos` is the
    /// start of a segment, or `path.len() + 1` once every segment has been consumed. May
    /// leave parameters behind when it fails: a caller with another branch to try truncates
    /// them.
    ///
    /// A step with a single way forward (no alternative left at this node) loops rather
    /// than recurses; only a node where a failed branch leaves another to try recurses.
    fn walk(&mut self, mut node: u32, mut pos: usize) -> Option<u32> {
        let tree = self.tree;
        let bytes = self.path.as_bytes();
        loop {
            let n = tree.nodes.get(node as usize)?;
            if pos > bytes.len() {
                return self.serve(n.endpoint?);
            }
            let (end, head) = segment_at(bytes, pos);
            let segment = bytes.get(pos..end)?;
            if let Some(child) = n.static_child(&tree.nodes, head, segment) {
                if n.param.is_none() && n.catch_all.is_none() {
                    (node, pos) = (child, end + 1);
                    continue;
                }
                let saved = self.params.len();
                if let Some(found) = self.walk(child, end + 1) {
                    return Some(found);
                }
                self.params.truncate(saved);
            }
            if let Some(child) = n.param {
                if !segment.is_empty() {
                    let saved = self.params.len();
                    self.params.push_range(pos, end);
                    if n.catch_all.is_none() {
                        (node, pos) = (child, end + 1);
                        continue;
                    }
                    if let Some(found) = self.walk(child, end + 1) {
                        return Some(found);
                    }
                    self.params.truncate(saved);
                }
            }
            if let Some(ep) = n.catch_all {
                if pos < bytes.len() {
                    let found = self.serve(ep)?;
                    self.params.push_range(pos, bytes.len());
                    return Some(found);
                }
            }
            return None;
        }
    }

    /// The value serving the method at endpoint `ep`, or `None` after noting the endpoint's
    /// methods for the `Allow` set.
    fn serve(&mut self, ep: u32) -> Option<u32> {
        let ep = &self.tree.endpoints[ep as usize];
        let found = self.method.and_then(|m| ep.serve[m]);
        if found.is_none() {
            self.matched = true;
            self.allow = self.allow.union(ep.declared);
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The end of the segment at `pos` and its head, the slow way.
    fn naive_segment(bytes: &[u8], pos: usize) -> (usize, u64) {
        let end = bytes[pos..]
            .iter()
            .position(|&b| b == b'/')
            .map_or(bytes.len(), |i| pos + i);
        let head = bytes[pos..end]
            .iter()
            .take(8)
            .rev()
            .fold(0, |w, &b| (w << 8) | u64::from(b));
        (end, head)
    }

    #[test]
    fn zero_bytes_flags_exactly_the_zero_bytes() {
        // Every byte value next to a zero byte and next to a non-zero one, at every offset:
        // the borrow of the shorter formula would flag 0x01 above a zero byte.
        for at in 0..8 {
            for other in 0..=255u8 {
                for neighbour in [0u8, 1, 0x80, 0xff] {
                    let mut bytes = [neighbour; 8];
                    bytes[at] = other;
                    let x = u64::from_le_bytes(bytes);
                    let want = bytes
                        .iter()
                        .enumerate()
                        .filter(|&(_, &b)| b == 0)
                        .fold(0, |m, (i, _)| m | 0x80 << (8 * i));
                    assert_eq!(zero_bytes(x), want, "{bytes:x?}");
                }
            }
        }
    }

    #[test]
    fn segment_ends_at_every_offset() {
        // A slash at each position of paths of every length up to 40, among bytes one off
        // from '/' (0x2e, 0x30), with its high bit set (0xaf), and zero.
        for len in 0..40 {
            for fill in [b'a', 0x2e, 0x30, 0xaf, 0x00] {
                for slash in 0..=len {
                    let mut bytes = vec![fill; len];
                    if slash < len {
                        bytes[slash] = b'/';
                    }
                    for pos in 0..=len {
                        let word = word_at(&bytes, pos);
                        let want_word = bytes[pos..]
                            .iter()
                            .take(8)
                            .rev()
                            .fold(0, |w, &b| (w << 8) | u64::from(b));
                        assert_eq!(word, want_word, "{bytes:x?} at {pos}");
                        assert_eq!(
                            segment_at(&bytes, pos),
                            naive_segment(&bytes, pos),
                            "{bytes:x?} at {pos}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn long_segments_with_the_same_head_and_length_differ() {
        let texts = [
            "subscriptions",
            "subscriptionz",
            "zubscriptions",
            "subscriptionsandmore1",
            "subscriptionsandmore2",
            "subscriptionsbndmore1",
            // The same first and last eight bytes: only the middle tells it apart.
            "subscriptioXsandmore1",
            "12345678",
            "123456789",
        ];
        let statics: Vec<StaticEdge> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| StaticEdge {
                text: (*t).into(),
                node: to_index(i + 1),
            })
            .collect();
        let mut nodes = vec![Node::default()];
        nodes.extend(texts.iter().map(|t| Node {
            text: (*t).into(),
            ..Node::default()
        }));
        for edges in [&statics[..], &statics[..4]] {
            let node = Node {
                edges: EdgeTable::build(edges),
                ..Node::default()
            };
            for t in texts {
                let b = t.as_bytes();
                let want = edges.iter().find(|e| &*e.text == t).map(|e| e.node);
                assert_eq!(node.static_child(&nodes, head(b), b), want, "{t}");
            }
            for t in [
                "subscriptionx",
                "subscriptionsandmore3",
                "1234567",
                "123456780",
            ] {
                let b = t.as_bytes();
                assert_eq!(node.static_child(&nodes, head(b), b), None, "{t}");
            }
        }
    }

    #[test]
    fn static_paths_are_found_whatever_their_length_and_others_pass_by() {
        // Paths of 1 to 24 bytes, shorter and longer than the eight bytes the filter reads.
        let paths: Vec<String> = (1..=24)
            .map(|len| format!("/{}", "abcdefghijklmnopqrstuvwx".get(..len - 1).unwrap()))
            .collect();
        let entries = paths
            .iter()
            .enumerate()
            .map(|(i, p)| (p.as_str().into(), to_index(i)))
            .collect();
        let table = StaticPaths::build(entries);
        for (i, p) in paths.iter().enumerate() {
            assert_eq!(table.get(p), Some(to_index(i)), "{p}");
        }
        // The same lengths, other bytes (first or last); and other lengths.
        for p in &paths {
            let first = format!("/Z{}", p.get(2..).unwrap_or_default());
            let last = format!("{}Z", p.get(..p.len() - 1).unwrap());
            for other in [first, last, format!("{p}/"), format!("{p}z")] {
                if !paths.contains(&other) {
                    assert_eq!(table.get(&other), None, "{other}");
                }
            }
        }
        assert_eq!(StaticPaths::build(Vec::new()).get("/a"), None);
    }

    proptest! {
        #[test]
        fn same_text_is_string_equality(a in "[ab/]{0,20}", b in "[ab/]{0,20}") {
            prop_assert_eq!(same_text(a.as_bytes(), b.as_bytes()), a == b);
            prop_assert!(same_text(a.as_bytes(), a.clone().as_bytes()));
            if a == b {
                prop_assert_eq!(hash_path(a.as_bytes()), hash_path(b.as_bytes()));
            }
        }

        #[test]
        fn segment_at_finds_the_next_slash(
            bytes in prop::collection::vec(
                prop::sample::select(vec![b'/', b'a', 0x2e, 0x30, 0xaf, 0x00, 0xff]),
                0..80,
            ),
            at in any::<prop::sample::Index>(),
        ) {
            let pos = at.index(bytes.len() + 1);
            prop_assert_eq!(segment_at(&bytes, pos), naive_segment(&bytes, pos));
        }

        #[test]
        fn every_byte_counts(text in "[a-z]{1,40}", at in any::<prop::sample::Index>()) {
            let mut changed = text.clone().into_bytes();
            let i = at.index(changed.len());
            changed[i] = b'_';
            let changed = String::from_utf8(changed).unwrap();
            prop_assert!(!same_text(text.as_bytes(), changed.as_bytes()));
            prop_assert_ne!(
                covering_words(text.as_bytes()).collect::<Vec<_>>(),
                covering_words(changed.as_bytes()).collect::<Vec<_>>()
            );
        }
    }
}
