//! Property tests of the route grammar, the same oracles as the `path_grammar` fuzz target:
//! `PathTemplate::parse` never panics; every error's span lies inside the input on character
//! boundaries and its message renders; an accepted path prints back to exactly itself and
//! parses again to the same template; and a template matches a request path built from it.

use proptest::prelude::*;
use routemark_path::{PathTemplate, Segment};

/// Strings over the characters that matter to the grammar, plus a few that are invalid in a
/// path (space, `#`, non-ASCII, including multi-byte ones).
fn grammar_soup() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "/", "/", "/", "<", ">", "a", "b", "_", "1", "..", ".", "?", "&", "%", "%2F", "2", "F",
        "z", "self", " ", "#", "é", "䣯", "<a>", "<b..>", "?<q>", "&<r>", "-", "~", "@", ":",
    ]);
    prop::collection::vec(pieces, 0..16).prop_map(|p| p.concat())
}

/// Templates that are valid by construction: static text, parameters, a trailing slash or a
/// catch-all, query parameters.
fn valid_template() -> impl Strategy<Value = String> {
    let seg = prop_oneof![
        prop::sample::select(vec!["a", "users", "%20", "a.b", "~x", "-", "@", "..", "A1"])
            .prop_map(str::to_owned),
        Just("<param>".to_owned()),
    ];
    (
        prop::collection::vec(seg, 0..5),
        0..3u8,
        prop::sample::subsequence(vec!["q", "page", "_x"], 0..=3),
    )
        .prop_map(|(segs, end, query)| {
            let mut parts: Vec<String> = segs
                .into_iter()
                .enumerate()
                .map(|(i, s)| s.replace("param", &format!("p{i}")))
                .collect();
            match end {
                1 => parts.push(String::new()),
                2 => parts.push("<rest..>".to_owned()),
                _ if parts.is_empty() => parts.push(String::new()),
                _ => {}
            }
            let mut path = format!("/{}", parts.join("/"));
            for (i, q) in query.iter().enumerate() {
                path.push(if i == 0 { '?' } else { '&' });
                path.push_str(&format!("<{q}>"));
            }
            path
        })
}

fn check(input: &str) -> Result<(), TestCaseError> {
    match PathTemplate::parse(input) {
        Err(errors) => {
            prop_assert!(!errors.is_empty());
            for e in &errors {
                prop_assert!(
                    input.get(e.span.clone()).is_some(),
                    "span {:?} outside {:?} or not on a char boundary",
                    e.span,
                    input
                );
                prop_assert!(!e.to_string().is_empty());
            }
        }
        Ok(template) => {
            let printed = template.to_string();
            prop_assert_eq!(&printed, input);
            prop_assert_eq!(PathTemplate::parse(&printed), Ok(template.clone()));
            let mut path = String::new();
            let mut values = Vec::new();
            for (i, seg) in template.segments().iter().enumerate() {
                let value = match seg {
                    Segment::Static(s) => s.clone(),
                    Segment::Param(_) => format!("v{i}"),
                    Segment::CatchAll(_) => format!("r{i}/x/"),
                };
                if !matches!(seg, Segment::Static(_)) {
                    values.push(value.clone());
                }
                path.push('/');
                path.push_str(&value);
            }
            prop_assert_eq!(
                template.match_path(&path),
                Some(values.iter().map(String::as_str).collect()),
                "{:?} against {:?}",
                input,
                path
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn any_string_parses_or_fails_cleanly(input in any::<String>()) {
        check(&input)?;
    }

    #[test]
    fn grammar_soup_parses_or_fails_cleanly(input in grammar_soup()) {
        check(&input)?;
    }

    #[test]
    fn valid_templates_round_trip(input in valid_template()) {
        prop_assert!(PathTemplate::parse(&input).is_ok(), "{:?}", input);
        check(&input)?;
    }
}
