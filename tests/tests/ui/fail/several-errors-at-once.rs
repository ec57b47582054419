use routemark::route;

#[route(GTE | GET "/users//<1d>", timeout = 30)]
const fn get_user(idd: u64) -> u64 {
    idd
}

fn main() {}
