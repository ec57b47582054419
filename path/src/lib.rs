//! The route grammar of [routemark](https://docs.rs/routemark), written once.
//!
//! Both the `#[route]` attribute (at compile time) and the runtime router (at start-up)
//! parse route paths with this crate, so the two can never disagree about what a path means.
//! It has no dependencies.
//!
//! ```text
//! PATH    := "/" segment ( "/" segment )* [ "?" query ]
//! segment := static text | "<" ident ">" | "<" ident ".." ">"   (catch-all, last segment only)
//! query   := "<" ident ">" ( "&" "<" ident ">" )*
//! METHODS := METHOD ( "|" METHOD )*
//! ```
//!
//! ```
//! use routemark_path::{PathTemplate, Segment};
//!
//! let t = PathTemplate::parse("/users/<id>/files/<rest..>?<q>").unwrap();
//! assert_eq!(t.segments()[1], Segment::Param("id".into()));
//! assert_eq!(t.query(), ["q"]);
//! assert_eq!(t.to_string(), "/users/<id>/files/<rest..>?<q>");
//! ```

mod key;
mod method;
mod template;

pub use key::route_key;
pub use method::{Method, MethodSet, UnknownMethod, closest_match};
pub use template::{PathTemplate, Segment, TemplateError, TemplateErrorKind};
