use std::fmt;

/// Generates [`Method`] and every mapping of it from one table of `Variant "TOKEN"` rows, so
/// that the enum, [`Method::ALL`], the wire names, the parsers and the variant names the
/// macro emits can never disagree. A method is added here, and nowhere else.
macro_rules! methods {
    ($($variant:ident $token:literal,)*) => {
        /// An HTTP method a route can be declared for.
        ///
        /// `CONNECT` is absent on purpose: it names a tunnel, not a resource, and no route can
        /// serve it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Method {
            $(
                #[doc = concat!("`", $token, "`")]
                $variant,
            )*
        }

        impl Method {
            /// Every method, in the order `Allow` headers list them.
            pub const ALL: [Method; [$($token),*].len()] = [$(Method::$variant),*];

            /// The method's name as it appears on the wire and in `#[route]`.
            ///
            /// ```
            /// assert_eq!(routemark_path::Method::Get.as_str(), "GET");
            /// ```
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Method::$variant => $token,)*
                }
            }

            /// The name of the enum variant (`"Get"`), which generated code writes as
            /// `Method::Get`.
            ///
            /// ```
            /// assert_eq!(routemark_path::Method::Delete.variant_name(), "Delete");
            /// ```
            pub const fn variant_name(self) -> &'static str {
                match self {
                    $(Method::$variant => stringify!($variant),)*
                }
            }

            /// The method named by a request's method token, exactly as sent (case-sensitive);
            /// `None` for a method no route can declare (`CONNECT`, extensions).
            ///
            /// Made for the request path: it allocates nothing, and each arm compares the
            /// length first and the bytes only when the length matches, `GET` first.
            ///
            /// ```
            /// use routemark_path::Method;
            ///
            /// assert_eq!(Method::from_token("GET"), Some(Method::Get));
            /// assert_eq!(Method::from_token("get"), None);
            /// assert_eq!(Method::from_token("CONNECT"), None);
            /// ```
            #[inline]
            pub fn from_token(token: &str) -> Option<Method> {
                match token {
                    $($token => Some(Method::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

methods! {
    Get "GET",
    Head "HEAD",
    Post "POST",
    Put "PUT",
    Patch "PATCH",
    Delete "DELETE",
    Options "OPTIONS",
    Trace "TRACE",
}

// A `MethodSet` is one bit per method in a `u16`.
const _: () = assert!(Method::ALL.len() <= 16);

impl Method {
    /// Parses a method name; names are case-sensitive, as in HTTP.
    ///
    /// # Errors
    ///
    /// [`UnknownMethod`] when `name` is not one of [`Method::ALL`]; it carries the closest
    /// known name, if any is close, for a "did you mean" hint.
    pub fn parse(name: &str) -> Result<Method, UnknownMethod> {
        Method::from_token(name).ok_or_else(|| UnknownMethod {
            suggestion: closest_method(name),
        })
    }

    const fn bit(self) -> u16 {
        1 << self as u16
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A method name that routemark does not know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownMethod {
    /// The closest known method, when the name looks like a misspelling of one
    /// (`get`, `PSOT`, `DELET`).
    pub suggestion: Option<Method>,
}

fn closest_method(name: &str) -> Option<Method> {
    let upper = name.to_ascii_uppercase();
    if let Some(m) = Method::from_token(&upper) {
        return Some(m);
    }
    let closest = closest_match(&upper, Method::ALL.iter().map(|m| m.as_str()))?;
    Method::from_token(closest)
}

/// The candidate closest to `name`, if one is close enough to be a likely misspelling: at most
/// one edit per three characters, plus one. Used for every "did you mean" hint.
///
/// ```
/// assert_eq!(routemark_path::closest_match("idd", ["id", "body"]), Some("id"));
/// assert_eq!(routemark_path::closest_match("zzz", ["id", "body"]), None);
/// ```
pub fn closest_match<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|&(d, c)| d > 0 && d <= c.len().max(name.len()) / 3 + 1)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// Levenshtein distance with adjacent transpositions counted as one edit, so `PSOT` is one
/// edit from `POST`.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev2 = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cur[j] = cur[j].min(prev2[j - 2] + 1);
            }
        }
        prev2 = std::mem::replace(&mut prev, cur);
    }
    prev[b.len()]
}

/// A set of [`Method`]s, as declared by `#[route(GET | POST "...")]`. `Copy`, one word.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct MethodSet(u16);

impl MethodSet {
    /// The empty set.
    pub const EMPTY: MethodSet = MethodSet(0);

    /// The set holding `method` alone.
    pub const fn single(method: Method) -> MethodSet {
        MethodSet(method.bit())
    }

    /// This set with `method` added.
    #[must_use]
    pub const fn with(self, method: Method) -> MethodSet {
        MethodSet(self.0 | method.bit())
    }

    /// The union of two sets.
    #[must_use]
    pub const fn union(self, other: MethodSet) -> MethodSet {
        MethodSet(self.0 | other.0)
    }

    /// The methods in both sets.
    #[must_use]
    pub const fn intersection(self, other: MethodSet) -> MethodSet {
        MethodSet(self.0 & other.0)
    }

    /// Whether `method` is in the set.
    pub const fn contains(self, method: Method) -> bool {
        self.0 & method.bit() != 0
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The methods of the set, in [`Method::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Method> {
        Method::ALL.into_iter().filter(move |m| self.contains(*m))
    }
}

impl FromIterator<Method> for MethodSet {
    fn from_iter<I: IntoIterator<Item = Method>>(iter: I) -> Self {
        iter.into_iter().fold(MethodSet::EMPTY, MethodSet::with)
    }
}

/// Formats as `GET | POST`, the way `#[route]` spells a method set.
impl fmt::Display for MethodSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, m) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            f.write_str(m.as_str())?;
        }
        Ok(())
    }
}

impl fmt::Debug for MethodSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MethodSet({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_is_case_sensitive_and_suggests() {
        assert_eq!(Method::parse("GET"), Ok(Method::Get));
        assert_eq!(
            Method::parse("get"),
            Err(UnknownMethod {
                suggestion: Some(Method::Get)
            })
        );
        assert_eq!(
            Method::parse("PSOT").unwrap_err().suggestion,
            Some(Method::Post)
        );
        assert_eq!(
            Method::parse("DELET").unwrap_err().suggestion,
            Some(Method::Delete)
        );
        assert_eq!(Method::parse("FROBNICATE").unwrap_err().suggestion, None);
    }

    #[test]
    fn every_method_round_trips_through_each_mapping() {
        for (i, m) in Method::ALL.into_iter().enumerate() {
            // `ALL` is in declaration order, so a method's bit is its place in `ALL`.
            assert_eq!(m as usize, i, "{m:?}");
            assert_eq!(Method::from_token(m.as_str()), Some(m));
            assert_eq!(Method::parse(m.as_str()), Ok(m));
            assert_eq!(format!("{m:?}"), m.variant_name());
            assert_eq!(m.to_string(), m.as_str());
            assert_eq!(MethodSet::single(m).iter().collect::<Vec<_>>(), [m]);
        }
    }

    #[test]
    fn from_token_takes_exact_tokens_only() {
        for token in [
            "", "get", "Get", "GE", "GETS", "GET ", " GET", "CONNECT", "PROPFIND",
        ] {
            assert_eq!(Method::from_token(token), None, "{token:?}");
        }
    }

    #[test]
    fn set_operations() {
        let s = MethodSet::single(Method::Post).with(Method::Get);
        assert_eq!(s.to_string(), "GET | POST");
        assert!(s.contains(Method::Get) && !s.contains(Method::Put));
        assert_eq!(
            s.intersection(MethodSet::single(Method::Post)),
            MethodSet::single(Method::Post)
        );
        assert!(MethodSet::EMPTY.is_empty());
    }

    #[test]
    fn edit_distance_counts_transpositions_once() {
        assert_eq!(edit_distance("POST", "PSOT"), 1);
        assert_eq!(edit_distance("idd", "id"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
