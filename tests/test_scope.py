"""Enrolment and the report's scope: the rule, the Scope on a session, and the CLI's shape."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event

from catalyst_cli.catalog import catalog_index
from catalyst_cli.columns import REPORT_COLUMNS, REPORT_ENROLMENT_COLUMNS
from catalyst_cli.db.session import unit_of_work
from catalyst_cli.enrolment import Enrolment, enrolments
from catalyst_cli.errors import InputError, NotEnrolledError, NotFoundError
from catalyst_cli.reports import build_report
from catalyst_cli.scope import Scope, resolve_scope
from catalyst_cli.stats import iter_activity, learner_view
from tests.conftest import Runner, json_out

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


# --- the rule ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ([("enrol", 0)], Enrolment(1, True, at(0), None)),
        ([("enrol", 0), ("enrol", 2)], Enrolment(1, True, at(0), None)),  # a repeat: first
        ([("enrol", 0), ("withdraw", 1)], Enrolment(1, False, at(0), at(1))),
        ([("enrol", 1), ("withdraw", 1)], Enrolment(1, False, at(1), at(1))),  # withdraw wins
        ([("withdraw", 1), ("enrol", 1)], Enrolment(1, False, at(1), at(1))),  # in any order
        ([("withdraw", 0)], Enrolment(1, False, None, None)),  # nothing to end
        (
            [("enrol", 0), ("withdraw", 1), ("enrol", 3)],
            Enrolment(1, True, at(3), None),  # re-enrolled: a new enrolment
        ),
        (
            [("enrol", 3), ("withdraw", 4), ("withdraw", 1), ("enrol", 0)],
            Enrolment(1, False, at(3), at(4)),
        ),
        ([("start", 0)], None),  # not an enrolment event
    ],
)
def test_enrolment_rule(events: list[tuple[str, float]], expected: Enrolment | None) -> None:
    found = enrolments((kind, 1, at(day)) for kind, day in events)
    assert found.get(1) == expected


# --- the scope on a session --------------------------------------------------------------------

USERS_HEADER = "email,name,timezone,groups\n"
GROUPS = (
    USERS_HEADER + "ann@example.com,,,cohort-a\n"
    "bob@example.com,,,cohort-b\n"
    "kim@example.com,,,cohort-a;staff\n"
)


@pytest.fixture
def enrolled(cohort: Runner) -> Runner:
    """Python gets enrolments: Ann enrols Mar 1, withdraws Mar 5, re-enrols Mar 10; Bob enrols
    Mar 2; Kim never. SQL stays open. Ann works on python while withdrawn (Mar 6)."""
    for args in (
        ("enrol", "python", "-u", "ann@example.com", "--at", "2026-03-01T08:00"),
        ("withdraw", "python", "-u", "ann@example.com", "--at", "2026-03-05T08:00"),
        ("complete", "python/functions", "-u", "ann@example.com", "--at", "2026-03-07"),
        ("enrol", "python", "-u", "ann@example.com", "--at", "2026-03-10T08:00"),
        ("enrol", "python", "-u", "bob@example.com", "--at", "2026-03-02T08:00"),
    ):
        result = cohort(*args)
        assert result.exit_code == 0, result.stderr
    assert cohort("users", "import", "-", "--format", "csv", input=GROUPS).exit_code == 0
    return cohort


def end_of(day: int) -> datetime:
    return datetime(2026, 3, day, 23, 59, 59, 999999, tzinfo=UTC)


def in_scope(db_url: str, as_of: datetime, **options: Any) -> list[str]:
    with unit_of_work(db_url, write=False) as session:
        scope = resolve_scope(session, catalog_index(session), **options)
        return [a.learner.email for a in iter_activity(session, as_of=as_of, scope=scope)]


@pytest.mark.parametrize(
    ("day", "options", "expected"),
    [
        (28, {}, ["ann", "bob", "kim"]),
        (4, {"competency": "python"}, ["ann", "bob"]),
        (6, {"competency": "python"}, ["bob"]),
        (6, {"competency": "python", "include_withdrawn": True}, ["ann", "bob"]),
        (12, {"competency": "python"}, ["ann", "bob"]),
        (12, {"competency": "sql"}, ["ann", "bob", "kim"]),  # open: everyone
        (12, {"groups": ["cohort-a"]}, ["ann", "kim"]),
        (12, {"groups": ["staff", "cohort-b"]}, ["bob", "kim"]),  # any of
        (12, {"competency": "python", "groups": ["cohort-a"]}, ["ann"]),
        (12, {"competency": "python", "users": ["KIM@example.com", "bob@example.com"]}, ["bob"]),
    ],
)
def test_scope(enrolled: Runner, db_url: str, day: int, options: Any, expected: list[str]) -> None:
    when = end_of(day) if day != 28 else datetime(2026, 2, 28, tzinfo=UTC)
    assert in_scope(db_url, when, **options) == [f"{e}@example.com" for e in expected]


def test_a_competency_is_open_until_its_first_enrolment(enrolled: Runner, db_url: str) -> None:
    before = datetime(2026, 3, 1, 6, 59, tzinfo=UTC)  # Ann's enrol is 08:00 Paris, 07:00 UTC
    assert in_scope(db_url, before, competency="python") == [
        "ann@example.com",
        "bob@example.com",
        "kim@example.com",
    ]
    assert in_scope(db_url, before + timedelta(minutes=1), competency="python") == [
        "ann@example.com"
    ]


def test_scope_errors_name_the_value(enrolled: Runner, db_url: str) -> None:
    with unit_of_work(db_url, write=False) as session:
        index = catalog_index(session)
        with pytest.raises(NotFoundError, match="unknown group 'cohort-c'"):
            resolve_scope(session, index, groups=["cohort-c"])
        with pytest.raises(InputError, match="--include-withdrawn needs --competency"):
            resolve_scope(session, index, include_withdrawn=True)
        assert resolve_scope(session, index) == Scope()


def report_rows(db_url: str, as_of: datetime, **options: Any) -> list[dict[str, Any]]:
    kwargs: dict[str, Any] = {"competency": None, "users": None, "by_module": False}
    kwargs.update(options)
    with unit_of_work(db_url, write=False) as session:
        return list(build_report(session, as_of=as_of, **kwargs).rows)


def test_enrolment_columns_on_the_learners_clock(enrolled: Runner, db_url: str) -> None:
    rows = report_rows(db_url, end_of(6), competency="python", include_withdrawn=True)
    ann, bob = rows
    assert list(ann) == [*REPORT_COLUMNS, *REPORT_ENROLMENT_COLUMNS]
    assert ann["enrolled_at"].isoformat() == "2026-03-01T08:00:00+01:00"
    assert ann["withdrawn_at"].isoformat() == "2026-03-05T08:00:00+01:00"
    assert ann["modules_total"] == 0  # python is outside her catalogue while withdrawn
    assert bob["enrolled_at"].isoformat() == "2026-03-02T08:00:00-08:00"
    assert bob["withdrawn_at"] is None
    ann = report_rows(db_url, end_of(12), competency="python")[0]
    assert (ann["enrolled_at"].isoformat(), ann["withdrawn_at"]) == (
        "2026-03-10T08:00:00+01:00",
        None,
    )
    assert (ann["modules_total"], ann["modules_completed"]) == (4, 3)  # counts again
    kim = report_rows(db_url, end_of(12), competency="sql")[2]
    assert (kim["enrolled_at"], kim["withdrawn_at"]) == (None, None)  # open
    assert list(report_rows(db_url, end_of(12))[0]) == list(REPORT_COLUMNS)


def test_by_module_rows_follow_each_learners_catalogue(enrolled: Runner, db_url: str) -> None:
    rows = report_rows(db_url, end_of(6), by_module=True)
    mine = {
        u[:3]: [f"{r['competency']}/{r['module']}" for r in rows if r["user"] == u]
        for u in ("ann@example.com", "bob@example.com", "kim@example.com")
    }
    python = ["python/intro", "python/types", "python/functions", "python/classes"]
    assert mine == {
        "ann": ["sql/intro", "sql/joins"],
        "bob": [*python, "sql/intro", "sql/joins"],
        "kim": ["sql/intro", "sql/joins"],
    }
    with unit_of_work(db_url, write=False) as session:  # `modules` shows every module
        view = learner_view(
            session, email="ann@example.com", competency="python", as_of=None, now=end_of(8)
        )
        statuses = {s.module: s.status for s in view.modules()}
        assert statuses["functions"] == "completed"
        with pytest.raises(NotEnrolledError, match="^ann@example.com is not enrolled in python$"):
            view.stats()


@pytest.fixture
def statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    yield seen
    event.remove(Engine, "before_cursor_execute", record)


def test_scoped_query_count_does_not_grow_with_learners(
    enrolled: Runner, db_url: str, statements: list[str]
) -> None:
    options = {"competency": "python", "groups": ["cohort-a"], "include_withdrawn": True}
    statements.clear()
    assert report_rows(db_url, end_of(12), **options)
    few = len(statements)
    for i in range(4):
        email = f"extra{i}@example.com"
        assert enrolled("users", "add", email).exit_code == 0
        assert enrolled("enrol", "python", "-u", email, "--at", "2026-03-03").exit_code == 0
    rows = "".join(f"extra{i}@example.com,,,cohort-a\n" for i in range(4))
    assert enrolled("users", "import", "-", "-f", "csv", input=USERS_HEADER + rows).exit_code == 0
    statements.clear()
    assert len(report_rows(db_url, end_of(12), **options)) == 5
    assert len(statements) == few


# --- the CLI -----------------------------------------------------------------------------------


def test_report_cli_scope(enrolled: Runner) -> None:
    rows = json_out(
        enrolled(
            "report", "--competency", "python", "--include-withdrawn", "--as-of", "2026-03-06",
            "--format", "json",
        )
    )  # fmt: skip
    assert [(r["user"], r["withdrawn_at"]) for r in rows] == [
        ("ann@example.com", "2026-03-05T08:00:00+01:00"),
        ("bob@example.com", None),
    ]
    rows = json_out(enrolled("report", "-g", "staff", "-g", "cohort-b", "--format", "json"))
    assert [r["user"] for r in rows] == ["bob@example.com", "kim@example.com"]
    assert "enrolled_at" not in rows[0]
    csv = enrolled("report", "-c", "python", "--as-of", "2026-03-06", "-f", "csv")
    assert csv.stdout.splitlines()[0].endswith(",time_spent,enrolled_at,withdrawn_at")
    assert len(csv.stdout.splitlines()) == 2
    bad = enrolled("report", "--group", "nobody")
    assert (bad.exit_code, bad.stdout) == (1, "")
    assert bad.stderr.startswith("unknown group 'nobody'")
    bad = enrolled("report", "--include-withdrawn")
    assert (bad.exit_code, bad.stderr) == (
        1,
        "--include-withdrawn needs --competency: withdrawn from which?\n",
    )


def test_stats_outside_the_competency_is_exit_1(enrolled: Runner) -> None:
    result = enrolled("stats", "-u", "kim@example.com", "-c", "python", "--as-of", "2026-03-12")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == "kim@example.com is not enrolled in python\n"
    early = enrolled("stats", "-u", "kim@example.com", "-c", "python", "--as-of", "2026-02-27")
    assert early.exit_code == 0, early.stderr  # python was open then
    assert enrolled("stats", "-u", "kim@example.com", "-c", "sql").exit_code == 0
    assert enrolled("modules", "python", "-u", "kim@example.com").exit_code == 0
