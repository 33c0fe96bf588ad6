"""The dashboard in headless chromium: a scenario's stored versions are listed and each opens
in the editor; the dashboard's own charts carry a title and axis titles with units (plotly.js 3+
ignores a plain-string ``title``, which is how they once lost them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from computebroker.store import close_store, open_store, repo
from computebroker.store.models import Team
from tests.browser.test_report import _chromium
from tests.conftest import need_service
from tests.servers import serving, team_tokens
from tests.service.test_api import SCENARIO


def _chart_titles(page: Any, chart: str) -> tuple[str, str, str]:
    """A rendered plotly chart's title, x-axis and y-axis titles."""
    page.wait_for_selector(f"#{chart} .main-svg")
    return tuple(  # type: ignore[return-value]
        page.locator(f"#{chart} .{part}").first.text_content() or ""
        for part in ("gtitle", "xtitle", "ytitle")
    )


def test_scenario_versions_open_and_charts_are_titled(tmp_path: Path) -> None:
    exe = _chromium()
    need_service(exe is not None, "Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    url = f"sqlite:///{tmp_path / 'ui.db'}"
    (token,) = team_tokens(url, "ui", scenarios={"tiny": SCENARIO})
    second = SCENARIO.replace("name: tiny", "name: tiny\ndescription: the second version")
    assert second != SCENARIO
    store = open_store(url)
    with store.begin() as s:
        team = s.query(Team).filter(Team.name == "ui").one()
        repo.save_scenario(s, team.id, "tiny", second)
    close_store(store)
    errors: list[str] = []
    with serving(url) as port, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"http://127.0.0.1:{port}/")
            page.fill("#token", token)
            page.keyboard.press("Enter")
            page.wait_for_selector("#scenario-list button.version")
            assert "tiny (version 2)" in page.inner_text("#scenario-list")
            buttons = page.locator("#scenario-list button.version")
            assert buttons.all_inner_texts() == ["v1", "v2"]
            buttons.first.click()
            page.wait_for_function(
                "() => document.getElementById('plan-status').textContent.includes('version 1')"
            )
            assert page.input_value("#scenario-text") == SCENARIO
            buttons.nth(1).click()
            page.wait_for_function(
                "() => document.getElementById('plan-status').textContent.includes('version 2')"
            )
            assert page.input_value("#scenario-text") == second
            assert page.input_value("#scenario-name") == "tiny"
            title, x, y = _chart_titles(page, "price-chart")
            assert "USD per chip-hour" in title and x == "cloud" and y == "USD per chip-hour"
            page.click("#price-form button")
            page.wait_for_selector("#perf tbody tr")
            title, x, y = _chart_titles(page, "perf-chart")
            assert "USD per million tokens" in title and x == "accelerator"
            assert y == "USD per million tokens"
        finally:
            browser.close()
    assert not errors, errors
