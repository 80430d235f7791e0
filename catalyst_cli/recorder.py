"""The one way events enter the database: the learning record, and the progress derived from it.

Every input (a single command is a batch of one; `import`, xAPI and `seed` are batches of
thousands) hands `Event` values to a `Recorder`. A flush:

1. settles ids within the batch: the same id with the same content is one event (the earliest
   time of the batch stands), with different content a conflict;
2. looks up the batch's ids already recorded (events, attempts, voided ids): the same content
   is a repeat that records nothing, different content a conflict, a voided id is skipped;
3. inserts the rest with insert-on-conflict-do-nothing, so an event without an id that was
   recorded before (same learner, kind, target, instant, score) is kept once, and concurrent
   writers never fail on a duplicate;
4. merges what they say into `learning_progress` (earliest start, earliest completion) in the
   same transaction.

Because status and times are the earliest of the record, the order events arrive in never
changes the outcome. `rederive` recomputes `learning_progress` from the record, for a void.
"""

from __future__ import annotations

import enum
import gc
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    Connection,
    Select,
    Text,
    case,
    delete,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    tuple_,
    union_all,
)

from catalyst_cli.db.bulk import executemany
from catalyst_cli.db.models import LearningEvent, LearningProgress, Quiz, QuizAttempt, VoidedId
from catalyst_cli.db.upsert import dialect_insert
from catalyst_cli.events import COMPETENCY_KINDS, Event, EventKind

BATCH_EVENTS = 10_000
_IN_CHUNK = 500  # values per IN (...) query, well under every driver's parameter limit


class Fate(enum.StrEnum):
    """What became of one event given to the recorder."""

    recorded = "recorded"
    duplicate = "duplicate"
    conflict = "conflict"
    voided = "voided"


@dataclass(frozen=True)
class Conflict:
    """An id given again with different content: the first event stands."""

    line: int
    key: str
    where: str

    @property
    def message(self) -> str:
        """One line for the user."""
        return f"conflict: id {self.key!r} {self.where} with different content"


@dataclass
class Tally:
    """What a recorder did: events recorded by kind, repeats, conflicts, voided ids skipped."""

    recorded: Counter[EventKind] = field(default_factory=Counter)
    duplicates: int = 0
    voided: int = 0
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def total_recorded(self) -> int:
        """Events recorded, all kinds."""
        return sum(self.recorded.values())


_EVENT_COLUMNS = (
    "user_id",
    "kind",
    "module_id",
    "competency_id",
    "occurred_at",
    "duration_us",
    "external_id",
)
_ATTEMPT_COLUMNS = (
    "user_id",
    "quiz_id",
    "score",
    "total_questions",
    "answers",
    "passed",
    "created_at",
    "external_id",
    "duration_us",
)
_PROGRESS_COLUMNS = ("user_id", "module_id", "status", "started_at", "completed_at")


# While a bulk input is recorded: a young-generation collection every this many allocations
# (the default is 700), and the older generations rarely.
_BULK_GC_THRESHOLDS = (100_000, 50, 100)


@contextmanager
def bulk_gc() -> Iterator[None]:
    """Cyclic garbage collection tuned for a bulk input, restored afterwards.

    A batch holds tens of thousands of young tuples, so the default thresholds run a collection
    every few rows and a full one, scanning every object SQLAlchemy and the modules made, every
    few batches: about an eighth of an import's time. Here the objects that exist before the
    import are frozen (never scanned) and collections are rarer; cycles are still collected,
    so memory stays bounded.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*_BULK_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


class Recorder:
    """Events in, batches written through the rules above; `flush` before reading back.

    `tally` accumulates over flushes. A recorder belongs to one session and transaction.
    """

    def __init__(self, session: Connection, *, batch_events: int = BATCH_EVENTS) -> None:
        self._session = session
        self._batch = batch_events
        self._pending: list[Event] = []
        self.tally = Tally()
        self._stored: dict[str, Event] = {}
        self._marks: tuple[int, int] | None = None  # the last row ids before this recorder

    def add(self, event: Event) -> None:
        """Queue one event; a full batch is written."""
        self._pending.append(event)
        if len(self._pending) >= self._batch:
            self.flush()

    def add_all(self, events: Iterable[Event]) -> None:
        """Queue many events."""
        for event in events:
            self.add(event)

    def flush(self) -> Tally:
        """Write the queued events; returns the running tally."""
        batch, self._pending = self._pending, []
        if batch:
            self._write(batch)
        return self.tally

    def stored(self, key: str) -> Event | None:
        """The event recorded before under `key`, when a flushed event repeated it."""
        return self._stored.get(key)

    def _write(self, batch: list[Event]) -> None:
        if self._marks is None:
            self._marks = _last_ids(self._session)
        fresh, moved = self._settle_ids(batch)
        by_kind: dict[EventKind, list[Event]] = {}
        for e in fresh:
            by_kind.setdefault(e.kind, []).append(e)
        for kind, same in by_kind.items():
            insert = _insert_attempts if kind is EventKind.quiz else _insert_events
            inserted = insert(self._session, same)
            self.tally.recorded[kind] += inserted
            self.tally.duplicates += len(same) - inserted
        apply_progress(self._session, fresh + moved)

    def _settle_ids(self, batch: list[Event]) -> tuple[list[Event], list[Event]]:
        """The batch less repeats and conflicts of ids, and the events a repeat moved earlier.

        Repeats and conflicts are found within the batch and against the record; a moved event
        is one this recorder wrote whose id came again, with the same content, at an earlier
        time (the earliest time of one input stands, whatever the order of its rows).
        """
        unkeyed: list[Event] = []
        keyed: dict[str, Event] = {}
        for e in batch:
            key = e.external_id
            if key is None:
                unkeyed.append(e)
                continue
            first = keyed.get(key)
            if first is None:
                keyed[key] = e
            elif not e.same_content(first):
                self._conflict(e, f"was given on line {first.line}" if first.line else "repeats")
            else:
                self.tally.duplicates += 1
                if e.at < first.at:  # the earliest time of the batch stands
                    keyed[key] = e._replace(line=first.line)
        if not keyed:
            return unkeyed, []
        voided = _voided(self._session, list(keyed))
        recorded = recorded_events(self._session, [k for k in keyed if k not in voided])
        moved: list[Event] = []
        for key in list(keyed):
            e = keyed[key]
            if key in voided:
                self.tally.voided += 1
                del keyed[key]
            elif key in recorded:
                del keyed[key]
                first, row_id = recorded[key]
                ours = (
                    self._marks is not None and row_id > self._marks[first.kind is EventKind.quiz]
                )
                if not e.same_content(first):
                    self._conflict(
                        e, "was given earlier in this file" if ours else "was already recorded"
                    )
                    continue
                self.tally.duplicates += 1
                self._stored[key] = first
                if ours and e.at < first.at:  # this input's earliest time stands, in any order
                    _move(self._session, e)
                    moved.append(e)
        return unkeyed + list(keyed.values()), moved

    def _conflict(self, event: Event, where: str) -> None:
        assert event.external_id is not None
        self.tally.conflicts.append(Conflict(event.line, event.external_id, where))


def _insert_events(session: Connection, events: Sequence[Event]) -> int:
    """Insert module and enrolment events; returns how many rows went in."""
    if not events:
        return 0
    table = LearningEvent
    stmt = dialect_insert(session, table).on_conflict_do_nothing()
    rows = [
        (e.user_id, e.kind.value, e.module_id, e.competency_id, e.at, e.duration_us, e.external_id)
        for e in events
    ]
    return executemany(session, stmt, _EVENT_COLUMNS, rows)


def _insert_attempts(session: Connection, attempts: Sequence[Event]) -> int:
    """Insert quiz attempts; returns how many rows went in."""
    if not attempts:
        return 0
    table = QuizAttempt
    stmt = dialect_insert(session, table).on_conflict_do_nothing()
    rows = [
        (
            a.user_id,
            a.quiz_id,
            a.score,
            a.total,
            None if a.answers is None else dict(a.answers),
            a.passed,
            a.at,
            a.external_id,
            a.duration_us,
        )
        for a in attempts
    ]
    return executemany(session, stmt, _ATTEMPT_COLUMNS, rows)


def _progress_rows(events: Iterable[Event]) -> list[tuple[Any, ...]]:
    """One row per (learner, module): the earliest start and the earliest completion."""
    starts: dict[tuple[int, int], datetime] = {}
    completions: dict[tuple[int, int], datetime] = {}
    for e in events:
        if e.module_id is None or e.kind in COMPETENCY_KINDS:
            continue
        key = (e.user_id, e.module_id)
        start = starts.get(key)
        if start is None or e.at < start:
            starts[key] = e.at
        if e.kind is EventKind.complete or (e.kind is EventKind.quiz and e.passed):
            done = completions.get(key)
            if done is None or e.at < done:
                completions[key] = e.at
    return [
        (
            u,
            m,
            "in_progress" if (u, m) not in completions else "completed",
            start,
            completions.get((u, m)),
        )
        for (u, m), start in starts.items()
    ]


def apply_progress(session: Connection, events: Iterable[Event]) -> int:
    """Merge what events say into learning_progress in one statement; returns rows touched."""
    rows = _progress_rows(events)
    if not rows:
        return 0
    table = LearningProgress
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
    executemany(session, stmt, _PROGRESS_COLUMNS, rows)
    return len(rows)


def rederive(session: Connection, pairs: Iterable[tuple[int, int]]) -> None:
    """Recompute learning_progress of these (learner, module) pairs from the record."""
    keys = sorted(set(pairs))
    ev, qa, lp = LearningEvent.c, QuizAttempt.c, LearningProgress.c
    q = Quiz
    for i in range(0, len(keys), _IN_CHUNK):
        chunk = keys[i : i + _IN_CHUNK]
        session.execute(delete(LearningProgress).where(tuple_(lp.user_id, lp.module_id).in_(chunk)))
        module_events = select(
            ev.user_id,
            ev.module_id,
            ev.occurred_at.label("at"),
            case((ev.kind == "complete", 1), else_=0).label("done"),
        ).where(ev.module_id.is_not(None), tuple_(ev.user_id, ev.module_id).in_(chunk))
        attempts = (
            select(
                qa.user_id,
                q.c.module_id,
                qa.created_at,
                case((qa.passed, 1), else_=0),
            )
            .join(q, q.c.id == qa.quiz_id)
            .where(tuple_(qa.user_id, q.c.module_id).in_(chunk))
        )
        record = union_all(module_events, attempts).subquery()
        first_done = func.min(case((record.c.done == 1, record.c.at)))
        rows = session.execute(
            select(
                record.c.user_id, record.c.module_id, func.min(record.c.at), first_done
            ).group_by(record.c.user_id, record.c.module_id)
        ).all()
        apply_progress(
            session,
            [
                e
                for u, m, start, done in rows
                for e in (
                    Event(EventKind.start, u, start, module_id=m),
                    *(() if done is None else (Event(EventKind.complete, u, done, module_id=m),)),
                )
            ],
        )


def _by_keys(session: Connection, query: Select[Any], key: Any, keys: Sequence[str]) -> Select[Any]:
    """`query`'s rows whose unique `key` column is one of `keys`: one index lookup per key.

    On PostgreSQL an `IN (...)` of hundreds of keys is planned as a scan of the whole table
    once it holds a few hundred thousand rows (the cost model prices each index probe as a
    random read): a bulk import's lookups then grow with the table. A lateral join, one row
    at most per key, is always a lookup in the key's unique index. SQLite looks `IN` up in
    the index anyway.
    """
    if session.dialect.name != "postgresql":
        return query.where(key.in_(keys))
    wanted = (
        func.unnest(literal(list(keys), ARRAY(Text))).table_valued("key").render_derived("wanted")
    )
    found = query.where(key == wanted.c.key).limit(1).lateral("found")
    return select(*found.c).select_from(wanted).join(found, true())


def _voided(session: Connection, keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(keys), _IN_CHUNK):
        query = select(VoidedId.c.external_id)
        found.update(
            session.scalars(
                _by_keys(session, query, VoidedId.c.external_id, keys[i : i + _IN_CHUNK])
            )
        )
    return found


def _last_ids(session: Connection) -> tuple[int, int]:
    """The highest row ids of events and attempts: what a recorder finds there before it."""
    ev, qa = LearningEvent.c, QuizAttempt.c
    row = session.execute(
        select(
            select(func.coalesce(func.max(ev.id), 0)).scalar_subquery(),
            select(func.coalesce(func.max(qa.id), 0)).scalar_subquery(),
        )
    ).one()
    return int(row[0]), int(row[1])


def _move(session: Connection, event: Event) -> None:
    """Move a recorded event (an id this recorder wrote) to the earlier time of a repeat."""
    if event.kind is EventKind.quiz:
        qa = QuizAttempt
        stmt = qa.update().where(qa.c.external_id == event.external_id)
        session.execute(stmt.values(created_at=event.at))
    else:
        ev = LearningEvent
        stmt = ev.update().where(ev.c.external_id == event.external_id)
        session.execute(stmt.values(occurred_at=event.at))


def recorded_events(session: Connection, keys: Sequence[str]) -> dict[str, tuple[Event, int]]:
    """Events and attempts already recorded under these ids, as events, with their row ids."""
    ev, qa, q = LearningEvent.c, QuizAttempt.c, Quiz
    found: dict[str, tuple[Event, int]] = {}
    ordered = sorted(set(keys))
    for i in range(0, len(ordered), _IN_CHUNK):
        chunk = ordered[i : i + _IN_CHUNK]
        events = select(
            ev.id,
            ev.external_id,
            ev.kind,
            ev.user_id,
            ev.occurred_at,
            ev.module_id,
            ev.competency_id,
            ev.duration_us,
        )
        for row in session.execute(_by_keys(session, events, ev.external_id, chunk)):
            row_id, key, kind, user_id, at, module_id, competency_id, duration = row
            found[key] = (
                Event(
                    EventKind(kind),
                    user_id,
                    at,
                    module_id=module_id,
                    competency_id=competency_id,
                    duration_us=duration,
                    external_id=key,
                ),
                row_id,
            )
        attempts = select(
            qa.id,
            qa.external_id,
            qa.user_id,
            qa.created_at,
            q.c.module_id,
            qa.quiz_id,
            qa.score,
            qa.total_questions,
            qa.passed,
            qa.answers,
            qa.duration_us,
        ).join(q, q.c.id == qa.quiz_id)
        for attempt in session.execute(_by_keys(session, attempts, qa.external_id, chunk)):
            row_id, key, user_id, at, module_id, quiz_id = tuple(attempt)[:6]
            score, total, passed, answers, duration = tuple(attempt)[6:]
            found[key] = (
                Event(
                    EventKind.quiz,
                    user_id,
                    at,
                    module_id=module_id,
                    quiz_id=quiz_id,
                    score=score,
                    total=total,
                    passed=passed,
                    answers=answers,
                    duration_us=duration,
                    external_id=key,
                ),
                row_id,
            )
    return found


@dataclass(frozen=True)
class Recorded:
    """The outcome of recording one event: the event as it stands, and whether it is new."""

    event: Event
    recorded: bool


def record_one(session: Connection, event: Event) -> Recorded:
    """Record a single command's event: a batch of one; a conflict raises ConflictError."""
    from catalyst_cli.errors import ConflictError

    recorder = Recorder(session)
    recorder.add(event)
    tally = recorder.flush()
    if tally.conflicts:
        raise ConflictError(tally.conflicts[0].message)
    if event.external_id is not None:
        first = recorder.stored(event.external_id)
        if first is not None:
            return Recorded(first, False)
    if tally.voided:
        return Recorded(event, False)
    return Recorded(event, tally.total_recorded > 0)
