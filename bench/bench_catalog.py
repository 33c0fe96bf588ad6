"""Catalog: load the whole shipped catalog and answer a filtered query.

Cold: a fresh interpreter imports computebroker, loads and validates the snapshot, and answers
``offerings --accelerator h100 --cloud aws --sort price-per-pflop``. Warm: the same query on an
already-loaded catalog.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from bench.harness import Result, below

TITLE = "catalog: load + filtered query"

_COLD = """
import time
t = time.perf_counter()
from computebroker.catalog import load_catalog, find_offerings, OfferingQuery, SortKey
cat = load_catalog()
rows = find_offerings(cat, OfferingQuery(accelerator="h100", cloud="aws", sort=SortKey.PRICE_PER_PFLOP))
assert rows
print(time.perf_counter() - t)
"""


def run() -> list[Result]:
    cold = [
        float(subprocess.check_output([sys.executable, "-c", _COLD], text=True)) for _ in range(5)
    ]
    from computebroker.catalog import OfferingQuery, SortKey, find_offerings, load_catalog

    cat = load_catalog()
    warm = []
    for _ in range(50):
        t = time.perf_counter()
        find_offerings(
            cat,
            OfferingQuery(
                accelerator="tpu-v5p", region="us-*", spot=True, sort=SortKey.PRICE_PER_PFLOP
            ),
        )
        warm.append(time.perf_counter() - t)
    c = statistics.median(cold)
    w = statistics.median(warm) * 1000
    return [
        Result(
            name="cold: import + load 2,000 offerings + query (median of 5)",
            value=c,
            unit="s",
            target=below(1),
            notes=f"min {min(cold):.3f} s, max {max(cold):.3f} s",
        ),
        Result(
            name="warm: filtered, sorted query (median of 50)",
            value=w,
            unit="ms",
            target=below(100),
        ),
    ]
