"""The write path: starts, completions and quiz attempts, one rule set for single commands and bulk.

Progress is a pure function of the events: each event becomes a change (earliest start, earliest
completion) merged into `learning_progress` with the dialect's insert-on-conflict, so the order
events arrive in and concurrent writers never change the outcome.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import case, literal_column, or_, select
from sqlalchemy.orm import Session

from catalyst_cli.catalog import ModuleRef, QuizRef, catalog_index
from catalyst_cli.db.models import LearningProgress, Quiz, QuizAttempt
from catalyst_cli.db.upsert import dialect_insert
from catalyst_cli.errors import ConflictError, InputError, NotFoundError
from catalyst_cli.rules import grade, parse_answers, passes, percent_half_up, validate_score
from catalyst_cli.stats import ModuleStatus, learner_activity, module_statuses
from catalyst_cli.timeutil import resolve_time, to_utc
from catalyst_cli.users import Learner, get_learner

MAX_EXTERNAL_ID = 200  # the length of quiz_attempts.external_id


@dataclass(frozen=True)
class ProgressChange:
    """What one event says about one learner's module: started by, and maybe completed by."""

    user_id: int
    module_id: int
    started_at: datetime
    completed_at: datetime | None = None


def start_change(user_id: int, module_id: int, at: datetime) -> ProgressChange:
    """A start: the module is started at `at`."""
    return ProgressChange(user_id, module_id, to_utc(at))


def completion_change(user_id: int, module_id: int, at: datetime) -> ProgressChange:
    """A completion: the module is completed at `at`, and started then if not before."""
    utc = to_utc(at)
    return ProgressChange(user_id, module_id, utc, utc)


def merge_changes(changes: Iterable[ProgressChange]) -> list[ProgressChange]:
    """One change per (learner, module): the earliest start and the earliest completion."""
    starts: dict[tuple[int, int], datetime] = {}
    completions: dict[tuple[int, int], datetime] = {}
    for ch in changes:  # in place: bulk imports merge hundreds of thousands of changes
        key = (ch.user_id, ch.module_id)
        start = starts.get(key)
        if start is None or ch.started_at < start:
            starts[key] = ch.started_at
        done = ch.completed_at
        if done is not None:
            first = completions.get(key)
            if first is None or done < first:
                completions[key] = done
    return [
        ProgressChange(u, m, start, completions.get((u, m))) for (u, m), start in starts.items()
    ]


def apply_progress(session: Session, changes: Iterable[ProgressChange]) -> int:
    """Merge changes into learning_progress in one statement; returns the rows touched."""
    rows = [
        (
            ch.user_id,
            ch.module_id,
            "in_progress" if ch.completed_at is None else "completed",
            min(ch.started_at, ch.completed_at or ch.started_at),
            ch.completed_at,
        )
        for ch in merge_changes(changes)
    ]
    if not rows:
        return 0
    table = LearningProgress.__table__
    ins = dialect_insert(session, table)
    new, old = ins.excluded, table.c
    stmt = ins.on_conflict_do_update(
        index_elements=["user_id", "module_id"],
        set_={
            "started_at": case(
                (new.started_at < old.started_at, new.started_at), else_=old.started_at
            ),
            "completed_at": case(
                (old.completed_at.is_(None), new.completed_at),
                (new.completed_at.is_(None), old.completed_at),
                (new.completed_at < old.completed_at, new.completed_at),
                else_=old.completed_at,
            ),
            "status": case(
                (
                    or_(old.completed_at.is_not(None), new.completed_at.is_not(None)),
                    literal_column("'completed'"),
                ),
                else_=literal_column("'in_progress'"),
            ),
        },
    )
    _executemany(session, stmt, _PROGRESS_COLUMNS, rows)
    return len(rows)


_PROGRESS_COLUMNS = ("user_id", "module_id", "status", "started_at", "completed_at")


def _executemany(
    session: Session, stmt: Any, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Run an INSERT of `columns` for every row with the driver's executemany.

    The statement is compiled once and each value goes through its column type's own bind
    processor, so what is stored is exactly what `session.execute` would store; skipping
    SQLAlchemy's per-row parameter handling halves the time of a bulk import's progress writes.
    """
    dialect = session.get_bind().dialect
    compiled = stmt.compile(dialect=dialect, column_keys=list(columns))
    table = stmt.table
    processors = [
        (i, p)
        for i, p in enumerate(
            table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns
        )
        if p is not None
    ]
    converted = []
    for row in rows:
        values = list(row)
        for i, process in processors:
            values[i] = process(values[i])
        converted.append(values)
    params: list[Any]
    if compiled.positional:
        order = [columns.index(name) for name in compiled.positiontup]
        params = [tuple([values[i] for i in order]) for values in converted]
    else:
        params = [dict(zip(columns, values, strict=True)) for values in converted]
    session.connection().exec_driver_sql(compiled.string, params)


@dataclass(frozen=True)
class Submission:
    """A quiz submission as given: answers to grade, or a score out of a total."""

    answers: Mapping[str, Any] | None = None
    score: int | None = None
    total: int | None = None


@dataclass(frozen=True)
class Attempt:
    """A graded attempt, ready to record (or as recorded)."""

    user_id: int
    quiz_id: int
    module_id: int
    score: int
    total: int
    answers: Mapping[str, Any] | None
    passed: bool
    created_at: datetime
    external_id: str | None

    def same_content(self, other: Attempt) -> bool:
        """Whether two attempts say the same thing; as in xAPI, the time is not compared."""
        return (self.user_id, self.quiz_id, self.score, self.total, self.answers) == (
            other.user_id,
            other.quiz_id,
            other.score,
            other.total,
            other.answers,
        )

    def progress(self) -> ProgressChange:
        """An attempt starts its quiz's module; a pass completes it."""
        return ProgressChange(
            self.user_id, self.module_id, self.created_at, self.created_at if self.passed else None
        )


def grade_submission(
    user_id: int, quiz: QuizRef, submission: Submission, at: datetime, external_id: str | None
) -> Attempt:
    """Validate and grade a submission by the spec's rules; the module comes from the quiz."""
    questions = quiz.questions
    if submission.answers is not None:
        if not questions:
            raise InputError(
                f"quiz {quiz.slug!r} has no questions to grade: use --score and --total"
            )
        score, total = grade(questions, submission.answers)
        answers: Mapping[str, Any] | None = dict(submission.answers)
    else:
        if submission.score is None or submission.total is None:
            raise InputError("a quiz attempt needs answers, or both a score and a total")
        score, total = submission.score, submission.total
        validate_score(score, total, len(questions) if questions else None)
        answers = None
    if external_id is not None and not external_id.strip():
        raise InputError("invalid --id: must not be empty")
    if external_id is not None and len(external_id) > MAX_EXTERNAL_ID:
        raise InputError(
            f"invalid id {external_id[:20]!r}...: longer than {MAX_EXTERNAL_ID} characters"
        )
    return Attempt(
        user_id,
        quiz.id,
        quiz.module.id,
        score,
        total,
        answers,
        passes(score, total, quiz.pass_percent),
        to_utc(at),
        external_id,
    )


def record_attempts(session: Session, attempts: Sequence[Attempt]) -> list[Attempt]:
    """Insert attempts, skipping ones already recorded (same id, or same content without id).

    Returns the attempts inserted, whose progress changes the caller then applies. The insert
    returns only the new rows' ids: when every attempt was inserted, as in most of a bulk
    import, nothing more is read; otherwise the new rows are read back to tell which.
    """
    if not attempts:
        return []
    table = QuizAttempt.__table__
    stmt = dialect_insert(session, table).on_conflict_do_nothing().returning(table.c.id)
    rows = [
        {
            "user_id": a.user_id,
            "quiz_id": a.quiz_id,
            "score": a.score,
            "total_questions": a.total,
            "answers": None if a.answers is None else dict(a.answers),
            "passed": a.passed,
            "created_at": a.created_at,
            "external_id": a.external_id,
        }
        for a in attempts
    ]
    new_ids = session.execute(stmt, rows).scalars().all()
    if len(new_ids) == len(attempts):
        return list(attempts)
    inserted: set[tuple[Any, ...]] = set()
    for i in range(0, len(new_ids), 500):
        inserted.update(
            tuple(r)
            for r in session.execute(
                select(
                    table.c.user_id,
                    table.c.quiz_id,
                    table.c.created_at,
                    table.c.score,
                    table.c.total_questions,
                    table.c.external_id,
                ).where(table.c.id.in_(new_ids[i : i + 500]))
            )
        )
    return [
        a
        for a in attempts
        if (a.user_id, a.quiz_id, a.created_at, a.score, a.total, a.external_id) in inserted
    ]


def recorded_attempts(session: Session, external_ids: Iterable[str]) -> dict[str, Attempt]:
    """Attempts already recorded under these idempotency keys."""
    keys = sorted(set(external_ids))
    found: dict[str, Attempt] = {}
    for i in range(0, len(keys), 500):
        stmt = (
            select(QuizAttempt, Quiz.module_id)
            .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
            .where(QuizAttempt.external_id.in_(keys[i : i + 500]))
        )
        for a, module_id in session.execute(stmt):
            found[str(a.external_id)] = Attempt(
                a.user_id,
                a.quiz_id,
                module_id,
                a.score,
                a.total_questions,
                a.answers,
                a.passed,
                a.created_at,
                a.external_id,
            )
    return found


@dataclass(frozen=True)
class AttemptOutcome:
    """The attempt `quiz submit` reports, and whether this call recorded it."""

    attempt: Attempt
    recorded: bool
    learner: Learner
    quiz: QuizRef

    def record(self) -> dict[str, Any]:
        """The outcome under the keys of `quiz submit --format json`."""
        a = self.attempt
        return {
            "user": self.learner.email,
            "quiz": self.quiz.slug,
            "module": self.quiz.module.path,
            "score": a.score,
            "total": a.total,
            "percent": percent_half_up(a.score, a.total),
            "passed": a.passed,
            "created_at": a.created_at.astimezone(self.learner.tz),
            "id": a.external_id,
            "recorded": self.recorded,
        }


def read_submission(answers: str | None, score: int | None, total: int | None) -> Submission:
    """`--answers JSON|@FILE` or `--score N --total M`, exactly one of the two."""
    if answers is not None and (score is not None or total is not None):
        raise InputError("give either --answers or --score/--total, not both")
    if answers is None:
        if score is None or total is None:
            raise InputError("give --answers, or both --score and --total")
        return Submission(score=score, total=total)
    if answers.startswith("@"):
        path = Path(answers[1:])
        try:
            answers = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise NotFoundError(f"cannot read answers file {str(path)!r}: {exc}") from None
    return Submission(answers=parse_answers(answers))


def submit_quiz(
    session: Session,
    learner: Learner,
    quiz: QuizRef,
    submission: Submission,
    *,
    at: datetime,
    external_id: str | None,
) -> AttemptOutcome:
    """Record one quiz attempt and its progress; a repeat reports the first attempt."""
    attempt = grade_submission(learner.id, quiz, submission, at, external_id)
    if record_attempts(session, [attempt]):
        apply_progress(session, [attempt.progress()])
        return AttemptOutcome(attempt, True, learner, quiz)
    if external_id is None:  # the same content at the same time: already recorded
        return AttemptOutcome(attempt, False, learner, quiz)
    first = recorded_attempts(session, [external_id])[external_id]
    if not attempt.same_content(first):
        raise ConflictError(
            f"conflict: attempt id {external_id!r} was already recorded with different content"
        )
    return AttemptOutcome(first, False, learner, quiz)


def start_module(session: Session, learner: Learner, module: ModuleRef, *, at: datetime) -> None:
    """Record that the learner started the module."""
    apply_progress(session, [start_change(learner.id, module.id, at)])


def complete_module(session: Session, learner: Learner, module: ModuleRef, *, at: datetime) -> None:
    """Record that the learner completed the module (starting it too if need be)."""
    apply_progress(session, [completion_change(learner.id, module.id, at)])


@dataclass(frozen=True)
class ModuleEvent:
    """A learner, a module and a moment, resolved from what a command was given."""

    learner: Learner
    module: ModuleRef
    at: datetime


def _resolve_event(
    session: Session, *, email: str, module: str, at: str | None, now: datetime
) -> ModuleEvent:
    learner = get_learner(session, email)
    ref = catalog_index(session).module(module)
    return ModuleEvent(learner, ref, resolve_time(at, learner.tz, now))


def record_start(
    session: Session, *, email: str, module: str, at: str | None, now: datetime
) -> ModuleEvent:
    """`catalyst start`: resolve the names and time, then record the start."""
    event = _resolve_event(session, email=email, module=module, at=at, now=now)
    start_module(session, event.learner, event.module, at=event.at)
    return event


def record_completion(
    session: Session, *, email: str, module: str, at: str | None, now: datetime
) -> ModuleEvent:
    """`catalyst complete`: resolve the names and time, then record the completion."""
    event = _resolve_event(session, email=email, module=module, at=at, now=now)
    complete_module(session, event.learner, event.module, at=event.at)
    return event


def record_submission(
    session: Session,
    *,
    email: str,
    quiz: str,
    submission: Submission,
    at: str | None,
    external_id: str | None,
    now: datetime,
) -> AttemptOutcome:
    """`catalyst quiz submit`: resolve the names and time, then grade and record the attempt."""
    learner = get_learner(session, email)
    ref = catalog_index(session).quiz(quiz)
    when = resolve_time(at, learner.tz, now)
    return submit_quiz(session, learner, ref, submission, at=when, external_id=external_id)


def module_status(session: Session, event: ModuleEvent, now: datetime) -> ModuleStatus:
    """The learner's standing on the event's module, seen after both the event and `now`."""
    activity = learner_activity(session, event.learner, as_of=max(now, event.at))
    index = catalog_index(session)
    comp = index.competencies[event.module.competency]
    return next(s for s in module_statuses(activity, index, comp) if s.module == event.module.slug)
