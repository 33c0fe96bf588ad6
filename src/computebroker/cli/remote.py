"""Talking to a computebroker server from the CLI (``--server URL``): the same scenario file,
planned by the server's workers and stored with the team's other runs."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from computebroker.errors import ComputeBrokerError, InputError
from computebroker.planner.document import PlanDocument

__all__ = ["remote_plan"]


def _call(
    server: str, token: str, method: str, path: str, body: dict[str, Any] | None = None
) -> Any:
    req = urllib.request.Request(
        server.rstrip("/") + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            raw = resp.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")
        try:
            parsed = json.loads(detail).get("detail")
            detail = (
                "; ".join(f"{d.get('line') or ''} {d.get('msg')}".strip() for d in parsed)
                if isinstance(parsed, list)
                else str(parsed)
            )
        except (ValueError, AttributeError):
            pass
        if exc.code in (400, 404, 409, 422):
            raise InputError.single(server, f"{method} {path}: {exc.code} {detail}") from None
        raise ComputeBrokerError(
            f"{server}: {method} {path} answered {exc.code}: {detail}"
        ) from None
    except urllib.error.URLError as exc:
        raise ComputeBrokerError(f"cannot reach {server}: {exc.reason}") from None
    try:
        return json.loads(raw)
    except ValueError:  # not a computebroker server (a proxy's HTML page, say)
        raise ComputeBrokerError(
            f"{server}: {method} {path} answered {len(raw):,} bytes that are not JSON; is it a "
            "computebroker server?"
        ) from None


def _check_server(server: str, token: str) -> None:
    """``--server`` an http(s) URL with a host, ``--token`` one printable ASCII word: 'not a
    url', 'http://[::1' and a token holding a newline were 'internal error: ValueError' from
    urllib; ftp:// and file:// were tried (found by fuzz2)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(server)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        ok = False
    if not ok:
        raise InputError.single(
            "<args>",
            f"expected an http(s) URL with a host, such as http://broker:8000 (got {server!r})",
            field="--server",
        )
    if not token.isascii() or not token.isprintable() or any(c.isspace() for c in token):
        raise InputError.single(
            "<args>", "expected the token as printed by `token create` (one word)", field="--token"
        )


def remote_plan(
    server: str,
    token: str,
    scenario: Path,
    *,
    scenarios: int | str | None,
    seed: int | None,
    method: str,
    progress: Callable[[str], None],
    replications: int | None = None,
) -> PlanDocument:
    """Upload ``scenario``, plan it on the server, wait, and return the plan document."""
    from computebroker.inputs import read_text

    _check_server(server, token)

    text = read_text(scenario)
    name = re.sub(r"[^A-Za-z0-9_.\-]", "-", scenario.stem) or "scenario"
    stored = _call(server, token, "POST", "/v1/scenarios", {"name": name, "yaml": text})
    progress(f"stored {stored['name']} version {stored['version']} on {server}")
    body: dict[str, Any] = {"scenario": name, "version": stored["version"], "method": method}
    if scenarios is not None:
        body["scenarios"] = scenarios
    if seed is not None:
        body["seed"] = seed
    if replications is not None:  # None: the scenario file's
        body["replications"] = replications
    job = _call(server, token, "POST", "/v1/plans", body)
    last = ""
    while True:
        st = _call(server, token, "GET", f"/v1/jobs/{job['id']}")
        line = f"job {job['id'][:8]}: {st['status']} {st['progress']:.0%} {st['message']}"
        if line != last:
            progress(line)
            last = line
        if st["status"] in ("done", "failed", "cancelled"):
            break
        time.sleep(0.5)
    if st["status"] != "done":
        from computebroker.errors import InfeasibleRequestError

        raise InfeasibleRequestError(f"the server's plan job {st['status']}: {st['error'] or ''}")
    return PlanDocument.from_json(_call(server, token, "GET", f"/v1/plans/{job['id']}"), server)
