//! The re-grading fast path gives exactly what the full path gives, on every generated
//! declaration of all ten schemes/types: the compiled reader what `read_declaration` reads,
//! and `grade` the outcome of `evaluate`.

use pingjia_bench::Batch;
use pingjia_bench::generate::all_targets;
use pingjia_core::regrade::Reader;
use pingjia_core::{Catalog, evaluate, grade};

#[test]
fn the_fast_path_equals_the_full_path_on_every_generated_declaration() {
    let catalog = Catalog::builtin().unwrap();
    for (n, (id, _, _)) in all_targets(&catalog).iter().enumerate() {
        let batch = Batch::new(&catalog, id, 1000, 3000 + n as u64);
        let scheme = batch.scheme(&catalog);
        let reader = Reader::new(scheme);
        let type_id = batch
            .provider_type
            .map(|t| scheme.provider_types[t].id.as_str());
        for (tree, full) in batch.trees.iter().zip(&batch.declarations) {
            let fast = reader.read(tree, type_id);
            assert!(fast.unread.is_empty(), "{id}: {:?}\n{tree}", fast.unread);
            let fast = fast.declaration.expect("the type is in its scheme");
            assert_eq!(&fast, full, "{id}\n{tree}");
            assert_eq!(
                grade(scheme, &fast, &batch.round),
                evaluate(scheme, full, &batch.round).outcome,
                "{id}\n{tree}"
            );
        }
    }
}
