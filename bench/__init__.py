"""Benchmarks with their bare baselines: `python -m bench all --db sqlite --quick` (bench/README.md)."""
