"""Bulk import and export of the learning record, as CSV or JSON lines.

An import reads CSV or JSON lines as a stream, resolves each row into an `Event` with the
same rules as the single commands (`progress.grade_attempt`, the TIME rules) and hands it to
the recorder, the one write path: insert-on-conflict in batches, so memory stays flat in the
file's size and the result does not depend on the order of the rows. Every bad row is
collected; any error fails the import, and the command's transaction is rolled back.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, func, select

from catalyst_cli.catalog import CatalogIndex, ModuleRef, catalog_index
from catalyst_cli.db.models import User
from catalyst_cli.db.upsert import dialect_insert
from catalyst_cli.errors import InputError, NotFoundError, unknown
from catalyst_cli.events import COMPETENCY_KINDS, Event, EventKind
from catalyst_cli.formats import DataFormat
from catalyst_cli.progress import Submission, check_key, grade_attempt
from catalyst_cli.readers import (
    Cell,
    CellKind,
    Column,
    ErrorLog,
    FileFormat,
    Lines,
    RawRow,
    RowError,
    Source,
    batches,
    file_format,
    read_rows,
)
from catalyst_cli.record import iter_record
from catalyst_cli.recorder import BATCH_EVENTS, Recorder, Tally, bulk_gc
from catalyst_cli.timeutil import format_duration, parse_duration, parse_time, to_utc
from catalyst_cli.users import Learner, normalize_email

EVENT_COLUMNS = (
    Column("user"),
    Column("event"),
    Column("module"),
    Column("quiz"),
    Column("score", kind=CellKind.whole),
    Column("total", kind=CellKind.whole),
    Column("at"),
    Column("id"),
    Column("duration", required=False, kind=CellKind.whole),
    Column("competency", required=False),
)
COLUMNS = tuple(c.name for c in EVENT_COLUMNS)
REQUIRED_COLUMNS = tuple(c.name for c in EVENT_COLUMNS if c.required)
BATCH_ROWS = BATCH_EVENTS
_IN_CHUNK = 1000  # values per IN (...) query, well under every driver's parameter limit
_INTEGER = re.compile(r"[+-]?[0-9]+\Z")
_MAX_INTEGER = 2**31 - 1  # the columns are 32-bit on PostgreSQL

ProgressCallback = Callable[[int, int], None]
"""Called after each batch with the rows read so far and the bytes read so far."""

_EVENTS = {k.value: k for k in EventKind}


@dataclass(frozen=True)
class ImportSummary:
    """What an import read and recorded (with `dry_run`: would have recorded)."""

    source: str
    rows: int
    new_learners: int
    tally: Tally
    dry_run: bool

    def describe(self) -> str:
        """The one-line summary the command prints."""
        changes = describe_changes(self.new_learners, self.tally)
        if self.dry_run:
            return f"dry run: {self.source}: {self.rows:,} valid rows would give {changes}"
        return f"imported {self.source}: {self.rows:,} rows, {changes}"


_KIND_WORDS = (
    (EventKind.start, "starts"),
    (EventKind.complete, "completions"),
    (EventKind.quiz, "quiz attempts"),
    (EventKind.enrol, "enrolments"),
    (EventKind.withdraw, "withdrawals"),
)


def describe_changes(new_learners: int, tally: Tally) -> str:
    """Learners added, events recorded by kind, repeats: for one-line summaries."""
    kinds = ", ".join(f"{tally.recorded[k]:,} {word}" for k, word in _KIND_WORDS)
    return (
        f"{new_learners:,} new learners, {tally.total_recorded:,} events recorded ({kinds}), "
        f"{tally.duplicates:,} already recorded"
    )


def count_learners(session: Connection) -> int:
    """How many learners there are."""
    return session.scalar(select(func.count()).select_from(User)) or 0


def ensure_learners(
    session: Connection, people: Iterable[tuple[str, str | None, str]], *, now: datetime
) -> None:
    """Add learners (email, name, zone) that do not exist yet; existing ones are left as they are.

    Emails must be normalised (`normalize_email`) and zones valid.
    """
    rows = [{"email": e, "name": n, "timezone": tz, "created_at": now} for e, n, tz in people]
    if rows:
        stmt = dialect_insert(session, User).on_conflict_do_nothing(index_elements=["email"])
        session.execute(stmt, rows)


def find_learners(session: Connection, emails: Sequence[str]) -> dict[str, Learner]:
    """The learners with these (normalised) emails that exist, by email."""
    found: dict[str, Learner] = {}
    for i in range(0, len(emails), _IN_CHUNK):
        stmt = select(User.c.id, User.c.email, User.c.name, User.c.timezone).where(
            User.c.email.in_(emails[i : i + _IN_CHUNK])
        )
        found.update((row.email, Learner(*row)) for row in session.execute(stmt))
    return found


# --- resolving rows ---------------------------------------------------------------------------


def _whole(name: str, value: Cell) -> int | None:
    if isinstance(value, tuple):
        raise InputError(f"invalid {name}: must be a whole number")
    if isinstance(value, str):
        if not _INTEGER.match(value):
            raise InputError(f"invalid {name} {value!r}: must be a whole number")
        if len(value.lstrip("+-")) > 12:
            raise InputError(f"invalid {name} {value[:20]!r}: too large")
        value = int(value)
    if value is not None and abs(value) > _MAX_INTEGER:
        raise InputError(f"invalid {name} {value}: too large")
    return value


def _duration(value: Cell) -> int | None:
    if value is None:
        return None
    return parse_duration(str(value))


class _Resolver:
    """Turns raw rows into events: names to ids (cached), texts to times and numbers."""

    def __init__(
        self, session: Connection, index: CatalogIndex, *, create_users: bool, now: datetime
    ) -> None:
        self._session = session
        self._index = index
        self._create_users = create_users
        self._now = now
        self._learners: dict[str, Learner] = {}
        self._modules: dict[str, ModuleRef] = {}

    def prefetch(self, rows: Iterable[RawRow]) -> None:
        """Look up (or, with create_users, add) the learners of a batch in a few queries."""
        wanted: set[str] = set()
        for row in rows:
            email = row.cells[0]
            if isinstance(email, str):
                key = email.lower()
                if key not in self._learners:
                    wanted.add(key)
        if not wanted:
            return
        missing = sorted(wanted)
        if self._create_users:
            valid = [e for e in missing if _is_email(e)]
            ensure_learners(self._session, ((e, None, "UTC") for e in valid), now=self._now)
        self._learners.update(find_learners(self._session, missing))

    def _learner(self, email: Cell) -> Learner:
        if not isinstance(email, str):
            raise InputError("missing user")
        learner = self._learners.get(email.lower())
        if learner is not None:
            return learner
        normalize_email(email)
        raise NotFoundError(
            f"unknown user {email!r}: add it with `catalyst users add {email}`, "
            "or import with --create-users"
        )

    def _module(self, ref: str) -> ModuleRef:
        module = self._modules.get(ref)
        if module is None:
            module = self._modules[ref] = self._index.module(ref)
        return module

    def event(self, row: RawRow) -> Event:
        """Resolve one row into an event; a bad row raises InputError."""
        user, event, module, quiz, score, total, at, key, duration, competency = row.cells
        kind = _event(event)
        learner = self._learner(user)
        external_id = check_key(key) if isinstance(key, str) else None
        spent = _duration(duration)
        if kind is EventKind.quiz:
            if module is not None or competency is not None:
                _none(kind, module=module, competency=competency)
            if not isinstance(quiz, str):
                raise InputError("missing quiz")
            ref = self._index.quiz(quiz)
            s, t = _whole("score", score), _whole("total", total)
            if s is None or t is None:
                raise InputError("a quiz row needs a score and a total")
            return grade_attempt(
                learner.id,
                ref,
                Submission(score=s, total=t),
                _time(at, learner),
                external_id=external_id,
                duration_us=spent,
                line=row.line,
            )
        if quiz is not None or score is not None or total is not None:
            _none(kind, quiz=quiz, score=score, total=total)
        if kind in COMPETENCY_KINDS:
            if module is not None or duration is not None:
                _none(kind, module=module, duration=duration)
            if not isinstance(competency, str):
                raise InputError(f"an {kind} row needs a competency")
            competency_id: int | None = self._index.competency(competency).id
            module_id = None
        else:
            if competency is not None:
                _none(kind, competency=competency)
            if not isinstance(module, str):
                raise InputError("missing module")
            competency_id, module_id = None, self._module(module).id
        return Event(
            kind,
            learner.id,
            to_utc(_time(at, learner)),
            module_id=module_id,
            competency_id=competency_id,
            duration_us=spent,
            external_id=external_id,
            line=row.line,
        )


_ONLY = {
    "quiz": "only quiz rows do",
    "score": "only quiz rows do",
    "total": "only quiz rows do",
    "competency": "only enrol and withdraw rows do",
    "module": "only start and complete rows do",
    "duration": "only start, complete and quiz rows do",
}


def _none(kind: EventKind, **cells: Cell) -> None:
    """Refuse cells a row of this kind does not take."""
    for name, value in cells.items():
        if value is None:
            continue
        if kind is EventKind.quiz and name == "module":
            raise InputError("a quiz row leaves module empty: the module comes from the quiz")
        raise InputError(f"a {kind} row takes no {name}: {_ONLY[name]}")


def _is_email(value: str) -> bool:
    try:
        normalize_email(value)
    except InputError:
        return False
    return True


def _event(value: Cell) -> EventKind:
    if not isinstance(value, str):
        raise InputError(f"missing event: use {', '.join(_EVENTS)}")
    kind = _EVENTS.get(value) or _EVENTS.get(value.lower())
    if kind is None:
        raise unknown("event", value, _EVENTS)
    return kind


def _time(value: Cell, learner: Learner) -> datetime:
    if not isinstance(value, str):
        raise InputError("missing time in the 'at' column")
    return parse_time(value, learner.tz)


# --- import -----------------------------------------------------------------------------------


def import_format(path: str, given: DataFormat | None) -> FileFormat:
    """The format to read: as given, else by the file's extension; stdin is CSV."""
    if given is not None and given not in (DataFormat.csv, DataFormat.jsonl):
        raise InputError(f"cannot import {given.value}: use csv or jsonl")
    return file_format(path, None if given is None else FileFormat(given.value))


XAPI = "xapi"


def choose_format(path: str, given: str | None) -> str:
    """`csv`, `jsonl` or `xapi`: as given, else by the extension and the file's first bytes.

    `.json` is xAPI; `.jsonl` is catalyst's rows unless its first line is a statement; another
    extension is xAPI when the content is JSON (an array, a statement, an LRS page).
    """
    if given is not None:
        return given
    suffix = Path(path).suffix.lower()
    if path == "-" or suffix == ".csv":
        return DataFormat.csv.value
    if suffix == ".json":
        return XAPI
    if looks_like_xapi(Path(path)):
        return XAPI
    return import_format(path, None).value


def looks_like_xapi(path: Path) -> bool:
    """Whether a file holds xAPI statements rather than catalyst's rows, from its start."""
    try:
        with path.open("rb") as handle:
            head = handle.read(1 << 16)
    except OSError:
        return False
    text = head.decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    if text.startswith("["):
        return True
    if not text.startswith("{"):
        return False
    try:
        value = json.loads(text.split("\n", 1)[0])
    except ValueError:
        return True  # an object spanning lines: one statement or an LRS page
    return isinstance(value, dict) and ("verb" in value or "statements" in value)


def import_events(
    session: Connection,
    source: Source,
    *,
    fmt: FileFormat,
    create_users: bool,
    dry_run: bool,
    now: datetime,
    on_progress: ProgressCallback | None = None,
) -> ImportSummary:
    """Import every row of `source`, or raise ImportFailed listing the bad rows.

    A dry run does all the work in a savepoint that it rolls back, so its counts are exactly
    what the import would change.
    """
    savepoint = session.begin_nested() if dry_run else None
    try:
        before = count_learners(session)
        with bulk_gc():
            rows, tally = _import_rows(session, source, fmt, create_users, now, on_progress)
        new_learners = count_learners(session) - before
    finally:
        if savepoint is not None:
            savepoint.rollback()
    return ImportSummary(source.name, rows, new_learners, tally, dry_run)


def _import_rows(
    session: Connection,
    source: Source,
    fmt: FileFormat,
    create_users: bool,
    now: datetime,
    on_progress: ProgressCallback | None,
) -> tuple[int, Tally]:
    lines = Lines(source.stream)
    recorder = Recorder(session, batch_events=BATCH_ROWS + 1)  # flushed here, once a batch
    resolver = _Resolver(session, catalog_index(session), create_users=create_users, now=now)
    log = ErrorLog()
    count = 0
    seen_conflicts = 0
    for batch in batches(read_rows(lines, fmt, EVENT_COLUMNS), BATCH_ROWS):
        errors = [r for r in batch if isinstance(r, RowError)]
        rows = [r for r in batch if isinstance(r, RawRow)]
        resolver.prefetch(rows)
        for row in rows:
            try:
                recorder.add(resolver.event(row))
            except InputError as exc:
                errors.append(RowError(row.line, str(exc)))
        tally = recorder.flush()
        errors.extend(RowError(c.line, c.message) for c in tally.conflicts[seen_conflicts:])
        seen_conflicts = len(tally.conflicts)
        log.add(errors)
        count += len(rows)
        if on_progress is not None:
            on_progress(count, lines.bytes_read)
    log.raise_if_any(source.name)
    return count, recorder.tally


# --- export -----------------------------------------------------------------------------------


def export_events(
    session: Connection, *, as_of: datetime | None, tz: tzinfo
) -> Iterator[dict[str, Any]]:
    """Every recorded event (at or before `as_of`, if given) as an import row, streamed.

    Starts (revisits too), completions, enrolments, withdrawals and attempts, with their
    durations and ids. Rows come by learner, then time; times are written in `tz`.
    """
    index = catalog_index(session)
    paths = {m.id: m.path for m in index.modules}
    slugs = {q.id: q.slug for q in index.quizzes.values()}
    competencies = {c.id: c.slug for c in index.competencies.values()}
    for r in iter_record(session, as_of=as_of):
        kind = r.kind
        yield {
            "user": r.email,
            "event": kind,
            "module": paths[r.ref] if kind in ("start", "complete") else None,
            "quiz": slugs[r.ref] if kind == "quiz" else None,
            "score": r.score,
            "total": r.total,
            "at": r.at.astimezone(tz).isoformat(),
            "id": r.key,
            "duration": None if r.duration_us is None else format_duration(r.duration_us),
            "competency": competencies[r.ref] if kind in ("enrol", "withdraw") else None,
        }


def write_events(rows: Iterable[dict[str, Any]], fmt: DataFormat, out: IO[str]) -> int:
    """Write rows in the import's form; returns how many.

    CSV cells are written as they are, with no formula neutralising: this is data for `import`,
    and an email starting with `=` must come back unchanged.
    """
    count = 0
    if fmt is DataFormat.jsonl:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False))
            out.write("\n")
            count += 1
        return count
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([row[c] for c in COLUMNS])
        count += 1
    return count
