"""``computebroker worker``: a job runner process that claims queued jobs from the store and runs
each in a child process (``computebroker serve`` starts some itself; run more on any host that
reaches the same database)."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

__all__ = ["worker"]


def worker(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="COMPUTEBROKER_DB",
            help="Store URL (default: SQLite in the user's data directory).",
        ),
    ] = None,
    slots: Annotated[int, typer.Option("--slots", min=1, max=64, help="Jobs at once.")] = 1,
    lease: Annotated[
        float, typer.Option("--lease", min=1.0, help="Seconds a job's lease lasts unrenewed.")
    ] = 30.0,
    heartbeat: Annotated[
        float, typer.Option("--heartbeat", min=0.1, help="Seconds between lease renewals.")
    ] = 5.0,
    poll: Annotated[float, typer.Option("--poll", min=0.05, help="Idle poll, seconds.")] = 0.5,
    team_limit: Annotated[
        int, typer.Option("--team-limit", min=1, help="Running jobs per team, in all.")
    ] = 2,
    max_attempts: Annotated[
        int, typer.Option("--max-attempts", min=1, help="Tries of a job whose worker dies.")
    ] = 3,
    nice: Annotated[
        int, typer.Option("--nice", min=0, max=19, help="CPU priority below the API's.")
    ] = 10,
    parent_pid: Annotated[
        int | None, typer.Option("--parent-pid", help="Stop when this process is gone.")
    ] = None,
) -> None:
    """Run queued jobs until SIGTERM or Ctrl-C (running jobs go back to the queue)."""
    from computebroker.cli.serve_cmd import open_store_flag
    from computebroker.service.worker import Worker, WorkerConfig
    from computebroker.store import default_url

    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    url = db or default_url()
    open_store_flag(url)  # migrated before the first claim; a bad --db refused here
    if heartbeat * 2 > lease:
        raise typer.BadParameter("--heartbeat must be at most half of --lease")
    Worker(
        WorkerConfig(
            db_url=url,
            slots=slots,
            lease_s=lease,
            heartbeat_s=heartbeat,
            poll_s=poll,
            team_limit=team_limit,
            max_attempts=max_attempts,
            parent_pid=parent_pid,
            nice=nice,
        )
    ).run()
