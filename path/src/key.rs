use crate::{Method, PathTemplate, Segment};

/// The identifier that names a (method, path shape) pair inside one crate.
///
/// `#[route]` expands every route to a hidden `#[macro_export] macro_rules!` with this name, so
/// two routes with the same key in one crate are rustc's own error E0428, pointing at both.
/// The key is therefore what users read in that error, and it must be injective: two different
/// shapes never share a key.
///
/// Encoding: `duplicate_route_` + method + one `_`-led piece per segment. Inside a piece,
/// lowercase letters and digits stand for themselves, and every other character is an escape
/// that starts with an uppercase letter (so no piece contains `_`, which keeps segment
/// boundaries unambiguous):
///
/// | text | key | text | key |
/// |---|---|---|---|
/// | `<name>` | `P` | `<name..>` | `R` |
/// | `_` | `U` | `-` | `D` |
/// | `.` | `O` | `~` | `T` |
/// | `A`..`Z` | `C` + lowercase | any other byte | `X` + two lowercase hex digits |
///
/// ```
/// # use routemark_path::{route_key, Method, PathTemplate};
/// let t = PathTemplate::parse("/api/v1/users/<id>").unwrap();
/// assert_eq!(route_key(Method::Get, &t), "duplicate_route_GET_api_v1_users_P");
/// ```
pub fn route_key(method: Method, template: &PathTemplate) -> String {
    let mut key = format!("duplicate_route_{method}");
    for seg in template.segments() {
        key.push('_');
        match seg {
            Segment::Param(_) => key.push('P'),
            Segment::CatchAll(_) => key.push('R'),
            Segment::Static(text) => {
                for b in text.bytes() {
                    match b {
                        b'a'..=b'z' | b'0'..=b'9' => key.push(b as char),
                        b'A'..=b'Z' => {
                            key.push('C');
                            key.push(b.to_ascii_lowercase() as char);
                        }
                        b'_' => key.push('U'),
                        b'-' => key.push('D'),
                        b'.' => key.push('O'),
                        b'~' => key.push('T'),
                        _ => key.push_str(&format!("X{b:02x}")),
                    }
                }
            }
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn key(path: &str) -> String {
        route_key(Method::Get, &PathTemplate::parse(path).unwrap())
    }

    #[test]
    fn parameter_names_do_not_matter() {
        assert_eq!(key("/users/<id>"), key("/users/<name>"));
        assert_eq!(key("/f/<a..>"), key("/f/<b..>"));
        assert_eq!(key("/s?<q>"), key("/s"));
    }

    #[test]
    fn is_injective_on_lookalike_paths() {
        let paths = [
            "/a_b/c",
            "/a/b_c",
            "/a/b/c",
            "/a-b/c",
            "/a.b/c",
            "/A/b/c",
            "/a/b/c/",
            "/a/b/<c>",
            "/a/b/<c..>",
            "/a/b/P",
            "/a/b/R",
            "/a/bU",
            "/a/b%5F",
            "/a/b~",
            "/a/bT",
            "/",
            "/a",
            "/a/",
            "/ca",
            "/Ca",
            "/X5f",
            "/_",
        ];
        let keys: HashSet<String> = paths.iter().map(|p| key(p)).collect();
        assert_eq!(keys.len(), paths.len());
        for k in &keys {
            assert!(
                k.chars().all(|c| c == '_' || c.is_ascii_alphanumeric()),
                "{k}"
            );
        }
    }

    #[test]
    fn method_is_part_of_the_key() {
        let t = PathTemplate::parse("/a").unwrap();
        assert_ne!(route_key(Method::Get, &t), route_key(Method::Post, &t));
    }
}
