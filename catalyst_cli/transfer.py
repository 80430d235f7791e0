"""Bulk import and export of progress events, through the write path of the single commands.

An import reads CSV or JSON lines as a stream, resolves each row with the same rules as `start`,
`complete` and `quiz submit` (`grade_submission`, the changes of `progress.py`), and applies them
in batches with `record_attempts` and `apply_progress`: executemany insert-on-conflict, so memory
stays flat in the file's size and the result does not depend on the order of the rows. Every bad
row is collected; any error fails the import, and the command's transaction is rolled back.
"""

from __future__ import annotations

import csv
import enum
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import IO, Any, BinaryIO, NamedTuple
from typing import cast as typed

from sqlalchemy import (
    Integer,
    String,
    Table,
    bindparam,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from catalyst_cli.catalog import CatalogIndex, ModuleRef, QuizRef, catalog_index
from catalyst_cli.db.models import LearningProgress, QuizAttempt, User
from catalyst_cli.db.upsert import dialect_insert
from catalyst_cli.errors import InputError, NotFoundError, unknown
from catalyst_cli.formats import DataFormat
from catalyst_cli.progress import (
    Attempt,
    ProgressChange,
    Submission,
    apply_progress,
    completion_change,
    grade_submission,
    record_attempts,
    recorded_attempts,
    start_change,
)
from catalyst_cli.timeutil import parse_time
from catalyst_cli.users import Learner, normalize_email

COLUMNS = ("user", "event", "module", "quiz", "score", "total", "at", "id")
BATCH_ROWS = 10_000
MAX_LISTED_ERRORS = 50
_IN_CHUNK = 1000  # values per IN (...) query, well under every driver's parameter limit
_EXTENSIONS = {".csv": DataFormat.csv, ".jsonl": DataFormat.jsonl, ".ndjson": DataFormat.jsonl}
_INTEGER = re.compile(r"[+-]?[0-9]+\Z")
_MAX_INTEGER = 2**31 - 1  # the columns are 32-bit on PostgreSQL

ProgressCallback = Callable[[int, int], None]
"""Called after each batch with the rows read so far and the bytes read so far."""


class EventKind(enum.StrEnum):
    """The `event` column's values."""

    start = "start"
    complete = "complete"
    quiz = "quiz"


_EVENTS = {k.value: k for k in EventKind}


@dataclass(frozen=True)
class RowError:
    """One bad row: its physical line (the header is line 1) and what is wrong with it."""

    line: int
    message: str


class ImportFailed(InputError):
    """A file with bad rows: the first errors listed as FILE:LINE: message, nothing written."""

    def __init__(self, source: str, errors: Sequence[RowError], count: int) -> None:
        lines = [f"{source}:{e.line}: {e.message}" for e in errors]
        if count > len(errors):
            lines.append(f"... and {count - len(errors)} more errors")
        plural = "error" if count == 1 else "errors"
        lines.append(f"nothing was imported: {count} {plural} in {source}")
        super().__init__("\n".join(lines))
        self.errors = tuple(errors)
        self.count = count


@dataclass(frozen=True)
class Counts:
    """Row counts of the tables an import writes."""

    users: int
    starts: int
    completions: int
    attempts: int

    def __sub__(self, other: Counts) -> Counts:
        return Counts(
            self.users - other.users,
            self.starts - other.starts,
            self.completions - other.completions,
            self.attempts - other.attempts,
        )


@dataclass(frozen=True)
class ImportSummary:
    """What an import read and changed (with `dry_run`: would have changed)."""

    source: str
    rows: int
    changes: Counts
    dry_run: bool

    def describe(self) -> str:
        """The one-line summary the command prints."""
        c = self.changes
        changes = (
            f"{c.users:,} new learners, {c.starts:,} modules started, "
            f"{c.completions:,} completed, {c.attempts:,} quiz attempts recorded"
        )
        if self.dry_run:
            return f"dry run: {self.source}: {self.rows:,} valid rows would give {changes}"
        return f"imported {self.source}: {self.rows:,} rows, {changes}"


def table_counts(session: Session) -> Counts:
    """How many learners, progress rows, completed modules and attempts there are."""
    completed = select(func.count()).where(LearningProgress.completed_at.is_not(None))
    row = session.execute(
        select(
            select(func.count()).select_from(User).scalar_subquery(),
            select(func.count()).select_from(LearningProgress).scalar_subquery(),
            completed.select_from(LearningProgress).scalar_subquery(),
            select(func.count()).select_from(QuizAttempt).scalar_subquery(),
        )
    ).one()
    return Counts(*row)


class EventFeed:
    """Resolved events, applied in batches through the write path of the single commands.

    `start`, `complete` and `quiz` take the same values as the commands once names are resolved,
    and apply the same rules; `flush` writes the batch and returns the conflicts it found. Both
    `catalyst import` and `catalyst seed` write through this class. `line` numbers the event
    in conflict messages.
    """

    def __init__(self, session: Session, *, batch_rows: int = BATCH_ROWS) -> None:
        self._session = session
        self._batch_rows = batch_rows
        self._changes: list[ProgressChange] = []
        self._attempts: list[tuple[int, Attempt]] = []
        self._conflicts: list[RowError] = []
        self._mark = session.scalar(select(func.coalesce(func.max(QuizAttempt.id), 0))) or 0

    def start(self, user_id: int, module_id: int, at: datetime) -> None:
        """A start of the module at `at`."""
        self._changes.append(start_change(user_id, module_id, at))
        self._maybe_flush()

    def complete(self, user_id: int, module_id: int, at: datetime) -> None:
        """A completion of the module at `at` (a start too, if it was not started before)."""
        self._changes.append(completion_change(user_id, module_id, at))
        self._maybe_flush()

    def quiz(
        self,
        line: int,
        user_id: int,
        quiz: QuizRef,
        submission: Submission,
        at: datetime,
        external_id: str | None,
    ) -> None:
        """A quiz attempt, graded and validated as `quiz submit` does; bad input raises."""
        self.attempt(line, grade_submission(user_id, quiz, submission, at, external_id))

    def attempt(self, line: int, attempt: Attempt) -> None:
        """An attempt graded by `grade_submission`."""
        self._attempts.append((line, attempt))
        self._maybe_flush()

    def _maybe_flush(self) -> None:
        if len(self._changes) + len(self._attempts) >= self._batch_rows:
            self._write()

    def flush(self) -> list[RowError]:
        """Write what is buffered; return the conflicts found since the last flush."""
        self._write()
        conflicts, self._conflicts = self._conflicts, []
        return conflicts

    def _write(self) -> None:
        changes, self._changes = self._changes, []
        attempts, self._attempts = self._attempts, []
        if attempts:
            changes.extend(a.progress() for a in self._record(attempts))
        apply_progress(self._session, changes)

    def _record(self, attempts: list[tuple[int, Attempt]]) -> list[Attempt]:
        """Record a batch of attempts; return those recorded, whose progress is then applied.

        Without a key, an attempt repeated exactly counts once. With a key, every line is
        compared with the key's first line (a different content is a conflict) and, whatever
        the order of the lines, the earliest time of the file is the one recorded. A key that
        was recorded before this import keeps its attempt, as with `quiz submit --id`.
        """
        unique: list[Attempt] = []
        contents: set[tuple[int, int, datetime, int, int]] = set()
        keyed: dict[str, tuple[int, Attempt]] = {}
        for line, a in attempts:
            if a.external_id is None:
                content = (a.user_id, a.quiz_id, a.created_at, a.score, a.total)
                if content not in contents:
                    contents.add(content)
                    unique.append(a)
                continue
            first = keyed.get(a.external_id)
            if first is None or (a.same_content(first[1]) and a.created_at < first[1].created_at):
                keyed[a.external_id] = (line if first is None else first[0], a)
            elif not a.same_content(first[1]):
                self._conflict(line, a.external_id, f"was given on line {first[0]}")
        unique.extend(a for _, a in keyed.values())
        inserted = record_attempts(self._session, unique)
        done = {a.external_id for a in inserted}
        skipped = {key: first for key, first in keyed.items() if key not in done}
        if skipped:
            inserted.extend(self._repeats(skipped))
        return inserted

    def _repeats(self, skipped: dict[str, tuple[int, Attempt]]) -> list[Attempt]:
        """Check keys already recorded; move this file's attempts to an earlier time of it."""
        recorded = recorded_attempts(self._session, skipped)
        ours = self._recorded_by_this_feed(list(skipped))
        earlier: list[Attempt] = []
        for key, (line, a) in skipped.items():
            first = recorded[key]
            if not a.same_content(first):
                where = "was given earlier in this file" if key in ours else "was already recorded"
                self._conflict(line, key, where)
            elif key in ours and a.created_at < first.created_at:
                earlier.append(a)
        if earlier:
            table = typed(Table, QuizAttempt.__table__)
            stmt = (
                update(table)
                .where(table.c.external_id == bindparam("key"))
                .values(created_at=bindparam("moved_to"))
            )
            self._session.execute(
                stmt, [{"key": a.external_id, "moved_to": a.created_at} for a in earlier]
            )
        return earlier

    def _conflict(self, line: int, key: str, where: str) -> None:
        message = f"conflict: attempt id {key!r} {where} with different content"
        self._conflicts.append(RowError(line, message))

    def _recorded_by_this_feed(self, keys: list[str]) -> set[str]:
        """Keys among `keys` first recorded by this feed (after the attempts that were there)."""
        found: set[str] = set()
        for i in range(0, len(keys), _IN_CHUNK):
            found.update(
                self._session.scalars(
                    select(QuizAttempt.external_id).where(
                        QuizAttempt.external_id.in_(keys[i : i + _IN_CHUNK]),
                        QuizAttempt.id > self._mark,
                    )
                )
            )
        return found


def ensure_learners(
    session: Session, people: Iterable[tuple[str, str | None, str]], *, now: datetime
) -> None:
    """Add learners (email, name, zone) that do not exist yet; existing ones are left as they are.

    Emails must be normalised (`normalize_email`) and zones valid.
    """
    rows = [{"email": e, "name": n, "timezone": tz, "created_at": now} for e, n, tz in people]
    if rows:
        stmt = dialect_insert(session, User).on_conflict_do_nothing(index_elements=["email"])
        session.execute(stmt, rows)


def find_learners(session: Session, emails: Sequence[str]) -> dict[str, Learner]:
    """The learners with these (normalised) emails that exist, by email."""
    found: dict[str, Learner] = {}
    for i in range(0, len(emails), _IN_CHUNK):
        stmt = select(User.id, User.email, User.name, User.timezone).where(
            User.email.in_(emails[i : i + _IN_CHUNK])
        )
        found.update((row.email, Learner(*row)) for row in session.execute(stmt))
    return found


# --- reading files ----------------------------------------------------------------------------


class RawRow(NamedTuple):
    """One data row as read, cells in COLUMNS order (None for an empty cell)."""

    line: int
    cells: tuple[str | int | None, ...]


@dataclass
class _Lines:
    """The physical lines of a byte stream as text, with UTF-8 errors and bytes read noted."""

    stream: BinaryIO
    bytes_read: int = 0
    bad: dict[int, str] | None = None

    def __iter__(self) -> Iterator[str]:
        for number, raw in enumerate(self.stream, 1):
            self.bytes_read += len(raw)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                if self.bad is None:
                    self.bad = {}
                self.bad[number] = (
                    f"invalid UTF-8: byte 0x{raw[exc.start]:02x} at column {exc.start + 1}"
                )
                text = raw.decode("utf-8", "replace")
            if number == 1:
                text = text.removeprefix("\ufeff")
            yield text

    def bad_in(self, first: int, last: int) -> RowError | None:
        """The UTF-8 error of a line in first..last, if there is one."""
        if not self.bad:
            return None
        for number in range(first, last + 1):
            message = self.bad.pop(number, None)
            if message is not None:
                return RowError(number, message)
        return None


def _cell(value: str) -> str | None:
    return value.strip() or None


def _csv_header(header: list[str] | None) -> list[int]:
    """Where each of COLUMNS is in the header row (any order, any case)."""
    expected = ",".join(COLUMNS)
    if header is None:
        raise InputError(f"empty file: expected the header {expected}")
    names = [h.strip().lower() for h in header]
    for name in names:
        if name not in COLUMNS:
            raise InputError(f"unknown column {name!r} in the header: expected {expected}")
        if names.count(name) > 1:
            raise InputError(f"column {name!r} appears twice in the header")
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise InputError(f"missing column {missing[0]!r} in the header: expected {expected}")
    return [names.index(c) for c in COLUMNS]


def read_csv(lines: _Lines) -> Iterator[RawRow | RowError]:
    """Data rows of a CSV file with the COLUMNS header, or the error of each bad row."""
    reader = csv.reader(lines)
    try:
        order = _csv_header(next(reader, None))
    except (InputError, csv.Error) as exc:
        yield lines.bad_in(1, max(reader.line_num, 1)) or RowError(1, str(exc))
        return
    bad = lines.bad_in(1, reader.line_num)
    if bad is not None:
        yield bad
        return
    width = len(order)
    in_order = order == list(range(width))
    last = reader.line_num
    while True:
        first = last + 1
        try:
            row = next(reader, None)
        except csv.Error as exc:
            last = reader.line_num
            yield lines.bad_in(first, last) or RowError(first, f"unreadable CSV: {exc}")
            continue
        if row is None:
            return
        last = reader.line_num
        bad = lines.bad_in(first, last)
        if bad is not None:
            yield bad
        elif len(row) != width:
            if len(row) > 1 or (row and row[0].strip()):  # else a blank line
                yield RowError(first, f"expected {width} columns, found {len(row)}")
        elif in_order:
            yield RawRow(first, tuple([c.strip() or None for c in row]))
        else:
            yield RawRow(first, tuple([row[i].strip() or None for i in order]))


def _json_value(key: str, value: Any) -> str | int | None:
    if value is None:
        return None
    if isinstance(value, str):
        return _cell(value)
    numeric = key in ("score", "total")
    if numeric and isinstance(value, int) and not isinstance(value, bool):
        return value
    expected = "a string or a whole number" if numeric else "a string"
    raise InputError(f"{key!r} must be {expected}, not {json.dumps(value)}")


def read_jsonl(lines: _Lines) -> Iterator[RawRow | RowError]:
    """Data rows of a JSON-lines file (one object with COLUMNS as keys per line)."""
    for number, text in enumerate(lines, 1):
        bad = lines.bad_in(number, number)
        if bad is not None:
            yield bad
            continue
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
            if not isinstance(obj, dict):
                raise InputError(f"expected a JSON object with the keys {', '.join(COLUMNS)}")
            strays = [k for k in obj if k not in COLUMNS]
            if strays:
                raise InputError(f"unknown key {strays[0]!r}: expected {', '.join(COLUMNS)}")
            yield RawRow(number, tuple(_json_value(c, obj.get(c)) for c in COLUMNS))
        except json.JSONDecodeError as exc:
            yield RowError(number, f"invalid JSON: {exc.msg} at column {exc.colno}")
        except InputError as exc:
            yield RowError(number, str(exc))


# --- resolving rows ---------------------------------------------------------------------------


def _whole(name: str, value: str | int | None) -> int | None:
    if isinstance(value, str):
        if not _INTEGER.match(value):
            raise InputError(f"invalid {name} {value!r}: must be a whole number")
        value = int(value)
    if value is not None and abs(value) > _MAX_INTEGER:
        raise InputError(f"invalid {name} {value}: too large")
    return value


class _Resolver:
    """Turns raw rows into feed calls: names to ids (cached), texts to times and numbers."""

    def __init__(
        self,
        session: Session,
        index: CatalogIndex,
        feed: EventFeed,
        *,
        create_users: bool,
        now: datetime,
    ) -> None:
        self._session = session
        self._index = index
        self._feed = feed
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

    def _learner(self, email: str | int | None) -> Learner:
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

    def feed(self, row: RawRow) -> None:
        """Resolve one row and pass it to the feed; a bad row raises InputError."""
        user, event, module, quiz, score, total, at, key = row.cells
        kind = _event(event)
        learner = self._learner(user)
        if kind is EventKind.quiz:
            if module is not None:
                raise InputError("a quiz row leaves module empty: the module comes from the quiz")
            if not isinstance(quiz, str):
                raise InputError("missing quiz")
            ref = self._index.quiz(quiz)
            s, t = _whole("score", score), _whole("total", total)
            if s is None or t is None:
                raise InputError("a quiz row needs a score and a total")
            when = _time(at, learner)
            external_id = key if isinstance(key, str) else None
            self._feed.quiz(
                row.line, learner.id, ref, Submission(score=s, total=t), when, external_id
            )
            return
        if quiz is not None or score is not None or total is not None or key is not None:
            given = (("quiz", quiz), ("score", score), ("total", total), ("id", key))
            extra = next(name for name, value in given if value is not None)
            raise InputError(f"a {kind} row takes no {extra}: only quiz rows do")
        if not isinstance(module, str):
            raise InputError("missing module")
        module_id = self._module(module).id
        when = _time(at, learner)
        if kind is EventKind.start:
            self._feed.start(learner.id, module_id, when)
        else:
            self._feed.complete(learner.id, module_id, when)


def _is_email(value: str) -> bool:
    try:
        normalize_email(value)
    except InputError:
        return False
    return True


def _event(value: str | int | None) -> EventKind:
    if not isinstance(value, str):
        raise InputError("missing event: use start, complete or quiz")
    kind = _EVENTS.get(value) or _EVENTS.get(value.lower())
    if kind is None:
        raise unknown("event", value, _EVENTS)
    return kind


def _time(value: str | int | None, learner: Learner) -> datetime:
    if not isinstance(value, str):
        raise InputError("missing time in the 'at' column")
    return parse_time(value, learner.tz)


class _ErrorLog:
    """The first MAX_LISTED_ERRORS errors in line order, and how many there were."""

    def __init__(self) -> None:
        self.listed: list[RowError] = []
        self.count = 0

    def add_batch(self, errors: list[RowError]) -> None:
        """Errors of one batch; batches come in file order."""
        self.count += len(errors)
        room = MAX_LISTED_ERRORS - len(self.listed)
        if room > 0:
            self.listed.extend(sorted(errors, key=lambda e: e.line)[:room])


# --- import -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """An events file opened for reading: its bytes, its name for messages, its size if known."""

    stream: BinaryIO
    name: str
    size: int | None


@contextmanager
def open_source(path: str, stdin: BinaryIO) -> Iterator[Source]:
    """The file to import, `-` being `stdin`; an unreadable file is a NotFoundError."""
    if path == "-":
        yield Source(stdin, "<stdin>", None)
        return
    try:
        stream = Path(path).open("rb")
        size = os.fstat(stream.fileno()).st_size
    except OSError as exc:
        raise NotFoundError(f"cannot read {path!r}: {exc.strerror}") from None
    with stream:
        yield Source(stream, path, size)


def import_format(path: str, given: DataFormat | None) -> DataFormat:
    """The format to read: as given, else by the file's extension; stdin is CSV."""
    fmt = given
    if fmt is None:
        fmt = DataFormat.csv if path == "-" else _EXTENSIONS.get(Path(path).suffix.lower())
    if fmt is None:
        raise InputError(
            f"cannot tell the format of {path!r} from its extension (.csv, .jsonl): "
            "pass --format csv or --format jsonl"
        )
    if fmt not in (DataFormat.csv, DataFormat.jsonl):
        raise InputError(f"cannot import {fmt.value}: use csv or jsonl")
    return fmt


def import_events(
    session: Session,
    source: Source,
    *,
    fmt: DataFormat,
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
        before = table_counts(session)
        rows = _import_rows(session, source, fmt, create_users, now, on_progress)
        changes = table_counts(session) - before
    finally:
        if savepoint is not None:
            savepoint.rollback()
    return ImportSummary(source.name, rows, changes, dry_run)


def _import_rows(
    session: Session,
    source: Source,
    fmt: DataFormat,
    create_users: bool,
    now: datetime,
    on_progress: ProgressCallback | None,
) -> int:
    lines = _Lines(source.stream)
    read = read_csv if fmt is DataFormat.csv else read_jsonl
    feed = EventFeed(session)
    resolver = _Resolver(session, catalog_index(session), feed, create_users=create_users, now=now)
    log = _ErrorLog()
    count = 0
    for batch in _batches(read(lines), BATCH_ROWS):
        errors = [r for r in batch if isinstance(r, RowError)]
        rows = [r for r in batch if isinstance(r, RawRow)]
        resolver.prefetch(rows)
        for row in rows:
            try:
                resolver.feed(row)
            except InputError as exc:
                errors.append(RowError(row.line, str(exc)))
        errors.extend(feed.flush())
        log.add_batch(errors)
        count += len(rows)
        if on_progress is not None:
            on_progress(count, lines.bytes_read)
    if log.count:
        raise ImportFailed(source.name, log.listed, log.count)
    return count


def _batches(items: Iterator[RawRow | RowError], size: int) -> Iterator[list[RawRow | RowError]]:
    batch: list[RawRow | RowError] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# --- export -----------------------------------------------------------------------------------


def export_events(
    session: Session, *, as_of: datetime | None, tz: tzinfo
) -> Iterator[dict[str, Any]]:
    """Every recorded event (at or before `as_of`, if given) as an import row, streamed.

    A progress row gives a start, and a completion if completed; each attempt gives a quiz row.
    Rows come by learner, then time; times are written in `tz` with their offset.
    """
    index = catalog_index(session)
    paths = {m.id: m.path for m in index.modules}
    slugs = {q.id: q.slug for q in index.quizzes.values()}
    lp, qa = LearningProgress, QuizAttempt
    no_number, no_key = cast(null(), Integer), cast(null(), String)  # typed, for PostgreSQL
    starts = select(
        lp.user_id.label("user_id"),
        literal(0).label("kind"),
        lp.module_id.label("ref"),
        no_number.label("score"),
        no_number.label("total"),
        lp.started_at.label("at"),
        no_key.label("key"),
    )
    completions = select(
        lp.user_id, literal(1), lp.module_id, no_number, no_number, lp.completed_at, no_key
    ).where(lp.completed_at.is_not(None))
    attempts = select(
        qa.user_id,
        literal(2),
        qa.quiz_id,
        qa.score,
        qa.total_questions,
        qa.created_at,
        qa.external_id,
    )
    if as_of is not None:
        starts = starts.where(lp.started_at <= as_of)
        completions = completions.where(lp.completed_at <= as_of)
        attempts = attempts.where(qa.created_at <= as_of)
    events = union_all(starts, completions, attempts).subquery()
    stmt = (
        select(
            User.email,
            events.c.kind,
            events.c.ref,
            events.c.score,
            events.c.total,
            events.c.at,
            events.c.key,
        )
        .join(User, User.id == events.c.user_id)
        .order_by(
            events.c.user_id, events.c.at, events.c.kind, events.c.ref, events.c.score, events.c.key
        )
        .execution_options(yield_per=BATCH_ROWS)
    )
    for email, kind, ref, score, total, at, key in session.execute(stmt):
        if kind == 2:
            yield {
                "user": email,
                "event": "quiz",
                "module": None,
                "quiz": slugs[ref],
                "score": score,
                "total": total,
                "at": at.astimezone(tz).isoformat(),
                "id": key,
            }
        else:
            yield {
                "user": email,
                "event": "complete" if kind else "start",
                "module": paths[ref],
                "quiz": None,
                "score": None,
                "total": None,
                "at": at.astimezone(tz).isoformat(),
                "id": None,
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
