"""Run benchmarks: ``python -m bench`` (all) or ``python -m bench catalog plan ...``."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

from bench.harness import write_section


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    names = sorted(
        m.name[len("bench_") :]
        for m in pkgutil.iter_modules([str(here)])
        if m.name.startswith("bench_")
    )
    chosen = argv or names
    unknown = [n for n in chosen if n not in names]
    if unknown:
        print(f"unknown benchmark(s) {unknown}; available: {', '.join(names)}", file=sys.stderr)
        return 2
    failed = 0
    for name in chosen:
        mod = importlib.import_module(f"bench.bench_{name}")
        print(f"== {mod.TITLE}", flush=True)
        results = mod.run()
        for r in results:
            flag = {True: "ok  ", False: "FAIL", None: " -- "}[r.passed]
            print(
                f"  [{flag}] {r.name}: {r.value:,.4g} {r.unit} (target {r.target_text})", flush=True
            )
            failed += r.passed is False
        write_section(mod.TITLE, results, getattr(mod, "EXTRA", ""))
    print(f"results written to {here / 'RESULTS.md'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
