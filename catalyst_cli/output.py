"""Rows to text: tables, CSV, JSON and JSON lines. Knows nothing about the database."""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import secrets
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import date, datetime
from pathlib import Path
from types import FrameType
from typing import IO, Any, NoReturn

from tabulate import tabulate

Row = Mapping[str, Any]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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


def write_csv(rows: Iterable[Row], columns: Sequence[str], out: IO[str]) -> None:
    """RFC 4180 CSV with a header; formula-like text cells are neutralised."""
    writer = csv.writer(out, lineterminator="\r\n")
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
    """A table for people, in any tabulate format."""
    body = [[_cell(row[c]) for c in columns] for row in rows]
    out.write(tabulate(body, headers=list(columns), tablefmt=tablefmt, disable_numparse=True))
    out.write("\n")


def write_pairs(row: Row, out: IO[str]) -> None:
    """One record as a two-column table of key and value."""
    out.write(tabulate([[k, _cell(v)] for k, v in row.items()], tablefmt="plain"))
    out.write("\n")


def write_record(row: Row, fmt: str, out: IO[str]) -> None:
    """One record: a JSON object on one line, or a key/value table for people."""
    if fmt == "json":
        out.write(json_object(row) + "\n")
    else:
        write_pairs(row, out)


def write_rows(rows: Iterable[Row], columns: Sequence[str], fmt: str, out: IO[str]) -> None:
    """Rows in `fmt`: csv, json, jsonl, table, or any tabulate format by name."""
    if fmt == "csv":
        write_csv(rows, columns, out)
    elif fmt == "json":
        write_json_array(rows, out)
    elif fmt == "jsonl":
        write_jsonl(rows, out)
    else:
        write_table(rows, columns, out, tablefmt="simple" if fmt == "table" else fmt)


@contextmanager
def atomic_text_file(path: Path) -> Iterator[IO[str]]:
    """A UTF-8 file that appears at `path` whole or not at all: written beside it, then renamed.

    Parent folders are created. The temporary file is removed on any error and on SIGTERM; a
    process killed outright leaves at most a hidden `.NAME.*.tmp` beside `path`, never a partial
    `path`. An OSError becomes one InputError line naming the path.
    """
    from catalyst_cli.errors import InputError

    def terminate(signum: int, _frame: FrameType | None) -> NoReturn:
        note(f"terminated by signal {signum}: {path} was not written")
        raise SystemExit(128 + signum)

    on_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, terminate) if on_main_thread else None
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # 0o666 less the umask, as for any file the user's shell would create
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with suppress(OSError):
            tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
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
        out.write(f"{icon} {row['position']:>2}. {row['title']} ({row['module']}){mark}\n")


def echo(text: str, out: IO[str] | None = None) -> None:
    """Print a line of data to stdout (or `out`)."""
    print(text, file=out or sys.stdout)


def note(text: str) -> None:
    """Print a human message (a hint, a summary) to stderr."""
    print(text, file=sys.stderr)


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
