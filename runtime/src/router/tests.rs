//! The router against its definition (the module docs): table-driven cases and a property
//! test against the brute-force reference matcher.

use super::*;
use proptest::prelude::*;

fn methods(spec: &str) -> MethodSet {
    spec.split('|')
        .filter(|m| !m.is_empty())
        .map(|m| Method::parse(m).unwrap())
        .collect()
}

fn template(path: &str) -> PathTemplate {
    PathTemplate::parse(path).unwrap()
}

/// A table whose values are the route specs themselves (`"GET|POST /a/<x>"`).
fn table<'s>(routes: impl IntoIterator<Item = &'s &'static str>) -> RouteTable<&'static str> {
    let mut b = RouteTableBuilder::new();
    for &spec in routes {
        let (m, path) = spec.split_once(' ').unwrap();
        b.insert(methods(m), &template(path), spec);
    }
    b.build().unwrap()
}

/// The lookup written as `GET /a/<x> [b]`, `405 GET | HEAD | OPTIONS` or `404`.
fn render(lookup: Lookup<'_, '_, &str>) -> String {
    match lookup {
        Lookup::Found { value, params } => {
            format!("{value} {:?}", params.iter().collect::<Vec<_>>())
        }
        Lookup::MethodNotAllowed { allow } => format!("405 {allow}"),
        Lookup::NotFound => "404".to_owned(),
    }
}

/// Each case: routes, then `(method, path, expected)`; every case is checked with the
/// routes inserted in both orders.
type Case = (
    &'static [&'static str],
    &'static [(&'static str, &'static str, &'static str)],
);

fn check_cases(cases: &[Case]) {
    for (routes, requests) in cases {
        for t in [table(routes.iter()), table(routes.iter().rev())] {
            for (method, path, expected) in *requests {
                let got = render(t.lookup(Method::parse(method).unwrap(), path));
                assert_eq!(got, *expected, "{method} {path:?} with {routes:?}");
            }
        }
    }
}

#[test]
fn static_beats_param_beats_catch_all_in_any_insertion_order() {
    check_cases(&[(
        &["GET /a/b", "GET /a/<x>", "GET /a/<r..>"],
        &[
            ("GET", "/a/b", r#"GET /a/b []"#),
            ("GET", "/a/c", r#"GET /a/<x> ["c"]"#),
            ("GET", "/a/b/c", r#"GET /a/<r..> ["b/c"]"#),
            ("GET", "/a/b/", r#"GET /a/<r..> ["b/"]"#),
            ("GET", "/a/", "404"),
            ("GET", "/a", "404"),
            ("GET", "/b", "404"),
        ],
    )]);
}

#[test]
fn priority_is_decided_at_the_first_differing_segment() {
    check_cases(&[(
        &["GET /<x>/b/c", "GET /a/<y>/<z>", "GET /a/<r..>"],
        &[
            ("GET", "/a/b/c", r#"GET /a/<y>/<z> ["b", "c"]"#),
            ("GET", "/z/b/c", r#"GET /<x>/b/c ["z"]"#),
            ("GET", "/a/b/c/d", r#"GET /a/<r..> ["b/c/d"]"#),
        ],
    )]);
}

#[test]
fn backtracks_out_of_a_static_branch() {
    check_cases(&[(
        &["GET /a/<x>/c/d", "GET /a/b/<y>"],
        &[
            ("GET", "/a/b/c/d", r#"GET /a/<x>/c/d ["b"]"#),
            ("GET", "/a/b/c", r#"GET /a/b/<y> ["c"]"#),
            ("GET", "/a/z/c/d", r#"GET /a/<x>/c/d ["z"]"#),
            ("GET", "/a/b/x/d", "404"),
            ("GET", "/a/b/c/d/", "404"),
        ],
    )]);
}

#[test]
fn trailing_slash_is_significant() {
    check_cases(&[(
        &["GET /a", "GET /b/", "GET /c/<x>/", "GET /d/<x>"],
        &[
            ("GET", "/a", r#"GET /a []"#),
            ("GET", "/a/", "404"),
            ("GET", "/b/", r#"GET /b/ []"#),
            ("GET", "/b", "404"),
            ("GET", "/c/1/", r#"GET /c/<x>/ ["1"]"#),
            ("GET", "/c/1", "404"),
            ("GET", "/d/1/", "404"),
            ("GET", "/d/1", r#"GET /d/<x> ["1"]"#),
        ],
    )]);
}

#[test]
fn root_is_one_empty_segment() {
    check_cases(&[
        (
            &["GET /", "GET /<r..>"],
            &[
                ("GET", "/", r#"GET / []"#),
                ("GET", "//", r#"GET /<r..> ["/"]"#),
                ("GET", "/x/y", r#"GET /<r..> ["x/y"]"#),
                ("GET", "", "404"),
            ],
        ),
        (
            &["GET /<r..>", "GET /<x>"],
            &[
                ("GET", "/", "404"),
                ("GET", "/x", r#"GET /<x> ["x"]"#),
                ("GET", "/x/", r#"GET /<r..> ["x/"]"#),
            ],
        ),
    ]);
}

#[test]
fn encoded_slash_stays_inside_a_param() {
    check_cases(&[(
        &["GET /p/<x>", "GET /q/a%2Fb"],
        &[
            ("GET", "/p/a%2Fb", r#"GET /p/<x> ["a%2Fb"]"#),
            ("GET", "/p/a/b", "404"),
            ("GET", "/q/a%2Fb", r#"GET /q/a%2Fb []"#),
            ("GET", "/q/a%2fb", "404"),
            ("GET", "/q/a/b", "404"),
        ],
    )]);
}

#[test]
fn empty_segments_match_only_catch_alls() {
    check_cases(&[(
        &["GET /a/<x>/b", "GET /f/<r..>", "GET /g/<x>"],
        &[
            ("GET", "/a//b", "404"),
            ("GET", "/a/x/b", r#"GET /a/<x>/b ["x"]"#),
            ("GET", "/f//b", r#"GET /f/<r..> ["/b"]"#),
            ("GET", "/f/a//", r#"GET /f/<r..> ["a//"]"#),
            ("GET", "/g/", "404"),
            ("GET", "/g//", "404"),
            ("GET", "//g/x", "404"),
        ],
    )]);
}

#[test]
fn catch_all_needs_a_non_empty_rest() {
    check_cases(&[(
        &["GET /f/<r..>"],
        &[
            ("GET", "/f", "404"),
            ("GET", "/f/", "404"),
            ("GET", "/f/a", r#"GET /f/<r..> ["a"]"#),
            ("GET", "/f/a/", r#"GET /f/<r..> ["a/"]"#),
            ("GET", "/f//", r#"GET /f/<r..> ["/"]"#),
        ],
    )]);
}

#[test]
fn head_falls_back_to_get_per_template() {
    check_cases(&[
        (
            &["GET /x", "POST /y"],
            &[
                ("HEAD", "/x", r#"GET /x []"#),
                ("HEAD", "/y", "405 POST | OPTIONS"),
            ],
        ),
        (
            &["GET /x", "HEAD /x"],
            &[
                ("HEAD", "/x", r#"HEAD /x []"#),
                ("GET", "/x", r#"GET /x []"#),
            ],
        ),
        (
            &["GET /a/b", "HEAD /a/<x>"],
            &[
                ("HEAD", "/a/b", r#"GET /a/b []"#),
                ("HEAD", "/a/c", r#"HEAD /a/<x> ["c"]"#),
                ("GET", "/a/c", "405 HEAD | OPTIONS"),
            ],
        ),
        (
            &["POST /a/b", "GET /a/<x>"],
            &[("HEAD", "/a/b", r#"GET /a/<x> ["b"]"#)],
        ),
    ]);
}

#[test]
fn method_not_allowed_lists_every_matching_template() {
    check_cases(&[(
        &["POST /a/b", "GET /a/<x>", "DELETE /a/<r..>", "PUT /z"],
        &[
            ("PUT", "/a/b", "405 GET | HEAD | POST | DELETE | OPTIONS"),
            ("POST", "/a/c", "405 GET | HEAD | DELETE | OPTIONS"),
            ("POST", "/a/b", r#"POST /a/b []"#),
            ("GET", "/a/b", r#"GET /a/<x> ["b"]"#),
            ("DELETE", "/a/b", r#"DELETE /a/<r..> ["b"]"#),
            ("GET", "/a/b/c", "405 DELETE | OPTIONS"),
            ("GET", "/z", "405 PUT | OPTIONS"),
            ("TRACE", "/q", "404"),
        ],
    )]);
}

#[test]
fn options_is_always_allowed_unless_routed() {
    check_cases(&[
        (
            &["GET|POST /x"],
            &[("OPTIONS", "/x", "405 GET | HEAD | POST | OPTIONS")],
        ),
        (
            &["GET /x", "OPTIONS /x"],
            &[
                ("OPTIONS", "/x", r#"OPTIONS /x []"#),
                ("PUT", "/x", "405 GET | HEAD | OPTIONS"),
            ],
        ),
        (&["HEAD /x"], &[("GET", "/x", "405 HEAD | OPTIONS")]),
    ]);
}

#[test]
fn odd_request_targets_never_match_and_never_panic() {
    check_cases(&[(
        &["GET /<r..>", "GET /<x>/<y>/b", "GET /b"],
        &[
            ("GET", "*", "404"),
            ("OPTIONS", "*", "404"),
            ("GET", "http://a/b", "404"),
            ("GET", "", "404"),
            ("GET", "a/b", "404"),
            ("GET", "//", r#"GET /<r..> ["/"]"#),
            ("GET", "/a/../b", r#"GET /<x>/<y>/b ["a", ".."]"#),
            ("GET", "/b", r#"GET /b []"#),
            ("GET", "/é/ü/b", r#"GET /<x>/<y>/b ["é", "ü"]"#),
        ],
    )]);
    let t = table(&["GET /a/../b", "GET /%2e%2e"]);
    assert_eq!(render(t.lookup(Method::Get, "/a/../b")), "GET /a/../b []");
    assert_eq!(render(t.lookup(Method::Get, "/b")), "404");
    assert_eq!(render(t.lookup(Method::Get, "/..")), "404");
    let empty = table(&[]);
    for path in ["", "/", "*", "//", "http://a/b"] {
        assert_eq!(render(empty.lookup(Method::Get, path)), "404");
    }
}

#[test]
fn more_than_eight_params_spill_and_backtrack() {
    check_cases(&[(
        &[
            "GET /<a>/<b>/<c>/<d>/<e>/<f>/<g>/<h>/<i>/<j>",
            "GET /<a>/<b>/<c>/<d>/<e>/<f>/<g>/<h>/<i>/x",
            "GET /<a>/<b>/<c>/<d>/<e>/<f>/<g>/<h>/<r..>",
        ],
        &[
            (
                "GET",
                "/1/2/3/4/5/6/7/8/9/10",
                r#"GET /<a>/<b>/<c>/<d>/<e>/<f>/<g>/<h>/<i>/<j> ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]"#,
            ),
            (
                "GET",
                "/1/2/3/4/5/6/7/8/9/x",
                r#"GET /<a>/<b>/<c>/<d>/<e>/<f>/<g>/<h>/<i>/x ["1", "2", "3", "4", "5", "6", "7", "8", "9"]"#,
            ),
            (
                "GET",
                "/1/2/3/4/5/6/7/8/9/10/11",
                r#"GET /<a>/<b>/<c>/<d>/<e>/<f>/<g>/<h>/<r..> ["1", "2", "3", "4", "5", "6", "7", "8", "9/10/11"]"#,
            ),
        ],
    )]);
}

#[test]
fn many_static_children_are_found() {
    let specs: Vec<&'static str> = (0..40)
        .map(|i| &*format!("GET /s{i:02}").leak())
        .chain(["GET /<x>"])
        .collect();
    let t = table(&specs);
    for i in 0..40 {
        let path = format!("/s{i:02}");
        assert_eq!(
            render(t.lookup(Method::Get, &path)),
            format!("GET {path} []")
        );
    }
    assert_eq!(render(t.lookup(Method::Get, "/s40")), r#"GET /<x> ["s40"]"#);
}

#[test]
fn len_iter_and_thread_safety() {
    fn assert_send_sync<S: Send + Sync>() {}
    assert_send_sync::<RouteTable<String>>();
    assert_send_sync::<Lookup<'static, 'static, String>>();
    let t = table(&["GET /b", "POST /a", "GET /a"]);
    assert_eq!(t.len(), 3);
    assert!(!t.is_empty());
    assert_eq!(
        t.iter().copied().collect::<Vec<_>>(),
        ["GET /b", "POST /a", "GET /a"]
    );
    assert!(table(&[]).is_empty());
    assert!(
        RouteTableBuilder::<()>::default()
            .build()
            .unwrap()
            .is_empty()
    );
}

fn conflicts(routes: &[&str]) -> Result<(), Vec<(usize, usize, String)>> {
    let mut b = RouteTableBuilder::new();
    for spec in routes {
        let (m, path) = spec.split_once(' ').unwrap();
        b.insert(methods(m), &template(path), ());
    }
    b.build().map(drop).map_err(|cs| {
        cs.into_iter()
            .map(|c| (c.first, c.second, c.methods.to_string()))
            .collect()
    })
}

fn pair(first: usize, second: usize, methods: &str) -> (usize, usize, String) {
    (first, second, methods.to_owned())
}

#[test]
fn same_shape_with_different_names_conflicts() {
    assert_eq!(
        conflicts(&["GET /a/<x>", "GET /a/<y>"]),
        Err(vec![pair(0, 1, "GET")])
    );
    assert_eq!(
        conflicts(&["GET /f/<a..>", "GET /f/<b..>?<q>"]),
        Err(vec![pair(0, 1, "GET")])
    );
}

#[test]
fn conflict_reports_the_common_methods() {
    assert_eq!(
        conflicts(&["GET|POST /a", "POST|PUT /a"]),
        Err(vec![pair(0, 1, "POST")])
    );
}

#[test]
fn same_shape_with_disjoint_methods_does_not_conflict() {
    assert_eq!(conflicts(&["GET /a", "POST /a"]), Ok(()));
    assert_eq!(conflicts(&["GET /a", "HEAD /a"]), Ok(()));
    assert_eq!(conflicts(&["GET /a/<x>", "DELETE /a/<y>"]), Ok(()));
}

#[test]
fn different_shapes_do_not_conflict() {
    assert_eq!(
        conflicts(&[
            "GET /a/<x>",
            "GET /a/b",
            "GET /a/<r..>",
            "GET /a",
            "GET /a/",
            "GET /a/<x>/"
        ]),
        Ok(())
    );
}

#[test]
fn every_conflicting_pair_is_reported_in_order() {
    assert_eq!(
        conflicts(&["GET /a", "GET /a", "GET /a"]),
        Err(vec![
            pair(0, 1, "GET"),
            pair(0, 2, "GET"),
            pair(1, 2, "GET")
        ])
    );
    assert_eq!(
        conflicts(&[
            "GET /b",
            "GET|POST /a/<x>",
            "GET /b",
            "POST /a/<y>",
            "PUT /b"
        ]),
        Err(vec![pair(0, 2, "GET"), pair(1, 3, "POST")])
    );
}

// ---- Property tests against a brute-force reading of the module documentation. ----

/// The methods the generated routes declare and the generated requests use.
const METHODS: [Method; 5] = [
    Method::Get,
    Method::Head,
    Method::Post,
    Method::Put,
    Method::Options,
];

fn method_set() -> impl Strategy<Value = MethodSet> {
    // Mostly one method, sometimes several, rarely none.
    prop_oneof![
        4 => prop::sample::select(METHODS.to_vec()).prop_map(MethodSet::single),
        2 => prop::sample::subsequence(METHODS.to_vec(), 1..=3)
            .prop_map(|ms| ms.into_iter().collect()),
        1 => Just(MethodSet::EMPTY),
    ]
}

fn route_template() -> impl Strategy<Value = PathTemplate> {
    route_template_from(&["a", "b", "c"])
}

/// Many static segments, so that nodes get more children than a linear scan handles;
/// those longer than eight bytes share their first eight bytes (the trie's edge head) and
/// length, some their last eight too.
const WIDE: [&str; 21] = [
    "a",
    "b",
    "c",
    "d",
    "e",
    "f",
    "g",
    "h",
    "ab",
    "axb",
    "ayb",
    "azb",
    "abcb",
    "b.b",
    "%2F",
    "abcdefgh",
    "abcdefghi",
    "abcdefghj",
    "abcdefghijklmnopq",
    "abcdefghjjklmnopq",
    "abcdefghijklmnopr",
];

fn route_template_from(pool: &'static [&'static str]) -> impl Strategy<Value = PathTemplate> {
    let seg = prop_oneof![
        3 => prop::sample::select(pool).prop_map(Some),
        2 => Just(None), // a parameter
    ];
    (prop::collection::vec(seg, 0..4), 0..3u8).prop_map(|(segs, end)| {
        let mut parts: Vec<String> = segs
            .iter()
            .enumerate()
            .map(|(i, s)| s.map_or_else(|| format!("<p{i}>"), str::to_owned))
            .collect();
        match end {
            1 => parts.push(String::new()),                     // trailing slash
            2 => parts.push("<rest..>".to_owned()),             // catch-all
            _ if parts.is_empty() => parts.push(String::new()), // root
            _ => {}
        }
        template(&format!("/{}", parts.join("/")))
    })
}

fn request_path() -> impl Strategy<Value = String> {
    let seg = prop::sample::select(vec!["a", "b", "c", "", "x", "%2F", "a.b"]);
    prop_oneof![
        10 => prop::collection::vec(seg, 0..6).prop_map(|s| format!("/{}", s.join("/"))),
        1 => prop::sample::select(vec!["", "*", "//", "a/b", "http://a/b", "/a/../b"])
            .prop_map(str::to_owned),
    ]
}

fn routes() -> impl Strategy<Value = Vec<(MethodSet, PathTemplate)>> {
    prop::collection::vec((method_set(), route_template()), 0..12)
}

fn wide_routes() -> impl Strategy<Value = Vec<(MethodSet, PathTemplate)>> {
    prop::collection::vec((method_set(), route_template_from(&WIDE)), 0..60)
}

fn wide_requests() -> impl Strategy<Value = Vec<(Method, String)>> {
    let seg = prop_oneof![
        8 => prop::sample::select(&WIDE[..]),
        1 => prop::sample::select(vec!["", "x", "aab", "azzb", "abcdefgi", "abcdefghk", "abcdefghijklmnop"]),
    ];
    let path = prop::collection::vec(seg, 0..5).prop_map(|s| format!("/{}", s.join("/")));
    prop::collection::vec((prop::sample::select(METHODS.to_vec()), path), 1..40)
}

fn requests() -> impl Strategy<Value = Vec<(Method, String)>> {
    prop::collection::vec(
        (prop::sample::select(METHODS.to_vec()), request_path()),
        1..40,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn build_reports_exactly_the_same_shape_pairs(routes in routes()) {
        let expected = reference::conflicts(&routes);
        match reference::build(&routes) {
            Ok(t) => {
                prop_assert!(expected.is_empty());
                prop_assert_eq!(t.iter().copied().collect::<Vec<_>>(), (0..routes.len()).collect::<Vec<_>>());
            }
            Err(got) => prop_assert_eq!(got, expected),
        }
    }

    #[test]
    fn lookup_agrees_with_the_brute_force_reference(routes in routes(), requests in requests()) {
        let kept = reference::accepted(routes);
        let table = reference::build(&kept).unwrap();
        for (method, path) in &requests {
            prop_assert_eq!(
                reference::actual(&table, *method, path),
                reference::reference(&kept, *method, path),
                "{} {:?} with {:?}", method, path, reference::describe(&kept)
            );
        }
    }

    #[test]
    fn lookup_agrees_with_the_reference_on_wide_nodes(routes in wide_routes(), requests in wide_requests()) {
        let kept = reference::accepted(routes);
        let table = reference::build(&kept).unwrap();
        for (method, path) in &requests {
            prop_assert_eq!(
                reference::actual(&table, *method, path),
                reference::reference(&kept, *method, path),
                "{} {:?} with {:?}", method, path, reference::describe(&kept)
            );
        }
    }

    #[test]
    fn ties_are_always_reported_as_conflicts(routes in routes(), requests in requests()) {
        let reported = reference::build(&routes).err().unwrap_or_default();
        for (method, path) in &requests {
            for (i, j) in reference::ties(&routes, *method, path) {
                prop_assert!(
                    reported.iter().any(|c| c.first == i && c.second == j && c.methods.contains(*method)),
                    "{} and {} tie on {} {:?}", routes[i].1, routes[j].1, method, path
                );
            }
        }
    }
}
