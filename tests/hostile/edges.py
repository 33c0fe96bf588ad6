"""More hostile inputs, for the commands and shapes corpus.py does not reach: the scenario
readers of ``evaluate`` and ``run``, the plan files of ``place`` and ``export kueue``, absurd
sizes (10^12 scenarios, periods, chips, paths, jobs), unicode names, very long lines and CSV
rows with missing, extra or mistyped cells. Same runner and checks as corpus.py's cases
(test_edges.py)."""

from __future__ import annotations

from tests.hostile.corpus import SCENARIO, Case, yaml_cases

__all__ = ["EDGE_CASES"]

TERA = "1000000000000"  # 10^12

# --- every YAML garbage through the other scenario readers ---------------------------------------

SCENARIO_READERS: dict[str, tuple[str, ...]] = {
    "evaluate": ("evaluate", "{d}/in.yaml", "--paths", "1", "--executor", "serial"),
    "run": ("run", "{d}/in.yaml", "-o", "{d}/o"),
}


# --- plan files (place --plan, export kueue) -----------------------------------------------------

JSON_GARBAGE: dict[str, tuple[str | bytes, tuple[str, ...]]] = {
    "empty": ("", ()),
    "binary": (b"\x00\x01\x02\xff" * 64, ("binary",)),
    "not-utf8": (b'{"schema": "caf\xe9"}', ("utf-8",)),
    "garbage": ("{nope", ("json",)),
    "list": ("[1, 2]", ()),
    "scalar": ("7", ()),
    "string": ('"plan"', ()),
    "nan": ('{"a": NaN}', ("finite",)),
    "infinity": ('{"a": Infinity}', ("finite",)),
    "deep": ("[" * 100_000 + "]" * 100_000, ("json",)),
    "huge-int": ('{"a": ' + "9" * 5000 + "}", ()),
    "no-horizon": ('{"schema": "computebroker.plan/1", "commitments": []}', ()),
    "wrong-schema": ('{"schema": "computebroker.plan/99", "commitments": []}', ()),
    "long-line": ('{"schema": "' + "x" * 2_000_000 + '"}', ()),
}

PLAN_READERS: dict[str, tuple[str, ...]] = {
    "place": ("place", "h100:8", "--plan", "{d}/plan.json"),
    "export": ("export", "kueue", "{d}/plan.json", "-o", "{d}/o"),
}


def _plan_cases() -> list[Case]:
    out = []
    for kind, argv in PLAN_READERS.items():
        for name, (content, expect) in JSON_GARBAGE.items():
            out.append(
                Case(
                    id=f"{kind}-plan-{name}",
                    argv=argv,
                    files={"plan.json": content},
                    expect=expect,
                )
            )
        out.append(
            Case(
                id=f"{kind}-plan-folder", argv=argv, files={"plan.json/x": "a"}, expect=("folder",)
            )
        )
        out.append(
            Case(id=f"{kind}-plan-missing", argv=argv, expect=("not found",), names_file=False)
        )
    return out


# --- absurd sizes --------------------------------------------------------------------------------


def _scenario(id: str, old: str, new: str, expect: tuple[str, ...], code: int = 2) -> Case:
    assert old in SCENARIO, old
    return Case(
        id=f"size-{id}",
        argv=("plan", "{d}/s.yaml", "--out-of-sample", "0", "--scenarios", "4"),
        files={"s.yaml": SCENARIO.replace(old, new)},
        expect=expect,
        code=code,
    )


def _evaluate(id: str, flags: tuple[str, ...], expect: tuple[str, ...]) -> Case:
    return Case(
        id=f"size-{id}",
        argv=("evaluate", "{d}/s.yaml", *flags),
        files={"s.yaml": SCENARIO},
        expect=expect,
        names_file=False,
    )


_OD = "contract: on-demand, max_chips: 512}"
_COMMIT = "contract: commit-1y, max_chips: 512}"
_SIM = ("simulate", "--fleet", "v100=2", "--throughputs", "gavel")

SIZE_CASES = [
    _scenario("periods-tera", "periods: 4", f"periods: {TERA}", ("periods",)),
    _scenario("count-tera", "count: 4", f"count: {TERA}", ("count",)),
    _scenario("reduce-to-tera", "count: 4", f"count: 4, reduce_to: {TERA}", ("reduce_to",)),
    _scenario("seed-400-digits", "seed: 1", "seed: " + "9" * 400, ("at most 100",)),
    _scenario("max-chips-tera", _OD, f"contract: on-demand, max_chips: {TERA}}}", ("max_chips",)),
    _scenario(
        "block-chips-tera",
        _COMMIT,
        f"contract: commit-1y, max_chips: 512, block_chips: {TERA}}}",
        ("block_chips",),
    ),
    _scenario(
        "term-periods-tera",
        _COMMIT,
        f"contract: commit-1y, max_chips: 512, term_periods: {TERA}}}",
        ("term_periods",),
    ),
    _scenario("workload-chips-tera", "chips: 64}", f"chips: {TERA}}}", ("chips",)),
    _scenario("demand-1e300", "start: 1.0e12", "start: 1.0e300", ("start",)),
    _scenario("growth-tera", "growth: 0.05", f"growth: {TERA}", ("growth",)),
    _scenario(
        "hours-per-period-1e300",
        "period: quarter}",
        "period: quarter, hours_per_period: 1e300}",
        ("hours_per_period",),
    ),
    _scenario(
        "price-1e300",
        _OD,
        "contract: on-demand, max_chips: 512, price_chip_hour: 1e300}",
        ("price_chip_hour", "over 1000"),
    ),
    _scenario(
        "usable-fraction-1e-300",
        _OD,
        "contract: on-demand, max_chips: 512, usable_fraction: 1e-300}",
        ("usable_fraction",),
    ),
    _scenario("demand-1e-300", "start: 1.0e12", "start: 1e-300", ("demand.classes.ft", "unit")),
    _scenario(
        "penalty-multiple-1e300",
        "scenarios:",
        "policy: {shortfall_penalty: {multiple_of_on_demand: 1e300}}\nscenarios:",
        ("multiple_of_on_demand",),
    ),
    _scenario(
        "explicit-row-1e300",
        "    ft: {start: 1.0e12, growth: 0.05, volatility: 0.1}\n",
        "    ft: {start: 1.0e12, growth: 0.05, volatility: 0.1}\n"
        "  scenarios:\n    - {weight: 1, ft: [1.0e300, 1, 1, 1]}\n",
        ("demand.scenarios[0].ft",),
    ),
    _scenario(
        "explicit-row-bools",
        "    ft: {start: 1.0e12, growth: 0.05, volatility: 0.1}\n",
        "    ft: {start: 1.0e12, growth: 0.05, volatility: 0.1}\n"
        "  scenarios:\n    - {weight: 1, ft: [true, 1, 1, 1]}\n    - {weight: true, ft: [1, 1, 1, 1]}\n",
        ("demand.scenarios[0].ft", "demand.scenarios[1].weight"),
    ),
    _scenario(
        "demand-at-bound", "start: 1.0e12, growth: 0.05", "start: 1.0e23, growth: 0", (), code=0
    ),
    _evaluate("paths-tera", ("--paths", TERA), ("--paths",)),
    _evaluate("replan-scenarios-tera", ("--replan-scenarios", TERA), ("--replan-scenarios",)),
    _evaluate("workers-tera", ("--workers", TERA), ("--workers",)),
    _evaluate("decision-lead-tera", ("--decision-lead", TERA), ("--decision-lead",)),
    _evaluate("information-lag-tera", ("--information-lag", TERA), ("--information-lag",)),
    Case(
        id="size-plan-scenarios-tera",
        argv=("plan", "{d}/s.yaml", "--scenarios", TERA),
        files={"s.yaml": SCENARIO},
        expect=("--scenarios",),
        names_file=False,
    ),
    Case(
        id="size-generate-tera",
        argv=(*_SIM, "--generate", TERA),
        expect=("--generate",),
        names_file=False,
    ),
    Case(
        id="size-rounds-tera",
        argv=(*_SIM, "--generate", "3", "--rounds", TERA),
        expect=("--rounds",),
        names_file=False,
    ),
    Case(
        id="size-fleet-tera",
        argv=("simulate", "--fleet", f"v100={TERA}", "--throughputs", "gavel", "--generate", "3"),
        expect=("--fleet",),
        names_file=False,
    ),
    Case(
        id="size-trace-chips-tera",
        argv=(*_SIM, "--trace", "{d}/t.csv"),
        files={"t.csv": f"id,job_type,arrival_s,work,chips\nj,a3c,0,100,{TERA}\n"},
        expect=("chips",),
    ),
    Case(
        id="size-trace-arrival-1e300",
        argv=(*_SIM, "--trace", "{d}/t.csv"),
        files={"t.csv": "id,job_type,arrival_s,work,chips\nj,a3c,1e300,100,1\n"},
        expect=("arrival_s",),
    ),
    Case(
        id="size-fleet-yaml-chips-tera",
        argv=("simulate", "--fleet", "{d}/f.yaml", "--throughputs", "gavel", "--generate", "3"),
        files={"f.yaml": f"pools:\n  - {{accelerator: v100, chips: {TERA}}}\n"},
        expect=("chips",),
    ),
    Case(
        id="size-faults-many",
        argv=(*_SIM, "--generate", "3", "--faults", "{d}/f.yaml"),
        files={
            "f.yaml": "faults:\n"
            + "  - {kind: outage, accelerator: v100, start_h: 1, duration_h: 1}\n" * 200_001
        },
        expect=("at most",),
    ),
    Case(
        id="size-faults-random-rate-tera",
        argv=(*_SIM, "--generate", "3", "--faults", "{d}/f.yaml"),
        files={
            "f.yaml": "faults:\n  - {kind: random-outages, accelerator: v100, "
            f"rate_per_day: {TERA}, duration_h: 1}}\n"
        },
        expect=("rate_per_day",),
    ),
    Case(
        id="size-place-nodes-tera",
        argv=("place", "h100:8", "--num-nodes", TERA),
        expect=("--num-nodes",),
        names_file=False,
    ),
    Case(
        id="size-place-chips-tera",
        argv=("place", f"h100:{TERA}"),
        expect=("h100",),
        names_file=False,
    ),
    Case(
        id="size-place-top-tera",
        argv=("place", "h100:8", "--top", TERA),
        expect=("--top",),
        names_file=False,
    ),
    Case(
        id="size-train-tokens-1e300",
        argv=(
            "estimate",
            "train",
            "-m",
            "llama3-8b",
            "-a",
            "h100",
            "--chips",
            "8",
            "--tokens",
            "1e300",
        ),
        expect=("--tokens",),
        names_file=False,
    ),
    Case(
        id="size-workloads-chips-tera",
        argv=("estimate", "matrix", "{d}/w.yaml"),
        files={
            "w.yaml": f"workloads:\n  - {{name: t, model: llama3-8b, mode: train, chips: {TERA}}}\n"
        },
        expect=("chips",),
    ),
]

# --- unicode names and long lines ----------------------------------------------------------------

UNICODE_CASES = [
    _scenario("unicode-name", "name: tiny", "name: 計画-ñ-🚀", (), code=0),
    _scenario("unicode-offer-id", "id: aws-1y", "id: aws-1y-é", ("offers[1].id", "pattern")),
    _scenario("rtl-control-name", "name: tiny", 'name: "a\\u202eb"', (), code=0),
    _scenario("name-megabyte", "name: tiny", "name: " + "n" * 1_000_000, ("name",)),
    _scenario("workload-unicode", "name: ft,", "name: ft-é,", ("ft",)),
    Case(
        id="catalog-csv-unicode-cloud",
        argv=("catalog", "offerings", "--catalog", "{d}/c.csv"),
        files={
            "c.csv": "cloud,region,instance_type,accelerator,chips,price_hour\nclöud,us,x8,h100,8,3\n"
        },
        code=0,
    ),
    Case(
        id="catalog-csv-long-line",
        argv=("catalog", "offerings", "--catalog", "{d}/c.csv"),
        files={
            "c.csv": "cloud,region,instance_type,accelerator,chips,price_hour\n"
            + "acme,us,x8,h100,8,3"
            + ",3" * 500_000
            + "\n"
        },
        expect=("c.csv",),
    ),
    Case(
        id="trace-long-line",
        argv=(*_SIM, "--trace", "{d}/t.csv"),
        files={
            "t.csv": "id,job_type,arrival_s,work,chips\n" + "j,a3c,0,100,1" + ",1" * 500_000 + "\n"
        },
        expect=("t.csv",),
    ),
    Case(
        id="trace-bom",
        argv=(*_SIM, "--trace", "{d}/t.csv"),
        files={"t.csv": "\ufeffid,job_type,arrival_s,work,chips\nj,a3c,0,100,1\n"},
        code=0,
    ),
    Case(
        id="trace-utf16",
        argv=(*_SIM, "--trace", "{d}/t.csv"),
        files={"t.csv": "id,job_type,arrival_s,work,chips\nj,a3c,0,100,1\n".encode("utf-16")},
        expect=("t.csv",),
    ),
]

# --- CSV rows: missing, extra, mistyped cells ------------------------------------------------------

_OFF_HEAD = "cloud,region,instance_type,accelerator,chips,price_hour\n"
_TRACE_HEAD = "id,job_type,arrival_s,work,chips\n"


def _csv(id: str, argv: tuple[str, ...], name: str, content: str, expect: tuple[str, ...]) -> Case:
    return Case(id=f"csv-{id}", argv=argv, files={name: content}, expect=expect)


_CAT = ("catalog", "offerings", "--catalog", "{d}/c.csv")
_TR = (*_SIM, "--trace", "{d}/t.csv")
_MX = ("simulate", "--fleet", "v100=2", "--generate", "3", "--throughputs", "{d}/m.csv")
_MX_HEAD = "workload,accelerator,work_per_chip_hour,unit\n"

CSV_CASES = [
    _csv(
        "catalog-price-1e300",
        _CAT,
        "c.csv",
        _OFF_HEAD + "acme,us,x8,h100,8,1e300\n",
        ("price_hour",),
    ),
    _csv(
        "catalog-chips-tera", _CAT, "c.csv", _OFF_HEAD + f"acme,us,x8,h100,{TERA},3\n", ("chips",)
    ),
    _csv(
        "catalog-rows-100001",
        _CAT,
        "c.csv",
        _OFF_HEAD + "".join(f"acme,us,x{i},h100,8,3\n" for i in range(100_001)),
        ("at most 100,000",),
    ),
    Case(
        id="csv-catalog-deal-tera",
        argv=("catalog", "offerings", "--catalog", "{d}/c.yaml"),
        files={
            "c.yaml": "deals:\n  - {id: d1, provider: acme, accelerator: h100, "
            f"price_chip_hour: 2000, term_months: 1e300, max_chips: {TERA}}}\n"
        },
        expect=("price_chip_hour", "term_months", "max_chips"),
    ),
    _csv("catalog-short-row", _CAT, "c.csv", _OFF_HEAD + "acme,us,x8,h100\n", ("c.csv",)),
    _csv("catalog-empty-cell", _CAT, "c.csv", _OFF_HEAD + "acme,us,x8,h100,,3\n", ("chips",)),
    _csv("catalog-text-chips", _CAT, "c.csv", _OFF_HEAD + "acme,us,x8,h100,eight,3\n", ("chips",)),
    _csv("catalog-header-only", _CAT, "c.csv", _OFF_HEAD, ("c.csv",)),
    _csv(
        "catalog-duplicate-column",
        _CAT,
        "c.csv",
        _OFF_HEAD.strip() + ",chips\nacme,us,x8,h100,8,3,8\n",
        ("chips",),
    ),
    _csv("catalog-unclosed-quote", _CAT, "c.csv", _OFF_HEAD + 'acme,"us,x8,h100,8,3\n', ("c.csv",)),
    _csv("trace-short-row", _TR, "t.csv", _TRACE_HEAD + "j,a3c,0\n", ("t.csv",)),
    _csv("trace-empty-cell", _TR, "t.csv", _TRACE_HEAD + "j,a3c,,100,1\n", ("arrival_s",)),
    _csv("trace-header-only", _TR, "t.csv", _TRACE_HEAD, ("t.csv",)),
    _csv(
        "trace-duplicate-column",
        _TR,
        "t.csv",
        _TRACE_HEAD.strip() + ",work\nj,a3c,0,100,1,5\n",
        ("work",),
    ),
    _csv("trace-nul-in-cell", _TR, "t.csv", _TRACE_HEAD + "j,a3\x00c,0,100,1\n", ("t.csv",)),
    _csv("trace-work-zero", _TR, "t.csv", _TRACE_HEAD + "j,a3c,0,0,1\n", ("work",)),
    _csv("matrix-short-row", _MX, "m.csv", _MX_HEAD + "a,v100\n", ("m.csv",)),
    _csv("matrix-extra-cells", _MX, "m.csv", _MX_HEAD + "a,v100,5,steps,9,9\n", ("m.csv",)),
    _csv("matrix-zero", _MX, "m.csv", _MX_HEAD + "a,v100,0,steps\n", ("work_per_chip_hour",)),
    _csv(
        "matrix-duplicate-row",
        _MX,
        "m.csv",
        _MX_HEAD + "a,v100,5,steps\na,v100,6,steps\n",
        ("m.csv",),
    ),
]

EDGE_CASES: list[Case] = [
    *yaml_cases(SCENARIO_READERS),
    *_plan_cases(),
    *SIZE_CASES,
    *UNICODE_CASES,
    *CSV_CASES,
]
