//! Generates `#[route]` handlers for every route of `data/github.txt`, for `tests/github.rs`.
//!
//! Each handler is `github_<n>` and answers `<n> name=value ...` with its parameters in path
//! order, so the test can tell that a request reached its own handler with its own values.

use std::fmt::Write;
use std::path::PathBuf;

fn main() {
    println!("cargo::rerun-if-changed=data/github.txt");
    let input = std::fs::read_to_string("data/github.txt").expect("read data/github.txt");
    let mut out = String::new();
    for (n, line) in input.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        let (method, path) = line.split_once(' ').expect("`METHOD PATH` line");
        let mut params = Vec::new();
        let template: Vec<String> = path
            .split('/')
            .map(|seg| {
                if let Some(name) = seg.strip_prefix(':') {
                    params.push(name.to_owned());
                    format!("<{name}>")
                } else if let Some(name) = seg.strip_prefix('*') {
                    params.push(name.to_owned());
                    format!("<{name}..>")
                } else {
                    seg.to_owned()
                }
            })
            .collect();
        let args: Vec<String> = params
            .iter()
            .map(|p| format!("{}: String", rust_ident(p)))
            .collect();
        let echo: String = params.iter().map(|p| format!(" {p}={{}}")).collect();
        let values: Vec<String> = params.iter().map(|p| rust_ident(p)).collect();
        let body = if values.is_empty() {
            format!("String::from(\"{n}\")")
        } else {
            format!("format!(\"{n}{echo}\", {})", values.join(", "))
        };
        writeln!(
            out,
            "#[routemark::route({method} \"{}\")]\nfn github_{n}({}) -> String {{\n    {body}\n}}\n",
            template.join("/"),
            args.join(", "),
        )
        .unwrap();
    }
    let dest = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("github_routes.rs");
    std::fs::write(dest, out).expect("write github_routes.rs");
}

fn rust_ident(name: &str) -> String {
    const KEYWORDS: &[&str] = &[
        "as", "break", "const", "continue", "else", "enum", "extern", "false", "fn", "for", "if",
        "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
        "static", "struct", "trait", "true", "type", "unsafe", "use", "where", "while", "async",
        "await", "dyn", "abstract", "become", "box", "do", "final", "macro", "override", "priv",
        "typeof", "unsized", "virtual", "yield", "try", "gen",
    ];
    if KEYWORDS.contains(&name) {
        format!("r#{name}")
    } else {
        name.to_owned()
    }
}
