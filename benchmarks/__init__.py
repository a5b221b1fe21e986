"""Timed comparisons (not tests). `make bench` runs `python -m benchmarks.run`."""
