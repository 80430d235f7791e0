"""Enrolment: a pure rule over a learner's enrol and withdraw events.

A learner is enrolled in a competency at `--as-of` when their latest enrol or withdraw for it
at or before that moment is an enrol; at the same instant a withdraw wins. `enrolled_at` is the
first enrol of the current (or last) enrolment, `withdrawn_at` the withdraw that ended the last
one (None while enrolled). A competency with no enrolment recorded at all is open: it is in
every learner's catalogue, so a catalogue without enrolments behaves as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

ENROL, WITHDRAW = "enrol", "withdraw"


@dataclass(frozen=True)
class Enrolment:
    """One learner's standing in one competency."""

    competency_id: int
    enrolled: bool
    enrolled_at: datetime | None
    withdrawn_at: datetime | None


def enrolments(events: Iterable[tuple[str, int | None, datetime]]) -> dict[int, Enrolment]:
    """Each competency's enrolment from (kind, competency id, time) events; others ignored."""
    by_competency: dict[int, list[tuple[datetime, int]]] = {}
    for kind, competency_id, at in events:
        if competency_id is None or kind not in (ENROL, WITHDRAW):
            continue
        # at one instant the enrol sorts first, so the withdraw is the latest: it wins
        by_competency.setdefault(competency_id, []).append((at, 0 if kind == ENROL else 1))
    found = {}
    for competency_id, items in by_competency.items():
        enrolled = False
        enrolled_at: datetime | None = None
        withdrawn_at: datetime | None = None
        for at, is_withdraw in sorted(items):
            if not is_withdraw and not enrolled:
                enrolled, enrolled_at, withdrawn_at = True, at, None
            elif is_withdraw and enrolled:
                enrolled, withdrawn_at = False, at
        found[competency_id] = Enrolment(competency_id, enrolled, enrolled_at, withdrawn_at)
    return found


def catalogue(open_competencies: Iterable[int], standing: dict[int, Enrolment]) -> frozenset[int]:
    """The competencies a learner's figures count: the open ones and those they are in."""
    return frozenset(open_competencies) | {c for c, e in standing.items() if e.enrolled}
