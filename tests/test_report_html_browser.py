"""`report --format html` of a real database in Chromium: the page's numbers are the JSON's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from catalyst_cli.html_page import machine_value
from tests.browser import open_in_browser, png_colours, read_report, require_chromium
from tests.conftest import Runner, json_out

pytestmark = pytest.mark.slow
HIDDEN = {"as_of", "timezone", "competency"}


def _as_page(value: object) -> str:
    """A JSON value as the page's data-value holds it."""
    return machine_value(value)


def test_html_report_shows_the_json_reports_numbers(cohort: Runner, tmp_path: Path) -> None:
    require_chromium()
    when = ("--as-of", "2026-03-06", "--tz", "Europe/Paris")
    html = tmp_path / "report.html"
    result = cohort("report", *when, "--format", "html", "--output", str(html))
    assert result.exit_code == 0 and result.stderr == ""
    dom, png = open_in_browser(html)
    page = read_report(dom)

    learners = json_out(cohort("report", *when, "--format", "json"))
    assert page.learners == [
        {k: _as_page(v) for k, v in row.items() if k not in HIDDEN} for row in learners
    ]
    modules = json_out(cohort("report", *when, "--summary", "module", "--format", "json"))
    assert page.modules == [{k: _as_page(v) for k, v in row.items()} for row in modules]

    # The heatmap counts each learner's activity days (their own local dates) as --series day.
    series = json_out(cohort("report", *when, "--series", "day", "--format", "json"))
    by_day = {r["period_end"][:10]: r["active_learners"] for r in series}
    shown = {day: n for day, n in page.active.items() if day in by_day}
    assert shown == by_day
    assert sum(page.active.values()) == sum(by_day.values()) > 0

    colours = png_colours(png)
    samples = sum(colours.values())
    assert len([c for c, n in colours.items() if n >= samples // 1000]) >= 6
    assert colours.get((255, 255, 255), 0) < samples * 0.9
    assert json.dumps(page.active)
