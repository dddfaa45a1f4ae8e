//! Criterion benchmarks of pingjia-core's grading engine (`cargo bench -p pingjia-bench`):
//!
//! * `evaluate/<scheme[/type]>` — throughput of `evaluate` (findings and gap analysis) over a
//!   pre-read batch, for every Jiangsu provider type, Shaoxing and MIIT;
//! * `evaluate+report/<…>` — the same with the owned explanation `Report` built;
//! * `peer/<type>/…` — pingjia against zen-engine on the same declarations of a Jiangsu type,
//!   after checking that both give every declaration the same stars; the pingjia/zen
//!   throughput ratio is printed from a direct timing in the same run.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use pingjia_bench::generate::all_targets;
use pingjia_bench::{Batch, JIANGSU, PEER_TYPES, stars};
use pingjia_core::{Catalog, evaluate, read_declaration, report};
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;
use zen_engine::model::DecisionContent;
use zen_engine::{Decision, Variable};

/// Declarations per batch (one criterion iteration grades the whole batch).
const BATCH: usize = 1000;

fn catalog() -> Catalog {
    Catalog::builtin().expect("the embedded schemes load")
}

fn engine(c: &mut Criterion) {
    let catalog = catalog();
    let batches: Vec<Batch> = all_targets(&catalog)
        .iter()
        .enumerate()
        .map(|(i, (id, _, _))| Batch::new(&catalog, id, BATCH, 42 + i as u64))
        .collect();

    let mut group = c.benchmark_group("evaluate");
    group.throughput(Throughput::Elements(BATCH as u64));
    for batch in &batches {
        let scheme = batch.scheme(&catalog);
        group.bench_function(BenchmarkId::from_parameter(&batch.id), |b| {
            b.iter(|| {
                for declaration in &batch.declarations {
                    black_box(evaluate(scheme, black_box(declaration), &batch.round));
                }
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("evaluate+report");
    group.throughput(Throughput::Elements(BATCH as u64));
    for batch in &batches {
        let scheme = batch.scheme(&catalog);
        group.bench_function(BenchmarkId::from_parameter(&batch.id), |b| {
            b.iter(|| {
                for declaration in &batch.declarations {
                    let evaluation = evaluate(scheme, black_box(declaration), &batch.round);
                    black_box(report(&evaluation));
                }
            })
        });
    }
    group.finish();
}

/// The checked-in zen-engine decision of one Jiangsu type, loaded and precompiled once.
fn zen_decision(type_id: &str) -> Decision {
    let path = format!(
        "{}/decisions/{JIANGSU}.{type_id}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let content: DecisionContent =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let DecisionContent::Graph(graph) = content else {
        panic!("{path}: not a decision graph")
    };
    let mut decision = Decision::from(Arc::clone(&graph));
    decision.compile();
    decision
}

fn zen_stars(runtime: &Runtime, decision: &Decision, input: &Variable) -> Option<u64> {
    let response = runtime
        .block_on(decision.evaluate(input.clone()))
        .unwrap_or_else(|e| panic!("zen-engine failed: {e:?}"));
    response.result.to_value()["stars"].as_u64()
}

/// Times the closures in turn (interleaved, so that a busy spell on the machine hits all of
/// them alike), `runs` rounds; returns the best and the median wall time of each. (On-CPU time
/// from /proc is tick-granular, too coarse for batches of a few milliseconds.)
fn interleaved(runs: usize, closures: &mut [&mut dyn FnMut()]) -> Vec<(Duration, Duration)> {
    let mut times: Vec<Vec<Duration>> = vec![Vec::with_capacity(runs); closures.len()];
    for _ in 0..runs {
        for (f, times) in closures.iter_mut().zip(&mut times) {
            let started = Instant::now();
            f();
            times.push(started.elapsed());
        }
    }
    times
        .into_iter()
        .map(|mut t| {
            t.sort_unstable();
            (t[0], t[t.len() / 2])
        })
        .collect()
}

fn load_average() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn peer(c: &mut Criterion) {
    let catalog = catalog();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime");
    let mut summary = Vec::new();
    for (n, type_id) in PEER_TYPES.iter().enumerate() {
        let id = format!("{JIANGSU}/{type_id}");
        let batch = Batch::new(&catalog, &id, BATCH, 7000 + n as u64);
        let scheme = batch.scheme(&catalog);
        let decision = zen_decision(type_id);
        let inputs: Vec<Variable> = batch
            .trees
            .iter()
            .map(|tree| Variable::from(tree.clone()))
            .collect();

        // Outputs checked equal, on every declaration, before anything is timed.
        for ((tree, declaration), input) in batch.trees.iter().zip(&batch.declarations).zip(&inputs)
        {
            let ours = stars(&evaluate(scheme, declaration, &batch.round).outcome)
                .expect("a stars outcome");
            let theirs = zen_stars(&runtime, &decision, input);
            assert_eq!(
                Some(u64::from(ours)),
                theirs,
                "{id}: zen-engine and pingjia disagree on\n{tree:#}"
            );
        }

        let pingjia_evaluate = || {
            for declaration in &batch.declarations {
                black_box(evaluate(scheme, black_box(declaration), &batch.round));
            }
        };
        let pingjia_from_tree = || {
            for tree in &batch.trees {
                let declaration =
                    read_declaration(black_box(tree), scheme, batch.provider_type).expect("reads");
                black_box(evaluate(scheme, &declaration, &batch.round).outcome);
            }
        };
        let zen = || {
            runtime.block_on(async {
                for input in &inputs {
                    black_box(
                        decision
                            .evaluate(input.clone())
                            .await
                            .expect("zen-engine evaluates"),
                    );
                }
            })
        };

        let mut group = c.benchmark_group(format!("peer/{type_id}"));
        group.throughput(Throughput::Elements(BATCH as u64));
        group.bench_function("pingjia evaluate", |b| b.iter(pingjia_evaluate));
        group.bench_function("pingjia read+evaluate", |b| b.iter(pingjia_from_tree));
        group.bench_function("zen-engine evaluate", |b| b.iter(zen));
        group.finish();

        // The ratio, from a direct interleaved timing of the same closures in the same run.
        let (mut a, mut b, mut z) = (pingjia_evaluate, pingjia_from_tree, zen);
        let best = interleaved(21, &mut [&mut a, &mut b, &mut z]);
        let [(ours, ours_median), (from_tree, _), (theirs, theirs_median)] = best[..] else {
            unreachable!("three closures")
        };
        let per_second = |d: Duration| BATCH as f64 / d.as_secs_f64();
        summary.push(format!(
            "{id:<42} pingjia {:>8.0}/s  read+evaluate {:>7.0}/s  zen-engine {:>6.0}/s  \
             pingjia/zen {:>5.1}× (medians {:>5.1}×; read+evaluate/zen {:>4.1}×)",
            per_second(ours),
            per_second(from_tree),
            per_second(theirs),
            theirs.as_secs_f64() / ours.as_secs_f64(),
            theirs_median.as_secs_f64() / ours_median.as_secs_f64(),
            theirs.as_secs_f64() / from_tree.as_secs_f64(),
        ));
    }
    println!(
        "\npingjia vs zen-engine, best of 21 interleaved runs of {BATCH} declarations per type \
         (outputs checked equal on all; load average {}):",
        load_average()
    );
    for line in &summary {
        println!("  {line}");
    }
    println!();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    targets = engine, peer
}
criterion_main!(benches);
