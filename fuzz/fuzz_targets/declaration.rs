//! Fuzz target: any bytes, read as a declaration in each format against each embedded
//! scheme, then graded and explained. Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pingjia_core::engine::Round;
use pingjia_core::{Catalog, Format, evaluate, read_declaration, report};
use std::sync::OnceLock;

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog::builtin().expect("embedded schemes load"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for format in [Format::Json, Format::Toml, Format::Yaml] {
        let Ok(tree) = pingjia_core::declaration::parse_tree(text, format) else { continue };
        for scheme in &catalog().schemes {
            let types = scheme.provider_types.len().max(1);
            for provider_type in 0..types {
                let provider_type = (!scheme.provider_types.is_empty()).then_some(provider_type);
                if let Ok(declaration) = read_declaration(&tree, scheme, provider_type) {
                    let mut round = Round::from_scheme(scheme);
                    round.use_examples(scheme);
                    let _ = report(&evaluate(scheme, &declaration, &round)).to_text();
                }
            }
        }
    }
});
