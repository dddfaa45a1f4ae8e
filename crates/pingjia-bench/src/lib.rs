//! Benchmark support: generated declarations and the peer engine (see docs/benchmarks.md).
