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
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import IO, Any, BinaryIO, NamedTuple

from sqlalchemy import Integer, cast, func, literal, null, select, union_all
from sqlalchemy.orm import Session

from catalyst_cli.catalog import CatalogIndex, ModuleRef, catalog_index
from catalyst_cli.db.models import LearningEvent, QuizAttempt, User
from catalyst_cli.db.upsert import dialect_insert
from catalyst_cli.errors import InputError, NotFoundError, unknown
from catalyst_cli.events import COMPETENCY_KINDS, Event, EventKind
from catalyst_cli.formats import DataFormat
from catalyst_cli.progress import Submission, check_key, grade_attempt
from catalyst_cli.recorder import BATCH_EVENTS, Recorder, Tally
from catalyst_cli.timeutil import format_duration, parse_duration, parse_time, to_utc
from catalyst_cli.users import Learner, normalize_email

REQUIRED_COLUMNS = ("user", "event", "module", "quiz", "score", "total", "at", "id")
OPTIONAL_COLUMNS = ("duration", "competency")
COLUMNS = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
BATCH_ROWS = BATCH_EVENTS
MAX_LISTED_ERRORS = 50
_IN_CHUNK = 1000  # values per IN (...) query, well under every driver's parameter limit
_EXTENSIONS = {".csv": DataFormat.csv, ".jsonl": DataFormat.jsonl, ".ndjson": DataFormat.jsonl}
_INTEGER = re.compile(r"[+-]?[0-9]+\Z")
_MAX_INTEGER = 2**31 - 1  # the columns are 32-bit on PostgreSQL

ProgressCallback = Callable[[int, int], None]
"""Called after each batch with the rows read so far and the bytes read so far."""

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


def count_learners(session: Session) -> int:
    """How many learners there are."""
    return session.scalar(select(func.count()).select_from(User)) or 0


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


def _csv_header(header: list[str] | None) -> list[int | None]:
    """Where each of COLUMNS is in the header row (any order, any case; None: absent)."""
    expected = ",".join(REQUIRED_COLUMNS) + f" (optional: {','.join(OPTIONAL_COLUMNS)})"
    if header is None:
        raise InputError(f"empty file: expected the header {expected}")
    names = [h.strip().lower() for h in header]
    for name in names:
        if name not in COLUMNS:
            raise InputError(f"unknown column {name!r} in the header: expected {expected}")
        if names.count(name) > 1:
            raise InputError(f"column {name!r} appears twice in the header")
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise InputError(f"missing column {missing[0]!r} in the header: expected {expected}")
    return [names.index(c) if c in names else None for c in COLUMNS]


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
    width = sum(1 for i in order if i is not None)
    in_order = order == list(range(len(COLUMNS)))
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
            yield RawRow(
                first, tuple([None if i is None else row[i].strip() or None for i in order])
            )


def _json_value(key: str, value: Any) -> str | int | None:
    if value is None:
        return None
    if isinstance(value, str):
        return _cell(value)
    numeric = key in ("score", "total", "duration")
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
        if len(value.lstrip("+-")) > 12:
            raise InputError(f"invalid {name} {value[:20]!r}: too large")
        value = int(value)
    if value is not None and abs(value) > _MAX_INTEGER:
        raise InputError(f"invalid {name} {value}: too large")
    return value


def _duration(value: str | int | None) -> int | None:
    if value is None:
        return None
    return parse_duration(str(value))


class _Resolver:
    """Turns raw rows into events: names to ids (cached), texts to times and numbers."""

    def __init__(
        self, session: Session, index: CatalogIndex, *, create_users: bool, now: datetime
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

    def event(self, row: RawRow) -> Event:
        """Resolve one row into an event; a bad row raises InputError."""
        user, event, module, quiz, score, total, at, key, duration, competency = row.cells
        kind = _event(event)
        learner = self._learner(user)
        external_id = check_key(key) if isinstance(key, str) else None
        spent = _duration(duration)
        if kind is EventKind.quiz:
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
        _none(kind, quiz=quiz, score=score, total=total)
        if kind in COMPETENCY_KINDS:
            _none(kind, module=module, duration=duration)
            if not isinstance(competency, str):
                raise InputError(f"an {kind} row needs a competency")
            competency_id: int | None = self._index.competency(competency).id
            module_id = None
        else:
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


def _none(kind: EventKind, **cells: str | int | None) -> None:
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


def _event(value: str | int | None) -> EventKind:
    names = ", ".join(_EVENTS)
    if not isinstance(value, str):
        raise InputError(f"missing event: use {names}")
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
        before = count_learners(session)
        rows, tally = _import_rows(session, source, fmt, create_users, now, on_progress)
        new_learners = count_learners(session) - before
    finally:
        if savepoint is not None:
            savepoint.rollback()
    return ImportSummary(source.name, rows, new_learners, tally, dry_run)


def _import_rows(
    session: Session,
    source: Source,
    fmt: DataFormat,
    create_users: bool,
    now: datetime,
    on_progress: ProgressCallback | None,
) -> tuple[int, Tally]:
    lines = _Lines(source.stream)
    read = read_csv if fmt is DataFormat.csv else read_jsonl
    recorder = Recorder(session, batch_events=BATCH_ROWS + 1)  # flushed here, once a batch
    resolver = _Resolver(session, catalog_index(session), create_users=create_users, now=now)
    log = _ErrorLog()
    count = 0
    seen_conflicts = 0
    for batch in _batches(read(lines), BATCH_ROWS):
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
        log.add_batch(errors)
        count += len(rows)
        if on_progress is not None:
            on_progress(count, lines.bytes_read)
    if log.count:
        raise ImportFailed(source.name, log.listed, log.count)
    return count, recorder.tally


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

    Starts (revisits too), completions, enrolments, withdrawals and attempts, with their
    durations and ids. Rows come by learner, then time; times are written in `tz`.
    """
    index = catalog_index(session)
    paths = {m.id: m.path for m in index.modules}
    slugs = {q.id: q.slug for q in index.quizzes.values()}
    competencies = {c.id: c.slug for c in index.competencies.values()}
    ev, qa = LearningEvent, QuizAttempt
    no_number = cast(null(), Integer)  # typed, for PostgreSQL
    events = select(
        ev.user_id.label("user_id"),
        ev.kind.label("kind"),
        func.coalesce(ev.module_id, ev.competency_id).label("ref"),
        no_number.label("score"),
        no_number.label("total"),
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
        select(User.email, c.kind, c.ref, c.score, c.total, c.at, c.key, c.duration)
        .join(User, User.id == c.user_id)
        .order_by(c.user_id, c.at, c.kind, c.ref, c.score, c.key)
        .execution_options(yield_per=BATCH_ROWS)
    )
    for email, kind, ref, score, total, at, key, duration in session.execute(stmt):
        yield {
            "user": email,
            "event": kind,
            "module": paths[ref] if kind in ("start", "complete") else None,
            "quiz": slugs[ref] if kind == "quiz" else None,
            "score": score,
            "total": total,
            "at": at.astimezone(tz).isoformat(),
            "id": key,
            "duration": None if duration is None else format_duration(duration),
            "competency": competencies[ref] if kind in ("enrol", "withdraw") else None,
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
