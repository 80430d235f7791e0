"""The limits of every value catalyst stores, checked in the program, alike for both backends.

SQLite stores what PostgreSQL refuses (a 50 MB title in a VARCHAR(500), a NUL, a score over
2**31-1), so every value is checked here before it reaches either. README.md lists the limits.
Light to import: no SQLAlchemy.
"""

from __future__ import annotations

import json
import math
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from catalyst_cli.errors import InputError, NotFoundError

# Column widths (catalyst_cli/db/models.py); a test checks that they agree.
MAX_EMAIL = 320
MAX_NAME = 200
MAX_TIMEZONE = 64
MAX_SLUG = 200
MAX_TITLE = 500
MAX_EXTERNAL_ID = 200
MAX_IRI = 600  # the iri and identity columns: 4 bytes a character fit a PostgreSQL index entry
MAX_GROUP = 200
# Text inside a JSON value (question prompts and choices, answers): no column limits it, but a
# quiz is read whole by every command about it.
MAX_JSON_TEXT = 10_000
MAX_JSON_DEPTH = 32
# A catalogue or answers file is read whole: a bound keeps /dev/zero from filling the memory.
MAX_FILE_BYTES = 64 * 1024 * 1024

# PostgreSQL's INTEGER, the type of every whole-number column but durations.
MAX_INT = 2**31 - 1

# Every instant catalyst accepts. Every zone's clock can show them (offsets are within a day),
# and date arithmetic around them (the day before, a week, a month, a year of periods, a span
# of MAX_DURATION) stays far inside years 1..9999, where Python's datetime overflows.
MIN_INSTANT = datetime(1900, 1, 1, tzinfo=UTC)
MAX_INSTANT = datetime(2999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
# A duration ends at its event; a century keeps its start inside datetime's range too.
MAX_DURATION = timedelta(days=36525)
# Day counts of options such as `seed --days` and `report --stuck`: the same century.
MAX_DAYS = MAX_DURATION.days

# Code points that must never be stored: NUL (PostgreSQL's text cannot hold it) and lone
# surrogates (not encodable as UTF-8: undecodable bytes of argv, or a "\ud800" JSON escape).
_SURROGATES = range(0xD800, 0xE000)
# Categories not allowed in identifiers (slugs, emails): controls, invisible format characters
# (bidi overrides among them), line and paragraph separators, and spaces.
_NOT_IN_IDENTIFIERS = {"Cc", "Cf", "Zl", "Zp", "Zs"}


def preview(value: str) -> str:
    """A user's value for a message: quoted, cut short, anything unprintable escaped (repr does)."""
    return repr(value if len(value) <= 40 else value[:40] + "...")


def check_text(name: str, value: str, max_len: int) -> str:
    """`value` if both backends can store it in a column of `max_len` characters.

    Refused: a NUL, a lone surrogate, more than `max_len` characters.
    """
    if len(value) > max_len:
        raise InputError(f"{name} is too long ({len(value):,} characters; at most {max_len:,})")
    if "\x00" in value:
        raise InputError(f"invalid {name} {preview(value)}: it contains a NUL character")
    if not value.isascii() and any(ord(c) in _SURROGATES for c in value):
        raise InputError(f"invalid {name} {preview(value)}: it is not valid Unicode text")
    return value


def storable_text(value: str | None) -> str | None:
    """Text from another system (an xAPI name) made storable: NULs and lone surrogates dropped.

    Lengths are the caller's to cut; None or nothing left is None.
    """
    if value is None:
        return None
    cleaned = "".join(c for c in value if c != "\x00" and ord(c) not in _SURROGATES)
    return cleaned or None


def check_identifier(name: str, value: str, max_len: int) -> str:
    """`value` as `check_text`, and with no control, invisible or space characters."""
    check_text(name, value, max_len)
    for c in value:
        if unicodedata.category(c) in _NOT_IN_IDENTIFIERS:
            raise InputError(
                f"invalid {name} {preview(value)}: it contains {_describe(c)} "
                f"(no spaces or control characters)"
            )
    return value


def _describe(c: str) -> str:
    return f"the character U+{ord(c):04X}" + (" (a space)" if c.isspace() else "")


def check_slug(name: str, value: str) -> str:
    """A slug: an identifier of at most MAX_SLUG characters, no '/', not all digits.

    A '/' separates COMPETENCY/MODULE and a number names a module by id on the command line.
    """
    check_identifier(name, value, MAX_SLUG)
    if not value or "/" in value or value.isdigit():
        raise InputError(f"invalid {name} {preview(value)} (no '/', spaces, or digits only)")
    return value


def check_int(name: str, value: int, low: int = 0, high: int = MAX_INT) -> int:
    """`value` if low <= value <= high (by default what an INTEGER column holds, from 0)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"invalid {name} {value!r}: must be a whole number")
    if value < low:
        shown = f"{value}" if value.bit_length() <= 64 else "a number that small"
        raise InputError(f"invalid {name} {shown}: must be at least {low:,}")
    if value > high:
        shown = f"{value}" if value.bit_length() <= 64 else "a number that large"
        raise InputError(f"invalid {name} {shown}: must be at most {high:,}")
    return value


def check_instant(value: datetime, name: str = "time") -> datetime:
    """An aware `value` inside MIN_INSTANT..MAX_INSTANT, the range every zone's clock shows."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InputError(f"invalid {name} {value.isoformat()}: it has no timezone")
    if not MIN_INSTANT <= value <= MAX_INSTANT:
        raise InputError(
            f"invalid {name} {value.isoformat()}: catalyst accepts times from "
            f"{MIN_INSTANT:%Y-%m-%dT%H:%M:%SZ} to {MAX_INSTANT:%Y-%m-%dT%H:%M:%SZ}"
        )
    return value


def check_duration(value: timedelta, name: str = "duration") -> timedelta:
    """A duration from zero to MAX_DURATION."""
    if not timedelta(0) <= value <= MAX_DURATION:
        raise InputError(
            f"invalid {name} {value}: must be between 0 and {MAX_DURATION.days:,} days"
        )
    return value


def check_json(name: str, value: Any, depth: int = 0) -> Any:
    """A JSON value both backends store alike: finite numbers, storable text, shallow nesting."""
    if depth > MAX_JSON_DEPTH:
        raise InputError(f"invalid {name}: nested deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(value, str):
        check_text(f"text in {name}", value, MAX_JSON_TEXT)
    elif isinstance(value, float) and not math.isfinite(value):
        raise InputError(f"invalid {name}: {value} is not a JSON number")
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(f"key in {name}", str(key), MAX_JSON_TEXT)
            check_json(name, item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            check_json(name, item, depth + 1)
    return value


def read_text_file(path: Path, what: str) -> str:
    """A UTF-8 file of at most MAX_FILE_BYTES, read whole (a BOM is accepted, as `decode_text`).

    A missing or unreadable file is a NotFoundError naming it, as `what` (e.g. "catalogue").
    """
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise NotFoundError(f"cannot read {what} {str(path)!r}: {exc.strerror}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(f"{path}: too large (more than {MAX_FILE_BYTES // 2**20} MiB)")
    return decode_text(raw, str(path))


def decode_text(raw: bytes, where: str) -> str:
    """UTF-8 text of a file, with or without a byte-order mark; anything else is an InputError."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{where}: not UTF-8 text (byte {exc.start + 1})") from None


def load_json(text: str, where: str) -> Any:
    """Parse JSON text; every failure is one InputError line.

    Nesting too deep for Python and integers of more than 4,300 digits included. A leading
    byte-order mark is ignored; NaN and Infinity, which are not JSON, are refused. Values to
    be stored still go through `check_json`.
    """
    try:
        value = json.loads(text.removeprefix("\ufeff"), parse_constant=_not_json)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}:{exc.lineno}: invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise InputError(f"{where}: invalid JSON: nested too deeply") from None
    except ValueError as exc:  # an integer of more than 4,300 digits, or NaN
        raise InputError(f"{where}: invalid JSON: {_value_error(exc)}") from None
    return value


def load_toml(text: str, where: str) -> Any:
    """Parse TOML text, as `load_json` parses JSON; every failure is one InputError line."""
    import tomllib

    try:
        value = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{where}: invalid TOML: {exc}") from None
    except RecursionError:
        raise InputError(f"{where}: invalid TOML: nested too deeply") from None
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise InputError(f"{where}: invalid TOML: {_value_error(exc)}") from None
    return value


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON number")


def _value_error(exc: ValueError) -> str:
    message = str(exc)
    return "a number has too many digits" if "digits" in message else message.split(":")[0]
