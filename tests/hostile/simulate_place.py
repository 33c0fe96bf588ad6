"""Hostile inputs of ``simulate`` and ``place`` that corpus.py and edges.py do not reach, found
by the campaign of 2 Dec 2026: Gavel-format traces with NaN, infinite or absurd cells, JSONL
values of the wrong JSON type (booleans, objects, integers too large for a float), line
separators inside JSON strings, old-Mac CR line ends, absurd fleet-file rates and prices,
option combinations that hang (tiny Gavel rounds, a bursty generator at a tiny rate), throughput
tables with a scale factor of 0 or rates past any chip's, and ``place`` chip counts that are
not ASCII digits. Same runner and checks as corpus.py's cases (test_simulate_place.py).

Each refusal names the file and line (or flag) and the field; each ``code=0`` case is a valid
input the readers refused before.
"""

from __future__ import annotations

from tests.hostile.corpus import Case

__all__ = ["SIM_PLACE_CASES", "VALID_JSON_CASES"]

_SIM = ("simulate", "--fleet", "v100=4", "--throughputs", "gavel")
_GEN = ("simulate", "--fleet", "v100=2", "--throughputs", "gavel", "--generate", "3")


def _trace(
    id: str, name: str, content: str | bytes, expect: tuple[str, ...], code: int = 2
) -> Case:
    return Case(
        id=f"sim-trace-{id}",
        argv=(*_SIM, "--trace", "{d}/" + name),
        files={name: content},
        expect=expect,
        code=code,
    )


# --- Gavel's 10-column physical-cluster format (and the 7-column Philly one) ---------------------


def _g10(
    steps: str = "1000", sf: str = "1", w: str = "1", slo: str = "-1.000000", arr: str = "0"
) -> str:
    return (
        "\t".join(("A3C", "python3 main.py", "rl", "--num_steps", "1", steps, sf, w, slo, arr))
        + "\n"
    )


def _gavel(id: str, content: str, expect: tuple[str, ...]) -> Case:
    return _trace(f"gavel-{id}", "t.trace", content, ("t.trace:1", *expect))


GAVEL_CASES = [
    *(_gavel(f"steps-{v}", _g10(steps=v), ("total_steps",)) for v in ("nan", "inf", "1e999")),
    *(_gavel(f"arrival-{v}", _g10(arr=v), ("arrival",)) for v in ("nan", "inf", "1e300")),
    *(
        _gavel(f"weight-{v}", _g10(w=v), ("priority_weight",))
        for v in ("nan", "inf", "-inf", "0", "-3")
    ),
    *(_gavel(f"slo-{v}", _g10(slo=v), ("slo",)) for v in ("nan", "inf", "-inf", "1e300")),
    _gavel("scale-1e9", _g10(sf="1000000000"), ("scale_factor",)),
    _gavel("scale-23-digits", _g10(sf="9" * 23), ("scale_factor",)),
    _gavel("7col-steps-nan", "A3C\tcmd\t--n\t1\tnan\t0\t1\n", ("total_steps",)),
    _gavel("7col-arrival-inf", "A3C\tcmd\t--n\t1\t100\tinf\t1\n", ("arrival",)),
]

# --- native CSV and JSONL ------------------------------------------------------------------------

_H = "id,job_type,arrival_s,work,chips\n"
_ROW = '"job_type": "A3C", "arrival_s": 0'
_SERVE = '"job_type": "A3C", "arrival_s": 0, "kind": "serve", "end_s": 9'
_BIG = "1" + "0" * 400  # a JSON integer that no float holds


def _jsonl(id: str, line: str, expect: tuple[str, ...], code: int = 2) -> Case:
    return _trace(f"jsonl-{id}", "t.jsonl", line + "\n", ("t.jsonl:1", *expect), code)


NATIVE_CASES = [
    _jsonl("work-huge-int", "{" + _ROW + f', "work": {_BIG}' + "}", ("work",)),
    _jsonl("chips-huge-int", "{" + _ROW + f', "work": 1, "chips": {_BIG}' + "}", ("chips",)),
    _jsonl("demand-huge-int", "{" + _SERVE + f', "demand": [[0, {_BIG}]]' + "}", ("demand",)),
    _jsonl("work-true", "{" + _ROW + ', "work": true}', ("work",)),
    _jsonl("chips-true", "{" + _ROW + ', "work": 1, "chips": true}', ("chips",)),
    _jsonl("id-object", '{"id": {"a": 1}, ' + _ROW + ', "work": 1}', ("id",)),
    _jsonl("job-type-list", '{"job_type": ["A3C"], "arrival_s": 0, "work": 1}', ("job_type",)),
    _jsonl(
        "accelerators-object",
        "{" + _ROW + ', "work": 1, "accelerators": {"v100": 1}}',
        ("accelerators",),
    ),
    _jsonl(
        "accelerators-number", "{" + _ROW + ', "work": 1, "accelerators": 5}', ("accelerators",)
    ),
    _jsonl(
        "accelerators-nested",
        "{" + _ROW + ', "work": 1, "accelerators": [["v100"]]}',
        ("accelerators",),
    ),
    _jsonl(
        "data-region-object", "{" + _ROW + ', "work": 1, "data_region": {"a": 1}}', ("data_region",)
    ),
    _jsonl("demand-strings", "{" + _SERVE + ', "demand": ["01", "23"]}', ("demand",)),
    _jsonl("demand-rate-1e308", "{" + _SERVE + ', "demand": [[0, 1e308]]}', ("demand",)),
    _jsonl("work-1e308", "{" + _ROW + ', "work": 1e308}', ("work",)),
    # a JSON string may hold U+2028 or U+0085: they do not end a JSONL line
    _jsonl("line-separator-in-string", '{"id": "a\u2028b", ' + _ROW + ', "work": 1}', (), code=0),
    _jsonl("next-line-in-string", '{"id": "a\x85b", ' + _ROW + ', "work": 1}', (), code=0),
    # a raw form feed is a control character JSON does not allow in a string (was "unterminated")
    _jsonl(
        "form-feed-in-string", '{"id": "a\x0cb", ' + _ROW + ', "work": 1}', ("control character",)
    ),
    _trace(
        "jsonl-array",
        "t.json",
        '[{"job_type": "A3C", "arrival_s": 0, "work": 1}]\n',
        ("t.json:1", "one json object per line"),
    ),
    # the line named for a job_type with no throughput is the job's own, not its arrival rank
    _trace(
        "csv-unknown-type-line",
        "t.csv",
        _H + "a,A3C,5,100,1\nb,nope,0,100,1\n",
        ("t.csv:3", "nope"),
    ),
    _trace(
        "jsonl-unknown-type-line",
        "t.jsonl",
        '{"job_type": "A3C", "arrival_s": 5, "work": 1}\n\n{"job_type": "nope", "arrival_s": 0, "work": 1}\n',
        ("t.jsonl:3", "nope"),
    ),
    # a job allowed only on accelerators that no throughput covers could never run
    _trace(
        "csv-accelerators-unknown",
        "t.csv",
        "job_type,arrival_s,work,accelerators\nA3C,0,100,v100\nA3C,0,100,h1000\n",
        ("t.csv:3", "accelerators", "h1000"),
    ),
    _trace(
        "csv-cr-line-ends",
        "t.csv",
        (_H + "j,A3C,0,100,1\nk,A3C,0,100,1\n").replace("\n", "\r"),
        (),
        code=0,
    ),
    _trace(
        "csv-header-space",
        "t.csv",
        "id, job_type,arrival_s,work\nj,A3C,0,100\n",
        ("t.csv:1", "' job_type'"),
    ),
    _trace(
        "csv-header-empty-name",
        "t.csv",
        "id,job_type,arrival_s,work,\nj,A3C,0,100,\n",
        ("t.csv:1", "''"),
    ),
]

# --- fleets --------------------------------------------------------------------------------------


def _fleet(id: str, pool: str, expect: tuple[str, ...]) -> Case:
    return Case(
        id=f"sim-fleet-{id}",
        argv=("simulate", "--fleet", "{d}/f.yaml", "--throughputs", "gavel", "--generate", "3"),
        files={"f.yaml": "pools:\n  - " + pool + "\n"},
        expect=("f.yaml:2", *expect),
    )


def _inline(id: str, spec: str, expect: tuple[str, ...] = ("--fleet",)) -> Case:
    return Case(
        id=f"sim-fleet-inline-{id}",
        argv=("simulate", "--fleet", spec, "--throughputs", "gavel", "--generate", "3"),
        expect=expect,
        names_file=False,
    )


FLEET_CASES = [
    _inline("5000-digits", "v100=" + "9" * 5000),
    _inline("arabic-digit", "v100=\u0663"),
    _inline("fullwidth-digit", "v100=\uff13"),
    _fleet(
        "at-hours-1e300",
        "{accelerator: v100, capacity: [{at_hours: 1e300, chips: 4}]}",
        ("at_hours",),
    ),
    _fleet(
        "at-hours-twice",
        "{accelerator: v100, capacity: [{at_hours: 0, chips: 2}, {at_hours: 0, chips: 4}]}",
        ("at_hours", "twice"),
    ),
    _fleet(
        "price-1e308", "{accelerator: v100, chips: 2, price_chip_hour: 1e308}", ("price_chip_hour",)
    ),
    _fleet(
        "preemption-1e6",
        "{accelerator: v100, chips: 2, contract: spot, preemption_per_chip_hour: 1e6}",
        ("preemption_per_chip_hour",),
    ),
    _fleet(
        "restart-1e308",
        "{accelerator: v100, chips: 2, contract: spot, preemption_per_chip_hour: 1, restart_s: 1e308}",
        ("restart_s",),
    ),
    _fleet("chips-true", "{accelerator: v100, chips: true}", ("chips",)),
    Case(
        id="sim-fleet-no-chips-ever",
        argv=("simulate", "--fleet", "{d}/f.yaml", "--throughputs", "gavel", "--generate", "3"),
        files={"f.yaml": "pools:\n  - {accelerator: v100, chips: 0}\n"},
        expect=("f.yaml:1", "no pool ever has a chip"),
    ),
]

# --- throughput tables ---------------------------------------------------------------------------


def _tp(id: str, name: str, content: str, expect: tuple[str, ...]) -> Case:
    return Case(
        id=f"sim-throughputs-{id}",
        argv=("simulate", "--fleet", "v100=2", "--generate", "3", "--throughputs", "{d}/" + name),
        files={name: content},
        expect=expect,
    )


def _row(value: str, workload: str = '"a"') -> str:
    row = f'"workload": {workload}, "accelerator": "v100", "work_per_chip_hour": {value}'
    return '{"matrix": [{' + row + "}]}"


def _gavel_json(scale: str, value: str) -> str:
    return '{"v100": {"(\'A3C\', ' + scale + ')": {"null": ' + value + "}}}"


THROUGHPUT_CASES = [
    _tp("matrix-huge-int", "t.json", _row(_BIG), ("work_per_chip_hour",)),
    _tp("matrix-true", "t.json", _row("true"), ("work_per_chip_hour",)),
    _tp("matrix-1e308", "t.json", _row("1e308"), ("work_per_chip_hour",)),
    _tp(
        "matrix-csv-1e308",
        "t.csv",
        "workload,accelerator,work_per_chip_hour,unit\na,v100,1e308,steps\n",
        ("work_per_chip_hour",),
    ),
    _tp("matrix-workload-null", "t.json", _row("5", "null"), ("workload",)),
    _tp("matrix-workload-list", "t.json", _row("5", "[1]"), ("workload",)),
    _tp("gavel-scale-0", "t.json", _gavel_json("0", "5"), ("t.json", "scale")),
    _tp("gavel-scale-20-digits", "t.json", _gavel_json("9" * 20, "5"), ("t.json", "scale")),
    _tp("gavel-huge-int", "t.json", _gavel_json("1", _BIG), ("t.json", "throughput")),
    _tp("gavel-true", "t.json", _gavel_json("1", "true"), ("t.json", "throughput")),
    _tp("gavel-1e308", "t.json", _gavel_json("1", "1e308"), ("t.json", "throughput")),
]

# --- options -------------------------------------------------------------------------------------


def _opt(
    id: str, extra: tuple[str, ...], expect: tuple[str, ...], base: tuple[str, ...] = _GEN
) -> Case:
    return Case(id=f"sim-flag-{id}", argv=(*base, *extra), expect=expect, names_file=False)


OPTION_CASES = [
    # Gavel rounds of a microsecond: 36 billion rounds for ten hours of jobs (hung)
    _opt(
        "round-1e-6-gavel", ("--round-seconds", "1e-6", "--rounds", "gavel"), ("--round-seconds",)
    ),
    _opt("round-5e-324", ("--round-seconds", "5e-324"), ("--round-seconds",)),
    # the bursty generator at a millionth of a job an hour drew ten-hour cycles for ever (hung)
    _opt(
        "bursty-tiny-rate",
        ("--arrival-rate", "1e-6", "--bursty", "--generate", "200"),
        ("--arrival-rate", "--generate"),
        base=_SIM,
    ),
    _opt("bursty-huge-rate", ("--arrival-rate", "1e300", "--bursty"), ("--arrival-rate",)),
    _opt("trace-and-generate", ("--trace", "gavel:max_min_fairness"), ("--trace", "--generate")),
    # the saved trace was overwritten by the report of -o, silently
    _opt(
        "save-trace-onto-report",
        ("-o", "{d}/o", "--save-trace", "{d}/o/simulate.json"),
        ("--save-trace", "would be lost"),
    ),
    _opt(
        "gavel-trace-outside",
        ("--trace", "gavel:../../../../tmp/x"),
        ("gavel:", "max_min_fairness"),
        base=_SIM,
    ),
]

# --- place ---------------------------------------------------------------------------------------


def _place(id: str, args: tuple[str, ...], expect: tuple[str, ...]) -> Case:
    return Case(id=f"place-{id}", argv=("place", *args), expect=expect, names_file=False)


PLACE_CASES = [
    _place("chips-superscript", ("h100:\u00b2",), ("h100:\u00b2",)),
    _place("chips-5000-digits", ("h100:" + "9" * 5000,), ("accelerator",)),
    _place("chips-arabic-digit", ("h100:\u0663",), ("accelerator",)),
    _place("chips-empty", ("h100:",), ("'h100:'",)),
    _place("cloud-typo", ("h100:8", "--cloud", "asw"), ("asw", "did you mean")),
    _place("region-unknown", ("h100:8", "--region", "mars-1"), ("mars-1",)),
]

# a preemption rate within its bound (3,600 a chip-hour) that preempts a job more often than it
# checkpoints: it never kept its work and the run never ended (hung); stopped after 20,000
# preemptions of one job, in about 5 s
LIVELOCK_CASES = [
    Case(
        id="sim-livelock-spot-pool",
        argv=("simulate", "--fleet", "{d}/f.yaml", "--throughputs", "gavel", "--generate", "3"),
        files={
            "f.yaml": "pools:\n  - {accelerator: v100, chips: 2, contract: spot, "
            "preemption_per_chip_hour: 3600}\n"
        },
        expect=("preempted 20,000 times", "preemption_per_chip_hour", "checkpoint"),
    ),
    Case(
        id="sim-livelock-preemption-fault",
        argv=(*_GEN, "--faults", "{d}/faults.yaml"),
        files={
            "faults.yaml": "faults:\n  - {kind: preemption, accelerator: v100, "
            "rate_per_chip_hour: 3600}\n"
        },
        expect=("preempted 20,000 times", "rate_per_chip_hour"),
        names_file=False,  # the run names the fleet whose pool the fault made preemptible
    ),
]

SIM_PLACE_CASES: list[Case] = [
    *LIVELOCK_CASES,
    *GAVEL_CASES,
    *NATIVE_CASES,
    *FLEET_CASES,
    *THROUGHPUT_CASES,
    *OPTION_CASES,
    *PLACE_CASES,
]

# valid inputs at the bounds: exit 0 and stdout strict JSON (no NaN or Infinity)
VALID_JSON_CASES: list[Case] = [
    # no placement: stdout was the sentence "no placement matches", now [] (the reason on stderr)
    Case(
        id="json-place-none-matches",
        argv=("place", "tpu-v6e:8", "--cloud", "lambda", "--format", "json"),
        code=0,
    ),
    Case(
        id="json-work-at-bound",
        argv=(*_SIM, "--trace", "{d}/t.csv", "--format", "json"),
        files={"t.csv": _H + "j,A3C,0,1e30,1\nk,A3C,0,100,1\n"},
        code=0,
    ),
    Case(
        id="json-demand-at-bound",
        argv=(*_SIM, "--trace", "{d}/t.csv", "--format", "json"),
        files={"t.csv": "job_type,arrival_s,kind,end_s,demand\nA3C,0,serve,100,0:1e30\n"},
        code=0,
    ),
    Case(
        id="json-gavel-throughput-at-bound",
        argv=(
            "simulate",
            "--fleet",
            "v100=2",
            "--generate",
            "3",
            "--format",
            "json",
            "--throughputs",
            "{d}/t.json",
        ),
        files={"t.json": _gavel_json("1", "1e30")},
        code=0,
    ),
    Case(
        id="json-fleet-price-at-bound",
        argv=(
            "simulate",
            "--fleet",
            "{d}/f.yaml",
            "--throughputs",
            "gavel",
            "--generate",
            "3",
            "--format",
            "json",
        ),
        files={"f.yaml": "pools:\n  - {accelerator: v100, chips: 2, price_chip_hour: 1000}\n"},
        code=0,
    ),
]
