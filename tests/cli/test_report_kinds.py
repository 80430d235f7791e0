"""`report --summary`, `--series`, the filters and `--format html` end to end: shapes and exits."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from catalyst_cli.columns import (
    SERIES_COLUMNS,
    SUMMARY_COMPETENCY_COLUMNS,
    SUMMARY_GROUP_COLUMNS,
    SUMMARY_MODULE_COLUMNS,
)
from catalyst_cli.html_page import SUMMARY_COLUMNS
from catalyst_cli.summaries import median_half_up
from tests.conftest import Runner, json_out

AS_OF = ("--as-of", "2026-03-06", "--format", "json")


@pytest.mark.parametrize(
    ("values", "expected"),
    [([], None), ([7], 7), ([1, 2], 2), ([1, 4], 3), ([0, 100, 50], 50), ([3, 3, 4, 4], 4)],
)
def test_median_half_up(values: list[int], expected: int | None) -> None:
    assert median_half_up(Counter(values)) == expected


def test_summary_columns_are_the_pages() -> None:
    assert SUMMARY_MODULE_COLUMNS == SUMMARY_COLUMNS


def test_summary_module(cohort: Runner) -> None:
    rows = json_out(cohort("report", "--summary", "module", *AS_OF))
    assert [tuple(r) for r in rows] == [SUMMARY_MODULE_COLUMNS] * 6
    intro, types = rows[0], rows[1]
    assert (intro["module"], intro["learners"], intro["started"], intro["completed"]) == (
        "intro",
        3,
        1,
        1,
    )
    # Ann's best on py-intro is 2/3 = 67%; nobody else tried it.
    assert (intro["attempts"], intro["attempts_passed"], intro["median_best_score"]) == (2, 1, 67)
    assert intro["completion_percent"] == 33 and intro["mean_progress_percent"] == 33
    # Types: Ann completed it, Bob scored 4/7 = 57%, a pass at 57%.
    assert (types["completed"], types["median_best_score"]) == (2, 57)
    assert rows[2]["median_best_score"] is None


def test_summary_competency_and_group(cohort: Runner, tmp_path: Path) -> None:
    rows = json_out(cohort("report", "--summary", "competency", *AS_OF))
    assert [r["competency"] for r in rows] == ["python", "sql"]
    assert all(tuple(r) == SUMMARY_COMPETENCY_COLUMNS for r in rows)
    assert rows[0]["started"] == 2 and rows[0]["completed"] == 0
    people = tmp_path / "people.csv"
    people.write_text("email,name,timezone,groups\nann@example.com,,,b;a\nkim@example.com,,,a\n")
    assert cohort("users", "import", str(people)).exit_code == 0
    groups = json_out(cohort("report", "--summary", "group", *AS_OF))
    assert [(g["group"], g["learners"]) for g in groups] == [("a", 2), ("b", 1)]
    assert all(tuple(g) == SUMMARY_GROUP_COLUMNS for g in groups)
    learners = json_out(cohort("report", *AS_OF))
    ann = next(r for r in learners if r["user"] == "ann@example.com")
    assert groups[1]["time_spent"] == ann["time_spent"]
    assert groups[1]["attempts"] == ann["quiz_attempts"]


def test_summary_under_competency(cohort: Runner) -> None:
    rows = json_out(cohort("report", "--summary", "module", "--competency", "sql", *AS_OF))
    assert [r["module"] for r in rows] == ["intro", "joins"]


def test_series(cohort: Runner) -> None:
    rows = json_out(cohort("report", "--series", "day", "--as-of", "2026-03-06", "-f", "json"))
    assert all(tuple(r) == SERIES_COLUMNS for r in rows)
    # From the day of the first event (Feb 28 in UTC: Kiritimati? no, Ann's Mar 1 in Paris).
    assert rows[-1]["period_end"] == "2026-03-06T23:59:59.999999+00:00"
    assert rows[-1]["modules_completed"] == 3  # Ann: intro (quiz pass), types; Bob: types
    assert all(r["learners"] == 3 for r in rows)
    week = json_out(cohort("report", "--series", "week", "--as-of", "2026-03-06", "-f", "json"))
    assert [r["period_end"] for r in week] == [
        "2026-03-01T23:59:59.999999+00:00",
        "2026-03-06T23:59:59.999999+00:00",
    ]
    assert week[-1]["active_learners"] == 2


def test_series_from_after_as_of_is_exit_1(cohort: Runner) -> None:
    result = cohort("report", "--series", "day", "--from", "2026-04-01", "--as-of", "2026-03-06")
    assert result.exit_code == 1
    assert "--from" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("--summary", "module", "--series", "day"),
        ("--by-module", "--summary", "group"),
        ("--from", "2026-03-01"),
        ("--summary", "module", "--format", "html"),
        ("--summary", "planet"),
        ("--series", "year"),
    ],
)
def test_usage_errors_are_exit_2(cohort: Runner, args: tuple[str, ...]) -> None:
    result = cohort("report", *args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""


@pytest.mark.parametrize(
    "args", [("--stuck", "-1"), ("--inactive", "0"), ("--inactive", "99999999")]
)
def test_bad_filter_values_are_exit_1(cohort: Runner, args: tuple[str, ...]) -> None:
    result = cohort("report", *args)
    assert result.exit_code == 1
    assert args[0] in result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--stuck", "3"), ["bob@example.com"]),  # sql/joins failed Mar 3, 20:00 UTC
        (("--stuck", "4"), []),
        (("--stuck", "1"), ["ann@example.com", "bob@example.com"]),  # Ann: sql/intro, Mar 6
        (("--stuck", "1", "--competency", "python"), []),
        (("--inactive", "3"), ["bob@example.com", "kim@example.com"]),
        (("--inactive", "5"), ["kim@example.com"]),
        (("--at-risk",), ["ann@example.com"]),  # active yesterday, not yet today
        (("--inactive", "3", "--user", "kim@example.com"), ["kim@example.com"]),
    ],
)
def test_filters(cohort: Runner, args: tuple[str, ...], expected: list[str]) -> None:
    rows = json_out(cohort("report", *args, "--as-of", "2026-03-07T12:00", "-f", "json"))
    assert [r["user"] for r in rows] == expected


def test_at_risk(cohort: Runner) -> None:
    rows = json_out(cohort("report", "--at-risk", "--as-of", "2026-03-06T12:00", "-f", "json"))
    assert rows == []  # Ann is active today; Bob's streak ended


def test_html_output_is_atomic_and_has_the_summary(cohort: Runner, tmp_path: Path) -> None:
    target = tmp_path / "out" / "%Y-%m-%d.html"
    result = cohort("report", "-f", "html", "--as-of", "2026-03-06", "-o", str(target))
    assert result.exit_code == 0 and result.stdout == "" and result.stderr == ""
    page = (tmp_path / "out" / "2026-03-06.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and 'data-module="' in page
    assert not list((tmp_path / "out").glob(".*"))
    summary = json_out(cohort("report", "--summary", "module", *AS_OF))
    assert json.dumps(summary)  # the page's summary is this computation: see the browser test
