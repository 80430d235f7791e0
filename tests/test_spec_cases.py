"""SPEC.md's time and progress rules, case by case, end to end on both backends.

Learners of the `seeded` fixture: ann in Europe/Paris, bob in America/Los_Angeles, kim in
Pacific/Kiritimati (+14). DST changes in 2026: US 03-08 (spring) and 11-01 (autumn), EU 03-29
and 10-25. Times given without an offset are the learner's local time.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEST_CATALOG, Runner, json_out

ANN, BOB, KIM = "ann@example.com", "bob@example.com", "kim@example.com"

EXTRA_COMPETENCIES: list[dict[str, Any]] = [
    {
        "slug": "eight",
        "title": "Eight modules",
        "modules": [
            {
                "slug": f"m{i}",
                "title": f"Module {i}",
                "quizzes": [
                    {"slug": slug, "title": slug, "pass_percent": percent}
                    for slug, percent in {
                        1: [("zero", 0)],
                        2: [("full", 100)],
                        3: [("p29", 29)],
                    }.get(i, [])
                ],
            }
            for i in range(1, 9)
        ],
    },
    {
        "slug": "three",
        "title": "Three modules",
        "modules": [{"slug": f"t{i}", "title": f"T{i}"} for i in range(1, 4)],
    },
    {"slug": "empty", "title": "No modules yet", "modules": []},
]


@pytest.fixture
def extended(seeded: Runner, tmp_path: Path) -> Runner:
    """The test catalogue plus `eight` (quizzes at 0%, 100% and 29%), `three` and `empty`."""
    path = tmp_path / "extended.json"
    path.write_text(
        json.dumps({"competencies": [*TEST_CATALOG["competencies"], *EXTRA_COMPETENCIES]})
    )
    result = seeded("catalog", "load", str(path))
    assert result.exit_code == 0, result.stderr
    return seeded


def learner(cli: Runner, zone: str) -> str:
    """A new learner in `zone`, for a case of its own in the test's database."""
    email = f"case-{uuid.uuid4().hex[:8]}@example.com"
    ok(cli, "users", "add", email, "--tz", zone)
    return email


def ok(cli: Runner, *args: str) -> None:
    result = cli(*args)
    assert result.exit_code == 0, (args, result.stdout, result.stderr)


def streak(cli: Runner, user: str, as_of: str) -> dict[str, Any]:
    return dict(json_out(cli("streak", "--user", user, "--as-of", as_of, "--format", "json")))


def stats(cli: Runner, user: str, as_of: str, *extra: str) -> dict[str, Any]:
    args = ("stats", "--user", user, "--as-of", as_of, "--format", "json", *extra)
    return dict(json_out(cli(*args)))


def modules(cli: Runner, competency: str, user: str, as_of: str) -> dict[str, dict[str, Any]]:
    args = ("modules", competency, "--user", user, "--as-of", as_of, "--format", "json")
    return {row["module"]: row for row in json_out(cli(*args))}


def submit(cli: Runner, user: str, quiz: str, at: str, *how: str) -> dict[str, Any]:
    args = ("quiz", "submit", quiz, "--user", user, "--at", at, "--format", "json", *how)
    return dict(json_out(cli(*args)))


def streak_figures(s: dict[str, Any]) -> tuple[Any, ...]:
    return (
        s["current_streak"],
        s["longest_streak"],
        s["last_active"],
        s["streak_at_risk"],
        s["active_today"],
    )


# --- DST and local dates -----------------------------------------------------------------


LA, PARIS, KIRITIMATI = "America/Los_Angeles", "Europe/Paris", "Pacific/Kiritimati"
LOCAL_DATES = [
    # (zone, --at, its local date, started_at as shown)
    # The day after US spring-forward: PDT (-7); read as PST it would be 03-08 23:30.
    (LA, "2026-03-09T07:30:00Z", "2026-03-09", "2026-03-09T00:30:00-07:00"),
    (LA, "2026-03-09T00:30", "2026-03-09", "2026-03-09T00:30:00-07:00"),
    # The day after US fall-back: PST (-8); read as PDT it would be 11-02 00:30.
    (LA, "2026-11-02T07:30:00Z", "2026-11-01", "2026-11-01T23:30:00-08:00"),
    (LA, "2026-11-02T00:30", "2026-11-02", "2026-11-02T00:30:00-08:00"),
    # The day after EU spring-forward: CEST (+2); read as CET it would be 03-29 23:30.
    (PARIS, "2026-03-29T22:30:00Z", "2026-03-30", "2026-03-30T00:30:00+02:00"),
    (PARIS, "2026-03-30T00:30", "2026-03-30", "2026-03-30T00:30:00+02:00"),
    # The EU fall-back day, late evening: CET (+1); read as CEST it would be 10-26.
    (PARIS, "2026-10-25T22:30:00Z", "2026-10-25", "2026-10-25T23:30:00+01:00"),
    (PARIS, "2026-10-26T00:30", "2026-10-26", "2026-10-26T00:30:00+01:00"),
    # +14: 10:30 UTC is already 00:30 the next local day.
    (KIRITIMATI, "2026-03-05T10:30:00Z", "2026-03-06", "2026-03-06T00:30:00+14:00"),
]


def test_an_event_counts_for_its_local_date_across_dst(seeded: Runner) -> None:
    got, expected = [], []
    for zone, at, day, shown in LOCAL_DATES:
        user = learner(seeded, zone)
        ok(seeded, "start", "python/intro", "--user", user, "--at", at)
        before = (date.fromisoformat(day) - timedelta(days=1)).isoformat()
        got.append(
            (
                at,
                streak_figures(streak(seeded, user, day)),
                modules(seeded, "python", user, day)["intro"]["started_at"],
                streak_figures(streak(seeded, user, before)),
            )
        )
        expected.append((at, (1, 1, day, False, True), shown, (0, 0, None, False, False)))
    assert got == expected


def test_late_evenings_in_los_angeles_are_consecutive_local_days(seeded: Runner) -> None:
    # 23:30 local is 07:30 (PST) or 06:30 (PDT) UTC the next day; the run crosses 03-08.
    for module, day in [
        ("python/intro", "2026-03-06"),
        ("python/types", "2026-03-07"),
        ("python/functions", "2026-03-08"),
        ("python/classes", "2026-03-09"),
    ]:
        ok(seeded, "start", module, "--user", BOB, "--at", f"{day}T23:30")
    assert streak_figures(streak(seeded, BOB, "2026-03-09")) == (4, 4, "2026-03-09", False, True)
    # A minute before the last event, 03-09 is not active yet: the run ending yesterday.
    early = streak(seeded, BOB, "2026-03-09T23:29")
    assert streak_figures(early) == (3, 3, "2026-03-08", True, False)
    assert early["as_of"] == "2026-03-09T23:29:00-07:00"
    rows = modules(seeded, "python", BOB, "2026-03-10")
    assert rows["functions"]["started_at"] == "2026-03-08T23:30:00-07:00"
    assert rows["intro"]["started_at"] == "2026-03-06T23:30:00-08:00"


def test_kiritimati_day_boundaries(seeded: Runner) -> None:
    ok(seeded, "start", "python/intro", "--user", KIM, "--at", "2026-03-05T10:30:00Z")  # 03-06
    ok(seeded, "start", "python/types", "--user", KIM, "--at", "2026-03-06T09:59:00Z")  # 03-06
    assert streak_figures(streak(seeded, KIM, "2026-03-06")) == (1, 1, "2026-03-06", False, True)
    ok(seeded, "start", "sql/intro", "--user", KIM, "--at", "2026-03-06T10:00:00Z")  # 03-07 00:00
    assert streak_figures(streak(seeded, KIM, "2026-03-07")) == (2, 2, "2026-03-07", False, True)


def test_local_times_in_a_dst_gap_or_overlap(seeded: Runner) -> None:
    # Naive local times that do not exist, or exist twice, read as Python does (fold=0: the
    # offset in force before the change). SPEC.md is silent; this pins catalyst's choice.
    ok(seeded, "start", "python/intro", "--user", BOB, "--at", "2026-03-08T02:30")  # a gap
    ok(seeded, "start", "python/types", "--user", BOB, "--at", "2026-11-01T01:30")  # twice
    rows = modules(seeded, "python", BOB, "2026-11-30")
    assert rows["intro"]["started_at"] == "2026-03-08T03:30:00-07:00"
    assert rows["types"]["started_at"] == "2026-11-01T01:30:00-07:00"


# --- current streak, longest, at risk ----------------------------------------------------


def test_the_yesterday_rule(seeded: Runner) -> None:
    ok(seeded, "start", "python/intro", "--user", ANN, "--at", "2026-03-01T09:00")
    ok(seeded, "start", "python/types", "--user", ANN, "--at", "2026-03-02T21:00")
    expected = {
        "2026-02-28": (0, 0, None, False, False),
        "2026-03-01": (1, 1, "2026-03-01", False, True),
        "2026-03-02": (2, 2, "2026-03-02", False, True),
        "2026-03-02T20:59:59": (1, 1, "2026-03-01", True, False),
        # Active yesterday, not today: the run ending yesterday, at risk.
        "2026-03-03": (2, 2, "2026-03-02", True, False),
        "2026-03-03T23:59:59.999999": (2, 2, "2026-03-02", True, False),
        # Active two days ago only: 0.
        "2026-03-04T00:00": (0, 2, "2026-03-02", False, False),
        "2026-03-04": (0, 2, "2026-03-02", False, False),
        "2026-03-20": (0, 2, "2026-03-02", False, False),
    }
    got = {as_of: streak_figures(streak(seeded, ANN, as_of)) for as_of in expected}
    assert got == expected


def test_a_revisit_on_a_later_day_is_a_day_of_activity_and_changes_no_status(
    seeded: Runner,
) -> None:
    ok(seeded, "start", "python/intro", "--user", ANN, "--at", "2026-03-01")
    ok(seeded, "start", "python/intro", "--user", ANN, "--at", "2026-03-02")
    assert streak_figures(streak(seeded, ANN, "2026-03-02")) == (2, 2, "2026-03-02", False, True)
    intro = modules(seeded, "python", ANN, "2026-03-02")["intro"]
    assert (intro["status"], intro["started_at"]) == ("in_progress", "2026-03-01T12:00:00+01:00")
    ok(seeded, "complete", "python/intro", "--user", ANN, "--at", "2026-03-05")
    ok(seeded, "complete", "python/intro", "--user", ANN, "--at", "2026-03-06")
    assert streak_figures(streak(seeded, ANN, "2026-03-06")) == (2, 2, "2026-03-06", False, True)
    intro = modules(seeded, "python", ANN, "2026-03-06")["intro"]
    assert intro["completed_at"] == "2026-03-05T12:00:00+01:00"
    # the same start twice at the same instant is one event: no second row, no new day
    ok(seeded, "start", "python/intro", "--user", ANN, "--at", "2026-03-06")
    ok(seeded, "start", "python/intro", "--user", ANN, "--at", "2026-03-06")
    assert streak_figures(streak(seeded, ANN, "2026-03-06")) == (2, 2, "2026-03-06", False, True)


def test_streaks_are_learner_wide_under_competency(seeded: Runner) -> None:
    ok(seeded, "start", "sql/intro", "--user", ANN, "--at", "2026-03-01")
    ok(seeded, "start", "sql/joins", "--user", ANN, "--at", "2026-03-02")
    s = stats(seeded, ANN, "2026-03-02", "--competency", "python")
    assert (s["competency"], s["modules_in_progress"], s["current_streak"]) == ("python", 0, 2)
    assert (s["last_active"], s["streak_at_risk"]) == ("2026-03-02", False)


# --- rounding and the pass rule ----------------------------------------------------------


def test_progress_percent_rounds_half_up(extended: Runner) -> None:
    expected = [13, 25, 38, 50, 63, 75, 88, 100]  # 12.5 -> 13, 37.5 -> 38, 62.5 -> 63 ...
    got = []
    for i in range(1, 9):
        ok(extended, "complete", f"eight/m{i}", "--user", ANN, "--at", f"2026-03-{i:02d}")
        got.append(stats(extended, ANN, "2026-03-31", "--competency", "eight")["progress_percent"])
    assert got == expected
    for i, percent in [(1, 33), (2, 67)]:
        ok(extended, "complete", f"three/t{i}", "--user", ANN, "--at", "2026-03-10")
        assert stats(extended, ANN, "2026-03-31", "--competency", "three")["progress_percent"] == (
            percent
        )
    empty = stats(extended, ANN, "2026-03-31", "--competency", "empty")
    assert (empty["modules_total"], empty["progress_percent"], empty["quizzes_total"]) == (0, 0, 0)


PASS_CASES = [
    # (quiz, submission, passed)
    ("py-types", ("--score", "57", "--total", "100"), True),  # 57 at 57%: 5700 >= 5700
    ("py-types", ("--score", "56", "--total", "100"), False),
    ("p29", ("--score", "29", "--total", "100"), True),  # 0.29 * 100 < 29 in floats
    ("zero", ("--score", "0", "--total", "1"), True),  # 0% passes a score of 0
    ("full", ("--score", "99", "--total", "100"), False),
    ("full", ("--score", "3", "--total", "3"), True),
    ("sql-joins", ("--score", "7", "--total", "10"), True),  # the default, 70%
    ("sql-joins", ("--score", "69", "--total", "100"), False),
    ("py-intro", ("--answers", '{"q1": "2", "q2": "4", "q3": "7"}'), True),  # 2 of 3 at 50%
    ("py-intro", ("--answers", '{"q1": "2"}'), False),  # 1 of 3: q2 and q3 unanswered
]


def test_integer_pass_rule_and_a_pass_completes_the_quizs_module(extended: Runner) -> None:
    got, expected = [], []
    at, shown = "2026-03-05T10:00", "2026-03-05T10:00:00-08:00"
    for quiz, how, passed in PASS_CASES:
        user = learner(extended, LA)
        out = submit(extended, user, quiz, at, *how)
        competency, slug = out["module"].split("/")
        row = modules(extended, competency, user, "2026-03-05")[slug]
        s = stats(extended, user, "2026-03-05", "--competency", competency)
        got.append(
            (
                quiz,
                how,
                out["passed"],
                (row["status"], row["started_at"], row["completed_at"]),
                (s["quiz_attempts"], s["quiz_attempts_passed"], s["quizzes_passed"]),
            )
        )
        status = "completed" if passed else "in_progress"
        expected.append(
            (
                quiz,
                how,
                passed,
                (status, shown, shown if passed else None),
                (1, int(passed), int(passed)),
            )
        )
    assert got == expected


# --- TIME: bare dates, offsets ------------------------------------------------------------


def test_as_of_bare_date_is_the_end_of_that_day_in_the_learners_zone(seeded: Runner) -> None:
    ok(seeded, "start", "python/intro", "--user", KIM, "--at", "2026-03-05T23:59:59.999999")
    ok(seeded, "complete", "python/intro", "--user", KIM, "--at", "2026-03-06T00:00")
    s = stats(seeded, KIM, "2026-03-05")
    assert s["as_of"] == "2026-03-05T23:59:59.999999+14:00"
    assert (s["modules_in_progress"], s["modules_completed"], s["last_active"]) == (
        1,
        0,
        "2026-03-05",
    )
    row = modules(seeded, "python", KIM, "2026-03-05")["intro"]
    assert (row["status"], row["completed_at"]) == ("in_progress", None)
    assert row["started_at"] == "2026-03-05T23:59:59.999999+14:00"
    assert modules(seeded, "python", KIM, "2026-03-06")["intro"]["completed_at"] == (
        "2026-03-06T00:00:00+14:00"
    )
    # bob's 03-05 ends at 07:59:59.999999 UTC on 03-06.
    ok(seeded, "start", "sql/intro", "--user", BOB, "--at", "2026-03-06T07:59:59Z")
    ok(seeded, "start", "sql/joins", "--user", BOB, "--at", "2026-03-06T08:00:00Z")
    s = stats(seeded, BOB, "2026-03-05")
    assert (s["as_of"], s["modules_in_progress"]) == ("2026-03-05T23:59:59.999999-08:00", 1)


NOONS = [
    (LA, "2026-03-05", "2026-03-05T12:00:00-08:00"),
    (LA, "2026-03-08", "2026-03-08T12:00:00-07:00"),  # the US change day
    (KIRITIMATI, "2026-03-05", "2026-03-05T12:00:00+14:00"),  # 22:00 UTC on 03-04
    (PARIS, "2026-03-29", "2026-03-29T12:00:00+02:00"),  # the EU change day
]


def test_at_bare_date_is_noon_local(seeded: Runner) -> None:
    got, expected = [], []
    for zone, at, shown in NOONS:
        user = learner(seeded, zone)
        ok(seeded, "start", "python/intro", "--user", user, "--at", at)
        got.append(
            (
                zone,
                at,
                modules(seeded, "python", user, at)["intro"]["started_at"],
                streak_figures(streak(seeded, user, at)),
                modules(seeded, "python", user, f"{at}T11:59:59")["intro"]["status"],
                modules(seeded, "python", user, f"{at}T12:00")["intro"]["status"],
            )
        )
        expected.append((zone, at, shown, (1, 1, at, False, True), "not_started", "in_progress"))
    assert got == expected


def test_times_with_an_explicit_offset(seeded: Runner) -> None:
    # The same instant three ways: 00:30 on 03-06 in Paris.
    for at in ["2026-03-05T23:30:00+00:00", "2026-03-05T23:30:00Z", "2026-03-06T05:00:00+05:30"]:
        user = learner(seeded, PARIS)
        ok(seeded, "start", "python/intro", "--user", user, "--at", at)
        row = modules(seeded, "python", user, "2026-03-06")["intro"]
        assert row["started_at"] == "2026-03-06T00:30:00+01:00", at
        assert streak(seeded, user, "2026-03-06")["last_active"] == "2026-03-06", at
        assert streak(seeded, user, "2026-03-05")["last_active"] is None, at
    # --as-of with an offset, shown on the learner's clock; the boundary is included.
    before = stats(seeded, user, "2026-03-05T23:29:59Z")
    assert (before["as_of"], before["modules_in_progress"]) == ("2026-03-06T00:29:59+01:00", 0)
    at_it = stats(seeded, user, "2026-03-05T18:30:00-05:00")
    assert (at_it["as_of"], at_it["modules_in_progress"]) == ("2026-03-06T00:30:00+01:00", 1)


def test_other_iso_8601_bare_dates_are_noon_and_end_of_day(seeded: Runner) -> None:
    # SPEC.md: TIME is ISO 8601, and "a bare date means noon of that day for --at, and the end
    # of that day for --as-of". The basic format and the week date are bare dates too; both
    # name Thursday 2026-03-05. catalyst reads them as midnight (the start of the day).
    got = {}
    for text in ("20260305", "2026-W10-4"):
        user = learner(seeded, LA)
        ok(seeded, "start", "python/intro", "--user", user, "--at", text)
        row = modules(seeded, "python", user, "2026-03-31")["intro"]
        got[text] = (row["started_at"], stats(seeded, user, text)["as_of"])
    noon, end = "2026-03-05T12:00:00-08:00", "2026-03-05T23:59:59.999999-08:00"
    assert got == {"20260305": (noon, end), "2026-W10-4": (noon, end)}


# --- progress: the quiz's module, the earliest completion, any order ---------------------


def test_a_quiz_pass_completes_the_quizs_own_module(seeded: Runner) -> None:
    out = submit(seeded, ANN, "sql-joins", "2026-03-05T10:00", "--score", "7", "--total", "10")
    assert (out["module"], out["passed"]) == ("sql/joins", True)
    out = submit(seeded, ANN, "py-intro", "2026-03-06T10:00", "--answers", '{"q1": "2", "q2": "4"}')
    assert (out["module"], out["passed"]) == ("python/intro", True)
    sql = modules(seeded, "sql", ANN, "2026-03-31")
    python = modules(seeded, "python", ANN, "2026-03-31")
    assert {k: r["status"] for k, r in sql.items()} == {
        "intro": "not_started",
        "joins": "completed",
    }
    assert {k: r["status"] for k, r in python.items()} == {
        "intro": "completed",
        "types": "not_started",
        "functions": "not_started",
        "classes": "not_started",
    }
    assert python["intro"]["completed_at"] == "2026-03-06T10:00:00+01:00"
    assert sql["joins"]["completed_at"] == "2026-03-05T10:00:00+01:00"


def test_completing_again_never_moves_the_first_completion(seeded: Runner) -> None:
    def intro(as_of: str = "2026-03-31") -> tuple[Any, ...]:
        row = modules(seeded, "python", ANN, as_of)["intro"]
        return row["status"], row["started_at"], row["completed_at"]

    ok(seeded, "complete", "python/intro", "--user", ANN, "--at", "2026-03-10")
    noon = "T12:00:00+01:00"
    assert intro() == ("completed", f"2026-03-10{noon}", f"2026-03-10{noon}")
    ok(seeded, "complete", "python/intro", "--user", ANN, "--at", "2026-03-20")  # later: no move
    assert intro() == ("completed", f"2026-03-10{noon}", f"2026-03-10{noon}")
    ok(seeded, "complete", "python/intro", "--user", ANN, "--at", "2026-03-05")  # earlier arrives
    assert intro() == ("completed", f"2026-03-05{noon}", f"2026-03-05{noon}")
    ok(seeded, "start", "python/intro", "--user", ANN, "--at", "2026-03-01")
    assert intro() == ("completed", f"2026-03-01{noon}", f"2026-03-05{noon}")
    submit(seeded, ANN, "py-intro", "2026-03-03T09:00", "--score", "3", "--total", "3")
    assert intro() == ("completed", f"2026-03-01{noon}", "2026-03-03T09:00:00+01:00")
    assert intro("2026-03-02") == ("in_progress", f"2026-03-01{noon}", None)
    s = streak(seeded, ANN, "2026-03-31")  # every event is a day: 03-01, 03-03, 03-05, 03-10, 03-20
    assert (s["longest_streak"], s["last_active"]) == (1, "2026-03-20")


EVENTS = [
    ("start", "python/types", "2026-03-02T08:00"),
    ("quiz-fail", "py-types", "2026-03-03T23:30"),
    ("complete", "python/types", "2026-03-10T09:00"),
    ("quiz-pass", "py-types", "2026-03-12T00:15"),
    ("complete", "python/types", "2026-03-11T09:00"),
]


ORDERS = [(4, 3, 2, 1, 0), (2, 4, 0, 3, 1)]


@pytest.mark.parametrize("order", ORDERS)
def test_out_of_order_arrival_gives_the_same_progress(
    seeded: Runner, order: tuple[int, ...]
) -> None:
    for kind, name, at in (EVENTS[i] for i in order):
        if kind.startswith("quiz"):
            score = "80" if kind == "quiz-pass" else "10"
            submit(seeded, ANN, name, at, "--score", score, "--total", "100")
        else:
            ok(seeded, kind, name, "--user", ANN, "--at", at)

    def types(as_of: str) -> tuple[Any, ...]:
        row = modules(seeded, "python", ANN, as_of)["types"]
        return row["status"], row["started_at"], row["completed_at"]

    start, done = "2026-03-02T08:00:00+01:00", "2026-03-10T09:00:00+01:00"
    assert types("2026-03-01") == ("not_started", None, None)
    # Completed after --as-of but started before: in progress.
    assert types("2026-03-09") == ("in_progress", start, None)
    assert types("2026-03-10T08:59:59") == ("in_progress", start, None)
    assert types("2026-03-10T09:00") == ("completed", start, done)
    assert types("2026-03-31") == ("completed", start, done)
    s = stats(seeded, ANN, "2026-03-09")
    assert (s["quiz_attempts"], s["quiz_attempts_passed"], s["quizzes_passed"]) == (1, 0, 0)
    assert (s["modules_in_progress"], s["modules_completed"], s["progress_percent"]) == (1, 0, 0)
    s = stats(seeded, ANN, "2026-03-12")
    assert (s["quiz_attempts"], s["quiz_attempts_passed"], s["quizzes_passed"]) == (2, 1, 1)
    assert (s["modules_completed"], s["progress_percent"]) == (1, 17)  # 1 of 6, half up
    # Activity days: 03-02, 03-03, 03-10, 03-11 (the later completion is kept), 03-12.
    assert streak_figures(streak(seeded, ANN, "2026-03-11")) == (2, 2, "2026-03-11", False, True)
    assert streak_figures(streak(seeded, ANN, "2026-03-12")) == (3, 3, "2026-03-12", False, True)


# --- attempts recorded once ----------------------------------------------------------------


def test_identical_attempts_are_recorded_once(seeded: Runner) -> None:
    score = ("--score", "1", "--total", "10")
    first = submit(seeded, ANN, "sql-joins", "2026-03-05T12:00", *score)
    assert first["recorded"] is True
    # The same instant written another way, without an id: the same attempt.
    again = submit(seeded, ANN, "sql-joins", "2026-03-05T11:00:00Z", *score)
    assert again["recorded"] is False
    assert stats(seeded, ANN, "2026-03-31")["quiz_attempts"] == 1
    submit(seeded, ANN, "sql-joins", "2026-03-05T12:00:01", *score)  # another time: another
    assert stats(seeded, ANN, "2026-03-31")["quiz_attempts"] == 2
    # With an id: the same content again records nothing; other content is a conflict.
    keyed = submit(seeded, ANN, "sql-joins", "2026-03-06T12:00", *score, "--id", "k-1")
    assert keyed["recorded"] is True
    repeat = submit(seeded, ANN, "sql-joins", "2026-03-06T12:00", *score, "--id", "k-1")
    assert (repeat["recorded"], repeat["created_at"]) == (False, "2026-03-06T12:00:00+01:00")
    conflict = seeded(
        "quiz", "submit", "sql-joins", "--user", ANN, "--at", "2026-03-06T12:00",
        "--score", "9", "--total", "10", "--id", "k-1",
    )  # fmt: skip
    assert conflict.exit_code == 1
    assert "k-1" in conflict.stderr
    s = stats(seeded, ANN, "2026-03-31")
    assert (s["quiz_attempts"], s["quiz_attempts_passed"]) == (3, 0)
    assert modules(seeded, "sql", ANN, "2026-03-31")["joins"]["status"] == "in_progress"
