"""The HTML report page, rendered without a browser: escaping, empty reports, every number."""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import replace
from datetime import date, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

from catalyst_cli.html_page import (
    SUMMARY_COLUMNS,
    ActiveDay,
    ModuleSummary,
    ReportPage,
    activity_heatmap,
    duration_text,
    machine_value,
    progress_bins,
    render_page,
    visible,
)
from tests.browser import read_report
from tests.html_pages import AS_OF, HOSTILE, cohort_page, hostile_page

ROOT = Path(__file__).resolve().parents[1]
# What the page may contain: no script, no frames, no images or links to load.
ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "div", "header", "h1", "h2", "p", "span",
    "b", "time", "main", "dl", "dt", "dd", "section", "figure", "figcaption", "svg", "desc",
    "line", "text", "g", "rect", "clippath", "table", "caption", "thead", "tbody", "tr", "th", "td", "footer",
}  # fmt: skip


def empty_page(**changes: Any) -> ReportPage:
    page = ReportPage(
        title="Nobody yet",
        scope="every learner",
        as_of=AS_OF,
        timezone="UTC",
        modules=(),
        active_days=(),
        learner_columns=("user", "name", "progress_percent"),
        learners=(),
    )
    return replace(page, **changes)


def test_every_number_of_both_tables_is_in_the_page() -> None:
    page = cohort_page()
    tables = read_report(render_page(page))
    assert tables.learners == [
        {k: machine_value(row[k]) for k in page.learner_columns} for row in page.learners
    ]
    assert tables.modules == [
        {k: machine_value(getattr(m, k)) for k in SUMMARY_COLUMNS} for m in page.modules
    ]
    # The number shown is the number stored, except durations (hours and minutes).
    for values, texts in zip(tables.learners, tables.learner_text, strict=True):
        for key, value in values.items():
            if value.isdigit() and key != "time_spent":
                assert texts[key] == value, key


def test_heatmap_counts_the_last_eight_weeks_up_to_as_of() -> None:
    page = cohort_page()
    active = read_report(render_page(page)).active  # days after as-of have no count
    today = AS_OF.date()
    first = today - timedelta(days=today.weekday() + 49)
    given = {d.day.isoformat(): d.learners for d in page.active_days}
    expected = {
        (first + timedelta(days=i)).isoformat(): given.get(
            (first + timedelta(days=i)).isoformat(), 0
        )
        for i in range((today - first).days + 1)
    }
    assert active == expected


def test_hostile_text_is_escaped_everywhere() -> None:
    html = render_page(hostile_page())
    tables = read_report(html)
    assert tables.tags <= ALLOWED_TAGS
    assert not {a for a in tables.attributes if a.startswith("on") or a in ("src", "href")}
    for bad in ("<script", "<img", "<b>bold", "<b>x", "\x00", "\x1b", "\u202e"):
        assert bad not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Ctrl\\u001b[31mred\\u0000nul\\u000aline" in html
    assert [row["name"] for row in tables.learners] == [visible(n) for n in HOSTILE]
    assert [row["title"] for row in tables.modules] == [visible(n) for n in HOSTILE]
    assert tables.learners[0]["user"] == 'x0"><script>@example.org'


def test_empty_report() -> None:
    html = render_page(empty_page())
    tables = read_report(html)
    assert tables.learners == [] and tables.modules == []
    assert set(tables.active.values()) == {0}
    assert "No learners in scope." in html
    assert "No modules in scope." in html
    assert html.startswith("<!DOCTYPE html>")


def test_modules_but_zero_learners() -> None:
    module = ModuleSummary("python", "intro", "Intro", 0, 0, 0, 0, 0, 0, 0, None, 0)
    tables = read_report(render_page(empty_page(modules=(module,))))
    assert tables.modules == [{k: machine_value(getattr(module, k)) for k in SUMMARY_COLUMNS}]
    assert tables.module_text[0]["median_best_score"] == "–"
    assert tables.learners == []


def test_one_learner_with_everything_null() -> None:
    row = {"user": "a@example.org", "name": None, "progress_percent": None}
    tables = read_report(render_page(empty_page(learners=(row,))))
    assert tables.learners == [{"user": "a@example.org", "name": "", "progress_percent": ""}]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], [0] * 11),
        ([0, 9, 10, 99, 100], [2, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1]),
        ([50] * 3, [0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0]),
    ],
)
def test_progress_bins(values: list[int], expected: list[int]) -> None:
    bins = progress_bins(values)
    assert [label for label, _ in bins][:2] == ["0–9", "10–19"] and bins[-1][0] == "100"
    assert [count for _, count in bins] == expected


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (59, "59s"), (60, "1m"), (3599, "59m"), (3600, "1h 00m"), (90061, "25h 01m")],
)
def test_duration_text(seconds: int, text: str) -> None:
    assert duration_text(seconds) == text


@pytest.mark.parametrize("today", [date(2026, 3, 16), date(2026, 3, 18), date(2026, 3, 22)])
def test_heatmap_geometry(today: date) -> None:
    days = [ActiveDay(today - timedelta(days=n), n + 1) for n in range(70)]
    days.append(ActiveDay(today + timedelta(days=1), 99))
    heat = activity_heatmap(days, today)
    assert len(heat.cells) == 56
    assert heat.cells[0].day.weekday() == 0
    assert heat.cells[0].day == today - timedelta(days=today.weekday() + 49)
    assert all(c.day == heat.cells[0].day + timedelta(days=i) for i, c in enumerate(heat.cells))
    past = [c for c in heat.cells if c.day <= today]
    assert all(c.level >= 1 for c in past) and all(
        c.count == (today - c.day).days + 1 for c in past
    )
    assert all(c.level == -1 and c.count == 0 for c in heat.cells if c.day > today)
    # The legend covers every count from 1 to the busiest day, without gaps.
    peak = max(c.count for c in past)
    covered: list[int] = []
    for _, label in heat.legend[1:]:
        low, _, high = label.partition("–")
        covered.extend(range(int(low), int(high or low) + 1))
    assert covered == list(range(1, peak + 1))


def test_visible_shows_control_characters_as_escapes() -> None:
    assert visible("a\tb\x7f\u202ec") == "a\\u0009b\\u007f\\u202ec"
    assert visible("Zoë 名前 ✓") == "Zoë 名前 ✓"


def test_templates_are_package_data() -> None:
    templates = files("catalyst_cli") / "templates"
    shipped = sorted(p.name for p in templates.iterdir() if p.name.endswith(".j2"))
    assert "report.html.j2" in shipped
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["catalyst_cli"]
    for name in shipped:
        assert any(fnmatch.fnmatch(f"templates/{name}", p) for p in patterns), name
