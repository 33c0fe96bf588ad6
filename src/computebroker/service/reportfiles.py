"""Reports stored once: a job's HTML report is kept without the 4.8 MB of plotly.js every
report embeds (the same bytes in each), and the script is put back when the report is served,
so the report a client downloads is still self-contained and opens offline."""

from __future__ import annotations

from functools import cache

__all__ = ["MARKER", "compact_report", "expand_report"]

# what stands in for plotly.js in a stored report
MARKER = "<script>/* computebroker: plotly.js inlined when served */</script>"


@cache
def _plotly_script() -> str:
    import plotly.offline

    return f"<script>{plotly.offline.get_plotlyjs()}</script>"


def compact_report(html: str) -> str:
    """``html`` with its embedded plotly.js replaced by :data:`MARKER` (as stored)."""
    return html.replace(_plotly_script(), MARKER, 1)


def expand_report(stored: str) -> str:
    """A stored report with plotly.js back in place (as served)."""
    return stored.replace(MARKER, _plotly_script(), 1) if MARKER in stored else stored
