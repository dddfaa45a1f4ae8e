//! Support for pingjia's performance benchmarks: a seeded declaration generator
//! ([`generate`]), the zen-engine peer's decision graphs ([`jdm`]) and pre-read batches
//! ([`Batch`]) shared by `benches/engine.rs` and the `regrade` binary.
//!
//! This crate is not a default workspace member: `cargo test` and `cargo clippy` at the
//! workspace root do not build it (nor zen-engine). See docs/benchmarks.md.

pub mod generate;
pub mod jdm;
pub mod rng;

use pingjia_core::engine::Round;
use pingjia_core::{Catalog, Declaration, Outcome, Scheme, read_declaration};
use serde_json::Value as Json;

/// The Jiangsu scheme id, whose provider types have zen-engine peers.
pub const JIANGSU: &str = "jiangsu-pool-2021";

/// The provider types encoded for zen-engine (file names under `decisions/`): all eight.
pub const PEER_TYPES: &[&str] = &[
    "comprehensive_platform",
    "cloud_platform",
    "solution",
    "industrial_app",
    "network",
    "data_collection",
    "ics_security",
    "supporting",
];

/// Generated declarations of one scheme/type, as JSON trees and as read declarations.
#[derive(Debug)]
pub struct Batch {
    /// `scheme` or `scheme/type`.
    pub id: String,
    pub scheme: usize,
    pub provider_type: Option<usize>,
    pub round: Round,
    pub trees: Vec<Json>,
    pub declarations: Vec<Declaration>,
}

impl Batch {
    /// Generates `n` declarations with `seed` and reads them; panics if one does not read,
    /// since the generator must only produce valid declarations.
    pub fn new(catalog: &Catalog, id: &str, n: usize, seed: u64) -> Batch {
        let target = catalog.resolve(id).unwrap_or_else(|e| panic!("{id}: {e}"));
        let scheme = &catalog.schemes[target.scheme];
        let round = generate::bench_round(scheme);
        let trees = generate::Generator::new(scheme, target.provider_type, &round, seed).many(n);
        let declarations = trees
            .iter()
            .map(|tree| {
                read_declaration(tree, scheme, target.provider_type).unwrap_or_else(|e| {
                    panic!("generated declaration for {id} does not read:\n{e}\n{tree:#}")
                })
            })
            .collect();
        Batch {
            id: id.to_owned(),
            scheme: target.scheme,
            provider_type: target.provider_type,
            round,
            trees,
            declarations,
        }
    }

    pub fn scheme<'c>(&self, catalog: &'c Catalog) -> &'c Scheme {
        &catalog.schemes[self.scheme]
    }
}

/// The stars an outcome gives (`None` for rubric and capability schemes).
pub fn stars(outcome: &Outcome) -> Option<u8> {
    match outcome {
        Outcome::Stars { stars, .. } => Some(*stars),
        _ => None,
    }
}

/// A short label of an outcome for histograms: `3★`, `eligible`, `parts 2/5`.
pub fn outcome_label(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Stars { stars: 0, .. } => "不予定级".to_owned(),
        Outcome::Stars {
            stars,
            via_shortcut: true,
            ..
        } => format!("{stars}★ (shortcut)"),
        Outcome::Stars { stars, .. } => format!("{stars}★"),
        Outcome::Rubric {
            eligible: true,
            score: Some(_),
            ..
        } => "eligible, scored".to_owned(),
        Outcome::Rubric {
            eligible: true,
            score: None,
            ..
        } => "eligible, unscored".to_owned(),
        Outcome::Rubric {
            eligible: false, ..
        } => "not eligible".to_owned(),
        Outcome::Capability { parts } => {
            let met = parts
                .iter()
                .filter(|s| **s == pingjia_core::Status::Met)
                .count();
            format!("parts met {met}/{}", parts.len())
        }
    }
}

/// Time this thread has spent on a CPU, from `/proc/thread-self/schedstat` (nanoseconds;
/// Linux only). Unlike wall time it leaves out the time other processes held the core, which
/// matters on a shared two-core machine. The kernel updates it at scheduler ticks, so it is only
/// meaningful for spans of many milliseconds (the regrade stages, not a benchmark batch);
/// `None` where the file is missing.
pub fn thread_cpu_time() -> Option<std::time::Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(std::time::Duration::from_nanos(nanos))
}

/// Wall and on-CPU time of one call of `f` (on-CPU falls back to wall time).
pub fn timed(f: impl FnOnce()) -> (std::time::Duration, std::time::Duration) {
    let cpu = thread_cpu_time();
    let started = std::time::Instant::now();
    f();
    let wall = started.elapsed();
    let on_cpu = match (cpu, thread_cpu_time()) {
        (Some(before), Some(after)) => after.saturating_sub(before),
        _ => wall,
    };
    (wall, on_cpu)
}
