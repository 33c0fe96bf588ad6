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
            return json.loads(resp.read())
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
