"""`report --summary competency|module|group`: one row per competency, module or group.

One pass over the learners' streamed activity. Memory is flat in the number of learners: an
accumulator per competency, module or group, and for the median a histogram of best scores
(an integer percent, so at most 101 counts per row), not a list of learners.

Each learner counts in a competency's or module's row when it is in their catalogue at
`--as-of`; in a group's row when they are in the group, with their whole catalogue (the
competency under `--competency`), and with the figures the per-learner report gives them
(`quiz_attempts`, `quiz_attempts_passed`, `time_spent`), so a group's row adds up its members'.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from catalyst_cli.catalog import CatalogIndex, CompetencyRef, ModuleRef
from catalyst_cli.columns import (
    SUMMARY_COMPETENCY_COLUMNS,
    SUMMARY_GROUP_COLUMNS,
    SUMMARY_MODULE_COLUMNS,
)
from catalyst_cli.db.models import Group, GroupMember, User
from catalyst_cli.formats import SummaryKind
from catalyst_cli.rules import percent_half_up, time_spent
from catalyst_cli.stats import LearnerActivity, Moment, _email_key, event_spans, learner_stats

Row = dict[str, Any]
Span = tuple[datetime, datetime]


def median_half_up(counts: Counter[int]) -> int | None:
    """The median of the values counted (value -> how many), half up; None when none.

    With an even number of values, the mean of the middle two, rounded half up.
    """
    n = sum(counts.values())
    if n == 0:
        return None
    low_rank, high_rank = (n - 1) // 2, n // 2  # 0-based ranks of the middle value(s)
    low = high = None
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        if low is None and seen > low_rank:
            low = value
        if seen > high_rank:
            high = value
            break
    assert low is not None and high is not None
    return (low + high + 1) // 2  # the values are percents, never negative


def mean_half_up(total: int, count: int) -> int:
    """`total / count` rounded half up, for non-negative totals; 0 when `count` is 0."""
    return 0 if count <= 0 else (2 * total + count) // (2 * count)


@dataclass
class Tally:
    """The running figures of one summary row."""

    learners: int = 0
    started: int = 0
    completed: int = 0
    progress: int = 0  # the sum of the learners' progress percents
    attempts: int = 0
    attempts_passed: int = 0
    best_scores: Counter[int] = field(default_factory=Counter)
    time_spent: int = 0

    def add(
        self,
        *,
        started: bool,
        completed: bool,
        progress: int,
        attempts: int,
        passed: int,
        best: int | None,
        seconds: int,
    ) -> None:
        """Count one learner."""
        self.learners += 1
        self.started += started
        self.completed += completed
        self.progress += progress
        self.attempts += attempts
        self.attempts_passed += passed
        if best is not None:
            self.best_scores[best] += 1
        self.time_spent += seconds

    def figures(self) -> Row:
        """The row's figures, keys as SPEC.md names them."""
        return {
            "learners": self.learners,
            "started": self.started,
            "completed": self.completed,
            "completion_percent": percent_half_up(self.completed, self.learners),
            "mean_progress_percent": mean_half_up(self.progress, self.learners),
            "attempts": self.attempts,
            "attempts_passed": self.attempts_passed,
            "median_best_score": median_half_up(self.best_scores),
            "time_spent": self.time_spent,
        }


@dataclass(frozen=True)
class _ModuleFacts:
    """One learner's standing on one module at `as_of`."""

    started: bool
    completed: bool
    attempts: int
    passed: int
    best: int | None
    spans: tuple[Span, ...]


def _module_facts(activity: LearnerActivity, index: CatalogIndex) -> dict[int, _ModuleFacts]:
    """The learner's facts on each module they have any record of."""
    as_of = activity.as_of
    quiz_module = {q.id: q.module.id for q in index.quizzes.values()}
    started = {p[1] for p in activity.progress}
    completed = {
        module_id
        for _, module_id, _, completed_at in activity.progress
        if completed_at is not None and completed_at <= as_of
    }
    attempts: Counter[int] = Counter()
    passed: Counter[int] = Counter()
    best: dict[int, int] = {}
    moments: dict[int, list[Moment]] = {}
    for _, quiz_id, at, ok, score, total, duration_us in activity.attempts:
        m = quiz_module[quiz_id]
        attempts[m] += 1
        passed[m] += ok
        best[m] = max(best.get(m, 0), percent_half_up(score, total))
        moments.setdefault(m, []).append((at, duration_us))
    for _, module_id, at, duration_us in activity.module_events:
        moments.setdefault(module_id, []).append((at, duration_us))
    return {
        m: _ModuleFacts(
            m in started,
            m in completed,
            attempts[m],
            passed[m],
            best.get(m),
            tuple(event_spans(moments.get(m, ()))),
        )
        for m in started | set(moments) | set(attempts)
    }


_NOTHING = _ModuleFacts(False, False, 0, 0, None, ())


def _add_modules(
    tally: Tally, modules: Sequence[ModuleRef], facts: dict[int, _ModuleFacts], idle: timedelta
) -> None:
    """Count one learner over a set of modules (a module, or a competency's modules)."""
    mine = [facts.get(m.id, _NOTHING) for m in modules]
    done = sum(f.completed for f in mine)
    bests = [f.best for f in mine if f.best is not None]
    tally.add(
        started=any(f.started for f in mine),
        completed=bool(mine) and done == len(mine),
        progress=percent_half_up(done, len(mine)),
        attempts=sum(f.attempts for f in mine),
        passed=sum(f.passed for f in mine),
        best=max(bests) if bests else None,
        seconds=time_spent([s for f in mine for s in f.spans], idle),
    )


class CatalogueSummary:
    """The running summary by module (or by competency): add learners, then read the rows."""

    def __init__(
        self,
        index: CatalogIndex,
        competency: CompetencyRef | None,
        idle: timedelta,
        *,
        by_competency: bool = False,
    ) -> None:
        self.index, self.idle, self.by_competency = index, idle, by_competency
        self.modules = index.modules_of(competency)
        self.competencies = [
            c
            for c in sorted(index.competencies.values(), key=lambda c: (c.position, c.id))
            if competency is None or c.id == competency.id
        ]
        self.of_competency = {
            c.id: [m for m in self.modules if m.competency_id == c.id] for c in self.competencies
        }
        keys = self.of_competency if by_competency else (m.id for m in self.modules)
        self.tallies = {key: Tally() for key in keys}

    def add(self, learner: LearnerActivity) -> None:
        """Count one learner in the rows of their catalogue."""
        mine = learner.catalogue(self.index)
        facts = _module_facts(learner, self.index)
        if self.by_competency:
            for cid, members in self.of_competency.items():
                if cid in mine:
                    _add_modules(self.tallies[cid], members, facts, self.idle)
        else:
            for m in self.modules:
                if m.competency_id in mine:
                    _add_modules(self.tallies[m.id], (m,), facts, self.idle)

    def rows(self) -> list[Row]:
        """One row per competency or module, in catalogue order."""
        if self.by_competency:
            return [
                {"competency": c.slug, "title": c.title, **self.tallies[c.id].figures()}
                for c in self.competencies
            ]
        return [
            {
                "competency": m.competency,
                "module": m.slug,
                "title": m.title,
                **self.tallies[m.id].figures(),
            }
            for m in self.modules
        ]


def module_summary(
    activity: Iterable[LearnerActivity],
    index: CatalogIndex,
    competency: CompetencyRef | None,
    idle: timedelta,
    *,
    by_competency: bool = False,
) -> list[Row]:
    """One row per module (or competency) in catalogue order, over those who have it."""
    summary = CatalogueSummary(index, competency, idle, by_competency=by_competency)
    for learner in activity:
        summary.add(learner)
    return summary.rows()


def _memberships(session: Connection) -> Iterator[tuple[str, str]]:
    """(email, group name) of every membership, streamed in the learners' email order."""
    stmt = (
        select(User.c.email, Group.c.name)
        .join(GroupMember, GroupMember.c.user_id == User.c.id)
        .join(Group, Group.c.id == GroupMember.c.group_id)
        .order_by(_email_key(session), Group.c.name)
        .execution_options(yield_per=5000)
    )
    for row in session.execute(stmt):
        yield row[0], row[1]


def group_summary(
    session: Connection,
    activity: Iterable[LearnerActivity],
    index: CatalogIndex,
    competency: CompetencyRef | None,
    idle: timedelta,
) -> list[Row]:
    """One row per group (by name) with a learner in scope, over its learners in scope."""
    members = _memberships(session)
    head = next(members, None)
    quiz_scope = {q.id for q in index.quizzes_of(competency)}
    tallies: dict[str, Tally] = {}
    for learner in activity:
        email = learner.learner.email
        groups = []
        while head is not None and head[0] <= email:
            if head[0] == email:
                groups.append(head[1])
            head = next(members, None)
        if not groups:
            continue
        stats = learner_stats(learner, index, competency, idle)
        scores = [
            percent_half_up(score, total)
            for _, quiz_id, _, _, score, total, _ in learner.attempts
            if quiz_id in quiz_scope
        ]
        for name in groups:
            tallies.setdefault(name, Tally()).add(
                started=stats.modules_completed + stats.modules_in_progress > 0,
                completed=stats.modules_total > 0
                and stats.modules_completed == stats.modules_total,
                progress=stats.progress_percent,
                attempts=stats.quiz_attempts,
                passed=stats.quiz_attempts_passed,
                best=max(scores) if scores else None,
                seconds=stats.time_spent,
            )
    return [{"group": name, **tallies[name].figures()} for name in sorted(tallies)]


def summary_report(
    session: Connection,
    kind: SummaryKind,
    activity: Iterable[LearnerActivity],
    index: CatalogIndex,
    competency: CompetencyRef | None,
    idle: timedelta,
) -> tuple[tuple[str, ...], list[Row]]:
    """The columns and rows of `report --summary KIND`."""
    if kind is SummaryKind.group:
        return SUMMARY_GROUP_COLUMNS, group_summary(session, activity, index, competency, idle)
    if kind is SummaryKind.competency:
        rows = module_summary(activity, index, competency, idle, by_competency=True)
        return SUMMARY_COMPETENCY_COLUMNS, rows
    return SUMMARY_MODULE_COLUMNS, module_summary(activity, index, competency, idle)
