"""Benchmarks: ``make bench`` runs ``python -m bench``; results go to bench/RESULTS.md."""
