"""`export --format xapi`: every event of the learning record as an xAPI statement, streamed.

The actor is the learner's first identity (the earliest stored), else the email as `mbox`; the
object is the module, quiz or competency's `iri`, else one under `--iri-base`. Without a base, an
item the events name that has no iri is refused before anything is written.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import IO, Any

from sqlalchemy import Connection, func, select

from catalyst_cli.catalog import catalog_index
from catalyst_cli.db.models import (
    Competency,
    LearningEvent,
    LearningModule,
    Quiz,
    QuizAttempt,
    UserIdentity,
)
from catalyst_cli.errors import InputError
from catalyst_cli.record import iter_record
from catalyst_cli.xapi.records import EventKind
from catalyst_cli.xapi.writer import ExportedActivity, ExportedEvent, write_statement

_BATCH = 10_000
_KINDS = {
    "start": EventKind.START,
    "complete": EventKind.COMPLETE,
    "quiz": EventKind.ATTEMPT,
    "enrol": EventKind.ENROL,
    "withdraw": EventKind.WITHDRAW,
}


def export_statements(
    session: Connection, *, as_of: datetime | None, iri_base: str | None
) -> Iterator[dict[str, Any]]:
    """Every recorded event (at or before `as_of`, if given) as a statement, by learner, time.

    Raises InputError, here rather than while streaming, when an item the events name has no
    iri and no base is given.
    """
    activities = _activities(session, iri_base)
    return _statements(session, as_of, iri_base, activities)


def write_statements(statements: Iterable[dict[str, Any]], out: IO[str]) -> int:
    """Write statements as JSON lines; returns how many."""
    count = 0
    for statement in statements:
        out.write(json.dumps(statement, ensure_ascii=False, separators=(",", ":")))
        out.write("\n")
        count += 1
    return count


_Activities = tuple[
    dict[int, tuple[ExportedActivity, ExportedActivity]],
    dict[int, tuple[ExportedActivity, ExportedActivity]],
    dict[int, ExportedActivity],
]


def _statements(
    session: Connection, as_of: datetime | None, iri_base: str | None, activities: _Activities
) -> Iterator[dict[str, Any]]:
    modules, quizzes, competencies = activities
    identities = _first_identities(session)
    for r in iter_record(session, as_of=as_of):
        user_id, email, name, kind, ref = r.user_id, r.email, r.name, r.kind, r.ref
        if kind == "quiz":
            activity, competency = quizzes[ref]
        elif kind in ("start", "complete"):
            activity, competency = modules[ref]
        else:
            activity, competency = competencies[ref], None
        event = ExportedEvent(
            kind=_KINDS[kind],
            learner=email,
            activity=activity,
            at=r.at,
            competency=competency,
            identities=identities.get(user_id, ()),
            learner_name=name,
            duration=None if r.duration_us is None else timedelta(microseconds=r.duration_us),
            score=r.score,
            total=r.total,
            passed=r.passed,
            id=r.key,
        )
        yield write_statement(event, iri_base=iri_base)


def _activities(session: Connection, iri_base: str | None) -> _Activities:
    """Modules and quizzes (with their competency) and competencies, as statements name them."""
    index = catalog_index(session)
    mod = LearningModule.c
    iris = {
        "competency": {
            i: iri for i, iri in session.execute(select(Competency.c.id, Competency.c.iri))
        },
        "module": {i: iri for i, iri in session.execute(select(mod.id, mod.iri))},
        "quiz": {i: iri for i, iri in session.execute(select(Quiz.c.id, Quiz.c.iri))},
    }
    competencies = {
        c.id: ExportedActivity(c.slug, c.title, iris["competency"][c.id])
        for c in index.competencies.values()
    }
    modules = {
        m.id: (
            ExportedActivity(m.path, m.title, iris["module"][m.id]),
            competencies[m.competency_id],
        )
        for m in index.modules
    }
    quizzes = {
        q.id: (
            ExportedActivity(q.slug, q.title, iris["quiz"][q.id]),
            competencies[q.module.competency_id],
        )
        for q in index.quizzes.values()
    }
    if iri_base is None:
        _check_iris(session, modules, quizzes, competencies)
    return modules, quizzes, competencies


def _check_iris(
    session: Connection,
    modules: dict[int, tuple[ExportedActivity, ExportedActivity]],
    quizzes: dict[int, tuple[ExportedActivity, ExportedActivity]],
    competencies: dict[int, ExportedActivity],
) -> None:
    """Refuse an export that would name an item without an iri, when no base is given."""
    ev, qa = LearningEvent.c, QuizAttempt.c
    named: list[tuple[str, ExportedActivity]] = []
    for (module_id,) in session.execute(select(ev.module_id).distinct()):
        if module_id is not None:
            module, competency = modules[module_id]
            named += [("module", module), ("competency", competency)]
    for (competency_id,) in session.execute(select(ev.competency_id).distinct()):
        if competency_id is not None:
            named.append(("competency", competencies[competency_id]))
    for (quiz_id,) in session.execute(select(qa.quiz_id).distinct()):
        quiz, competency = quizzes[quiz_id]
        named += [("quiz", quiz), ("competency", competency)]
    for what, activity in named:
        if activity.iri is None:
            raise InputError(
                f"{what} {activity.slug} has no iri: give --iri-base URL "
                "(or an iri in the catalogue)"
            )


def _first_identities(session: Connection) -> dict[int, tuple[str]]:
    """Each learner's first stored identity (the lowest row id), for the statement's actor."""
    first = (
        select(UserIdentity.c.user_id, func.min(UserIdentity.c.id).label("first"))
        .group_by(UserIdentity.c.user_id)
        .subquery()
    )
    stmt = select(UserIdentity.c.user_id, UserIdentity.c.identity).join(
        first, first.c.first == UserIdentity.c.id
    )
    return {user_id: (identity,) for user_id, identity in session.execute(stmt)}
