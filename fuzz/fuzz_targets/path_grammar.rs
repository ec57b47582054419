//! The path grammar: `PathTemplate::parse` never panics on any string; every error has a
//! span inside the input on character boundaries and a message that renders; an accepted
//! path prints back to exactly itself, and the printed form parses to the same template;
//! and an accepted template matches a request path built from it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use routemark_path::{PathTemplate, Segment};

fuzz_target!(|input: &str| {
    match PathTemplate::parse(input) {
        Err(errors) => {
            assert!(!errors.is_empty());
            for e in &errors {
                assert!(
                    input.get(e.span.clone()).is_some(),
                    "span {:?} outside {input:?} or not on a char boundary",
                    e.span
                );
                assert!(!e.to_string().is_empty());
            }
        }
        Ok(template) => {
            let printed = template.to_string();
            assert_eq!(printed, input, "printing an accepted path changes it");
            assert_eq!(
                PathTemplate::parse(&printed).as_ref(),
                Ok(&template),
                "{printed:?} does not parse back to the same template"
            );
            // The template matches a path built from it, with the values it was built from.
            let mut path = String::new();
            let mut values = Vec::new();
            for (i, seg) in template.segments().iter().enumerate() {
                path.push('/');
                match seg {
                    Segment::Static(s) => path.push_str(s),
                    Segment::Param(_) => {
                        values.push(format!("v{i}"));
                        path.push_str(&format!("v{i}"));
                    }
                    Segment::CatchAll(_) => {
                        values.push(format!("r{i}/x/"));
                        path.push_str(&format!("r{i}/x/"));
                    }
                }
            }
            let matched = template.match_path(&path);
            assert_eq!(
                matched,
                Some(values.iter().map(String::as_str).collect()),
                "{input:?} does not match {path:?}"
            );
        }
    }
});
