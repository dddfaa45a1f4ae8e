//! Writes the zen-engine peer's decision graphs to `crates/pingjia-bench/decisions/`, one JDM
//! file per encoded Jiangsu provider type (`cargo run -p pingjia-bench --bin export-decisions`).
//! The benchmark loads those files; it also checks them against pingjia on every input.

use pingjia_bench::{JIANGSU, PEER_TYPES, jdm};
use pingjia_core::Catalog;
use std::path::Path;

fn main() {
    let catalog = Catalog::builtin().expect("the embedded schemes load");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("decisions");
    std::fs::create_dir_all(&dir).expect("create decisions/");
    for type_id in PEER_TYPES {
        let target = catalog
            .resolve(&format!("{JIANGSU}/{type_id}"))
            .expect("a Jiangsu type");
        let scheme = &catalog.schemes[target.scheme];
        let graph = jdm::stars_decision(scheme, target.provider_type.expect("a provider type"));
        let path = dir.join(format!("{JIANGSU}.{type_id}.json"));
        let text = serde_json::to_string_pretty(&graph).expect("JSON") + "\n";
        std::fs::write(&path, text).expect("write the decision");
        println!("wrote {}", path.display());
    }
}
