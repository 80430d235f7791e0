from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalyst_cli.errors import InputError, NotFoundError
from catalyst_cli.rules import (
    grade,
    parse_answers,
    passes,
    percent_half_up,
    streak,
    time_spent,
    validate_score,
)


@pytest.mark.parametrize(
    ("score", "total", "pass_percent", "expected"),
    [
        (57, 100, 57, True),
        (56, 100, 57, False),
        (4, 7, 57, True),  # 400 >= 399
        (7, 10, 70, True),
        (6, 10, 70, False),
        (0, 5, 0, True),
        (5, 5, 100, True),
        (4, 5, 100, False),
        (2, 3, 67, False),  # 200 < 201: no float rounding lets 66.67% pass at 67
    ],
)
def test_integer_pass_rule(score: int, total: int, pass_percent: int, expected: bool) -> None:
    assert passes(score, total, pass_percent) is expected


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        (1, 8, 13),
        (0, 8, 0),
        (8, 8, 100),
        (1, 3, 33),
        (2, 3, 67),
        (1, 200, 1),
        (1, 201, 0),
        (0, 0, 0),
        (5, 0, 0),
    ],
)
def test_percent_half_up(part: int, whole: int, expected: int) -> None:
    assert percent_half_up(part, whole) == expected


@given(st.integers(0, 10_000), st.integers(1, 10_000))
def test_percent_half_up_matches_exact_arithmetic(part: int, whole: int) -> None:
    from fractions import Fraction

    exact = Fraction(100 * part, whole)
    assert percent_half_up(part, whole) == int(exact + Fraction(1, 2))


@pytest.mark.parametrize(
    ("score", "total", "questions", "message"),
    [
        (1, 0, None, "invalid total 0"),
        (11, 10, None, "invalid score 11"),
        (-1, 10, None, "invalid score -1"),
        (3, 4, 3, "invalid total 4: the quiz has 3 questions"),
    ],
)
def test_validate_score_rejects(
    score: int, total: int, questions: int | None, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        validate_score(score, total, questions)


def test_validate_score_accepts_bounds() -> None:
    validate_score(0, 1, None)
    validate_score(3, 3, 3)


QUESTIONS: list[dict[str, Any]] = [
    {"id": "a", "answer": "x"},
    {"id": "b", "answer": 2},
    {"id": "c", "answer": ["p"]},
]


def test_grade_counts_matches_and_unanswered_as_wrong() -> None:
    assert grade(QUESTIONS, {"a": "x", "b": 2}) == (2, 3)
    assert grade(QUESTIONS, {"a": "y", "b": "2", "c": ["p"]}) == (1, 3)
    assert grade(QUESTIONS, {}) == (0, 3)


def test_grade_unknown_question_names_closest() -> None:
    with pytest.raises(NotFoundError, match="unknown question id 'bb'"):
        grade(QUESTIONS, {"bb": 1})


@pytest.mark.parametrize("text", ["[1, 2]", "{not json", '"a"', ""])
def test_parse_answers_rejects(text: str) -> None:
    with pytest.raises(InputError, match="--answers"):
        parse_answers(text)


D = date(2026, 3, 10)


def days(*offsets: int) -> list[date]:
    return [D + timedelta(days=o) for o in offsets]


@pytest.mark.parametrize(
    ("active", "current", "longest", "at_risk", "today_active"),
    [
        ([], 0, 0, False, False),
        ([0], 1, 1, False, True),
        ([-1], 1, 1, True, False),  # yesterday rule
        ([-2], 0, 1, False, False),
        ([-3, -2, -1], 3, 3, True, False),
        ([-3, -2, -1, 0], 4, 4, False, True),
        ([-10, -9, -8, -7, -1, 0], 2, 4, False, True),
        ([-10, -9, -8, -7], 0, 4, False, False),
        ([0, 0, -1], 2, 2, False, True),
        ([1, 2], 0, 0, False, False),  # after today: ignored
    ],
)
def test_streak(
    active: list[int], current: int, longest: int, at_risk: bool, today_active: bool
) -> None:
    s = streak(days(*active), D)
    assert (s.current, s.longest, s.at_risk, s.active_today) == (
        current,
        longest,
        at_risk,
        today_active,
    )
    past = [d for d in days(*active) if d <= D]
    assert s.last_active == (max(past) if past else None)


@given(st.sets(st.integers(-60, 0), max_size=40))
def test_streak_properties(offsets: set[int]) -> None:
    s = streak(days(*offsets), D)
    assert 0 <= s.current <= s.longest <= len(offsets)
    assert s.at_risk == (s.current > 0 and 0 not in offsets)
    if s.current:
        end = 0 if 0 in offsets else -1
        assert all(end - i in offsets for i in range(s.current))
        assert end - s.current not in offsets


# --- time spent ---------------------------------------------------------------------------

_T = datetime(
    2026, 3, 29, 0, 30, tzinfo=UTC
)  # the night the EU clocks change: UTC knows nothing of it


def _at(minutes: float) -> datetime:
    return _T + timedelta(minutes=minutes)


def _moment(minutes: float) -> tuple[datetime, datetime]:
    return (_at(minutes), _at(minutes))


def _span(start: float, end: float) -> tuple[datetime, datetime]:
    return (_at(start), _at(end))


@pytest.mark.parametrize(
    ("spans", "idle", "seconds"),
    [
        ([], 30, 0),
        ([_moment(0)], 30, 0),  # a lone event without a duration counts 0
        ([_moment(0), _moment(30)], 30, 1800),  # a gap of exactly the idle limit joins
        ([_moment(0), _moment(30.01)], 30, 0),  # just over: two lone moments
        ([_moment(0), _moment(10), _moment(25)], 30, 1500),
        ([_span(0, 20)], 30, 1200),  # a duration is a span ending at the event
        ([_span(0, 20), _span(10, 25)], 30, 1500),  # overlapping time counts once
        ([_span(0, 60), _moment(30)], 30, 3600),  # a moment inside a span adds nothing
        ([_span(0, 10), _span(50, 55)], 30, 900),  # 40 minutes apart: not joined
        ([_span(0, 10), _span(50, 55)], 40, 3300),  # with --idle 40 they join
        ([_moment(0), _moment(1)], 0, 0),  # --idle 0: only touching spans join
        ([_span(0, 0.0251)], 30, 1),  # whole seconds, rounded down
    ],
)
def test_time_spent(spans: list[tuple[datetime, datetime]], idle: int, seconds: int) -> None:
    assert time_spent(spans, timedelta(minutes=idle)) == seconds
    assert (
        time_spent(list(reversed(spans)), timedelta(minutes=idle)) == seconds
    )  # order is no matter
