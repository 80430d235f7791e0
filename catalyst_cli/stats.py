"""The read path: what each learner had done by a moment, and the figures derived from it.

Four set-based queries, whatever the number of learners: the learners, their progress rows
(the derived state), their recorded events and their quiz attempts, each streamed in email
order and merged here. `stats`, `streak`,
`modules` and `report` all derive their figures from the same `LearnerActivity` by the pure
functions below, so the rules are written once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Connection, select

from catalyst_cli.catalog import CatalogIndex, CompetencyRef, catalog_index
from catalyst_cli.db.models import Competency, LearningEvent, LearningProgress, QuizAttempt, User
from catalyst_cli.enrolment import Enrolment, catalogue, enrolments
from catalyst_cli.errors import NotEnrolledError
from catalyst_cli.rules import DEFAULT_IDLE, Streak, percent_half_up, streak, time_spent
from catalyst_cli.scope import Scope
from catalyst_cli.timeutil import TimeArg, local_date, resolve_time
from catalyst_cli.users import Learner, get_learner

_STREAM_BATCH = 5000


class ProgressRow(NamedTuple):
    """A learner's progress row on one module."""

    module_id: int
    started_at: datetime
    completed_at: datetime | None


class AttemptRow(NamedTuple):
    """One quiz attempt of a learner."""

    quiz_id: int
    created_at: datetime
    passed: bool
    score: int
    total: int
    duration_us: int | None


class EventRow(NamedTuple):
    """One recorded start, completion, enrolment or withdrawal of a learner."""

    kind: str
    module_id: int | None
    competency_id: int | None
    at: datetime
    duration_us: int | None


_LEARNING_KINDS = ("start", "complete")


def event_span(at: datetime, duration_us: int | None) -> tuple[datetime, datetime]:
    """An event as the span it reports: a moment, or the duration ending at its time."""
    if not duration_us:
        return (at, at)
    return (at - timedelta(microseconds=duration_us), at)


@dataclass(frozen=True)
class LearnerActivity:
    """Everything one learner had recorded at or before `as_of`."""

    learner: Learner
    as_of: datetime
    progress: tuple[ProgressRow, ...]
    attempts: tuple[AttemptRow, ...]
    events: tuple[EventRow, ...] = ()
    open_competencies: frozenset[int] | None = None  # None: every competency is open

    def enrolments(self) -> dict[int, Enrolment]:
        """The learner's enrolment in each competency they have an enrol or withdraw for."""
        return enrolments((e.kind, e.competency_id, e.at) for e in self.events)

    def catalogue(self, index: CatalogIndex) -> frozenset[int]:
        """The ids of the competencies the learner's figures count at `as_of`."""
        if self.open_competencies is None:
            return frozenset(c.id for c in index.competencies.values())
        return catalogue(self.open_competencies, self.enrolments())

    @property
    def today(self) -> date:
        """The learner's local date of `as_of`."""
        return local_date(self.as_of, self.learner.tz)

    def activity_days(self) -> set[date]:
        """Local dates of every start (revisits too), completion and attempt (learner-wide)."""
        tz = self.learner.tz
        instants = {e.at for e in self.events if e.kind in _LEARNING_KINDS}
        instants.update(a.created_at for a in self.attempts)
        return {at.astimezone(tz).date() for at in instants}

    def time_spent(
        self,
        idle: timedelta,
        modules: set[int] | None = None,
        quizzes: set[int] | None = None,
    ) -> int:
        """Seconds spent on the modules and quizzes given (all when None), by the spec's rule."""
        spans = [
            event_span(e.at, e.duration_us)
            for e in self.events
            if e.kind in _LEARNING_KINDS and (modules is None or e.module_id in modules)
        ]
        spans.extend(
            event_span(a.created_at, a.duration_us)
            for a in self.attempts
            if quizzes is None or a.quiz_id in quizzes
        )
        return time_spent(spans, idle)

    def streak(self) -> Streak:
        """The learner's streak figures on the day of `as_of`."""
        return streak(self.activity_days(), self.today)


def _email_key(session: Connection) -> ColumnElement[str]:
    """Users' email in byte order on every dialect, so the three streams merge in step."""
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

    Four streamed queries, narrowed in SQL by the scope's learners and groups; its enrolment
    rule is then applied to each learner's events. Memory holds one learner's rows at a time.
    """
    order = _email_key(session)
    keys = sorted({e.strip().lower() for e in emails}) if emails is not None else None

    def scoped(stmt: Any) -> Any:
        if keys is not None:
            stmt = stmt.where(User.c.email.in_(keys))
        if scope is not None:
            stmt = stmt.where(scope.learner_clause())
        return stmt.order_by(order).execution_options(yield_per=_STREAM_BATCH)

    # Core rows through the session's connection: for plain columns the ORM's row handling
    # adds nothing but time (a quarter to a third of the time a large report spends reading).
    conn = session
    learners = conn.execute(scoped(select(User.c.id, User.c.email, User.c.name, User.c.timezone)))
    progress = conn.execute(
        scoped(
            select(
                User.c.id,
                LearningProgress.c.module_id,
                LearningProgress.c.started_at,
                LearningProgress.c.completed_at,
            )
            .join(User, User.c.id == LearningProgress.c.user_id)
            .where(LearningProgress.c.started_at <= as_of)
        )
    )
    attempts = conn.execute(
        scoped(
            select(
                User.c.id,
                QuizAttempt.c.quiz_id,
                QuizAttempt.c.created_at,
                QuizAttempt.c.passed,
                QuizAttempt.c.score,
                QuizAttempt.c.total_questions,
                QuizAttempt.c.duration_us,
            )
            .join(User, User.c.id == QuizAttempt.c.user_id)
            .where(QuizAttempt.c.created_at <= as_of)
        )
    )
    events = conn.execute(
        scoped(
            select(
                User.c.id,
                LearningEvent.c.kind,
                LearningEvent.c.module_id,
                LearningEvent.c.competency_id,
                LearningEvent.c.occurred_at,
                LearningEvent.c.duration_us,
            )
            .join(User, User.c.id == LearningEvent.c.user_id)
            .where(LearningEvent.c.occurred_at <= as_of)
        )
    )
    open_ones = open_competencies(session, as_of=as_of)
    progress_by_user = _Grouped(progress)
    attempts_by_user = _Grouped(attempts)
    events_by_user = _Grouped(events)
    for row in learners:
        learner = Learner(*row)
        activity = LearnerActivity(
            learner,
            as_of,
            tuple(ProgressRow(*r[1:]) for r in progress_by_user.take(learner.id)),
            tuple(AttemptRow(*r[1:]) for r in attempts_by_user.take(learner.id)),
            tuple(EventRow(*r[1:]) for r in events_by_user.take(learner.id)),
            open_ones,
        )
        if scope is None or scope.admits(activity):
            yield activity


def open_competencies(session: Connection, *, as_of: datetime) -> frozenset[int]:
    """Competencies with no enrol or withdraw recorded at or before `as_of`: open to all."""
    ev = LearningEvent.c
    closed = (
        select(ev.competency_id)
        .where(ev.competency_id.is_not(None), ev.occurred_at <= as_of)
        .distinct()
    )
    stmt = select(Competency.c.id).where(Competency.c.id.not_in(closed))
    return frozenset(session.execute(stmt).scalars())


class _Grouped:
    """Consecutive rows of a stream ordered like the learners, taken one learner at a time."""

    def __init__(self, rows: Iterable[Any]) -> None:
        self._rows = iter(rows)
        self._head: Any = next(self._rows, None)

    def take(self, user_id: int) -> list[Any]:
        out = []
        while self._head is not None and self._head[0] == user_id:
            out.append(self._head)
            self._head = next(self._rows, None)
        return out


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
    for p in activity.progress:
        if p.module_id not in in_scope:
            continue
        if p.completed_at is not None and p.completed_at <= as_of:
            completed += 1
        else:
            in_progress += 1
    attempts = [a for a in activity.attempts if a.quiz_id in quiz_scope]
    passed = [a for a in attempts if a.passed]
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
        quizzes_passed=len({a.quiz_id for a in passed if a.quiz_id in catalogue_quizzes}),
        quiz_attempts=len(attempts),
        quiz_attempts_passed=len(passed),
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
    progress = {p.module_id: p for p in activity.progress}
    best: dict[int, int] = {}
    quiz_module = {q.id: q.module.id for q in index.quizzes.values()}
    spans: dict[int, list[tuple[datetime, datetime]]] = {}
    for a in activity.attempts:
        module_id = quiz_module[a.quiz_id]
        best[module_id] = max(best.get(module_id, 0), percent_half_up(a.score, a.total))
        spans.setdefault(module_id, []).append(event_span(a.created_at, a.duration_us))
    for e in activity.events:
        if e.kind in _LEARNING_KINDS and e.module_id is not None:
            spans.setdefault(e.module_id, []).append(event_span(e.at, e.duration_us))
    rows = []
    next_found = False
    for m in index.modules_of(competency):
        if catalogue is not None and m.competency_id not in catalogue:
            continue
        p = progress.get(m.id)
        done = p is not None and p.completed_at is not None and p.completed_at <= as_of
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
                started_at=None if p is None else p.started_at.astimezone(tz),
                completed_at=p.completed_at.astimezone(tz)
                if done and p and p.completed_at
                else None,
                best_score=best.get(m.id),
                is_next=is_next,
                time_spent=time_spent(spans.get(m.id, ()), idle),
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
