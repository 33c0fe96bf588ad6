"""Root of the command tree and the one place errors become messages and exit codes.

Start-up is cheap: the commands are registered by name (``COMMANDS``) and their modules are
imported only when one is run (or asked for its own ``--help``), so ``computebroker --version``
and a bare ``--help`` load none of the numerical stack (scipy, linopy, xarray, pandas).
"""

from __future__ import annotations

import importlib
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any

import typer
from typer import _click as click
from typer.core import TyperCommand, TyperGroup

from computebroker import __version__
from computebroker.errors import ComputeBrokerError, InfeasibleRequestError, InputError

__all__ = ["COMMANDS", "LazyCommand", "app", "err_console", "run"]


@dataclass(frozen=True, slots=True, kw_only=True)
class LazyCommand:
    """A command known by name: the module and attribute that define it (a function, or a
    ``typer.Typer`` for a group of subcommands) and its one-line help for the root ``--help``
    (a test checks it is the command's own)."""

    name: str
    module: str
    attr: str
    help: str
    group: bool = False


# in the order the root --help lists them (commands, then groups)
COMMANDS: tuple[LazyCommand, ...] = (
    LazyCommand(
        name="plan",
        module="computebroker.cli.plan_cmd",
        attr="plan",
        help="Which commitments to sign, with whom, when: a two-stage stochastic program "
        "(LP/MILP).",
    ),
    LazyCommand(
        name="evaluate",
        module="computebroker.cli.evaluate_cmd",
        attr="evaluate",
        help="Run static and rolling commitment policies along the same simulated futures.",
    ),
    LazyCommand(
        name="simulate",
        module="computebroker.cli.simulate_cmd",
        attr="simulate_cmd",
        help="Run a job stream on a fleet under a policy, with faults; JCT, utilisation, cost, "
        "SLOs.",
    ),
    LazyCommand(
        name="place",
        module="computebroker.cli.place_cmd",
        attr="place",
        help="Where to run a job's chips: committed capacity first, then exact instance shapes, "
        "cheapest first.",
    ),
    LazyCommand(
        name="run",
        module="computebroker.cli.run_cmd",
        attr="run",
        help="Catalog -> estimate -> plan -> simulate -> report on a scenario: does the plan "
        "survive?",
    ),
    LazyCommand(
        name="serve",
        module="computebroker.cli.serve_cmd",
        attr="serve",
        help="Serve the broker over HTTP (OpenAPI at /openapi.json, docs at /docs) with worker "
        "processes that run its jobs.",
    ),
    LazyCommand(
        name="worker",
        module="computebroker.cli.worker_cmd",
        attr="worker",
        help="Run queued jobs until SIGTERM or Ctrl-C (running jobs go back to the queue).",
    ),
    LazyCommand(
        name="demo",
        module="computebroker.cli.run_cmd",
        attr="demo",
        help="The main job on the bundled frontier-lab example: plan 2026-2028 compute and test "
        "it.",
    ),
    LazyCommand(
        name="catalog",
        module="computebroker.cli.catalog_cmd",
        attr="app",
        help="What chips exist, who sells them, at what price.",
        group=True,
    ),
    LazyCommand(
        name="estimate",
        module="computebroker.cli.estimate_cmd",
        attr="app",
        help="How long and how much a workload takes on each accelerator.",
        group=True,
    ),
    LazyCommand(
        name="export",
        module="computebroker.cli.export_cmd",
        attr="app",
        help="Hand a plan's fleet to the schedulers labs run.",
        group=True,
    ),
    LazyCommand(
        name="token",
        module="computebroker.cli.serve_cmd",
        attr="token_app",
        help="API tokens for teams.",
        group=True,
    ),
)
_BY_NAME = {c.name: c for c in COMMANDS}


def load_command(spec: LazyCommand) -> click.Command:
    """The click command ``spec`` names (imports its module)."""
    obj: Any = getattr(importlib.import_module(spec.module), spec.attr)
    if spec.group:
        group = typer.main.get_group(obj)
        group.name = spec.name
        return group
    sub = typer.Typer(rich_markup_mode="rich", pretty_exceptions_enable=False)
    sub.command(spec.name)(obj)
    command = typer.main.get_command(sub)
    command.name = spec.name
    return command


class _LazyGroup(TyperGroup):
    """The root group: lists ``COMMANDS`` from their table and imports one when it runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *(c.name for c in COMMANDS)]

    def get_help_option(self, ctx: click.Context) -> Any:
        # typer converts an option's value through a pydantic adapter unless it is already a
        # bool; the help flag's value is None when not given, so every subcommand would
        # import pydantic (60 ms) to read the root's --help. Not given is False.
        option = super().get_help_option(ctx)
        if option is not None and option.default is None:
            option.default = False
        return option

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        spec = _BY_NAME.get(cmd_name)
        if found is not None or spec is None:
            return found
        # a stand-in that carries the help line (listing commands must not import them)
        return TyperCommand(name=spec.name, help=spec.help, short_help=spec.help)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            name, command, rest = super().resolve_command(ctx, args)
        except click.exceptions.UsageError as exc:
            matches = get_close_matches(args[0], self.list_commands(ctx)) if args else []
            if matches and "Did you mean" not in exc.message:
                exc.message = (
                    f"{exc.message.rstrip('.')}. Did you mean {', '.join(map(repr, matches))}?"
                )
            raise
        if name in _BY_NAME and name not in self.commands:
            command = self.commands[name] = load_command(_BY_NAME[name])
        return name, command, rest


app = typer.Typer(
    cls=_LazyGroup,
    name="computebroker",
    help="Buy accelerator compute from several vendors at once: catalog, price-performance, "
    "commitment planning under risk, and fleet simulation.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


class _ErrConsole:
    """stderr through rich, made on first use (importing rich's console costs start-up)."""

    def print(self, *objects: Any, **kw: Any) -> None:
        from rich.console import Console

        Console(stderr=True).print(*objects, **kw)


err_console = _ErrConsole()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"computebroker {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """computebroker: catalog -> estimate -> plan -> simulate -> report."""


def _non_finite(argv: Sequence[str]) -> InputError | None:
    """A number on the command line that is NaN or infinite (``nan``, ``inf``, ``1e400``).

    No option of any command means "infinitely many" or "not a number", so the rule is checked
    once for all of them, before typer converts anything.
    """
    for i, token in enumerate(argv):
        flag, _, value = token.partition("=") if token.startswith("--") else ("", "", token)
        if not value:
            continue
        try:
            number = float(value)
        except ValueError:
            continue
        if not math.isfinite(number):
            if not flag and i > 0 and argv[i - 1].startswith("-"):
                flag = argv[i - 1]
            return InputError.single(
                "<args>",
                f"{value!r} is not a finite number; give a number such as 1e12",
                field=flag or None,
            )
    return None


def run(argv: Sequence[str]) -> int:
    """Run the CLI on ``argv`` and return the exit code (errors printed to stderr).

    Usage errors (unknown option, bad choice) are reported by typer with exit code 2; our own
    errors propagate out of typer and are reported here.
    """
    try:
        bad = _non_finite(argv)
        if bad is not None:
            raise bad
        app(args=list(argv), prog_name="computebroker")
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except InputError as exc:
        err_console.print("[bold red]error:[/bold red] invalid input", highlight=False)
        for issue in exc.issues:
            err_console.print(f"  {issue}", highlight=False, markup=False, soft_wrap=True)
        return 2
    except InfeasibleRequestError as exc:
        err_console.print(
            f"[bold red]infeasible:[/bold red] {exc}", highlight=False, soft_wrap=True
        )
        return 2
    except ComputeBrokerError as exc:  # solver failures, solves stopped without a plan: exit 1
        err_console.print(f"[bold red]error:[/bold red] {exc}", highlight=False, soft_wrap=True)
        return exc.exit_code
    except KeyboardInterrupt:
        err_console.print("[red]Interrupted.[/red]")
        return 130
    except (RecursionError, MemoryError) as exc:
        # input the edge checks missed (nesting, size); said in one line, never a traceback
        if os.environ.get("CB_DEBUG"):
            raise
        err_console.print(
            f"[bold red]error:[/bold red] the input is too large or too deeply nested "
            f"({type(exc).__name__})",
            highlight=False,
        )
        return 2
    except Exception as exc:
        # a bug, not bad input: one line and how to see more (CB_DEBUG=1 shows the traceback)
        if os.environ.get("CB_DEBUG"):
            raise
        from rich.markup import escape

        err_console.print(
            f"[bold red]internal error:[/bold red] {escape(f'{type(exc).__name__}: {exc}')}",
            highlight=False,
            soft_wrap=True,
        )
        err_console.print("set CB_DEBUG=1 to see the traceback, and please report it")
        return 70  # EX_SOFTWARE
    return 0
