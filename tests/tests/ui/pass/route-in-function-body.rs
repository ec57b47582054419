fn main() {
    #[routemark::route(GET "/inner")]
    fn inner() -> &'static str {
        "declared inside `main`"
    }

    fn helper() {
        #[routemark::route(GET "/deeper/<n>")]
        async fn deeper(n: u8) -> String {
            n.to_string()
        }
    }
    helper();

    assert_eq!(inner(), "declared inside `main`");
    let mut paths: Vec<_> = routemark::routes().map(|r| r.path()).collect();
    paths.sort_unstable();
    assert_eq!(paths, ["/deeper/<n>", "/inner"]);
}
