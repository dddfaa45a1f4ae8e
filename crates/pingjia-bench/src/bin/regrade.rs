//! The re-grading measurement: N declarations (default 100,000) spread evenly over every scheme
//! and provider type, graded on one thread, timed stage by stage:
//! JSON text → tree, tree → declaration, evaluate, and evaluate + report (full explanations);
//! then the impact analysis of a new scheme version (`pingjia_core::regrade`): every stored
//! body read by the compiled readers of the old and the new version and graded under both,
//! the movers explained, beside the same work done with today's full path (`read_declaration`
//! and `evaluate` on both sides), interleaved in the same pass. The new version is Jiangsu's
//! file with the three-star 注册资金 rows raised from 200万 to 300万 and the 1000万 three-star
//! rows to 1200万 (`jiangsu-pool-2022`); Shaoxing and MIIT are re-graded under themselves.
//! Before anything is timed, the fast path is checked equal to the full path on every
//! declaration (reading and grade), and the panic names the first difference.
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
use pingjia_core::engine::Round;
use pingjia_core::regrade::{Direction, Grade, Reader, Regrader, Side, Stored};
use pingjia_core::{Catalog, Declaration, Scheme, evaluate, grade, read_declaration, report};
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
    // The new version of each target's scheme, and the fast path checked equal to the full
    // path on every declaration (untimed).
    let variant = jiangsu_variant();
    let variant_round = bench_round(&variant);
    let new_sides: Vec<(&Scheme, &Round)> = targets
        .iter()
        .enumerate()
        .map(|(t, (_, scheme, _))| {
            let scheme = &catalog.schemes[*scheme];
            if scheme.id == pingjia_bench::JIANGSU {
                (&variant, &variant_round)
            } else {
                (scheme, &rounds[t])
            }
        })
        .collect();
    let new_side = |t: usize| new_sides[t];
    let regraders: Vec<Regrader> = (0..targets.len())
        .map(|t| {
            let (scheme, round) = new_side(t);
            Regrader::new(
                Side {
                    scheme: &catalog.schemes[targets[t].1],
                    round: &rounds[t],
                },
                Side { scheme, round },
            )
        })
        .collect();
    let type_ids: Vec<Option<&str>> = targets
        .iter()
        .map(|(_, scheme, provider_type)| {
            provider_type.map(|p| catalog.schemes[*scheme].provider_types[p].id.as_str())
        })
        .collect();
    {
        let readers: Vec<Reader> = targets
            .iter()
            .map(|(_, scheme, _)| Reader::new(&catalog.schemes[*scheme]))
            .collect();
        for (k, (t, line)) in lines.iter().enumerate() {
            let scheme = &catalog.schemes[targets[*t].1];
            let tree = parse_tree(line, Format::Json).expect("generated JSON parses");
            let full = read_declaration(&tree, scheme, targets[*t].2).expect("reads");
            let fast = readers[*t].read(&tree, type_ids[*t]);
            assert!(
                fast.unread.is_empty(),
                "declaration {k}: unread {:?}",
                fast.unread
            );
            let fast = fast.declaration.expect("the type is in its scheme");
            assert!(
                fast == full,
                "declaration {k} ({}): the compiled reader differs\n{line}",
                targets[*t].0
            );
            // Reading the new version through the shared fields equals reading it afresh.
            let (_, after) = regraders[*t].readings(&tree, type_ids[*t]);
            let afresh = Reader::new(new_side(*t).0).read(&tree, type_ids[*t]);
            assert!(
                after == afresh,
                "declaration {k}: shared reading differs\n{line}"
            );
            let outcome = evaluate(scheme, &full, &rounds[*t]).outcome;
            assert!(
                grade(scheme, &fast, &rounds[*t]) == outcome,
                "declaration {k} ({}): grade differs from evaluate\n{line}",
                targets[*t].0
            );
        }
        eprintln!("fast path equal to the full path on all {n} declarations");
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
    let mut best = [(Duration::MAX, Duration::MAX); 6];
    let mut moved = [0usize; 5];
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

        // 5. Re-grade: both versions' compiled readers and `grade`, full explanation of movers.
        moved = [0; 5];
        let fast = timed(|| {
            for (t, tree) in &trees {
                let movement = regraders[*t].member(Stored {
                    member: (),
                    provider_type: type_ids[*t],
                    body: tree,
                });
                moved[movement.direction as usize] += 1;
                black_box(&movement);
            }
        });

        // 6. The peer: the same answer with today's full path — read and evaluate under both
        // versions (the body's `scheme` names the old one, so the new side reads a copy
        // without it, made untimed), the criteria of movers compared.
        let renamed: Vec<Option<serde_json::Value>> = trees
            .iter()
            .map(|(t, tree)| {
                (new_side(*t).0.id != catalog.schemes[targets[*t].1].id).then(|| {
                    let mut copy = tree.clone();
                    copy.as_object_mut().map(|o| o.remove("scheme"));
                    copy
                })
            })
            .collect();
        let mut peer_moved = [0usize; 5];
        let peer = timed(|| {
            for ((t, tree), renamed) in trees.iter().zip(&renamed) {
                let (old, old_round) = (&catalog.schemes[targets[*t].1], &rounds[*t]);
                let (new, new_round) = new_side(*t);
                let before = read_declaration(tree, old, targets[*t].2).expect("reads");
                let after = read_declaration(renamed.as_ref().unwrap_or(tree), new, targets[*t].2)
                    .expect("reads under the new version");
                let before = evaluate(old, &before, old_round);
                let after = evaluate(new, &after, new_round);
                let direction =
                    Direction::between(Grade::of(&before.outcome), Grade::of(&after.outcome));
                if direction != Direction::Same {
                    black_box(pingjia_core::regrade::changes(&before, &after));
                }
                peer_moved[direction as usize] += 1;
            }
        });
        assert_eq!(
            moved, peer_moved,
            "the fast and the full path move the same members"
        );
        drop(trees);

        for (slot, (wall, cpu)) in best
            .iter_mut()
            .zip([parse, read, eval, eval_report, fast, peer])
        {
            *slot = (slot.0.min(wall), slot.1.min(cpu));
        }
        eprintln!(
            "pass {}: re-grade {:.3} ({:.3}) s, full path {:.3} ({:.3}) s",
            pass + 1,
            fast.0.as_secs_f64(),
            fast.1.as_secs_f64(),
            peer.0.as_secs_f64(),
            peer.1.as_secs_f64(),
        );
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
    let [parse, read, eval, eval_report, fast, peer] = best;

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
    println!(
        "impact analysis, old → new version (up {}, down {}, out {}, in {}, same {}):",
        moved[Direction::Up as usize],
        moved[Direction::Down as usize],
        moved[Direction::Out as usize],
        moved[Direction::In as usize],
        moved[Direction::Same as usize],
    );
    row("re-grade (compiled readers)", fast);
    row("full path (peer)", peer);
    row("parse JSON text + re-grade", add(parse, fast));
    println!(
        "  full path / re-grade: {:.2}× wall, {:.2}× on-CPU",
        peer.0.as_secs_f64() / fast.0.as_secs_f64(),
        peer.1.as_secs_f64() / fast.1.as_secs_f64(),
    );
}

/// Jiangsu's file as a new year's version: the three-star 注册资金 rows raised from 200万 to
/// 300万 and the 1000万 three-star rows to 1200万, under the id `jiangsu-pool-2022`.
fn jiangsu_variant() -> Scheme {
    let (name, text) = pingjia_core::builtin::SCHEME_FILES
        .iter()
        .find(|(name, _)| name.starts_with(pingjia_bench::JIANGSU))
        .expect("the Jiangsu file is embedded");
    let text = text
        .replacen(
            "id = \"jiangsu-pool-2021\"",
            "id = \"jiangsu-pool-2022\"",
            1,
        )
        .replace("levels = [\"200万\"", "levels = [\"300万\"")
        .replace("levels = [\"1000万\"", "levels = [\"1200万\"");
    pingjia_core::parse_scheme(name, &text).expect("the variant loads")
}
