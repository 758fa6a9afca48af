"""Benchmarks of Marlin against the raw database on the same run (``make bench``)."""
