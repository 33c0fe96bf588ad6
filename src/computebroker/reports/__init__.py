"""Reports: pure functions from results to table rows and figure data (no printing, no I/O)."""
