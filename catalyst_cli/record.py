"""Reading the learning record back, as it was recorded: one query for every exporter.

`catalyst export` (CSV, JSON lines) and `export --format xapi` both stream `RecordRow`s and
only format them; the query, its order and its `--as-of` cut are written once here.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Connection, Integer, cast, func, literal, null, select, union_all

from catalyst_cli.db.models import LearningEvent, QuizAttempt, User

_BATCH = 10_000


class RecordRow(NamedTuple):
    """One recorded event, `ref` naming its module, quiz or competency by id.

    The module for start and complete, the quiz for quiz, the competency for enrol and
    withdraw; score, total and passed are an attempt's.
    """

    user_id: int
    email: str
    name: str | None
    kind: str
    ref: int
    score: int | None
    total: int | None
    passed: bool | None
    at: datetime
    key: str | None
    duration_us: int | None


def iter_record(session: Connection, *, as_of: datetime | None) -> Iterator[RecordRow]:
    """Every event and attempt (at or before `as_of`, if given), by learner, then time."""
    ev, qa = LearningEvent.c, QuizAttempt.c
    no_number = cast(null(), Integer)  # typed, for PostgreSQL
    events = select(
        ev.user_id.label("user_id"),
        ev.kind.label("kind"),
        func.coalesce(ev.module_id, ev.competency_id).label("ref"),
        no_number.label("score"),
        no_number.label("total"),
        no_number.label("passed"),
        ev.occurred_at.label("at"),
        ev.external_id.label("key"),
        ev.duration_us.label("duration"),
    )
    attempts = select(
        qa.user_id,
        literal("quiz"),
        qa.quiz_id,
        qa.score,
        qa.total_questions,
        cast(qa.passed, Integer),
        qa.created_at,
        qa.external_id,
        qa.duration_us,
    )
    if as_of is not None:
        events = events.where(ev.occurred_at <= as_of)
        attempts = attempts.where(qa.created_at <= as_of)
    record = union_all(events, attempts).subquery()
    c = record.c
    stmt = (
        select(User.c.id, User.c.email, User.c.name, c.kind, c.ref, c.score, c.total, c.passed)
        .add_columns(c.at, c.key, c.duration)
        .join(User, User.c.id == c.user_id)
        .order_by(c.user_id, c.at, c.kind, c.ref, c.score, c.key)
        .execution_options(yield_per=_BATCH)
    )
    for row in session.execute(stmt):
        user_id, email, name, kind, ref, score, total, passed, at, key, duration = row
        yield RecordRow(
            user_id,
            email,
            name,
            kind,
            ref,
            score,
            total,
            None if passed is None else bool(passed),
            at,
            key,
            duration,
        )
