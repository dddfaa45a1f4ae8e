//! The zen-engine peer grades every generated declaration exactly as pingjia does, and the
//! checked-in decision files are the ones `export-decisions` writes.

use pingjia_bench::{Batch, JIANGSU, PEER_TYPES, jdm, stars};
use pingjia_core::{Catalog, evaluate};
use std::collections::BTreeMap;
use std::sync::Arc;
use zen_engine::Decision;
use zen_engine::model::DecisionContent;

fn decision(graph: &serde_json::Value) -> Decision {
    let content: DecisionContent = serde_json::from_value(graph.clone()).expect("a JDM graph");
    let DecisionContent::Graph(graph) = content else {
        panic!("not a graph")
    };
    let mut decision = Decision::from(Arc::clone(&graph));
    decision.compile();
    decision
}

#[test]
fn zen_peer_agrees_with_pingjia() {
    let catalog = Catalog::builtin().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    for (n, type_id) in PEER_TYPES.iter().enumerate() {
        let id = format!("{JIANGSU}/{type_id}");
        let batch = Batch::new(&catalog, &id, 2000, 1000 + n as u64);
        let scheme = batch.scheme(&catalog);
        let graph = jdm::stars_decision(scheme, batch.provider_type.unwrap());
        let on_disk: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(format!(
                "{}/decisions/{JIANGSU}.{type_id}.json",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap(),
        )
        .unwrap();
        assert_eq!(
            graph, on_disk,
            "decisions/{JIANGSU}.{type_id}.json is stale: run export-decisions"
        );
        let decision = decision(&graph);
        let mut histogram = BTreeMap::new();
        for (tree, declaration) in batch.trees.iter().zip(&batch.declarations) {
            let ours = stars(&evaluate(scheme, declaration, &batch.round).outcome).unwrap();
            let response = runtime
                .block_on(decision.evaluate(tree.clone().into()))
                .unwrap();
            let theirs = response.result.to_value()["stars"].as_u64();
            assert_eq!(
                Some(u64::from(ours)),
                theirs,
                "{id}: zen and pingjia disagree on\n{tree:#}"
            );
            *histogram.entry(ours).or_insert(0) += 1;
        }
        println!("{id}: {histogram:?}");
        for grade in [0, 3, 4, 5] {
            assert!(
                histogram.get(&grade).copied().unwrap_or(0) > 0,
                "{id}: no declaration graded {grade}"
            );
        }
    }
}
