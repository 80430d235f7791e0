"""Reading CSV and JSON-lines files into raw rows, with every bad line noted: no database here.

A file is read as a stream of physical lines. A row is a `RawRow` (its first physical line, the
header being line 1, and its cells in the order of the `Column`s asked for), a bad line a
`RowError`. Callers resolve the rows, collect errors with `ErrorLog`, and raise `ImportFailed`,
which lists them as `FILE:LINE: message`.
"""

from __future__ import annotations

import csv
import enum
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from catalyst_cli.errors import InputError, NotFoundError

MAX_LISTED_ERRORS = 50
_CHUNK_BYTES = 1 << 16  # lines are read and decoded about this many bytes at a time


class FileFormat(enum.StrEnum):
    """The formats rows are read from."""

    csv = "csv"
    jsonl = "jsonl"


EXTENSIONS = {".csv": FileFormat.csv, ".jsonl": FileFormat.jsonl, ".ndjson": FileFormat.jsonl}


class CellKind(enum.Enum):
    """What a JSON value of a column may be (a CSV cell is always text)."""

    text = "a string"
    whole = "a string or a whole number"
    items = "a string or a list of strings"


@dataclass(frozen=True)
class Column:
    """A column of a file: its name, whether a CSV header must have it, its JSON kind."""

    name: str
    required: bool = True
    kind: CellKind = CellKind.text


Cell = str | int | tuple[str, ...] | None
"""A cell as read: trimmed text (None when empty or absent), a number or a list from JSON."""


class RawRow(NamedTuple):
    """One data row as read, cells in the order of the columns asked for."""

    line: int
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class RowError:
    """One bad row: its physical line (the header is line 1) and what is wrong with it."""

    line: int
    message: str


class ImportFailed(InputError):
    """A file with bad rows: the first errors listed as FILE:LINE: message, nothing written."""

    def __init__(self, source: str, errors: Sequence[RowError], count: int) -> None:
        listed = [f"{source}:{e.line}: {e.message}" for e in errors]
        super().__init__(failure_message(source, listed, count))
        self.errors = tuple(errors)
        self.count = count


def failure_message(source: str, listed: Sequence[str], count: int) -> str:
    """The errors of a refused import, each `POSITION: message`: one bad row is one line."""
    if count == 1 and len(listed) == 1:
        return f"{listed[0]} (nothing was imported)"
    lines = list(listed)
    if count > len(listed):
        lines.append(f"... and {count - len(listed)} more errors")
    lines.append(f"nothing was imported: {count} errors in {source}")
    return "\n".join(lines)


class ErrorLog:
    """The first MAX_LISTED_ERRORS errors in line order, and how many there were."""

    def __init__(self) -> None:
        self.listed: list[RowError] = []
        self.count = 0

    def add(self, errors: Sequence[RowError]) -> None:
        """Errors of one batch; batches come in file order."""
        self.count += len(errors)
        room = MAX_LISTED_ERRORS - len(self.listed)
        if room > 0:
            self.listed.extend(sorted(errors, key=lambda e: e.line)[:room])

    def raise_if_any(self, source: str) -> None:
        """Raise ImportFailed when any error was added."""
        if self.count:
            raise ImportFailed(source, self.listed, self.count)


# --- sources ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """A file opened for reading: its bytes, its name for messages, its size if known."""

    stream: BinaryIO
    name: str
    size: int | None


@contextmanager
def open_source(path: str, stdin: BinaryIO) -> Iterator[Source]:
    """The file to read, `-` being `stdin`; an unreadable file is a NotFoundError."""
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


def file_format(path: str, given: FileFormat | None) -> FileFormat:
    """The format to read: as given, else by the file's extension; stdin is CSV."""
    if given is not None:
        return given
    if path == "-":
        return FileFormat.csv
    found = EXTENSIONS.get(Path(path).suffix.lower())
    if found is None:
        raise InputError(
            f"cannot tell the format of {path!r} from its extension (.csv, .jsonl): "
            "pass --format csv or --format jsonl"
        )
    return found


# --- lines ------------------------------------------------------------------------------------


@dataclass
class Lines:
    """The physical lines of a byte stream as text, with UTF-8 errors and bytes read noted.

    Read in chunks of whole lines: `bytes_read` runs up to one chunk ahead of the lines taken.
    """

    stream: BinaryIO
    bytes_read: int = 0
    bad: dict[int, str] | None = None

    def __iter__(self) -> Iterator[str]:
        number = 0
        while raw := self.stream.readlines(_CHUNK_BYTES):
            chunk = b"".join(raw)
            self.bytes_read += len(chunk)
            try:
                # One decode per chunk of whole lines; "\n" (0x0a) is never inside a UTF-8
                # sequence, so splitting the text splits it as the bytes were split.
                parts = chunk.decode("utf-8").split("\n")
            except UnicodeDecodeError:
                texts = [self._decode(number + i, line) for i, line in enumerate(raw, 1)]
            else:
                last = parts.pop()  # "" after a final newline, else the file's unended line
                texts = [part + "\n" for part in parts]
                if last:
                    texts.append(last)
            if number == 0:
                texts[0] = texts[0].removeprefix("\ufeff")
            number += len(raw)
            yield from texts

    def _decode(self, number: int, raw: bytes) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            if self.bad is None:
                self.bad = {}
            self.bad[number] = (
                f"invalid UTF-8: byte 0x{raw[exc.start]:02x} at column {exc.start + 1}"
            )
            return raw.decode("utf-8", "replace")

    def bad_in(self, first: int, last: int) -> RowError | None:
        """The UTF-8 error of a line in first..last, if there is one."""
        if not self.bad:
            return None
        for number in range(first, last + 1):
            message = self.bad.pop(number, None)
            if message is not None:
                return RowError(number, message)
        return None


# --- rows -------------------------------------------------------------------------------------


def _csv_header(header: list[str] | None, columns: Sequence[Column]) -> list[int | None]:
    """Where each column is in the header row (any order, any case); None when absent."""
    known = [c.name for c in columns]
    expected = ",".join(c.name for c in columns if c.required)
    optional = [c.name for c in columns if not c.required]
    if optional:
        expected += f" (optional: {','.join(optional)})"
    if header is None:
        raise InputError(f"empty file: expected the header {expected}")
    names = [h.strip().lower() for h in header]
    for name in names:
        if name not in known:
            raise InputError(f"unknown column {name!r} in the header: expected {expected}")
        if names.count(name) > 1:
            raise InputError(f"column {name!r} appears twice in the header")
    missing = [c.name for c in columns if c.required and c.name not in names]
    if missing:
        raise InputError(f"missing column {missing[0]!r} in the header: expected {expected}")
    return [names.index(c.name) if c.name in names else None for c in columns]


def read_csv(lines: Lines, columns: Sequence[Column]) -> Iterator[RawRow | RowError]:
    """Data rows of a CSV file whose header names the columns, or the error of each bad row.

    Cells are trimmed; an empty cell, or a column the header leaves out, is None. Blank lines
    are skipped (but counted).
    """
    reader = csv.reader(lines)
    try:
        order = _csv_header(next(reader, None), columns)
    except (InputError, csv.Error) as exc:
        yield lines.bad_in(1, max(reader.line_num, 1)) or RowError(1, str(exc))
        return
    bad = lines.bad_in(1, reader.line_num)
    if bad is not None:
        yield bad
        return
    width = sum(1 for i in order if i is not None)
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
        else:
            yield RawRow(
                first, tuple([None if i is None else row[i].strip() or None for i in order])
            )


def _json_cell(column: Column, value: Any) -> Cell:
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if column.kind is CellKind.whole and isinstance(value, int) and not isinstance(value, bool):
        return value
    if (
        column.kind is CellKind.items
        and isinstance(value, list)
        and all(isinstance(v, str) for v in value)
    ):
        return tuple(value)
    raise InputError(f"{column.name!r} must be {column.kind.value}, not {json.dumps(value)}")


def read_jsonl(lines: Lines, columns: Sequence[Column]) -> Iterator[RawRow | RowError]:
    """Data rows of a JSON-lines file: one object per line, the column names as keys.

    A missing key or null is None; an unknown key is an error. Blank lines are skipped.
    """
    names = ", ".join(c.name for c in columns)
    known = {c.name for c in columns}
    for number, text in enumerate(lines, 1):
        bad = lines.bad_in(number, number)
        if bad is not None:
            yield bad
            continue
        if not text.strip():
            continue
        try:
            obj = json.loads(text, parse_constant=_not_a_number)
            if not isinstance(obj, dict):
                raise InputError(f"expected a JSON object with the keys {names}")
            strays = [k for k in obj if k not in known]
            if strays:
                raise InputError(f"unknown key {strays[0]!r}: expected {names}")
            yield RawRow(number, tuple(_json_cell(c, obj.get(c.name)) for c in columns))
        except json.JSONDecodeError as exc:
            yield RowError(number, f"invalid JSON: {exc.msg} at column {exc.colno}")
        except RecursionError:
            yield RowError(number, "invalid JSON: nested too deeply")
        except ValueError as exc:  # NaN, Infinity, or an integer of more than 4,300 digits
            yield RowError(number, f"invalid JSON: {_value_error(exc)}")
        except InputError as exc:
            yield RowError(number, str(exc))


def _not_a_number(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON number")


def _value_error(exc: ValueError) -> str:
    message = str(exc)
    return "a number has too many digits" if "digits" in message else message.split(":")[0]


def read_rows(
    lines: Lines, fmt: FileFormat, columns: Sequence[Column]
) -> Iterator[RawRow | RowError]:
    """Data rows of `lines` in `fmt`, or the error of each bad row."""
    if fmt is FileFormat.csv:
        return read_csv(lines, columns)
    return read_jsonl(lines, columns)


def batches(items: Iterator[RawRow | RowError], size: int) -> Iterator[list[RawRow | RowError]]:
    """`items` in lists of `size` (the last one shorter)."""
    batch: list[RawRow | RowError] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
