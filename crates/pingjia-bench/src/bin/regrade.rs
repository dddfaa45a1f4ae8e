//! The re-grading measurement: N declarations (default 100,000) spread evenly over every scheme
//! and provider type, graded on one thread, timed stage by stage:
//! JSON text → tree, tree → declaration, evaluate, and evaluate + report (full explanations).
//!
//! `cargo run --release -p pingjia-bench --bin regrade -- [N] [PASSES] [SEED]` (defaults
//! 100000, 3, 2021); run it under `taskset -c 0` to pin it to one core. The best time of each
//! stage over the passes is reported. `PINGJIA_BENCH_ONLY=evaluate` repeats the evaluate stage
//! 20 times per pass and `=read` the read stage 5 times (for profiling; the reported times then
//! cover the repeats), `PINGJIA_BENCH_DUMP=DIR` writes sample declarations.
//! Prints the outcome mix per scheme/type, so that one can see every grade occurs.

use pingjia_bench::generate::{Generator, all_targets, bench_round};
use pingjia_bench::{outcome_label, timed};
use pingjia_core::declaration::{Format, parse_tree};
use pingjia_core::{Catalog, Declaration, evaluate, read_declaration, report};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .map_or(100_000, |a| a.parse().expect("N: a number of declarations"));
    let passes: usize = args
        .next()
        .map_or(3, |a| a.parse().expect("PASSES: a number"))
        .max(1);
    let seed: u64 = args
        .next()
        .map_or(2021, |a| a.parse().expect("SEED: a number"));

    let catalog = Catalog::builtin().expect("the embedded schemes load");
    let targets = all_targets(&catalog);
    let rounds: Vec<_> = targets
        .iter()
        .map(|(_, scheme, _)| bench_round(&catalog.schemes[*scheme]))
        .collect();

    // Generate (untimed): N declarations as JSON text lines, round-robin over the targets.
    let started = Instant::now();
    let mut lines: Vec<(usize, String)> = Vec::with_capacity(n);
    let mut generators: Vec<Generator> = targets
        .iter()
        .enumerate()
        .map(|(i, (_, scheme, provider_type))| {
            Generator::new(
                &catalog.schemes[*scheme],
                *provider_type,
                &rounds[i],
                seed + i as u64,
            )
        })
        .collect();
    for k in 0..n {
        let t = k % targets.len();
        let tree = generators[t].declaration();
        lines.push((t, serde_json::to_string(&tree).expect("JSON")));
    }
    // PINGJIA_BENCH_DUMP=DIR writes the first few declarations of each target, for inspection.
    if let Some(dir) = std::env::var_os("PINGJIA_BENCH_DUMP") {
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).expect("create the dump directory");
        for (k, (t, line)) in lines.iter().enumerate().take(targets.len() * 5) {
            let name = targets[*t].0.replace('/', ".");
            std::fs::write(dir.join(format!("{name}.{}.json", k / targets.len())), line)
                .expect("write a declaration");
        }
    }
    let bytes: usize = lines.iter().map(|(_, l)| l.len()).sum();
    eprintln!(
        "generated {n} declarations over {} schemes/types ({:.1} MB of JSON) in {:.1} s",
        targets.len(),
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );

    // The stages, timed; the whole sequence runs `passes` times and the best time of each
    // stage is reported (the one least disturbed by anything else on the machine), both as wall
    // time and as this thread's on-CPU time.
    let only = std::env::var("PINGJIA_BENCH_ONLY").ok();
    let evaluate_repeats = if only.as_deref() == Some("evaluate") {
        20
    } else {
        1
    };
    let read_repeats = if only.as_deref() == Some("read") {
        5
    } else {
        1
    };
    let mut best = [(Duration::MAX, Duration::MAX); 4];
    let mut checksum = 0u64;
    let mut declarations: Vec<(usize, Declaration)> = Vec::new();
    for pass in 0..passes {
        // 1. Parse.
        let mut trees: Vec<(usize, serde_json::Value)> = Vec::new();
        let parse = timed(|| {
            trees = lines
                .iter()
                .map(|(t, line)| {
                    (
                        *t,
                        parse_tree(line, Format::Json).expect("generated JSON parses"),
                    )
                })
                .collect();
        });

        // 2. Read against the scheme.
        let read = timed(|| {
            for _ in 1..read_repeats {
                for (t, tree) in &trees {
                    let (_, scheme, provider_type) = &targets[*t];
                    black_box(
                        read_declaration(tree, &catalog.schemes[*scheme], *provider_type).ok(),
                    );
                }
            }
            declarations = trees
                .iter()
                .map(|(t, tree)| {
                    let (_, scheme, provider_type) = &targets[*t];
                    let scheme = &catalog.schemes[*scheme];
                    (
                        *t,
                        read_declaration(tree, scheme, *provider_type)
                            .expect("generated declaration reads"),
                    )
                })
                .collect();
        });
        drop(trees);

        // 3. Evaluate (findings and gap analysis included: "explanations on").
        let eval = timed(|| {
            for _ in 0..evaluate_repeats {
                for (t, declaration) in &declarations {
                    let scheme = &catalog.schemes[targets[*t].1];
                    let evaluation = evaluate(scheme, declaration, &rounds[*t]);
                    checksum = checksum
                        .wrapping_add((evaluation.findings.len() + evaluation.gaps.len()) as u64);
                    black_box(&evaluation);
                }
            }
        });

        // 4. Evaluate and build the full explanation text.
        let eval_report = timed(|| {
            for (t, declaration) in &declarations {
                let scheme = &catalog.schemes[targets[*t].1];
                let evaluation = evaluate(scheme, declaration, &rounds[*t]);
                let explained = report(&evaluation);
                checksum = checksum.wrapping_add(explained.findings.len() as u64);
                black_box(&explained);
            }
        });

        for (slot, (wall, cpu)) in best.iter_mut().zip([parse, read, eval, eval_report]) {
            *slot = (slot.0.min(wall), slot.1.min(cpu));
        }
        eprintln!(
            "pass {}: wall (on-CPU) parse {:.3} ({:.3}) s, read {:.3} ({:.3}) s, evaluate {:.3} ({:.3}) s, evaluate + report {:.3} ({:.3}) s",
            pass + 1,
            parse.0.as_secs_f64(),
            parse.1.as_secs_f64(),
            read.0.as_secs_f64(),
            read.1.as_secs_f64(),
            eval.0.as_secs_f64(),
            eval.1.as_secs_f64(),
            eval_report.0.as_secs_f64(),
            eval_report.1.as_secs_f64(),
        );
    }
    let [parse, read, eval, eval_report] = best;

    // The outcome mix (untimed).
    let mut mix: Vec<BTreeMap<String, usize>> = vec![BTreeMap::new(); targets.len()];
    for (t, declaration) in &declarations {
        let evaluation = evaluate(&catalog.schemes[targets[*t].1], declaration, &rounds[*t]);
        *mix[*t]
            .entry(outcome_label(&evaluation.outcome))
            .or_insert(0) += 1;
    }
    println!("outcome mix per scheme/type:");
    for ((id, _, _), counts) in targets.iter().zip(&mix) {
        let parts: Vec<String> = counts
            .iter()
            .map(|(label, count)| format!("{label}: {count}"))
            .collect();
        println!("  {id:<45} {}", parts.join(", "));
    }

    let row = |stage: &str, (wall, cpu): (Duration, Duration)| {
        println!(
            "  {stage:<32} {:>7.3} s {:>7.2} µs/decl {:>8.0}/s   on-CPU {:>7.3} s {:>7.2} µs/decl",
            wall.as_secs_f64(),
            wall.as_secs_f64() * 1e6 / n as f64,
            n as f64 / wall.as_secs_f64(),
            cpu.as_secs_f64(),
            cpu.as_secs_f64() * 1e6 / n as f64,
        );
    };
    let add = |a: (Duration, Duration), b: (Duration, Duration)| (a.0 + b.0, a.1 + b.1);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    println!(
        "re-grading {n} declarations on one thread, best of {passes} passes \
         (checksum {checksum}; load average {}):",
        load.join(" ")
    );
    row("parse JSON text", parse);
    row("read declaration", read);
    row("evaluate", eval);
    row("evaluate + report", eval_report);
    row("total parse + read + evaluate", add(add(parse, read), eval));
    row("total with report", add(add(parse, read), eval_report));
}
