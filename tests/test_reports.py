"""The report's domain: --as-of and --output rules, rows, errors, query count, atomic files."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

from catalyst_cli.columns import REPORT_COLUMNS, REPORT_MODULE_COLUMNS
from catalyst_cli.db.session import unit_of_work
from catalyst_cli.errors import InputError, NotFoundError
from catalyst_cli.output import atomic_text_file
from catalyst_cli.reports import Report, build_report, output_path, report_time
from catalyst_cli.timeutil import optional_time
from tests.conftest import Runner

NOW = datetime(2026, 3, 4, 15, 30, tzinfo=UTC)


# --- --as-of and --output --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "tz", "expected"),
    [
        (None, "UTC", "2026-03-04T15:30:00+00:00"),
        (None, "Asia/Tokyo", "2026-03-05T00:30:00+09:00"),
        ("2026-03-01", "UTC", "2026-03-01T23:59:59.999999+00:00"),
        ("2026-03-01", "Europe/Paris", "2026-03-01T23:59:59.999999+01:00"),
        ("2026-07-01", "Europe/Paris", "2026-07-01T23:59:59.999999+02:00"),
        ("2026-03-01T10:00", "America/New_York", "2026-03-01T10:00:00-05:00"),
        ("2026-03-01T10:00+02:00", "Asia/Tokyo", "2026-03-01T17:00:00+09:00"),
        ("2026-03-01T10:00Z", "utc", "2026-03-01T10:00:00+00:00"),
    ],
)
def test_report_time(as_of: str | None, tz: str, expected: str) -> None:
    assert report_time(optional_time(as_of), tz, NOW).isoformat() == expected


@pytest.mark.parametrize(
    ("as_of", "tz", "message"),
    [
        ("2026-03-01", "Mars/Olympus", "unknown timezone 'Mars/Olympus'"),
        ("yesterday", "UTC", "invalid time 'yesterday'"),
    ],
)
def test_report_time_errors(as_of: str, tz: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        report_time(optional_time(as_of), tz, NOW)


AS_OF = datetime(2026, 3, 4, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=9)))


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("reports/%Y-%m-%d.csv", "reports/2026-03-04.csv"),
        ("/srv/r/%Y/%m/%d-%H%M.json", "/srv/r/2026/03/04-2359.json"),
        ("week-%G-W%V.csv", "week-2026-W10.csv"),
        ("plain.csv", "plain.csv"),
        ("100%%.csv", "100%.csv"),
    ],
)
def test_output_path_expands_strftime_fields_on_the_as_of_wall_clock(
    template: str, expected: str
) -> None:
    assert output_path(template, AS_OF) == Path(expected)


def test_output_path_expands_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert output_path("~/r/%d.csv", AS_OF) == tmp_path / "r" / "04.csv"


@pytest.mark.parametrize("template", ["", "  ", "reports/", "reports/%Y/"])
def test_output_path_must_name_a_file(template: str) -> None:
    with pytest.raises(InputError, match="--output"):
        output_path(template, AS_OF)


# --- rows --------------------------------------------------------------------------------------


def _report(db_url: str, **kwargs: Any) -> tuple[tuple[str, ...], list[dict[str, Any]]]:
    options: dict[str, Any] = {"competency": None, "users": None, "by_module": False}
    options.update(kwargs)
    with unit_of_work(db_url, write=False) as session:
        report = build_report(session, **options)
        return report.columns, list(report.rows)


END_OF_MARCH_4 = datetime(2026, 3, 4, 23, 59, 59, 999999, tzinfo=UTC)


def test_learner_rows(cohort: Runner, db_url: str) -> None:
    columns, rows = _report(db_url, as_of=END_OF_MARCH_4)
    assert columns == REPORT_COLUMNS
    assert [list(r) for r in rows] == [list(REPORT_COLUMNS)] * 3
    ann, bob, kim = rows
    assert (ann["user"], bob["user"], kim["user"]) == (
        "ann@example.com",
        "bob@example.com",
        "kim@example.com",
    )
    assert ann["as_of"].isoformat() == "2026-03-05T00:59:59.999999+01:00"  # Ann's wall clock
    assert {k: ann[k] for k in REPORT_COLUMNS[4:]} == {
        "competency": None,
        "modules_total": 6,
        "modules_completed": 2,
        "modules_in_progress": 0,
        "progress_percent": 33,
        "quizzes_total": 3,
        "quizzes_passed": 1,
        "quiz_attempts": 2,
        "quiz_attempts_passed": 1,
        "current_streak": 4,
        "longest_streak": 4,
        "last_active": datetime(2026, 3, 4).date(),
        "streak_at_risk": True,  # it is already March 5 in Paris
        "time_spent": 0,
    }
    assert (bob["modules_completed"], bob["modules_in_progress"], bob["progress_percent"]) == (
        1,
        1,
        17,
    )
    assert (bob["current_streak"], bob["streak_at_risk"]) == (2, True)
    assert kim["name"] == "Kim"
    assert all(kim[k] == 0 for k in ("modules_completed", "progress_percent", "current_streak"))
    assert kim["last_active"] is None


def test_module_rows_in_email_then_catalogue_order(cohort: Runner, db_url: str) -> None:
    columns, rows = _report(db_url, as_of=END_OF_MARCH_4, by_module=True)
    assert columns == REPORT_MODULE_COLUMNS
    assert [(r["user"][:3], r["competency"], r["module"]) for r in rows[:7]] == [
        ("ann", "python", "intro"),
        ("ann", "python", "types"),
        ("ann", "python", "functions"),
        ("ann", "python", "classes"),
        ("ann", "sql", "intro"),
        ("ann", "sql", "joins"),
        ("bob", "python", "intro"),
    ]
    assert len(rows) == 18
    bob = {r["module"]: r for r in rows if r["user"] == "bob@example.com"}
    assert bob["types"]["status"] == "completed"
    assert bob["types"]["best_score"] == 57  # 4/7 = 57.1%
    assert bob["types"]["completed_at"].isoformat() == "2026-03-02T23:30:00-08:00"
    assert bob["joins"]["status"] == "in_progress"
    assert bob["joins"]["best_score"] == 13  # 1/8 = 12.5%, half up
    assert bob["intro"]["best_score"] is None


def test_competency_scope_and_named_users(cohort: Runner, db_url: str) -> None:
    _, rows = _report(
        db_url,
        as_of=END_OF_MARCH_4,
        competency="sql",
        users=[" BOB@example.com", "ann@example.com"],
    )
    assert [r["user"] for r in rows] == ["ann@example.com", "bob@example.com"]
    assert {r["competency"] for r in rows} == {"sql"}
    assert [(r["modules_total"], r["quizzes_total"]) for r in rows] == [(2, 1), (2, 1)]
    assert rows[0]["current_streak"] == 4  # streaks stay learner-wide


@pytest.mark.parametrize(
    ("competency", "users", "message"),
    [
        ("pyton", None, r"^unknown competency 'pyton' \(did you mean python\?\)$"),
        (None, ["ann@example.com", "Nobody@example.com"], "^unknown user 'Nobody@example.com': "),
    ],
)
def test_unknown_names_fail_before_any_row(
    cohort: Runner, db_url: str, competency: str | None, users: list[str] | None, message: str
) -> None:
    with unit_of_work(db_url, write=False) as session, pytest.raises(NotFoundError, match=message):
        build_report(
            session, as_of=END_OF_MARCH_4, competency=competency, users=users, by_module=False
        )


@pytest.fixture
def statements() -> Iterator[list[str]]:
    """Every SQL statement any engine runs while the fixture is active."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    yield seen
    event.remove(Engine, "before_cursor_execute", record)


def _queries_for_a_report(db_url: str, statements: list[str], by_module: bool) -> int:
    statements.clear()
    with unit_of_work(db_url, write=False) as session:
        report: Report = build_report(
            session, as_of=END_OF_MARCH_4, competency=None, users=None, by_module=by_module
        )
        rows = sum(1 for _ in report.rows)
    assert rows > 0
    return len(statements)


@pytest.mark.parametrize("by_module", [False, True])
def test_query_count_does_not_grow_with_learners(
    cohort: Runner, db_url: str, statements: list[str], by_module: bool
) -> None:
    few = _queries_for_a_report(db_url, statements, by_module)
    for i in range(5):
        email = f"extra{i}@example.com"
        assert cohort("users", "add", email).exit_code == 0
        assert cohort("start", "python/intro", "-u", email, "--at", "2026-03-01").exit_code == 0
    assert _queries_for_a_report(db_url, statements, by_module) == few


# --- the atomic file ---------------------------------------------------------------------------


def test_atomic_file_appears_whole_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "report.csv"
    with atomic_text_file(target) as out:
        out.write("first,é\r\n")
        assert not target.exists()
    assert target.read_bytes() == "first,é\r\n".encode()
    with atomic_text_file(target) as out:
        out.write("second\n")
    assert target.read_text() == "second\n"
    assert os.listdir(target.parent) == ["report.csv"]


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077])
def test_atomic_file_is_readable_by_its_owner_only_whatever_the_umask(
    tmp_path: Path, umask: int
) -> None:
    old = os.umask(umask)
    try:
        with atomic_text_file(tmp_path / "new" / "r.csv") as out:
            out.write("x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new" / "r.csv").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700 & ~umask


def test_atomic_file_error_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "report.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_text_file(target) as out:
        out.write("half a rep")
        raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["report.csv"]


@pytest.mark.parametrize("where", ["under_a_file", "onto_a_directory"])
def test_atomic_file_unwritable_is_one_input_error(tmp_path: Path, where: str) -> None:
    (tmp_path / "file").write_text("")
    (tmp_path / "dir").mkdir()
    target = tmp_path / ("file/r.csv" if where == "under_a_file" else "dir")
    with pytest.raises(InputError, match=f"cannot write {target}: ") as caught:
        with atomic_text_file(target) as out:
            out.write("x")
    assert "\n" not in str(caught.value)
    assert sorted(os.listdir(tmp_path)) == ["dir", "file"]
    assert os.listdir(tmp_path / "dir") == []
