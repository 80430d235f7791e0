"""The spec's time rules: parsing TIME, learners' zones, local dates, output format.

Zones are read with the standard library's zoneinfo (IANA database, DST-aware): it converts about
twenty times faster than dateutil.tz, which matters when a report converts a million timestamps.
dateutil parses ISO 8601. Every parsed time is inside limits.MIN_INSTANT..MAX_INSTANT, so any
zone's clock can show it; reads clamp older rows stored outside that range instead of failing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from catalyst_cli.errors import InputError
from catalyst_cli.limits import (
    MAX_DURATION,
    MAX_INSTANT,
    MAX_TIMEZONE,
    MIN_INSTANT,
    check_instant,
    preview,
)

_NEGATIVE_ZERO_OFFSET = re.compile(r"T.*-00(:?00)?$")  # RFC 3339: "offset unknown"
NOON = time(12, 0)
_MAYBE_UNKNOWN_OFFSET = ("-00", "-0000", "-00:00")  # what _NEGATIVE_ZERO_OFFSET may match


# Files of the zone database that are not IANA zones: the machine's own setting, which would
# make the same command mean different things on different machines, and a template.
_NOT_ZONES = frozenset({"localtime", "posixrules"})


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones()) - _NOT_ZONES


@lru_cache(maxsize=512)
def zone(name: str) -> tzinfo:
    """The IANA zone `name`; an unknown zone is an InputError."""
    if name.upper() == "UTC":
        return UTC
    try:
        if len(name) > MAX_TIMEZONE or name not in _zone_names():
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InputError(
            f"unknown timezone {name[:MAX_TIMEZONE]!r}: use an IANA zone such as Europe/Paris"
        ) from None


def _bare_date(text: str) -> date | None:
    """The date of a TIME that is only a date, in any ISO 8601 form (2026-03-05, 20260305, ...)."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class TimeArg:
    """A TIME as given, parsed: an instant, a wall-clock time (no offset) or a bare date.

    Commands parse `--at` and `--as-of` into this at the edge; the zone that completes a time
    without an offset (the learner's, or `--tz`) is known only later, in `resolve`.
    """

    text: str
    value: datetime | None = None
    day: date | None = None

    def resolve(self, tz: tzinfo, *, end_of_day: bool = False) -> datetime:
        """The instant: without an offset in `tz`; a bare date is its noon, or its end.

        An instant outside limits.MIN_INSTANT..MAX_INSTANT is an InputError.
        """
        if self.day is not None:
            return check_instant(
                datetime.combine(self.day, time.max if end_of_day else NOON, tzinfo=tz)
            )
        assert self.value is not None
        if self.value.tzinfo is None:
            return check_instant(self.value.replace(tzinfo=tz))
        return check_instant(self.value)


def time_arg(text: str) -> TimeArg:
    """Parse an ISO 8601 TIME (a date, a date and time, with or without an offset)."""
    text = text.strip()
    if _NEGATIVE_ZERO_OFFSET.search(text):
        raise InputError(
            f"invalid time {preview(text)}: the offset -00:00 means unknown; use Z or +00:00"
        )
    if len(text) <= 10 or "T" not in text.upper():
        day = _bare_date(text)
        if day is not None:
            return TimeArg(text, day=day)
    try:
        value = datetime.fromisoformat(text)  # about thirty times faster than isoparse
    except ValueError:
        from dateutil.parser import isoparse

        try:
            value = isoparse(text)  # the forms fromisoformat lacks, such as 24:00
        except (ValueError, OverflowError):
            raise InputError(
                f"invalid time {preview(text)}: use ISO 8601, e.g. 2026-03-01T09:30"
            ) from None
    return TimeArg(text, value=value)


def parse_time(text: str, tz: tzinfo, *, end_of_day: bool = False) -> datetime:
    """Parse an ISO 8601 TIME; without an offset it is in `tz`.

    A bare date means noon of that day, or with `end_of_day` its last microsecond. A wall-clock
    time that a DST change skips or repeats is read with the offset in force before the change.
    """
    if len(text) > 10 and "T" in text and not text.endswith(_MAYBE_UNKNOWN_OFFSET):
        # The fast path of a bulk import's cells (ISO 8601 with a T, as `export` writes them):
        # what time_arg and TimeArg.resolve do for such a text, without their objects.
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            pass  # the forms fromisoformat lacks, and the messages: time_arg below
        else:  # (fromisoformat refuses spaces around the text, which time_arg strips)
            return check_instant(value if value.tzinfo is not None else value.replace(tzinfo=tz))
    return time_arg(text).resolve(tz, end_of_day=end_of_day)


# ISO 8601 durations, basic format, as xAPI writes them (ISO 8601:2004(E) 4.4.3.2): only the
# lowest-order component may have a fraction; years and months, which have no fixed length, only
# as zero. The CLI's `--duration` and import cells also take whole seconds.
_NUM = r"(\d+(?:[.,]\d+)?)"
_DURATION = re.compile(
    rf"P(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}D)?(?:T(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?",
    re.ASCII,
)
_WEEKS = re.compile(rf"P{_NUM}W", re.ASCII)
# The form `export` writes, read with integers alone (the hot path of a large import).
_SIMPLE = re.compile(r"PT(?:(\d{1,9})H)?(?:(\d{1,9})M)?(?:(\d{1,12})(?:\.(\d{1,6}))?S)?", re.ASCII)
_SECONDS_PER = (0, 0, 86400, 3600, 60, 1)  # Y, M, D, H, M, S
_MICRO = Decimal(1_000_000)
_MAX_MICROS = MAX_DURATION // timedelta(microseconds=1)


def parse_iso_duration(text: str) -> int:
    """An ISO 8601 duration such as `PT1H2M3.5S` or `P2W`, in microseconds (extra digits dropped).

    A longer one than limits.MAX_DURATION is refused, and so are years and months but zero.
    """
    simple = _SIMPLE.fullmatch(text)
    if simple and text != "PT":
        hours, minutes, secs, fraction = simple.groups()
        whole = int(hours or 0) * 3600 + int(minutes or 0) * 60 + int(secs or 0)
        micros = whole * 1_000_000 + int(((fraction or "") + "000000")[:6])
        if micros <= _MAX_MICROS:
            return micros
    weeks = _WEEKS.fullmatch(text)
    if weeks:
        return _bounded(_decimal(weeks.group(1)) * 7 * 86400, text)
    match = _DURATION.fullmatch(text)
    parts = match.groups() if match else ()
    present = [i for i, part in enumerate(parts) if part is not None]
    if not match or not present or text.endswith("T"):
        raise InputError(
            f"invalid duration {preview(text)}: use ISO 8601 (PT25M, PT1H2M3.5S) or whole seconds"
        )
    if any(re.search("[.,]", parts[i] or "") for i in present[:-1]):
        raise InputError(
            f"invalid duration {preview(text)}: only the last part may have a fraction"
        )
    if any(_decimal(parts[i] or "0") for i in (0, 1)):
        raise InputError(
            f"invalid duration {preview(text)}: years and months have no fixed length; use days"
        )
    seconds = sum((_decimal(parts[i] or "0") * _SECONDS_PER[i] for i in present), Decimal(0))
    return _bounded(seconds, text)


@lru_cache(maxsize=4096)
def parse_duration(text: str) -> int:
    """`--duration` or an import cell, in microseconds: ISO 8601 or whole seconds, >= 0.

    Cached: a bulk import's durations repeat (export writes the same few hundred forms).
    """
    value = text.strip()
    if value.isascii() and value.isdigit():
        return _bounded(Decimal(value[:20]) if len(value) <= 20 else Decimal(10) ** 20, value)
    return parse_iso_duration(value)


def _decimal(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


def _bounded(seconds: Decimal, text: str) -> int:
    micros = int(seconds * _MICRO)  # int() truncates: digits past the microsecond are dropped
    if micros > _MAX_MICROS:
        raise InputError(
            f"invalid duration {preview(text)}: longer than {MAX_DURATION.days:,} days"
        )
    return micros


def format_duration(micros: int) -> str:
    """An ISO 8601 duration that `parse_duration` reads back exactly: `PT1H2M3.5S`, `PT0S`."""
    if micros < 0:
        raise ValueError(f"negative duration {micros}")
    seconds, micro = divmod(micros, 1_000_000)
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    second = f"{seconds}.{micro:06d}".rstrip("0") if micro else str(seconds)
    time = "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M")) if n)
    if seconds or micro or not (days or time):
        time += f"{second}S"
    return "P" + (f"{days}D" if days else "") + (f"T{time}" if time else "")


def clamp(value: datetime) -> datetime:
    """An aware `value` moved inside MIN_INSTANT..MAX_INSTANT (for rows stored before the limit)."""
    return MIN_INSTANT if value < MIN_INSTANT else MAX_INSTANT if value > MAX_INSTANT else value


def to_utc(value: datetime) -> datetime:
    """The same instant in UTC."""
    return clamp(value).astimezone(UTC)


def in_zone(value: datetime, tz: tzinfo) -> datetime:
    """`value` on the wall clock of `tz`; never overflows, whatever row it was read from."""
    return clamp(value).astimezone(tz)


def local_date(value: datetime, tz: tzinfo) -> date:
    """The date of `value` on a wall clock in `tz`."""
    return in_zone(value, tz).date()


def iso(value: datetime | None, tz: tzinfo) -> str | None:
    """ISO 8601 with an explicit offset, on the wall clock of `tz`."""
    return None if value is None else in_zone(value, tz).isoformat()


def resolve_time(
    given: TimeArg | None, tz: tzinfo, now: datetime, *, end_of_day: bool = False
) -> datetime:
    """`--at`/`--as-of` as given (in `tz` without an offset), or `now` when not given."""
    return now if given is None else given.resolve(tz, end_of_day=end_of_day)


def optional_time(text: str | None) -> TimeArg | None:
    """`--at`/`--as-of` parsed at the command edge; None when not given."""
    return None if text is None else time_arg(text)
