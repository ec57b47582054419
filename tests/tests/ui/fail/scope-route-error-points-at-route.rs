// A mistake in a scoped route is reported at the route's own path, as without the scope.
#[routemark::scope("/api/v1")]
mod v1 {
    #[routemark::route(GET "/books/<id>")]
    fn book(idd: u64) -> String {
        idd.to_string()
    }
}

fn main() {}
