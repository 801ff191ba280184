"""Benchmarks of the testament server: run `python -m bench.run` (see bench/README.md)."""
