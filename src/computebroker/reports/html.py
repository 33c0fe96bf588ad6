"""Self-contained HTML reports: sections of text, tables and plotly figures, readable offline.

The plotly JavaScript is embedded once in the page (no CDN), so a report opens from a file on a
machine without network. Functions here only build strings; writing them is the caller's job.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # plotly is imported where a page is rendered (a table costs no plotly)
    import plotly.graph_objects as go

__all__ = ["PALETTE", "HtmlReport", "Section", "human_header", "money", "table_html"]

_CSS = """
body { font-family: -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif; margin: 0; color: #1f2933; background: #f7f8fa; }
header { background: #102a43; color: #fff; padding: 18px 32px; }
header h1 { margin: 0; font-size: 22px; }
header p { margin: 6px 0 0; color: #bcccdc; font-size: 14px; }
nav { background: #243b53; padding: 8px 32px; }
nav a { color: #d9e2ec; margin-right: 18px; font-size: 14px; text-decoration: none; }
nav a:focus, nav a:hover { text-decoration: underline; outline: 2px solid #ffd166; }
main { padding: 8px 32px 40px; max-width: 1400px; }
section { background: #fff; border-radius: 8px; padding: 16px 20px; margin: 16px 0; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
section h2 { margin-top: 0; font-size: 18px; color: #102a43; }
.kpis { display: flex; flex-wrap: wrap; gap: 12px; margin: 8px 0; }
.kpi { background: #f0f4f8; border-radius: 6px; padding: 8px 12px; min-width: 150px; }
.kpi .v { font-size: 20px; font-weight: 600; }
.kpi .l { font-size: 12px; color: #627d98; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
th, td { border-bottom: 1px solid #e4e7eb; padding: 4px 10px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f0f4f8; }
.note { color: #627d98; font-size: 13px; }
.warn { color: #b54708; }
@media (max-width: 700px) { main, header, nav { padding-left: 10px; padding-right: 10px; } }
"""


# plotly's default qualitative colours, one per provider / pool, shared by every report
PALETTE = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
]


def money(v: float) -> str:
    """USD for people: $1.23B, $4.5M or $12,345.

    Examples
    --------
    >>> money(2.5e9), money(3.21e6), money(1234.4), money(-0.2), money(float("inf"))
    ('$2.50B', '$3.2M', '$1,234', '$0', '—')
    """
    if not math.isfinite(v):
        return "—"  # never "$inf" or "$nan" on a page
    if abs(v) < 0.5:
        return "$0"  # never "$-0"
    if abs(v) >= 1e9:
        return f"${v / 1e9:,.2f}B"
    if abs(v) >= 1e6:
        return f"${v / 1e6:,.1f}M"
    return f"${v:,.0f}"


_PERCENT_WORDS = ("share", "fraction", "utilisation", "unmet", "discount", "mfu", "hfu", "prob")


def human_header(key: str) -> str:
    """A column header for people from a record key.

    Examples
    --------
    >>> human_header("obligation_usd"), human_header("price_chip_hour"), human_header("p_shortfall")
    ('obligation ($)', '$/chip-hour', 'P(shortfall)')
    """
    special = {"price_chip_hour": "$/chip-hour", "p_shortfall": "P(shortfall)", "hhi": "HHI"}
    if key in special:
        return special[key]
    if key.endswith("_usd"):
        return key.removesuffix("_usd").replace("_", " ") + " ($)"
    return key.replace("_", " ")


def _fmt_cell(key: str, v: Any) -> str:
    """A cell, formatted by what its column holds: yes/no, $ amounts, % shares."""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int | float) and not isinstance(v, bool):
        if isinstance(v, float) and not math.isfinite(v):
            return "—"
        if key.endswith("_usd") or key.startswith("cost") or key == "price_chip_hour":
            return f"${v:,.3f}" if key == "price_chip_hour" else money(float(v))
        if any(w in key for w in _PERCENT_WORDS) and -1.5 <= v <= 1.5:
            return f"{v:.1%}"
    return _fmt(v)


def _fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float) and not math.isfinite(v):
        return "—"
    if isinstance(v, float):
        if abs(v) >= 1e6:
            return f"{v:,.0f}"
        if abs(v) >= 100:
            return f"{v:,.1f}"
        return f"{v:,.3g}" if abs(v) < 1 else f"{v:,.2f}"
    if isinstance(v, int):
        return f"{v:,}"
    return html.escape(str(v))


def table_html(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[tuple[str, str]] | None = None,
    *,
    limit: int = 200,
) -> str:
    """A plain HTML table of ``rows`` (``columns`` = (key, header) pairs)."""
    if not rows:
        return '<p class="note">(none)</p>'
    cols = list(columns or [(k, human_header(k)) for k in rows[0]])
    head = "".join(f'<th scope="col">{html.escape(h)}</th>' for _, h in cols)
    body = []
    for r in rows[:limit]:
        body.append(
            "<tr>" + "".join(f"<td>{_fmt_cell(k, r.get(k))}</td>" for k, _ in cols) + "</tr>"
        )
    more = (
        f'<p class="note">{len(rows) - limit:,} more rows in the JSON.</p>'
        if len(rows) > limit
        else ""
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}"


@dataclass
class Section:
    """A titled block of HTML, figures and tables."""

    title: str
    anchor: str
    parts: list[str | go.Figure] = field(default_factory=list)

    def text(self, text: str, css: str = "") -> Section:
        """A paragraph (escaped)."""
        cls = f' class="{css}"' if css else ""
        self.parts.append(f"<p{cls}>{html.escape(text)}</p>")
        return self

    def raw(self, markup: str) -> Section:
        """Trusted HTML built by this package."""
        self.parts.append(markup)
        return self

    def kpis(self, items: Sequence[tuple[str, str]]) -> Section:
        """Headline figures: (label, value) pairs."""
        cells = "".join(
            f'<div class="kpi"><div class="v">{html.escape(v)}</div><div class="l">{html.escape(label)}</div></div>'
            for label, v in items
        )
        self.parts.append(f'<div class="kpis">{cells}</div>')
        return self

    def figure(self, fig: go.Figure) -> Section:
        """A plotly figure."""
        self.parts.append(fig)
        return self

    def table(
        self,
        rows: Sequence[dict[str, Any]],
        columns: Sequence[tuple[str, str]] | None = None,
        limit: int = 200,
    ) -> Section:
        """A table."""
        self.parts.append(table_html(rows, columns, limit=limit))
        return self


@dataclass
class HtmlReport:
    """A whole page: a header, a navigation bar and sections."""

    title: str
    subtitle: str = ""
    sections: list[Section] = field(default_factory=list)

    def section(self, title: str, anchor: str) -> Section:
        """Append and return a new section."""
        s = Section(title=title, anchor=anchor)
        self.sections.append(s)
        return s

    def render(self) -> str:
        """The page as one HTML string with plotly's JavaScript embedded once."""
        import plotly.graph_objects as go
        import plotly.io as pio

        first = True
        blocks = []
        n = 0
        for s in self.sections:
            inner = []
            for part in s.parts:
                if isinstance(part, go.Figure):
                    n += 1
                    inner.append(
                        pio.to_html(
                            part,
                            include_plotlyjs="inline" if first else False,
                            full_html=False,
                            div_id=f"fig-{n}",
                            config={"displaylogo": False, "responsive": True},
                        )
                    )
                    first = False
                else:
                    inner.append(part)
            blocks.append(
                f'<section id="{html.escape(s.anchor)}" aria-labelledby="h-{html.escape(s.anchor)}">'
                f'<h2 id="h-{html.escape(s.anchor)}">{html.escape(s.title)}</h2>{"".join(inner)}</section>'
            )
        nav = "".join(
            f'<a href="#{html.escape(s.anchor)}">{html.escape(s.title)}</a>' for s in self.sections
        )
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(self.title)}</title><style>{_CSS}</style></head><body>"
            f"<header><h1>{html.escape(self.title)}</h1><p>{html.escape(self.subtitle)}</p></header>"
            f'<nav aria-label="sections">{nav}</nav><main>{"".join(blocks)}</main></body></html>\n'
        )
