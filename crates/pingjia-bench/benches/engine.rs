//! Benchmarks of the grading engine (see docs/benchmarks.md).
fn main() {}
