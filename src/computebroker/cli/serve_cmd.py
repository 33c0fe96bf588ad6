"""``computebroker serve`` (the HTTP API and its workers) and ``computebroker token create |
list | revoke`` (a team's tokens)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer

from computebroker.cli.output import make_console
from computebroker.errors import InputError

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
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=0,
            help="Worker processes that run jobs (0: none; run `computebroker worker`).",
        ),
    ] = 1,
    team_limit: Annotated[
        int, typer.Option("--team-limit", min=1, help="Running jobs per team, in all.")
    ] = 2,
    slots: Annotated[int, typer.Option("--slots", min=1, max=64, help="Jobs per worker.")] = 1,
    lease: Annotated[
        float, typer.Option("--lease", min=1.0, help="Seconds a job's lease lasts unrenewed.")
    ] = 30.0,
    heartbeat: Annotated[
        float, typer.Option("--heartbeat", min=0.1, help="Seconds between lease renewals.")
    ] = 5.0,
) -> None:
    """Serve the broker over HTTP (OpenAPI at /openapi.json, docs at /docs) with worker
    processes that run its jobs."""
    import uvicorn

    from computebroker.service import create_app
    from computebroker.service.worker import WorkerConfig
    from computebroker.store import default_url

    url = db or default_url()
    if heartbeat * 2 > lease:
        raise typer.BadParameter("--heartbeat must be at most half of --lease")
    from computebroker.store import close_store

    close_store(
        open_store_flag(url)
    )  # a --db that opens no database: the flag's error, before serving
    cfg = WorkerConfig(
        db_url=url, team_limit=team_limit, slots=slots, lease_s=lease, heartbeat_s=heartbeat
    )
    app = create_app(url, workers=workers, worker=cfg)
    uvicorn.run(app, host=host, port=port, log_level="info", timeout_graceful_shutdown=10)


def open_store_flag(db: str | None) -> Any:
    """The migrated store at ``--db``; a URL that names no database it can open (a garbage
    scheme, a folder, a file that is no SQLite database, a server that refuses) is the flag's
    error, not a traceback."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

    from computebroker.store import open_store

    try:
        return open_store(db)
    except (ArgumentError, NoSuchModuleError, DBAPIError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        try:  # never echo a password
            shown = make_url(db or "").render_as_string(hide_password=True)
        except ArgumentError:
            shown = db or ""
        raise InputError.single(
            "<args>",
            f"cannot open the store {shown!r}: {reason}; expected sqlite:///PATH (a file, "
            "created if missing, in an existing folder) or postgresql+psycopg://USER@HOST/DB",
            field="--db",
        ) from None


# as the store's columns (String(100)) and the API's TokenIn: a name that fits and prints
MAX_LABEL = 100


def _label(value: str, flag: str, *, empty: bool = False) -> str:
    if (not value and not empty) or len(value) > MAX_LABEL or not value.isprintable():
        shown = value if len(value) <= 40 else f"{value[:40]}... ({len(value):,} characters)"
        raise InputError.single(
            "<args>",
            f"expected 1 to {MAX_LABEL} printable characters, no control characters",
            field=flag,
            value=shown,
        )
    return value


DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Store URL (default: SQLite in the user's data directory)."),
]


@token_app.command("create")
def create_token(
    team: Annotated[str, typer.Option("--team", help="Team name (created if new).")],
    db: DbOption = None,
    name: Annotated[str, typer.Option("--name", help="What the token is for.")] = "",
    expires_days: Annotated[
        int | None,
        typer.Option("--expires-days", min=1, max=3650, help="Days until it stops working."),
    ] = None,
) -> None:
    """Create an API token for a team; it is shown once and stored hashed."""
    from sqlalchemy import select

    from computebroker.store import repo
    from computebroker.store.models import Team

    team, name = _label(team, "--team"), _label(name, "--name", empty=True)
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=expires_days) if expires_days else None
    with open_store_flag(db).begin() as s:
        t = s.execute(
            select(Team).where(Team.name == team)
        ).scalar_one_or_none() or repo.create_team(s, team)
        token = repo.issue_token(s, t, name=name, expires_at=expires)
    make_console().print(token, highlight=False)


def _team_id(s: Any, team: str) -> int:
    from sqlalchemy import select

    from computebroker.store.models import Team

    row = s.execute(select(Team).where(Team.name == team)).scalar_one_or_none()
    if row is None:
        raise typer.BadParameter(f"no team {team!r}", param_hint="--team")
    return int(row.id)


@token_app.command("list")
def list_tokens(
    team: Annotated[str, typer.Option("--team", help="Team name.")],
    db: DbOption = None,
) -> None:
    """A team's tokens: prefix, name, created, expires, revoked (never the secret)."""
    from computebroker.store import repo

    console = make_console()
    with open_store_flag(db)() as s:
        for tok in repo.list_tokens(s, _team_id(s, team)):
            expires = tok.expires_at.isoformat() if tok.expires_at else "never"
            state = "revoked" if tok.revoked else "active"
            console.print(
                f"{tok.prefix}\t{tok.name or '-'}\t{tok.created_at.isoformat()}\t{expires}\t{state}",
                highlight=False,
                markup=False,
            )


@token_app.command("revoke")
def revoke_token(
    prefix: Annotated[str, typer.Argument(help="The token's prefix (from `token list`).")],
    team: Annotated[str, typer.Option("--team", help="Team name.")],
    db: DbOption = None,
) -> None:
    """Revoke a team's token (it stops working within 10 s on running servers)."""
    from computebroker.store import repo

    with open_store_flag(db).begin() as s:
        n = repo.revoke_token(s, _team_id(s, team), prefix)
    if n == 0:
        raise typer.BadParameter(f"no active token {prefix!r} of team {team!r}")
    make_console().print(f"revoked {prefix}", highlight=False)
