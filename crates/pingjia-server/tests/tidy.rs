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
