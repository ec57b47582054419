//! Conflicts: pairs of routes that the router could not tell apart.

use routemark_path::MethodSet;

/// Two inserted routes that would answer the same request: their templates have the same
/// shape (parameter names ignored) and they declare at least one method in common.
///
/// See the [module documentation](super#conflicts) for why these are the only ambiguous
/// pairs.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Conflict {
    /// The insertion index of the earlier route.
    pub first: usize,
    /// The insertion index of the later route; always greater than `first`.
    pub second: usize,
    /// The methods both routes declare; never empty.
    pub methods: MethodSet,
}

/// Every conflicting pair among routes grouped by shape.
///
/// `groups` holds, for each shape, the insertion indices of the routes with that shape;
/// `methods[i]` is the method set of route `i`. The result is sorted by `(first, second)`.
pub(super) fn find_conflicts<'a>(
    groups: impl IntoIterator<Item = &'a [usize]>,
    methods: &[MethodSet],
) -> Vec<Conflict> {
    let mut out = Vec::new();
    for group in groups {
        for (k, &a) in group.iter().enumerate() {
            for &b in &group[k + 1..] {
                let (first, second) = if a < b { (a, b) } else { (b, a) };
                let common = methods[first].intersection(methods[second]);
                if !common.is_empty() {
                    out.push(Conflict {
                        first,
                        second,
                        methods: common,
                    });
                }
            }
        }
    }
    out.sort_by_key(|c| (c.first, c.second));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use routemark_path::Method;

    #[test]
    fn pairs_within_a_group_with_common_methods_sorted() {
        let get = MethodSet::single(Method::Get);
        let post = MethodSet::single(Method::Post);
        let methods = [get, get.with(Method::Post), post, get];
        let groups: [&[usize]; 2] = [&[3, 1, 0], &[2]];
        let c = find_conflicts(groups, &methods);
        assert_eq!(
            c,
            [
                Conflict {
                    first: 0,
                    second: 1,
                    methods: get
                },
                Conflict {
                    first: 0,
                    second: 3,
                    methods: get
                },
                Conflict {
                    first: 1,
                    second: 3,
                    methods: get
                },
            ]
        );
    }
}
