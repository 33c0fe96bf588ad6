"""Root of the command tree and the one place errors become messages and exit codes."""

from __future__ import annotations

from collections.abc import Sequence

import typer
from rich.console import Console

from computebroker import __version__
from computebroker.errors import ComputeBrokerError, InfeasibleRequestError, InputError

__all__ = ["app", "err_console", "run"]

app = typer.Typer(
    name="computebroker",
    help="Buy accelerator compute from several vendors at once: catalog, price-performance, "
    "commitment planning under risk, and fleet simulation.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
err_console = Console(stderr=True)


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


def _register() -> None:
    from computebroker.cli import (
        catalog_cmd,
        estimate_cmd,
        plan_cmd,
        run_cmd,
        serve_cmd,
        simulate_cmd,
        worker_cmd,
    )

    app.add_typer(catalog_cmd.app, name="catalog")
    app.add_typer(estimate_cmd.app, name="estimate")
    app.command("plan")(plan_cmd.plan)
    app.command("simulate")(simulate_cmd.simulate_cmd)
    app.command("run")(run_cmd.run)
    app.command("serve")(serve_cmd.serve)
    app.command("worker")(worker_cmd.worker)
    app.add_typer(serve_cmd.token_app, name="token")
    app.command("demo")(run_cmd.demo)


_register()


def run(argv: Sequence[str]) -> int:
    """Run the CLI on ``argv`` and return the exit code (errors printed to stderr).

    Usage errors (unknown option, bad choice) are reported by typer with exit code 2; our own
    errors propagate out of typer and are reported here.
    """
    try:
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
    except ComputeBrokerError as exc:
        err_console.print(f"[bold red]error:[/bold red] {exc}", highlight=False, soft_wrap=True)
        return 1
    except KeyboardInterrupt:
        err_console.print("[red]Interrupted.[/red]")
        return 130
    return 0
