"""Benchmarks for issue 8: `make bench` (or `python -m bench [--quick]`) runs them all.

Performance targets live here, not in timed unit tests: the machines are small and noisy, so
every figure is a median of several runs and every comparison is a ratio measured in one run.
"""
