"""The progress commands' domain: `start`, `complete`, `quiz submit`, `enrol` and `withdraw`.

Each resolves its names and time into one `Event` and records it through the recorder, as a
batch of one: the rules (ids, repeats, the earliest-time merge) are the recorder's, the same
for `import`, xAPI and `seed`. Grading is here, shared with the importers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from catalyst_cli.catalog import CatalogIndex, CompetencyRef, ModuleRef, QuizRef, catalog_index
from catalyst_cli.db.models import EXTERNAL_ID_LENGTH
from catalyst_cli.errors import InputError, NotFoundError
from catalyst_cli.events import Event, EventKind
from catalyst_cli.limits import check_text
from catalyst_cli.recorder import record_one
from catalyst_cli.rules import grade, parse_answers, passes, percent_half_up, validate_score
from catalyst_cli.stats import ModuleStatus, learner_activity, module_statuses
from catalyst_cli.timeutil import TimeArg, resolve_time, to_utc
from catalyst_cli.users import Learner, get_learner


@dataclass(frozen=True)
class Submission:
    """A quiz submission as given: answers to grade, or a score out of a total."""

    answers: Mapping[str, Any] | None = None
    score: int | None = None
    total: int | None = None


def check_key(key: str | None) -> str | None:
    """An event id as given (`--id`, an `id` cell): not blank, not longer than its column."""
    if key is None:
        return None
    if not key.strip():
        raise InputError("invalid id: must not be empty")
    if len(key) > EXTERNAL_ID_LENGTH:
        raise InputError(f"invalid id {key[:20]!r}...: longer than {EXTERNAL_ID_LENGTH} characters")
    return check_text("id", key, EXTERNAL_ID_LENGTH)


def grade_attempt(
    user_id: int,
    quiz: QuizRef,
    submission: Submission,
    at: datetime,
    *,
    external_id: str | None = None,
    duration_us: int | None = None,
    line: int = 0,
) -> Event:
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
    return Event(
        EventKind.quiz,
        user_id,
        to_utc(at),
        module_id=quiz.module.id,
        quiz_id=quiz.id,
        score=score,
        total=total,
        passed=passes(score, total, quiz.pass_percent),
        answers=answers,
        duration_us=duration_us,
        external_id=check_key(external_id),
        line=line,
    )


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
            answers = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise NotFoundError(f"cannot read answers file {str(path)!r}: {exc}") from None
    return Submission(answers=parse_answers(answers))


@dataclass(frozen=True)
class EventOptions:
    """What every progress command takes besides its target: when, how long, which id."""

    at: TimeArg | None = None
    duration_us: int | None = None
    external_id: str | None = None


@dataclass(frozen=True)
class Outcome:
    """The event a command reports (the first, for a repeated id), and if this call recorded it."""

    event: Event
    recorded: bool
    learner: Learner


def _record(session: Connection, learner: Learner, event: Event) -> Outcome:
    result = record_one(session, event)
    return Outcome(result.event, result.recorded, learner)


def _record_for(
    session: Connection,
    email: str,
    kind: EventKind,
    options: EventOptions,
    now: datetime,
    *,
    module_id: int | None = None,
    competency_id: int | None = None,
) -> Outcome:
    """Resolve the learner and the time of a module or enrolment event, then record it."""
    learner = get_learner(session, email)
    at = to_utc(resolve_time(options.at, learner.tz, now))
    event = Event(
        kind,
        learner.id,
        at,
        module_id=module_id,
        competency_id=competency_id,
        duration_us=options.duration_us,
        external_id=options.external_id,
    )
    return _record(session, learner, event)


def record_module_event(
    session: Connection,
    index: CatalogIndex,
    *,
    email: str,
    module: str,
    kind: EventKind,
    options: EventOptions,
    now: datetime,
) -> tuple[Outcome, ModuleRef]:
    """`catalyst start` / `complete`: resolve the learner, module and time, then record."""
    ref = index.module(module)
    return _record_for(session, email, kind, options, now, module_id=ref.id), ref


def record_enrolment(
    session: Connection,
    *,
    email: str,
    competency: str,
    kind: EventKind,
    options: EventOptions,
    now: datetime,
) -> tuple[Outcome, CompetencyRef]:
    """`catalyst enrol` / `withdraw`: resolve the learner, competency and time, then record."""
    ref = catalog_index(session).competency(competency)
    return _record_for(session, email, kind, options, now, competency_id=ref.id), ref


@dataclass(frozen=True)
class AttemptOutcome:
    """The attempt `quiz submit` reports, and whether this call recorded it."""

    outcome: Outcome
    quiz: QuizRef

    def record(self) -> dict[str, Any]:
        """The outcome under the keys of `quiz submit --format json`."""
        a = self.outcome.event
        assert a.score is not None and a.total is not None
        return {
            "user": self.outcome.learner.email,
            "quiz": self.quiz.slug,
            "module": self.quiz.module.path,
            "score": a.score,
            "total": a.total,
            "percent": percent_half_up(a.score, a.total),
            "passed": a.passed,
            "created_at": a.at.astimezone(self.outcome.learner.tz),
            "id": a.external_id,
            "recorded": self.outcome.recorded,
        }


def record_submission(
    session: Connection,
    *,
    email: str,
    quiz: str,
    submission: Submission,
    options: EventOptions,
    now: datetime,
) -> AttemptOutcome:
    """`catalyst quiz submit`: resolve the names and time, then grade and record the attempt."""
    learner = get_learner(session, email)
    ref = catalog_index(session).quiz(quiz)
    when = resolve_time(options.at, learner.tz, now)
    event = grade_attempt(
        learner.id,
        ref,
        submission,
        when,
        external_id=options.external_id,
        duration_us=options.duration_us,
    )
    return AttemptOutcome(_record(session, learner, event), ref)


def module_status(
    session: Connection, index: CatalogIndex, outcome: Outcome, module: ModuleRef, now: datetime
) -> ModuleStatus:
    """The learner's standing on the event's module, seen after both the event and `now`."""
    learner = outcome.learner
    activity = learner_activity(session, learner, as_of=max(now, outcome.event.at))
    comp = index.competencies[module.competency]
    return next(s for s in module_statuses(activity, index, comp) if s.module == module.slug)
