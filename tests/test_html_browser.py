"""The HTML report in a real browser: headless Chromium, no network, a screenshot and the DOM."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalyst_cli.html_page import SUMMARY_COLUMNS, machine_value, render_page, visible
from tests.browser import dump_dom, open_in_browser, png_colours, read_report, require_chromium
from tests.html_pages import HOSTILE, cohort_page, hostile_page

pytestmark = pytest.mark.slow


def test_cohort_page_in_chromium(tmp_path: Path) -> None:
    require_chromium()
    page = cohort_page()
    html = tmp_path / "report.html"
    html.write_text(render_page(page), encoding="utf-8")
    dom, png = open_in_browser(html, width=1200, height=2000)

    tables = read_report(dom)
    assert tables.learners == [
        {k: machine_value(row[k]) for k in page.learner_columns} for row in page.learners
    ]
    assert tables.modules == [
        {k: machine_value(getattr(m, k)) for k in SUMMARY_COLUMNS} for m in page.modules
    ]
    assert sum(tables.active.values()) > 0

    # Not blank: white paper, and several colours that each cover a visible share of it.
    colours = png_colours(png)
    samples = sum(colours.values())
    assert samples == (1200 // 4) * (2000 // 4)
    visible_colours = [c for c, n in colours.items() if n >= samples // 1000]
    assert len(visible_colours) >= 6, visible_colours
    assert colours.get((255, 255, 255), 0) < samples * 0.9


def test_hostile_page_in_chromium(tmp_path: Path) -> None:
    require_chromium()
    html = tmp_path / "hostile.html"
    html.write_text(render_page(hostile_page()), encoding="utf-8")
    tables = read_report(dump_dom(html))
    assert "script" not in tables.tags and "img" not in tables.tags
    assert not any(a.startswith("on") for a in tables.attributes)
    assert [row["name"] for row in tables.learners] == [visible(n) for n in HOSTILE]
