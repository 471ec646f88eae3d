"""Benchmarks of Creator Academy. `make bench` runs them all and rewrites docs/BENCHMARKS.md."""
