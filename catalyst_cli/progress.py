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

from sqlalchemy import case, or_, select
from sqlalchemy.orm import Session

from catalyst_cli.catalog import ModuleRef, QuizRef, catalog_index
from catalyst_cli.db.models import LearningProgress, Quiz, QuizAttempt
from catalyst_cli.db.upsert import dialect_insert
from catalyst_cli.errors import ConflictError, InputError, NotFoundError
from catalyst_cli.rules import grade, parse_answers, passes, percent_half_up, validate_score
from catalyst_cli.stats import ModuleStatus, learner_activity, module_statuses
from catalyst_cli.timeutil import resolve_time, to_utc
from catalyst_cli.users import Learner, get_learner


@dataclass(frozen=True)
class ProgressChange:
    """What one event says about one learner's module: started by, and maybe completed by."""

    user_id: int
    module_id: int
    started_at: datetime
    completed_at: datetime | None = None


def merge_changes(changes: Iterable[ProgressChange]) -> list[ProgressChange]:
    """One change per (learner, module): the earliest start and the earliest completion."""
    merged: dict[tuple[int, int], ProgressChange] = {}
    for ch in changes:
        key = (ch.user_id, ch.module_id)
        old = merged.get(key)
        if old is None:
            merged[key] = ch
            continue
        done = [t for t in (old.completed_at, ch.completed_at) if t is not None]
        merged[key] = ProgressChange(
            ch.user_id,
            ch.module_id,
            min(old.started_at, ch.started_at),
            min(done) if done else None,
        )
    return list(merged.values())


def apply_progress(session: Session, changes: Iterable[ProgressChange]) -> int:
    """Merge changes into learning_progress in one statement; returns the rows touched."""
    rows = [
        {
            "user_id": ch.user_id,
            "module_id": ch.module_id,
            "status": "in_progress" if ch.completed_at is None else "completed",
            "started_at": min(ch.started_at, ch.completed_at or ch.started_at),
            "completed_at": ch.completed_at,
        }
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
                (or_(old.completed_at.is_not(None), new.completed_at.is_not(None)), "completed"),
                else_="in_progress",
            ),
        },
    )
    session.execute(stmt, rows)
    return len(rows)


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

    Returns the attempts inserted, whose progress changes the caller then applies.
    """
    if not attempts:
        return []
    ins = dialect_insert(session, QuizAttempt.__table__)
    stmt = ins.on_conflict_do_nothing().returning(
        ins.table.c.user_id,
        ins.table.c.quiz_id,
        ins.table.c.created_at,
        ins.table.c.score,
        ins.table.c.total_questions,
        ins.table.c.external_id,
    )
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
    inserted = {
        (r.user_id, r.quiz_id, r.created_at, r.score, r.total_questions, r.external_id)
        for r in session.execute(stmt, rows)
    }
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
    apply_progress(session, [ProgressChange(learner.id, module.id, to_utc(at))])


def complete_module(session: Session, learner: Learner, module: ModuleRef, *, at: datetime) -> None:
    """Record that the learner completed the module (starting it too if need be)."""
    utc = to_utc(at)
    apply_progress(session, [ProgressChange(learner.id, module.id, utc, utc)])


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
