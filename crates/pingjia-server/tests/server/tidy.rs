//! The layers point one way: `http` → `services` → `storage`, over `context`, `config` and
//! `error`. This test reads the sources and fails on any name that points the wrong way, so
//! that a rule cannot drift back into a handler or a query.

use std::path::{Path, PathBuf};

/// Names a module of each layer must not use. A name counts wherever it appears outside a
/// comment, in a `use` or in a path.
const RULES: &[(&str, &[&str])] = &[
    (
        "services/",
        &[
            "axum",
            "minijinja",
            "tower",
            "crate::http",
            "http::",
            "hyper",
        ],
    ),
    (
        "storage/",
        &[
            "axum",
            "minijinja",
            "tower",
            "crate::http",
            "http::",
            "crate::services",
            "crate::context",
            "AppState",
            "utoipa",
        ],
    ),
    (
        "context.rs",
        &["axum", "minijinja", "crate::http", "crate::services"],
    ),
    (
        "error.rs",
        &[
            "axum",
            "minijinja",
            "http::",
            "crate::http",
            "crate::services",
            "crate::storage",
        ],
    ),
    (
        "config.rs",
        &["axum", "crate::http", "crate::services", "crate::storage"],
    ),
    // Handlers reach the database only through services.
    ("http/", &["crate::storage", "sqlx"]),
];

fn sources(directory: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(directory).expect("readable source directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The code of a line: without a trailing `//` comment (a `//` inside a string such as
/// `https://` is kept: it ends in a colon, not a comment).
fn code(line: &str) -> &str {
    let trimmed = line.trim_start();
    if trimmed.starts_with("//") {
        return "";
    }
    match line.find(" //") {
        Some(at) => &line[..at],
        None => line,
    }
}

fn violations(root: &Path) -> Vec<String> {
    let mut files = Vec::new();
    sources(root, &mut files);
    let mut found = Vec::new();
    for file in files {
        let relative = file
            .strip_prefix(root)
            .expect("inside src")
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(&file).expect("readable source");
        for (prefix, forbidden) in RULES {
            if !relative.starts_with(prefix) {
                continue;
            }
            for (number, line) in text.lines().enumerate() {
                let code = code(line);
                for name in *forbidden {
                    if code.contains(name) {
                        found.push(format!("{relative}:{}: names `{name}`", number + 1));
                    }
                }
            }
        }
    }
    found
}

#[test]
fn layers_point_one_way() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = violations(&root);
    assert!(found.is_empty(), "layer violations:\n{}", found.join("\n"));
}

#[test]
fn the_check_finds_a_service_that_names_the_http_layer() {
    let directory = std::env::temp_dir().join(format!("pingjia-tidy-{}", std::process::id()));
    let services = directory.join("services");
    std::fs::create_dir_all(&services).unwrap();
    std::fs::write(
        services.join("bad.rs"),
        "// axum in a comment is fine\nuse axum::Json;\nfn f() -> &'static str { \"https://example\" }\n",
    )
    .unwrap();
    std::fs::write(directory.join("error.rs"), "use crate::storage::Db;\n").unwrap();
    let mut found = violations(&directory);
    std::fs::remove_dir_all(&directory).unwrap();
    found.sort();
    assert_eq!(
        found,
        [
            "error.rs:1: names `crate::storage`",
            "services/bad.rs:2: names `axum`",
        ]
    );
}

/// The services name each other without a cycle: a capability that needs another uses it,
/// never the other way round as well.
#[test]
fn services_depend_on_each_other_without_a_cycle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/services");
    let mut edges: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
        Default::default();
    for entry in std::fs::read_dir(&root).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "mod" {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let uses = edges.entry(name.clone()).or_default();
        for line in text.lines().map(code) {
            for (at, _) in line.match_indices("crate::services::") {
                let rest = &line[at + "crate::services::".len()..];
                // `crate::services::{a, b::C}` names several modules at once.
                let names: Vec<&str> = match rest.strip_prefix('{') {
                    Some(list) => list
                        .split('}')
                        .next()
                        .unwrap_or_default()
                        .split(',')
                        .collect(),
                    None => vec![rest],
                };
                for part in names {
                    let used: String = part
                        .trim()
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if root.join(format!("{used}.rs")).exists() && used != name {
                        uses.insert(used);
                    }
                }
            }
        }
    }
    // Depth-first search for a way back to the start.
    fn reaches(
        edges: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
        from: &str,
        target: &str,
        seen: &mut std::collections::BTreeSet<String>,
    ) -> bool {
        edges.get(from).into_iter().flatten().any(|next| {
            next == target || (seen.insert(next.clone()) && reaches(edges, next, target, seen))
        })
    }
    let cyclic: Vec<&String> = edges
        .keys()
        .filter(|name| reaches(&edges, name, name, &mut Default::default()))
        .collect();
    assert!(
        cyclic.is_empty(),
        "services in a cycle: {cyclic:?}; edges {edges:?}"
    );
}
