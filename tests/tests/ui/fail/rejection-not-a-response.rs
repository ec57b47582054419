use routemark::{FromRequestParts, RequestParts, route};

struct Token(String);

struct AuthError;

impl FromRequestParts for Token {
    type Rejection = AuthError;

    async fn from_request_parts(parts: &mut RequestParts) -> Result<Self, AuthError> {
        match parts.headers().get("authorization") {
            Some(value) => Ok(Token(value.to_str().unwrap_or_default().to_owned())),
            None => Err(AuthError),
        }
    }
}

#[route(GET "/me")]
fn me(Token(token): Token) -> String {
    token
}

fn main() {}
