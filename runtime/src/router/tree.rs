//! The segment trie behind [`RouteTable`](super::RouteTable).
//!
//! Nodes live in one arena (`Vec<Node>`) and refer to each other by index. A node stands for
//! a sequence of template segments (a shape prefix); its edges are the next segment: static
//! children by text, at most one parameter child, and at most one catch-all, which is always
//! a leaf and so points straight at an endpoint. An endpoint is one shape: the value index
//! serving each method, and the methods declared for it.
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

/// Above this many static children, a node looks its children up by binary search instead of
/// a linear scan.
const LINEAR_SCAN_MAX: usize = 8;

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

#[derive(Debug)]
struct StaticEdge {
    /// The first byte of `text`, or 0 when it is empty; checked before `text` itself.
    first: u8,
    text: Box<str>,
    node: u32,
}

#[derive(Debug, Default)]
struct Node {
    /// Sorted by `text`.
    statics: Vec<StaticEdge>,
    /// The node after a `<param>` segment.
    param: Option<u32>,
    /// The endpoint of a `<rest..>` segment.
    catch_all: Option<u32>,
    /// The endpoint of templates that end at this node.
    endpoint: Option<u32>,
}

fn first_byte(text: &str) -> u8 {
    text.as_bytes().first().copied().unwrap_or(0)
}

impl Node {
    fn static_child(&self, segment: &str) -> Option<u32> {
        if self.statics.len() <= LINEAR_SCAN_MAX {
            let first = first_byte(segment);
            self.statics
                .iter()
                .find(|e| e.first == first && *e.text == *segment)
                .map(|e| e.node)
        } else {
            self.statics
                .binary_search_by(|e| (*e.text).cmp(segment))
                .ok()
                .map(|i| self.statics[i].node)
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
        };
        let mut groups: ShapeGroups = Vec::new();
        for (route, (methods, segments)) in routes.into_iter().enumerate() {
            let endpoint = tree.insert(segments);
            let slot = endpoint as usize;
            if slot == groups.len() {
                groups.push(Vec::new());
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
        (tree, groups)
    }

    /// Adds the nodes of one template and returns its endpoint.
    fn insert(&mut self, segments: &[Segment]) -> u32 {
        let mut node = 0usize;
        for seg in segments {
            match seg {
                Segment::Static(text) => {
                    let statics = &self.nodes[node].statics;
                    node = match statics.binary_search_by(|e| (*e.text).cmp(text.as_str())) {
                        Ok(i) => statics[i].node as usize,
                        Err(i) => {
                            let child = self.new_node();
                            self.nodes[node].statics.insert(
                                i,
                                StaticEdge {
                                    first: first_byte(text),
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
                            let child = self.new_node();
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

    fn new_node(&mut self) -> u32 {
        self.nodes.push(Node::default());
        to_index(self.nodes.len() - 1)
    }

    fn new_endpoint(&mut self) -> u32 {
        self.endpoints.push(Endpoint {
            serve: [None; METHODS],
            declared: MethodSet::EMPTY,
        });
        to_index(self.endpoints.len() - 1)
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
        if !path.starts_with('/') {
            return Outcome::NotFound;
        }
        let mut search = Search {
            tree: self,
            path,
            method: method_index(method),
            params,
            allow: MethodSet::EMPTY,
            matched: false,
        };
        if let Some(value) = search.walk(0, 1) {
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
    /// start of a segment, or `path.len() + 1` once every segment has been consumed.
    fn walk(&mut self, node: u32, pos: usize) -> Option<u32> {
        let tree = self.tree;
        let node = &tree.nodes[node as usize];
        let path = self.path;
        if pos > path.len() {
            return self.serve(node.endpoint?);
        }
        let end = path.as_bytes()[pos..]
            .iter()
            .position(|&b| b == b'/')
            .map_or(path.len(), |i| pos + i);
        let segment = &path[pos..end];
        if let Some(child) = node.static_child(segment) {
            if let Some(found) = self.walk(child, end + 1) {
                return Some(found);
            }
        }
        if let Some(child) = node.param {
            if !segment.is_empty() {
                self.params.push(segment);
                if let Some(found) = self.walk(child, end + 1) {
                    return Some(found);
                }
                self.params.pop();
            }
        }
        if let Some(ep) = node.catch_all {
            if pos < path.len() {
                let found = self.serve(ep)?;
                self.params.push(&path[pos..]);
                return Some(found);
            }
        }
        None
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
