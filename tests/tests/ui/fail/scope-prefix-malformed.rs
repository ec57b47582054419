use routemark::scope;

#[scope("/api/")]
mod trailing_slash {}

#[scope("/users/<id>")]
mod with_parameter {}

#[scope("/search?<q>")]
mod with_query {}

#[scope("api")]
mod no_leading_slash {}

#[scope(api)]
mod not_a_string {}

#[scope]
mod no_prefix {}

fn main() {}
