"""The report's learner filters: `--stuck DAYS`, `--inactive DAYS`, `--at-risk`.

Each is a pure test of one learner's activity at `--as-of`; given together, a learner must pass
all of them. They narrow the learners in scope, so they combine with `--competency` and `--user`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from catalyst_cli.catalog import CatalogIndex, CompetencyRef
from catalyst_cli.errors import InputError
from catalyst_cli.stats import LearnerActivity

MAX_DAYS = 36500


@dataclass(frozen=True)
class LearnerFilter:
    """Which learners a report keeps; None (or False) for a filter not given."""

    stuck: int | None = None
    inactive: int | None = None
    at_risk: bool = False

    def __post_init__(self) -> None:
        if self.stuck is not None and not 0 <= self.stuck <= MAX_DAYS:
            raise InputError(f"invalid --stuck {self.stuck}: must be 0 to {MAX_DAYS} days")
        if self.inactive is not None and not 1 <= self.inactive <= MAX_DAYS:
            raise InputError(f"invalid --inactive {self.inactive}: must be 1 to {MAX_DAYS} days")

    @property
    def active(self) -> bool:
        """Whether any filter is given."""
        return self.stuck is not None or self.inactive is not None or self.at_risk

    def keeps(
        self, activity: LearnerActivity, index: CatalogIndex, competency: CompetencyRef | None
    ) -> bool:
        """Whether the learner passes every filter given."""
        if self.at_risk and not activity.streak().at_risk:
            return False
        if self.inactive is not None and not is_inactive(activity, self.inactive):
            return False
        return self.stuck is None or is_stuck(activity, index, competency, self.stuck)

    def narrow(
        self,
        activity: Iterable[LearnerActivity],
        index: CatalogIndex,
        competency: CompetencyRef | None,
    ) -> Iterator[LearnerActivity]:
        """The learners that pass, in the order given."""
        return (a for a in activity if self.keeps(a, index, competency))


def is_inactive(activity: LearnerActivity, days: int) -> bool:
    """No activity day in the last `days` local days (today included); never active counts."""
    last = activity.streak().last_active
    return last is None or last <= activity.today - timedelta(days=days)


def last_events(activity: LearnerActivity, index: CatalogIndex) -> dict[int, datetime]:
    """The time of the last event (start, completion or attempt) on each module."""
    last: dict[int, datetime] = {}
    for _, module_id, at, _ in activity.module_events:
        if module_id not in last or at > last[module_id]:
            last[module_id] = at
    by_id = {q.id: q.module.id for q in index.quizzes.values()}
    for _, quiz_id, at, _, _, _, _ in activity.attempts:
        m = by_id[quiz_id]
        if m not in last or at > last[m]:
            last[m] = at
    return last


def is_stuck(
    activity: LearnerActivity, index: CatalogIndex, competency: CompetencyRef | None, days: int
) -> bool:
    """A module of the learner's catalogue (in scope) is in progress, untouched for `days` days.

    Untouched: its last event is at least `days` x 24 hours before `--as-of`.
    """
    mine = activity.catalogue(index)
    scope = {m.id for m in index.modules_of(competency) if m.competency_id in mine}
    as_of = activity.as_of
    waiting = [
        (module_id, started_at)
        for _, module_id, started_at, completed_at in activity.progress
        if module_id in scope and (completed_at is None or completed_at > as_of)
    ]
    if not waiting:
        return False
    last = last_events(activity, index)
    limit = as_of - timedelta(days=days)
    return any(last.get(module_id, started_at) <= limit for module_id, started_at in waiting)
