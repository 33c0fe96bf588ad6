"""The request guard (one ASGI middleware, outermost but for Starlette's own): every request gets
an id; a request to a route behind a token is refused (401) *before its body is read*; a body
over its route's size limit is refused (413) by ``Content-Length`` and, when that is absent or
lies, while it streams; and any fault in the app becomes a 500 that names the request id (the
traceback goes to the log under that id, never to the client).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from anyio import to_thread
from starlette.exceptions import HTTPException

__all__ = ["BODY_LIMITS", "DEFAULT_BODY_LIMIT", "PUBLIC_PATHS", "RequestGuard"]

log = logging.getLogger("computebroker.service")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MIB = 1024 * 1024
# bytes a request body may have, by route prefix (first match); YAML files are bounded in
# characters by the schemas (1 M), which JSON may escape to about twice as many bytes
BODY_LIMITS = (
    ("/v1/scenarios", 2 * MIB),
    ("/v1/offers", 2 * MIB),
    ("/v1/matrices", 2 * MIB),
    ("/v1/placements", 4 * MIB),
)
DEFAULT_BODY_LIMIT = 64 * 1024
# routes that need no token
PUBLIC_PATHS = ("/v1/health",)

TokenCheck = Callable[[str], object | None]


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a streamed body passes its limit (an HTTP error, so the
    body parser lets it through as the 413 it is)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the body is over this route's limit of {limit:,} bytes")


def body_limit(path: str) -> int:
    """The body size limit of a route."""
    return next((n for prefix, n in BODY_LIMITS if path.startswith(prefix)), DEFAULT_BODY_LIMIT)


def _bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            text = value.decode("latin-1")
            if text[:7].lower() == "bearer ":
                return text[7:].strip() or None
    return None


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return -1
    return None


async def _answer(send: Send, status: int, body: dict[str, Any], request_id: str) -> None:
    data = json.dumps(body).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(data)).encode()),
        (b"x-request-id", request_id.encode()),
    ]
    if status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


class RequestGuard:
    """The middleware; ``check_token(token)`` returns the token's team or None (it may block: it
    runs in a thread)."""

    def __init__(self, app: ASGIApp, check_token: TokenCheck) -> None:
        self.app = app
        self.check_token = check_token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = rid
        path: str = scope["path"]
        if path.startswith("/v1/") and path not in PUBLIC_PATHS:
            token = _bearer(scope)
            team = await to_thread.run_sync(self.check_token, token) if token else None
            if team is None:
                msg = (
                    "missing bearer token" if token is None else "unknown, expired or revoked token"
                )
                await _answer(send, 401, {"detail": msg}, rid)
                return
            scope["state"]["team"] = team
        limit = body_limit(path)
        length = _content_length(scope)
        if length is not None and (length < 0 or length > limit):
            detail = f"the body is over this route's limit of {limit:,} bytes"
            await _answer(send, 413 if length > limit else 400, {"detail": detail}, rid)
            return
        await self._call(scope, receive, send, rid, limit)

    async def _call(self, scope: Scope, receive: Receive, send: Send, rid: str, limit: int) -> None:
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message.setdefault("headers", []).append((b"x-request-id", rid.encode()))
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                detail = f"the body is over this route's limit of {limit:,} bytes"
                await _answer(send, 413, {"detail": detail}, rid)
        except Exception:  # the one place a fault becomes a 500; the log has the traceback
            log.exception("request %s %s %s failed", rid, scope.get("method"), scope["path"])
            if not started:
                detail = f"internal error (request {rid}; the server log has the details)"
                await _answer(send, 500, {"detail": detail, "request_id": rid}, rid)
