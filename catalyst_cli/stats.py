"""The read path: what each learner had done by a moment, and the figures derived from it.

Set-based queries, whatever the number of learners: the learners, their progress rows (the
derived state), their module events (starts, revisits, completions), their enrolment events
(when there are any) and their quiz attempts, each streamed in email order and merged here.
`stats`, `streak`, `modules` and `report` all derive their figures from the same
`LearnerActivity` by the pure functions below, so the rules are written once.

A report reads every event of every learner, so this path is written for that: the rows are
the driver's own (typed as the tuples below and read by unpacking or by position: a
NamedTuple per row cost more than reading the row), grouped per learner with
itertools.groupby; each learner's spans, activity days and streak are derived once, whoever
asks, and each distinct instant is turned into a local date once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from itertools import chain, groupby, repeat
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import ColumnElement, Connection, Table, select

from catalyst_cli.catalog import CatalogIndex, CompetencyRef, catalog_index
from catalyst_cli.db.models import Competency, LearningEvent, LearningProgress, QuizAttempt, User
from catalyst_cli.enrolment import ENROL, WITHDRAW, Enrolment, catalogue, enrolments
from catalyst_cli.errors import NotEnrolledError
from catalyst_cli.rules import DEFAULT_IDLE, Streak, percent_half_up, streak, time_spent
from catalyst_cli.scope import Scope
from catalyst_cli.timeutil import TimeArg, local_date, resolve_time
from catalyst_cli.users import Learner, get_learner

_STREAM_BATCH = 5000

ProgressRow = tuple[int, int, datetime, datetime | None]
"""A learner's progress row on one module: (learner id, module id, started_at, completed_at)."""

AttemptRow = tuple[int, int, datetime, bool, int, int, int | None]
"""One quiz attempt: (learner id, quiz id, created_at, passed, score, total, duration_us)."""

ModuleEventRow = tuple[int, int, datetime, int | None]
"""One start (revisits too) or completion of a module: (learner id, module id, time,
duration_us)."""

EnrolmentEventRow = tuple[int, str, int, datetime]
"""One enrol or withdraw: (learner id, kind, competency id, time)."""

Span = tuple[datetime, datetime]
Moment = tuple[datetime, int | None]
"""An event's time and duration in microseconds (None or 0: a moment)."""

_MODULE_KINDS = ("start", "complete")
_MICROSECOND = timedelta(microseconds=1)
_TIME = itemgetter(2)  # the time of a module event row and of an attempt row
_EVENT_MOMENT = itemgetter(2, 3)  # (time, duration_us) of a module event row
_ATTEMPT_MOMENT = itemgetter(2, 6)  # (created_at, duration_us) of an attempt row


def event_spans(moments: Iterable[Moment]) -> list[Span]:
    """Events as the spans they report: a moment, or the duration ending at the event's time."""
    return [(at - d * _MICROSECOND, at) if d else (at, at) for at, d in moments]


@dataclass(frozen=True)
class LearnerActivity:
    """Everything one learner had recorded at or before `as_of`."""

    learner: Learner
    as_of: datetime
    progress: tuple[ProgressRow, ...]
    attempts: tuple[AttemptRow, ...]
    module_events: tuple[ModuleEventRow, ...] = ()
    enrolment_events: tuple[EnrolmentEventRow, ...] = ()
    open_competencies: frozenset[int] | None = None  # None: every competency is open

    def enrolments(self) -> dict[int, Enrolment]:
        """The learner's enrolment in each competency they have an enrol or withdraw for."""
        return enrolments((kind, c, at) for _, kind, c, at in self.enrolment_events)

    def catalogue(self, index: CatalogIndex) -> frozenset[int]:
        """The ids of the competencies the learner's figures count at `as_of`."""
        if self.open_competencies is None:
            return frozenset(c.id for c in index.competencies.values())
        return catalogue(self.open_competencies, self.enrolments())

    @property
    def today(self) -> date:
        """The learner's local date of `as_of`."""
        return local_date(self.as_of, self.learner.tz)

    def activity_days(self) -> frozenset[date]:
        """Local dates of every start (revisits too), completion and attempt (learner-wide)."""
        return self._activity_days

    @cached_property
    def _activity_days(self) -> frozenset[date]:
        instants = set(map(_TIME, self.module_events))
        instants.update(map(_TIME, self.attempts))
        # each distinct instant converted once, in C (map, not a Python loop)
        local = map(datetime.astimezone, instants, repeat(self.learner.tz))
        return frozenset(map(datetime.date, local))

    def spans(
        self, modules: set[int] | None = None, quizzes: set[int] | None = None
    ) -> Sequence[Span]:
        """The spans of the module events and attempts on the modules and quizzes given.

        All of them when both are None (derived once per learner).
        """
        if modules is None and quizzes is None:
            return self._spans
        events = (e for e in self.module_events if modules is None or e[1] in modules)
        attempts = (a for a in self.attempts if quizzes is None or a[1] in quizzes)
        return event_spans(chain(map(_EVENT_MOMENT, events), map(_ATTEMPT_MOMENT, attempts)))

    @cached_property
    def _spans(self) -> Sequence[Span]:
        moments = chain(map(_EVENT_MOMENT, self.module_events), map(_ATTEMPT_MOMENT, self.attempts))
        return event_spans(moments)

    def time_spent(
        self,
        idle: timedelta,
        modules: set[int] | None = None,
        quizzes: set[int] | None = None,
    ) -> int:
        """Seconds spent on the modules and quizzes given (all when None), by the spec's rule."""
        return time_spent(self.spans(modules, quizzes), idle)

    def streak(self) -> Streak:
        """The learner's streak figures on the day of `as_of`."""
        return self._streak

    @cached_property
    def _streak(self) -> Streak:
        return streak(self.activity_days(), self.today)


def _email_key(session: Connection) -> ColumnElement[str]:
    """Users' email in byte order on every dialect, so the streams merge in step."""
    if session.dialect.name == "postgresql":
        return User.c.email.collate("C")
    return User.c.email.expression  # SQLite compares text bytewise


def iter_activity(
    session: Connection,
    *,
    as_of: datetime,
    emails: Iterable[str] | None = None,
    scope: Scope | None = None,
) -> Iterator[LearnerActivity]:
    """The activity at `as_of` of every learner in `scope` (and among `emails`), by email.

    Four or five streamed queries (the enrolment events only when a competency has any),
    narrowed in SQL by the scope's learners and groups; its enrolment rule is then applied to
    each learner's enrolment events. Memory holds one learner's rows at a time.
    """
    order = _email_key(session)
    keys = sorted({e.strip().lower() for e in emails}) if emails is not None else None

    def scoped(stmt: Any) -> Any:
        if keys is not None:
            stmt = stmt.where(User.c.email.in_(keys))
        if scope is not None:
            stmt = stmt.where(scope.learner_clause())
        return stmt.order_by(order).execution_options(yield_per=_STREAM_BATCH)

    def stream(table: Table, at: Any, columns: tuple[Any, ...], *conditions: Any) -> Any:
        """`table`'s rows at or before `as_of`, learner id first, in the learners' order."""
        stmt = select(User.c.id, *columns).join(User, User.c.id == table.c.user_id)
        return session.execute(scoped(stmt.where(at <= as_of, *conditions)))

    learners = session.execute(
        scoped(select(User.c.id, User.c.email, User.c.name, User.c.timezone))
    )
    lp, qa, ev = LearningProgress.c, QuizAttempt.c, LearningEvent.c
    progress = stream(
        LearningProgress, lp.started_at, (lp.module_id, lp.started_at, lp.completed_at)
    )
    attempts = stream(
        QuizAttempt,
        qa.created_at,
        (qa.quiz_id, qa.created_at, qa.passed, qa.score, qa.total_questions, qa.duration_us),
    )
    module_events = stream(
        LearningEvent,
        ev.occurred_at,
        (ev.module_id, ev.occurred_at, ev.duration_us),
        ev.kind.in_(_MODULE_KINDS),
    )
    closed = closed_competencies(session, as_of=as_of)
    # no enrol or withdraw recorded anywhere (the usual catalogue): no stream to read for them
    enrolment_events: Iterable[Any] = ()
    if closed:
        enrolment_events = stream(
            LearningEvent,
            ev.occurred_at,
            (ev.kind, ev.competency_id, ev.occurred_at),
            ev.kind.in_((ENROL, WITHDRAW)),
        )
    everything = frozenset(session.execute(select(Competency.c.id)).scalars())
    open_ones = everything - closed
    progress_of = _ByLearner(progress)
    attempts_of = _ByLearner(attempts)
    module_events_of = _ByLearner(module_events)
    enrolment_events_of = _ByLearner(enrolment_events)
    for row in learners:
        learner = Learner(*row)
        activity = LearnerActivity(
            learner,
            as_of,
            cast("tuple[ProgressRow, ...]", progress_of.take(learner.id)),
            cast("tuple[AttemptRow, ...]", attempts_of.take(learner.id)),
            cast("tuple[ModuleEventRow, ...]", module_events_of.take(learner.id)),
            cast("tuple[EnrolmentEventRow, ...]", enrolment_events_of.take(learner.id)),
            open_ones,
        )
        if scope is None or scope.admits(activity):
            yield activity


def closed_competencies(session: Connection, *, as_of: datetime) -> frozenset[int]:
    """Competencies with an enrol or withdraw recorded at or before `as_of`: no longer open."""
    ev = LearningEvent.c
    stmt = (
        select(ev.competency_id)
        .where(ev.competency_id.is_not(None), ev.occurred_at <= as_of)
        .distinct()
    )
    return frozenset(c for c in session.execute(stmt).scalars() if c is not None)


_LEARNER_ID = itemgetter(0)


class _ByLearner:
    """A stream of rows ordered like the learners, its learner's id first: a learner at a time."""

    def __init__(self, rows: Iterable[Any]) -> None:
        self._groups: Iterator[tuple[Any, Iterator[Any]]] = groupby(rows, _LEARNER_ID)
        self._id: Any = None
        self._rows: Iterator[Any] = iter(())
        self._next()

    def _next(self) -> None:
        self._id, self._rows = next(self._groups, (None, iter(())))

    def take(self, learner_id: int) -> tuple[Any, ...]:
        """The learner's rows: the next group if it is theirs (a learner may have none)."""
        if self._id != learner_id:
            return ()
        rows = tuple(self._rows)
        self._next()
        return rows


def learner_activity(session: Connection, learner: Learner, *, as_of: datetime) -> LearnerActivity:
    """One learner's activity at `as_of`."""
    return next(iter_activity(session, as_of=as_of, emails=[learner.email]))


@dataclass(frozen=True)
class LearnerStats:
    """The figures of `catalyst stats`, one learner; fields named as the spec's JSON keys."""

    user: str
    name: str | None
    as_of: datetime
    timezone: str
    competency: str | None
    modules_total: int
    modules_completed: int
    modules_in_progress: int
    progress_percent: int
    quizzes_total: int
    quizzes_passed: int
    quiz_attempts: int
    quiz_attempts_passed: int
    current_streak: int
    longest_streak: int
    last_active: date | None
    streak_at_risk: bool
    active_today: bool
    time_spent: int


def learner_stats(
    activity: LearnerActivity,
    index: CatalogIndex,
    competency: CompetencyRef | None,
    idle: timedelta = DEFAULT_IDLE,
) -> LearnerStats:
    """Stats of one learner, over one competency or all; streak fields are learner-wide.

    Module and quiz totals count the learner's catalogue (open competencies and those they are
    enrolled in); attempts and time spent count every quiz and module in scope.
    """
    mine = activity.catalogue(index)
    in_scope = {m.id for m in index.modules_of(competency) if m.competency_id in mine}
    quizzes = index.quizzes_of(competency)
    quiz_scope = {q.id for q in quizzes}
    catalogue_quizzes = {q.id for q in quizzes if q.module.competency_id in mine}
    as_of = activity.as_of
    completed = in_progress = 0
    for _, module_id, _, completed_at in activity.progress:
        if module_id not in in_scope:
            continue
        if completed_at is not None and completed_at <= as_of:
            completed += 1
        else:
            in_progress += 1
    attempts = passed = 0
    passed_quizzes: set[int] = set()
    for _, quiz_id, _, ok, _, _, _ in activity.attempts:
        if quiz_id in quiz_scope:
            attempts += 1
            if ok:
                passed += 1
                passed_quizzes.add(quiz_id)
    s = activity.streak()
    learner = activity.learner
    return LearnerStats(
        user=learner.email,
        name=learner.name,
        as_of=as_of.astimezone(learner.tz),
        timezone=learner.timezone,
        competency=None if competency is None else competency.slug,
        modules_total=len(in_scope),
        modules_completed=completed,
        modules_in_progress=in_progress,
        progress_percent=percent_half_up(completed, len(in_scope)),
        quizzes_total=len(catalogue_quizzes),
        quizzes_passed=len(passed_quizzes & catalogue_quizzes),
        quiz_attempts=attempts,
        quiz_attempts_passed=passed,
        current_streak=s.current,
        longest_streak=s.longest,
        last_active=s.last_active,
        streak_at_risk=s.at_risk,
        active_today=s.active_today,
        time_spent=activity.time_spent(
            idle,
            None if competency is None else {m.id for m in index.modules_of(competency)},
            None if competency is None else quiz_scope,
        ),
    )


@dataclass(frozen=True)
class ModuleStatus:
    """One learner's standing on one module at `as_of`; fields named as the spec's JSON keys."""

    user: str
    name: str | None
    competency: str
    module: str
    title: str
    position: int
    status: str
    started_at: datetime | None
    completed_at: datetime | None
    best_score: int | None
    is_next: bool
    time_spent: int


def module_statuses(
    activity: LearnerActivity,
    index: CatalogIndex,
    competency: CompetencyRef | None,
    idle: timedelta = DEFAULT_IDLE,
    catalogue: frozenset[int] | None = None,
) -> list[ModuleStatus]:
    """The learner's status on each module in catalogue order; the first not completed is next.

    Every module of the competency (or of all) by default, as `modules` shows them; with
    `catalogue`, only the modules of those competencies (a report's learner's catalogue).
    """
    tz = activity.learner.tz
    as_of = activity.as_of
    progress = {p[1]: p for p in activity.progress}
    best: dict[int, int] = {}
    quiz_module = {q.id: q.module.id for q in index.quizzes.values()}
    moments: dict[int, list[Moment]] = {}
    for _, quiz_id, at, _, score, total, duration_us in activity.attempts:
        module_id = quiz_module[quiz_id]
        best[module_id] = max(best.get(module_id, 0), percent_half_up(score, total))
        moments.setdefault(module_id, []).append((at, duration_us))
    for _, module_id, at, duration_us in activity.module_events:
        moments.setdefault(module_id, []).append((at, duration_us))
    rows = []
    next_found = False
    for m in index.modules_of(competency):
        if catalogue is not None and m.competency_id not in catalogue:
            continue
        p = progress.get(m.id)
        started_at, completed_at = (None, None) if p is None else (p[2], p[3])
        done = completed_at is not None and completed_at <= as_of
        status = "completed" if done else "in_progress" if p is not None else "not_started"
        is_next = not done and not next_found
        next_found = next_found or is_next
        rows.append(
            ModuleStatus(
                user=activity.learner.email,
                name=activity.learner.name,
                competency=m.competency,
                module=m.slug,
                title=m.title,
                position=m.position,
                status=status,
                started_at=None if started_at is None else started_at.astimezone(tz),
                completed_at=completed_at.astimezone(tz) if done and completed_at else None,
                best_score=best.get(m.id),
                is_next=is_next,
                time_spent=time_spent(event_spans(moments.get(m.id, ())), idle),
            )
        )
    return rows


@dataclass(frozen=True)
class LearnerView:
    """One learner's activity at `as_of`, with the catalogue and competency it is seen through."""

    activity: LearnerActivity
    index: CatalogIndex
    competency: CompetencyRef | None
    idle: timedelta = DEFAULT_IDLE

    def stats(self) -> LearnerStats:
        """The learner's stats; under a competency outside their catalogue, a NotEnrolledError."""
        comp = self.competency
        if comp is not None and comp.id not in self.activity.catalogue(self.index):
            raise NotEnrolledError(f"{self.activity.learner.email} is not enrolled in {comp.slug}")
        return learner_stats(self.activity, self.index, self.competency, self.idle)

    def modules(self) -> list[ModuleStatus]:
        """The learner's module list."""
        return module_statuses(self.activity, self.index, self.competency, self.idle)


def learner_view(
    session: Connection,
    *,
    email: str,
    competency: str | None,
    as_of: TimeArg | None,
    now: datetime,
    idle: timedelta = DEFAULT_IDLE,
) -> LearnerView:
    """Resolve a learner, a competency and `--as-of`, and read the learner's activity."""
    learner = get_learner(session, email)
    index = catalog_index(session)
    comp = None if competency is None else index.competency(competency)
    when = resolve_time(as_of, learner.tz, now, end_of_day=True)
    return LearnerView(learner_activity(session, learner, as_of=when), index, comp, idle)
