"""Benchmarks run by hand (see README.md); a package so tests can import their functions."""
