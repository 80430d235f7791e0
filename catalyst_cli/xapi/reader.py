"""Reading xAPI statements out of a file as a stream, whatever form the file has.

The form is read from the content: a JSON array of statements, one statement object, LRS
result pages (`{"statements": [...], "more": ...}`, one per file or one per line), or JSON lines.
Memory stays flat in the file size: arrays and pages are parsed incrementally with ijson, JSON
lines one line at a time. Numbers are decoded as int or Decimal.

Positions: `FILE:LINE` for a JSON line or a lone statement, `FILE:#N` for the Nth statement of an
array or page, `FILE:LINE#N` for the Nth statement of a page on line LINE. A file that is not
JSON raises XapiFileError whose message is `FILE:LINE: ...`.
"""

from __future__ import annotations

import codecs
import enum
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import ijson

from catalyst_cli.errors import InputError

_PEEK = 1 << 20  # a first line longer than this is not read whole to tell JSON lines apart
_EXACT_ERROR_LINE = 64 << 20  # up to this size a JSON error's line is found with the json module
_BOM = codecs.BOM_UTF8
MAX_DEPTH = 200  # statements nest a few levels; extensions a few more


class XapiFileError(InputError):
    """The file is not JSON (or not UTF-8); the message is `FILE:LINE: what is wrong`."""


class Form(enum.Enum):
    """How a file holds its statements."""

    ARRAY = "array"
    OBJECT = "object"  # one statement, or one LRS result page
    JSON_LINES = "jsonl"
    EMPTY = "empty"


@dataclass(frozen=True)
class RawStatement:
    """One decoded JSON value where a statement is expected, with where it came from."""

    position: str
    value: Any


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_JSON_LINE = json.JSONDecoder(parse_float=Decimal, parse_constant=_no_constant)


def detect_form(path: Path) -> Form:
    """The form of the statements in `path`, read from its first bytes."""
    with _open(path) as handle:
        return _detect(handle, path)[0]


def read_statements(path: Path) -> Iterator[RawStatement]:
    """Every statement in `path` with its position, in file order."""
    with _open(path) as handle:
        form, line = _detect(handle, path)
        if form is Form.JSON_LINES:
            yield from _json_lines(handle, path)
        elif form is not Form.EMPTY:
            try:
                yield from _document(handle, path, form, line)
            except ijson.JSONError as exc:
                raise _json_error(path, exc) from None
            except UnicodeDecodeError:
                raise _json_error(path, None) from None


def _open(path: Path) -> IO[bytes]:
    try:
        return path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


def _detect(handle: IO[bytes], path: Path) -> tuple[Form, int]:
    """The form, and the line of the first value; `handle` is left at the start of the data."""
    start = handle.read(len(_BOM))
    if start != _BOM:
        handle.seek(0)
    origin = handle.tell()
    line = 1
    while True:
        raw = handle.readline(_PEEK)
        if not raw:
            return Form.EMPTY, line
        stripped = raw.strip()
        if stripped:
            break
        line += raw.count(b"\n")
    handle.seek(origin)
    first = stripped[:1]
    if first == b"[":
        return Form.ARRAY, line
    if first != b"{":
        raise XapiFileError(f"{path}:{line}: not JSON: expected a statement object or an array")
    if raw.endswith(b"\n") or len(raw) < _PEEK:
        try:
            _JSON_LINE.decode(raw.decode("utf-8"))
        except RecursionError:
            return Form.JSON_LINES, line  # whole on its line; refused when read
        except ValueError:
            return Form.OBJECT, line  # a value spanning lines: one document
        return Form.JSON_LINES, line
    return Form.OBJECT, line


def _json_lines(handle: IO[bytes], path: Path) -> Iterator[RawStatement]:
    for number, raw in enumerate(handle, start=1):
        if not raw.strip():
            continue
        try:
            value = _JSON_LINE.decode(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise XapiFileError(f"{path}:{number}: not UTF-8 text") from None
        except RecursionError:
            raise XapiFileError(f"{path}:{number}: JSON nested too deep") from None
        except ValueError as exc:
            raise XapiFileError(f"{path}:{number}: not JSON: {_reason(exc)}") from None
        if _is_page(value):
            for n, item in enumerate(value["statements"], start=1):
                yield RawStatement(f"{path}:{number}#{n}", item)
        else:
            yield RawStatement(f"{path}:{number}", value)


def _is_page(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("statements"), list)


def _document(handle: IO[bytes], path: Path, form: Form, line: int) -> Iterator[RawStatement]:
    """Statements of one JSON document: an array, a page, or one statement."""
    # basic_parse, not parse: parse builds a path string per event, quadratic in the nesting.
    events = ijson.basic_parse(handle)
    next(events)  # start_array or start_map
    if form is Form.ARRAY:
        for n, item in enumerate(_array_items(events, f"{path}:#{{}}"), start=1):
            yield RawStatement(f"{path}:#{n}", item)
    else:
        yield from _object(events, path, line)
    for _ in events:  # ijson raises on anything after the document
        pass


def _object(events: Iterator[tuple[str, Any]], path: Path, line: int) -> Iterator[RawStatement]:
    """One top-level object: a page whose statements are streamed one by one, or a statement."""
    value: dict[str, Any] = {}
    paged = False
    for event, key in events:
        if event == "end_map":
            break
        event, first = next(events)
        if key == "statements" and event == "start_array":
            paged = True
            for n, item in enumerate(_array_items(events, f"{path}:#{{}}"), start=1):
                yield RawStatement(f"{path}:#{n}", item)
        else:
            value[key] = _build(events, event, first, f"{path}:{line}")
    if not paged:
        yield RawStatement(f"{path}:{line}", value)


def _array_items(events: Iterator[tuple[str, Any]], where: str) -> Iterator[Any]:
    """The items of the array whose start_array was just read; `where` formats an item number."""
    for n, (event, first) in enumerate(events, start=1):
        if event == "end_array":
            return
        yield _build(events, event, first, where.format(n))


def _build(events: Iterator[tuple[str, Any]], event: str, first: Any, where: str) -> Any:
    """The value that starts with (`event`, `first`), consuming its events."""
    if event not in ("start_map", "start_array"):
        return first
    builder = ijson.ObjectBuilder()
    builder.event(event, first)
    depth = 1
    for inner, value in events:
        builder.event(inner, value)
        depth += inner in ("start_map", "start_array")
        depth -= inner in ("end_map", "end_array")
        if depth == 0:
            return builder.value
        if depth > MAX_DEPTH:
            raise XapiFileError(f"{where}: JSON nested deeper than {MAX_DEPTH} levels")
    raise ijson.IncompleteJSONError("premature end of file")


def _json_error(path: Path, exc: Exception | None) -> XapiFileError:
    """The error for a file that ijson could not parse, with the line of the fault."""
    line, reason = _locate(path)
    return XapiFileError(f"{path}:{line}: not JSON: {reason or _reason(exc)}")


def _locate(path: Path) -> tuple[int | str, str | None]:
    """The line (and reason) of the first JSON error in `path`, found again on the slow path."""
    size = path.stat().st_size
    data = path.read_bytes() if size <= _EXACT_ERROR_LINE else b""
    if data:
        try:
            json.loads(data.decode("utf-8-sig"), parse_constant=_no_constant)
        except UnicodeDecodeError as exc:
            return data[: exc.start].count(b"\n") + 1, "not UTF-8 text"
        except json.JSONDecodeError as exc:
            return exc.lineno, f"{exc.msg} (column {exc.colno})"
        except (ValueError, RecursionError) as exc:
            return 1, _reason(exc)
        return 1, None
    # Too big to load: the pure-Python ijson backend reports a character offset.
    python_backend = ijson.get_backend("python")
    with path.open("rb") as handle:
        try:
            for _ in python_backend.parse(handle):
                pass
        except Exception as exc:  # noqa: BLE001 - any parse failure is what we are locating
            match = re.search(r" at (\d+)$", str(exc))
            if match:
                return _line_of_offset(path, int(match.group(1))), _reason(exc)
            return "end of file", _reason(exc)
    return 1, None


def _line_of_offset(path: Path, offset: int) -> int:
    """The line holding character `offset` of the UTF-8 file, read in chunks."""
    line = 1
    with path.open(encoding="utf-8-sig", errors="replace") as text:
        while offset > 0:
            chunk = text.read(min(offset, io.DEFAULT_BUFFER_SIZE * 16))
            if not chunk:
                break
            line += chunk.count("\n")
            offset -= len(chunk)
    return line


def _reason(exc: Exception | None) -> str:
    if exc is None:
        return "invalid JSON"
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} (column {exc.colno})"
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
