"""Pure rules of the spec that need no database: passing, grading, streaks, time spent."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from catalyst_cli.errors import InputError, unknown
from catalyst_cli.limits import MAX_INT, check_int, check_json, load_json


def passes(score: int, total: int, pass_percent: int) -> bool:
    """The integer pass rule: score * 100 >= pass_percent * total."""
    return score * 100 >= pass_percent * total


def percent_half_up(part: int, whole: int) -> int:
    """100 * part / whole rounded half up, in integers; 0 when `whole` is 0."""
    if whole <= 0:
        return 0
    return (200 * part + whole) // (2 * whole)


def validate_score(score: int, total: int, question_count: int | None) -> None:
    """Check `--score/--total` against the spec's ranges and the quiz's question count.

    Both are stored as INTEGER, so neither may exceed limits.MAX_INT.
    """
    check_int("total", total, 1, MAX_INT)
    if not 0 <= score <= total:
        raise InputError(f"invalid score {score}: must be between 0 and the total {total}")
    if question_count and total != question_count:
        raise InputError(f"invalid total {total}: the quiz has {question_count} questions")


def grade(questions: Sequence[Mapping[str, Any]], answers: Mapping[str, Any]) -> tuple[int, int]:
    """Score `answers` against the quiz's questions: (matching answers, number of questions).

    An unanswered question is wrong; an unknown question id is an error.
    """
    ids = [str(q["id"]) for q in questions]
    strays = sorted(set(answers) - set(ids))
    if strays:
        raise unknown("question id", strays[0], ids)
    score = sum(
        1 for q in questions if str(q["id"]) in answers and answers[str(q["id"])] == q["answer"]
    )
    return score, len(ids)


def parse_answers(text: str) -> dict[str, Any]:
    """Parse `--answers` JSON (already read from @FILE): an object of question id to answer.

    The answers are stored as given, so they are held to limits.check_json.
    """
    value = check_json("--answers", load_json(text, "--answers"))
    if not isinstance(value, dict):
        raise InputError("invalid --answers JSON: expected an object {question id: answer}")
    return value


@dataclass(frozen=True)
class Streak:
    """Streak figures of one learner on one day."""

    current: int
    longest: int
    last_active: date | None
    at_risk: bool
    active_today: bool


def streak(days: Iterable[date], today: date) -> Streak:
    """Streaks from the learner's activity days; days after `today` are ignored.

    Current: the run ending today if today is active, else the run ending yesterday, else 0.
    """
    end = today.toordinal()
    ordered = sorted({n for n in map(date.toordinal, days) if n <= end})
    if not ordered:
        return Streak(0, 0, None, False, False)
    longest = run = 1
    prev = ordered[0]
    for day in ordered[1:]:  # day numbers: consecutive days differ by one
        run = run + 1 if day == prev + 1 else 1
        if run > longest:
            longest = run
        prev = day
    active_today = prev == end
    current = run if prev >= end - 1 else 0
    return Streak(
        current, longest, date.fromordinal(prev), current > 0 and not active_today, active_today
    )


DEFAULT_IDLE = timedelta(minutes=30)


def time_spent(spans: Iterable[tuple[datetime, datetime]], idle: timedelta = DEFAULT_IDLE) -> int:
    """Whole seconds (rounded down) covered by the spans, joined across gaps of at most `idle`.

    Each event is a span (its time less its duration, its time), or a moment (start == end).
    Sorted, neighbours whose gap is at most `idle` join; the joined spans' lengths add up, so
    overlapping time counts once and a lone moment counts 0.
    """
    ordered = iter(sorted(spans))
    first, last = next(ordered, (None, None))
    if first is None or last is None:
        return 0
    total = timedelta(0)
    for start, end in ordered:
        if start - last > idle:
            total += last - first
            first, last = start, end
        elif end > last:
            last = end
    return (total + (last - first)) // timedelta(seconds=1)
