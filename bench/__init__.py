"""Benchmark scripts: build a synthetic library, measure, print tables (see docs/benchmarks.md)."""
