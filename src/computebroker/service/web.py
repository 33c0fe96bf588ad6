"""The dashboard's files, served by the API server at ``/ui`` (all assets local: plotly.js comes
from the plotly package itself, so the dashboard works offline)."""

from __future__ import annotations

from pathlib import Path

import plotly
from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse, RedirectResponse

__all__ = ["mount_dashboard"]

STATIC = Path(__file__).with_name("static")
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
FILES = {"app.js": "text/javascript", "app.css": "text/css"}


def mount_dashboard(app: FastAPI) -> None:
    """``/`` and ``/ui`` serve the dashboard; ``/ui/static/*`` its assets."""

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/ui")

    @app.get("/ui", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @app.get("/ui/static/{name}", include_in_schema=False)
    def asset(name: str) -> FileResponse:
        if name == "plotly.min.js":
            return FileResponse(PLOTLY_JS, media_type="text/javascript")
        if name not in FILES:
            raise HTTPException(404, "no such file")
        return FileResponse(STATIC / name, media_type=FILES[name])
