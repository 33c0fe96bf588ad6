"""``/docs``: the API's routes as one plain HTML page built from the OpenAPI schema, with no
script and no CDN (it works offline; no package shipping Swagger UI's assets is available, so
interactive docs are left to any OpenAPI client pointed at ``/openapi.json``)."""

from __future__ import annotations

from html import escape
from typing import Any

__all__ = ["docs_page"]


def docs_page(schema: dict[str, Any]) -> str:
    """The page for an OpenAPI ``schema``."""
    rows = []
    for path, ops in schema.get("paths", {}).items():
        for method, op in ops.items():
            auth = "token" if op.get("security") else "public"
            summary = op.get("summary") or ""
            desc = (op.get("description") or "").split("\n\n")[0]
            rows.append(
                f"<tr><td><code>{escape(method.upper())}</code></td>"
                f"<td><code>{escape(path)}</code></td><td>{escape(auth)}</td>"
                f"<td>{escape(summary)}<br><small>{escape(desc)}</small></td></tr>"
            )
    info = schema.get("info", {})
    title = escape(f"{info.get('title', 'API')} {info.get('version', '')}")
    return (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{title}</title>"
        "<style>body{font:14px system-ui,sans-serif;margin:2em}td{padding:4px 8px;"
        "vertical-align:top;border-bottom:1px solid #ddd}</style></head><body>"
        f"<h1>{title}</h1><p>The full schema: <a href='/openapi.json'>/openapi.json</a>. "
        "Routes marked <em>token</em> need <code>Authorization: Bearer &lt;token&gt;</code> "
        "(<code>computebroker token create --team NAME</code>).</p>"
        "<table><tr><th>method</th><th>path</th><th>auth</th><th>what</th></tr>"
        + "".join(rows)
        + "</table></body></html>"
    )
