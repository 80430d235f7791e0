"""Rows to text: tables, CSV, TSV, JSON and JSON lines. Knows nothing about the database.

Text for people (tables in every tabulate format, key/value records, the module list, messages)
has its control characters escaped, so a learner's name cannot drive the terminal. Delimited
text (CSV, TSV) has formula-like cells neutralised, so a spreadsheet does not run them.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import re
import secrets
import signal
import stat
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import date, datetime
from pathlib import Path
from types import FrameType
from typing import IO, Any, NoReturn

Row = Mapping[str, Any]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# C0 and C1 controls, DEL, and the invisible characters that reorder text (bidi controls) or
# break lines: what a terminal acts on, or what makes text read differently from its bytes.
_OTHER_UNSAFE = "\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069"
_UNSAFE_CHARS = re.compile(f"[\x00-\x1f{_OTHER_UNSAFE}]")
_UNSAFE_BUT_NEWLINE = re.compile(f"[\x00-\x09\x0b-\x1f{_OTHER_UNSAFE}]")


def _escape(match: re.Match[str]) -> str:
    return repr(match.group())[1:-1]


def printable(text: str, *, newlines: bool = False) -> str:
    r"""`text` with control characters escaped as Python writes them (\x1b, \n, \u202e).

    With `newlines`, line breaks stay: for messages of several lines of our own.
    """
    return (_UNSAFE_BUT_NEWLINE if newlines else _UNSAFE_CHARS).sub(_escape, text)


def record(obj: Any, columns: Sequence[str]) -> dict[str, Any]:
    """A dataclass (or mapping) as a dict of `columns`, in that order."""
    data = obj if isinstance(obj, Mapping) else dataclasses.asdict(obj)
    return {c: data[c] for c in columns}


def jsonable(value: Any) -> Any:
    """A value as JSON has it: timestamps and dates in ISO 8601."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return jsonable(value)


def _shown(value: Any) -> Any:
    """A cell for people: control characters escaped."""
    cell = _cell(value)
    return printable(cell) if isinstance(cell, str) else cell


def json_object(row: Row) -> str:
    """One row as a JSON object."""
    return json.dumps({k: jsonable(v) for k, v in row.items()}, ensure_ascii=False)


def write_json_array(rows: Iterable[Row], out: IO[str]) -> None:
    """A JSON array of objects, written as the rows come (`[]` when there are none)."""
    out.write("[")
    empty = True
    for row in rows:
        out.write("\n  " if empty else ",\n  ")
        out.write(json_object(row))
        empty = False
    out.write("]\n" if empty else "\n]\n")


def write_jsonl(rows: Iterable[Row], out: IO[str]) -> None:
    """One JSON object per line."""
    for row in rows:
        out.write(json_object(row))
        out.write("\n")


def neutralize(value: Any) -> Any:
    """A CSV cell that a spreadsheet would not run as a formula: numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_csv(
    rows: Iterable[Row], columns: Sequence[str], out: IO[str], *, delimiter: str = ","
) -> None:
    """RFC 4180 CSV with a header (or TSV, by `delimiter`); formula-like cells neutralised.

    A cell holding the delimiter, a quote or a line break is quoted, as RFC 4180 says.
    """
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([neutralize(_cell(row[c])) for c in columns])


def write_data_csv(rows: Iterable[Row], columns: Sequence[str], out: IO[str]) -> None:
    """RFC 4180 CSV with a header, cells as they are: data to read back, not a report."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row[c]) for c in columns])


def write_table(
    rows: Iterable[Row], columns: Sequence[str], out: IO[str], *, tablefmt: str = "simple"
) -> None:
    """A table for people, in any tabulate format; control characters escaped."""
    from tabulate import tabulate  # only here: 20 ms that a one-record command does not need

    body = [[_shown(row[c]) for c in columns] for row in rows]
    out.write(tabulate(body, headers=list(columns), tablefmt=tablefmt, disable_numparse=True))
    out.write("\n")


def write_pairs(row: Row, out: IO[str]) -> None:
    """One record as `key  value` lines, control characters escaped.

    The keys are padded to one width, as tabulate's "plain" format lays out a key column and a
    text column: the same bytes, without loading tabulate for one record.
    """
    width = max(map(len, row), default=0)
    for key, value in row.items():
        cell = _shown(value)
        text = cell.strip() if isinstance(cell, str) else str(cell)
        out.write(f"{key:<{width}}  {text}".rstrip() + "\n")


def write_record(row: Row, fmt: str, out: IO[str]) -> None:
    """One record: a JSON object on one line, or a key/value table for people."""
    if fmt == "json":
        out.write(json_object(row) + "\n")
    else:
        write_pairs(row, out)


def write_rows(rows: Iterable[Row], columns: Sequence[str], fmt: str, out: IO[str]) -> None:
    """Rows in `fmt`: csv, tsv, json, jsonl, table, or any tabulate format by name."""
    if fmt == "csv":
        write_csv(rows, columns, out)
    elif fmt == "tsv":
        write_csv(rows, columns, out, delimiter="\t")
    elif fmt == "json":
        write_json_array(rows, out)
    elif fmt == "jsonl":
        write_jsonl(rows, out)
    else:
        write_table(rows, columns, out, tablefmt="simple" if fmt == "table" else fmt)


def _check_target(path: Path) -> None:
    """Refuse a target that is not a regular file: a device, a directory, a symbolic link."""
    from catalyst_cli.errors import InputError

    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise InputError(f"cannot write {printable(str(path))}: {exc.strerror}") from None
    if stat.S_ISREG(mode):
        return
    kind = (
        "a symbolic link"
        if stat.S_ISLNK(mode)
        else "a directory"
        if stat.S_ISDIR(mode)
        else "a device or other special file"
    )
    raise InputError(f"cannot write {printable(str(path))}: it is {kind}, not a regular file")


@contextmanager
def atomic_text_file(path: Path) -> Iterator[IO[str]]:
    """A UTF-8 file that appears at `path` whole or not at all: written beside it, then renamed.

    Only a regular file is written or replaced: a device, directory or symbolic link at `path`
    is an InputError. The file is readable by its owner only (0600), like the database, as it
    holds learners' emails; missing parent folders are created (0700). The temporary file is
    removed on any error and on SIGTERM; a process killed outright leaves at most a hidden
    `.NAME.*.tmp` beside `path`, never a partial `path`. An OSError becomes one InputError line
    naming the path.
    """
    from catalyst_cli.errors import InputError

    shown = printable(str(path))
    if "\x00" in str(path):
        raise InputError(f"cannot write {shown}: a file name cannot contain NUL")

    def terminate(signum: int, _frame: FrameType | None) -> NoReturn:
        note(f"terminated by signal {signum}: {shown} was not written")
        raise SystemExit(128 + signum)

    on_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, terminate) if on_main_thread else None
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        _check_target(path)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        _check_target(path)  # again: it may have been replaced while the report ran
        os.replace(tmp, path)
    except BaseException as exc:
        with suppress(OSError):
            tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise InputError(f"cannot write {shown}: {exc.strerror or exc}") from None
        raise
    finally:
        if on_main_thread:
            signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


STATUS_ICONS = {"completed": "✓", "in_progress": "▶", "not_started": "○"}
STATUS_ASCII = {"completed": "[x]", "in_progress": "[>]", "not_started": "[ ]"}


def can_print(text: str, out: IO[str]) -> bool:
    """Whether `out` can encode `text` (a terminal in a non-UTF-8 locale cannot print icons)."""
    try:
        text.encode(getattr(out, "encoding", None) or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def write_module_list(rows: Iterable[Row], out: IO[str], *, ascii_only: bool) -> None:
    """The seed's sidebar: each module with its status icon; the next one to do marked."""
    icons = STATUS_ICONS
    if ascii_only or not can_print("".join(STATUS_ICONS.values()), out):
        icons = STATUS_ASCII
    arrow = "<- next" if icons is STATUS_ASCII else "← next"
    for row in rows:
        mark = f"  {arrow}" if row.get("is_next") else ""
        icon = icons[row["status"]]
        title, module = printable(row["title"]), printable(row["module"])
        out.write(f"{icon} {row['position']:>2}. {title} ({module}){mark}\n")


def echo(text: str, out: IO[str] | None = None) -> None:
    """Print a line of text for people to stdout (or `out`); control characters escaped."""
    print(printable(text, newlines=True), file=out or sys.stdout)


def note(text: str) -> None:
    """Print a human message (a hint, a summary) to stderr; control characters escaped."""
    print(printable(text, newlines=True), file=sys.stderr)


@contextmanager
def progress_bar(label: str, total: int | None) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr when it is a terminal (rows, rate, time left), else nothing.

    The callback takes the rows done and the work done out of `total` (bytes of a file).
    """
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[rows]:,} rows, {task.fields[rate]:,.0f}/s"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total, rows=0, rate=0.0)

        def tick(rows: int, done: int) -> None:
            elapsed = bar.tasks[task].elapsed or 0.0
            bar.update(task, completed=done, rows=rows, rate=rows / elapsed if elapsed else 0.0)

        yield tick
