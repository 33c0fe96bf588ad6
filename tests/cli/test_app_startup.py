"""Start-up of the command line: ``--version`` and a bare ``--help`` import none of the heavy
modules (each command imports what it needs when it runs), and the root help's one-liners
are the commands' own."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from computebroker.cli.app import COMMANDS, load_command, run

# what a bare --help must not load: the numerical and web stacks behind the commands
HEAVY = ("numpy", "scipy", "linopy", "xarray", "pandas", "highspy", "pydantic", "fastapi")

_PROBE = """
import json, sys
from computebroker.cli.app import run
code = run(sys.argv[1:])
loaded = set(sys.modules) | {m.split(".")[0] for m in sys.modules}
heavy = sorted(loaded & set(json.loads(HEAVY)))
# peak resident memory of this process image (ru_maxrss would carry the parent's over fork)
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")]
rss = float(hwm[0].split()[1]) / 1024 if hwm else 0.0
print(json.dumps({"code": code, "heavy": heavy, "rss_mib": rss}))
"""


def _probe(*args: str, heavy: tuple[str, ...] = HEAVY) -> dict[str, object]:
    code = _PROBE.replace("HEAVY", repr(json.dumps(heavy)))
    proc = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
    )
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("args", [("--help",), ("--version",), ()])
def test_root_help_and_version_import_no_heavy_module(args: tuple[str, ...]) -> None:
    r = _probe(*args)
    assert r["code"] in (0, 2)  # no arguments: help, and click's "missing command" code
    assert r["heavy"] == []
    assert isinstance(r["rss_mib"], float) and r["rss_mib"] < 60


# what `simulate` never needs: the planner's LP stack, data frames, the web stack and (without
# -o) the plotting library
NOT_FOR_SIMULATE = {"scipy", "linopy", "xarray", "pandas", "fastapi", "plotly"}


def test_simulate_help_imports_no_planner_stack() -> None:
    # the simulator needs numpy; the planner's LP stack and the data-frame stack stay out
    r = _probe("simulate", "--help", heavy=(*HEAVY, "plotly"))
    assert r["code"] == 0
    assert isinstance(r["heavy"], list)
    assert not ({"highspy"} | NOT_FOR_SIMULATE) & set(r["heavy"])


def test_simulate_help_imports_none_of_the_simulators_stack() -> None:
    # the options need the policy names and the round modes only: the simulator (numpy), the
    # catalog and the input schemas (pydantic) and HiGHS are imported when the command runs
    # (typer converts a flag's None through pydantic: the root's --help is False when absent)
    r = _probe("simulate", "--help")
    assert r["code"] == 0
    assert r["heavy"] == []


def test_a_simulate_run_imports_only_what_it_uses() -> None:
    # a run printing JSON: no plotting (that is for -o's page) and no planner stack; an
    # uncontended max-min run (20 one-chip jobs, 20 V100s: each on its fastest chip) solves
    # no LP, so no HiGHS either
    args = ("simulate", "--generate", "20", "--fleet", "v100=20,p100=20,k80=20")
    r = _probe(*args, "--throughputs", "gavel", "--format", "json", heavy=(*HEAVY, *OPTIONAL))
    assert r["code"] == 0
    assert isinstance(r["heavy"], list)
    assert not ({"highspy"} | NOT_FOR_SIMULATE | set(OPTIONAL)) & set(r["heavy"])
    assert "numpy" in r["heavy"]  # (the probe sees what is imported)


# what a simulate run printing JSON or CSV does without: plotting (-o's page), rich (tables and
# the progress bar: JSON and CSV go straight to stdout) and numpy.ma (np.percentile and
# np.unique import it on first call; the report computes both without them) and PyYAML (an
# inline fleet and a CSV trace are no YAML)
OPTIONAL = ("plotly", "rich", "numpy.ma", "yaml")


def test_a_csv_simulate_run_imports_no_rich_numpy_ma_nor_yaml() -> None:
    args = ("simulate", "--generate", "20", "--fleet", "v100=20,p100=20,k80=20")
    r = _probe(*args, "--throughputs", "gavel", "--format", "csv", heavy=OPTIONAL)
    assert r["code"] == 0
    assert r["heavy"] == []


def test_root_help_lines_are_the_commands_own() -> None:
    for spec in COMMANDS:
        command = load_command(spec)
        assert command.name == spec.name
        assert command.get_short_help_str(limit=300) == spec.help, spec.name


def test_root_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--help"]) == 0
    out = capsys.readouterr().out
    for spec in COMMANDS:
        assert spec.name in out


def test_a_misspelt_command_gets_a_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["simulat"]) == 2
    assert "Did you mean 'simulate'" in capsys.readouterr().err
