"""``computebroker serve`` (the HTTP API) and ``computebroker token create`` (a team's token)."""

from __future__ import annotations

from typing import Annotated

import typer

from computebroker.cli.output import make_console

__all__ = ["serve", "token_app"]

token_app = typer.Typer(help="API tokens for teams.", no_args_is_help=True)


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port.")] = 8000,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Store URL (default: SQLite in the user's data directory; postgresql+psycopg://...).",
        ),
    ] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Background job threads.")] = 1,
) -> None:
    """Serve the broker over HTTP (OpenAPI at /openapi.json, docs at /docs)."""
    import uvicorn

    from computebroker.service import create_app

    uvicorn.run(create_app(db, workers=workers), host=host, port=port, log_level="info")


@token_app.command("create")
def create_token(
    team: Annotated[str, typer.Option("--team", help="Team name (created if new).")],
    db: Annotated[
        str | None,
        typer.Option("--db", help="Store URL (default: SQLite in the user's data directory)."),
    ] = None,
) -> None:
    """Create an API token for a team; it is shown once and stored hashed."""
    from sqlalchemy import select

    from computebroker.store import open_store, repo
    from computebroker.store.models import Team

    factory = open_store(db)
    with factory.begin() as s:
        t = s.execute(
            select(Team).where(Team.name == team)
        ).scalar_one_or_none() or repo.create_team(s, team)
        token = repo.issue_token(s, t)
    make_console().print(token, highlight=False)
