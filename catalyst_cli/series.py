"""`report --series day|week|month`: the report's figures period by period, in one pass.

Periods are calendar days, weeks (Monday first) or months on the clock of `--tz`, from the one
holding `--from` (default: the first recorded event) to the one holding `--as-of`. Each period's
figures are as of its end (its last microsecond; the last period's as of `--as-of`).

One pass over the learners' streamed activity at `--as-of`: a learner's figures change only at
their own events (a completion, an enrol or withdraw) or when a competency stops being open,
so each learner adds the difference they make at the periods where it changes to per-period
difference arrays, and a running sum gives every period. Memory: a few integers per period.

A learner is active in a period when one of their activity days (their own local dates, as
for streaks) is one of the period's dates. `time_spent` is the time learners in scope spent in
the period: the spans of their events whose time falls in it (after the previous period's end),
joined as everywhere (`--idle`), added up.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import Connection, func, select

from catalyst_cli.catalog import CatalogIndex, CompetencyRef
from catalyst_cli.db.models import LearningEvent, QuizAttempt
from catalyst_cli.enrolment import enrolments
from catalyst_cli.errors import InputError
from catalyst_cli.formats import Period
from catalyst_cli.rules import DEFAULT_IDLE, percent_half_up, time_spent
from catalyst_cli.stats import LearnerActivity, Moment, event_spans
from catalyst_cli.summaries import mean_half_up

Row = dict[str, Any]
MAX_PERIODS = 100_000
Ids = frozenset[int]


def period_start(day: date, period: Period) -> date:
    """The first date of the period holding `day`."""
    if period is Period.day:
        return day
    if period is Period.week:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def next_start(start: date, period: Period) -> date:
    """The first date of the period after the one starting on `start`."""
    if period is Period.day:
        return start + timedelta(days=1)
    if period is Period.week:
        return start + timedelta(weeks=1)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


@dataclass(frozen=True)
class Periods:
    """A run of periods: each one's first date, last date and the instant its figures are at."""

    starts: tuple[date, ...]
    last_days: tuple[date, ...]
    ends: tuple[datetime, ...]

    def __len__(self) -> int:
        return len(self.starts)

    def at(self, instant: datetime) -> int:
        """The first period whose figures include `instant` (len(self) when none does)."""
        return bisect_left(self.ends, instant)

    def holding(self, day: date) -> int | None:
        """The period whose dates include `day`, or None."""
        k = bisect_right(self.starts, day) - 1
        return k if k >= 0 and day <= self.last_days[k] else None


def make_periods(first: datetime, as_of: datetime, period: Period, tz: tzinfo) -> Periods:
    """The periods from the one holding `first` to the one holding `as_of`, on the clock of `tz`.

    Each ends at its last date's last microsecond, the last one at `as_of`.
    """
    start = period_start(first.astimezone(tz).date(), period)
    final = as_of.astimezone(tz).date()
    starts: list[date] = []
    last_days: list[date] = []
    while start <= final:
        if len(starts) >= MAX_PERIODS:
            raise InputError(f"too many periods: at most {MAX_PERIODS:,}; give a later --from")
        following = next_start(start, period) if start < date.max - timedelta(days=31) else None
        starts.append(start)
        last_days.append(following - timedelta(days=1) if following else date.max)
        if following is None:
            break
        start = following
    ends = [datetime.combine(d, time.max, tzinfo=tz) for d in last_days]
    ends[-1] = as_of
    return Periods(tuple(starts), tuple(last_days), tuple(ends))


def first_event(session: Connection, as_of: datetime) -> datetime | None:
    """The time of the first event recorded at or before `as_of` (attempts included)."""
    events = select(func.min(LearningEvent.c.occurred_at)).where(
        LearningEvent.c.occurred_at <= as_of
    )
    attempts = select(func.min(QuizAttempt.c.created_at)).where(QuizAttempt.c.created_at <= as_of)
    found = [t for t in (session.execute(events).scalar(), session.execute(attempts).scalar()) if t]
    return min(found) if found else None


def first_closures(session: Connection, as_of: datetime) -> dict[int, datetime]:
    """When each competency stopped being open: its first enrol or withdraw, up to `as_of`."""
    ev = LearningEvent.c
    stmt = (
        select(ev.competency_id, func.min(ev.occurred_at))
        .where(ev.competency_id.is_not(None), ev.occurred_at <= as_of)
        .group_by(ev.competency_id)
    )
    return {cid: at for cid, at in session.execute(stmt) if cid is not None}


class _Series:
    """Per-period sums that learners add their differences to."""

    def __init__(self, periods: Periods) -> None:
        n = len(periods)
        self.periods = periods
        self.learners = [0] * (n + 1)
        self.completed = [0] * (n + 1)
        self.progress = [0] * (n + 1)
        self.active = [0] * n
        self.spent = [0] * n

    def add(self, k: int, learners: int, completed: int, progress: int) -> None:
        """From period `k` on, a learner counts with these differences."""
        self.learners[k] += learners
        self.completed[k] += completed
        self.progress[k] += progress

    def rows(self) -> Iterator[Row]:
        learners = completed = progress = 0
        for k, end in enumerate(self.periods.ends):
            learners += self.learners[k]
            completed += self.completed[k]
            progress += self.progress[k]
            yield {
                "period_end": end,
                "learners": learners,
                "active_learners": self.active[k],
                "modules_completed": completed,
                "mean_progress_percent": mean_half_up(progress, learners),
                "time_spent": self.spent[k],
            }


class SeriesBuilder:
    """Learners in, one row per period out."""

    def __init__(
        self,
        periods: Periods,
        index: CatalogIndex,
        competency: CompetencyRef | None,
        closures: dict[int, datetime],
        idle: timedelta = DEFAULT_IDLE,
    ) -> None:
        self.periods = periods
        self.idle = idle
        tz = periods.ends[0].tzinfo
        self.first_instant = datetime.combine(periods.starts[0], time.min, tzinfo=tz)
        self.index = index
        self.competency = competency
        self.closures = closures
        self.all_competencies = frozenset(c.id for c in index.competencies.values())
        self.scope_modules = index.modules_of(competency)
        self.sums = _Series(periods)
        self._modules_of: dict[Ids, tuple[int, ...]] = {}
        self._quiz_module = {q.id: q.module.id for q in index.quizzes.values()}

    def _catalogue(self, enrols: Sequence[tuple[str, int | None, datetime]], at: datetime) -> Ids:
        """The learner's catalogue as of `at`, from their enrol and withdraw events."""
        if not enrols and not self.closures:
            return self.all_competencies
        closures = self.closures
        open_then = {c for c in self.all_competencies if c not in closures or closures[c] > at}
        standing = enrolments(e for e in enrols if e[2] <= at)
        return frozenset(open_then | {c for c, e in standing.items() if e.enrolled})

    def _modules(self, mine: Ids) -> tuple[int, ...]:
        """The ids of the modules in scope of a catalogue (cached: catalogues repeat)."""
        found = self._modules_of.get(mine)
        if found is None:
            found = tuple(m.id for m in self.scope_modules if m.competency_id in mine)
            self._modules_of[mine] = found
        return found

    def add(self, learner: LearnerActivity) -> None:
        """Add one learner's figures to every period."""
        periods, sums = self.periods, self.sums
        n = len(periods)
        as_of = learner.as_of
        completions = {
            module_id: completed_at
            for _, module_id, _, completed_at in learner.progress
            if completed_at is not None and completed_at <= as_of
        }
        enrols = [
            (kind, competency_id, at) for _, kind, competency_id, at in learner.enrolment_events
        ]
        changes = {periods.at(t) for t in completions.values()}
        changes.update(periods.at(at) for _, _, at in enrols)
        changes.update(periods.at(t) for t in self.closures.values())
        changes.add(0)
        starts: list[int] = []
        scoped: list[bool] = []
        times: dict[Ids, list[datetime]] = {}
        was_in, was_done, was_progress = 0, 0, 0
        for k in sorted(c for c in changes if c < n):
            at = periods.ends[k]
            mine = self._catalogue(enrols, at)
            modules = self._modules(mine)
            if mine not in times:
                times[mine] = sorted(completions[m] for m in modules if m in completions)
            in_scope = int(self.competency is None or self.competency.id in mine)
            done = bisect_right(times[mine], at) * in_scope
            progress = percent_half_up(done, len(modules)) * in_scope
            sums.add(k, in_scope - was_in, done - was_done, progress - was_progress)
            was_in, was_done, was_progress = in_scope, done, progress
            starts.append(k)
            scoped.append(bool(in_scope))
        for held in {periods.holding(d) for d in learner.activity_days()}:
            if held is not None and scoped[bisect_right(starts, held) - 1]:
                sums.active[held] += 1
        held_moments: dict[int, list[Moment]] = {}
        in_scope_modules = None if self.competency is None else {m.id for m in self.scope_modules}
        quiz_module = self._quiz_module
        moments = [
            (at, module_id, duration_us) for _, module_id, at, duration_us in learner.module_events
        ]
        moments.extend(
            (at, quiz_module[quiz_id], duration_us)
            for _, quiz_id, at, _, _, _, duration_us in learner.attempts
        )
        for at, module_id, duration in moments:
            if at < self.first_instant or (
                in_scope_modules is not None and module_id not in in_scope_modules
            ):
                continue
            k = periods.at(at)
            if k < n and scoped[bisect_right(starts, k) - 1]:
                held_moments.setdefault(k, []).append((at, duration))
        for k, in_period in held_moments.items():
            sums.spent[k] += time_spent(event_spans(in_period), self.idle)

    def rows(self) -> Iterator[Row]:
        """One row per period, in order."""
        return self.sums.rows()


def series_rows(
    session: Connection,
    activity: Iterable[LearnerActivity],
    index: CatalogIndex,
    competency: CompetencyRef | None,
    *,
    period: Period,
    as_of: datetime,
    since: datetime | None,
    idle: timedelta = DEFAULT_IDLE,
) -> list[Row]:
    """The rows of `report --series PERIOD`; periods on the clock of `as_of`'s zone."""
    tz = as_of.tzinfo
    assert tz is not None
    if since is not None and since > as_of:
        raise InputError(f"invalid --from {since.isoformat()}: after --as-of {as_of.isoformat()}")
    first = since or first_event(session, as_of) or as_of
    periods = make_periods(first, as_of, period, tz)
    builder = SeriesBuilder(periods, index, competency, first_closures(session, as_of), idle)
    for learner in activity:
        builder.add(learner)
    return list(builder.rows())
