"""The HTML report in a real headless browser (Debian's chromium through Playwright): it loads
without console errors, every plot renders, and a screenshot is kept in tests/artifacts."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from computebroker.reports.run import build_run_report
from tests.conftest import need_service


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def test_report_renders_in_chromium(small_run: Any, tmp_path: Path, artifacts_dir: Path) -> None:
    exe = _chromium()
    need_service(exe is not None, "Debian's chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need_service(False, "the playwright package is not installed")
        return
    page_file = tmp_path / "report.html"
    page_file.write_text(build_run_report(small_run).render(), encoding="utf-8")
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(page_file.as_uri(), wait_until="load")
            page.wait_for_function(
                "() => document.querySelectorAll('.plotly-graph-div').length > 0", timeout=30_000
            )
            n_divs = page.locator(".plotly-graph-div").count()
            rendered = page.evaluate(
                "() => [...document.querySelectorAll('.plotly-graph-div')].filter(d => d.querySelector('.main-svg') && d._fullLayout).length"
            )
            page.screenshot(path=str(artifacts_dir / "report.png"), full_page=False)
            sections = page.locator("section h2").all_inner_texts()
        finally:
            browser.close()
    assert not errors, errors
    assert n_divs >= 10 and rendered == n_divs
    assert sections[0] == "Does the plan survive?"
    assert (artifacts_dir / "report.png").stat().st_size > 10_000
