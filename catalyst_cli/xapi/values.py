"""xAPI value types: durations, scores, timestamps, language maps, UUIDs and actor identities.

Every parser raises InputError with a message naming the bad value; callers turn that into a
skipped statement. Numbers are read as `Decimal` (the reader decodes JSON numbers that way), so
`scaled: 0.285` is 28.5 % exactly and rounds half up to 29.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote, urlsplit

from catalyst_cli.errors import InputError
from catalyst_cli.timeutil import format_duration as timeutil_format_duration
from catalyst_cli.timeutil import parse_iso_duration, parse_time
from catalyst_cli.users import normalize_email

_EARLIEST = datetime.min.replace(tzinfo=UTC) + timedelta(days=1)
_LATEST = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)
_SHA1 = re.compile(r"[0-9a-f]{40}", re.ASCII)
# An account or openid becomes the local part of a handle: keep what an email's local part may
# hold without quoting, percent-encode the rest (an "@", spaces, non-ASCII).
_LOCAL_SAFE = "!#$&'*+-/=?^_`{|}~."
# Synthetic handles end in the reserved .invalid top-level domain (RFC 2606): never a mailbox.
_OPENID_DOMAIN = "openid.invalid"
_LOCAL_MAX = 64  # RFC 5321's limit on an email's local part
_SHA1_DOMAIN = "mbox-sha1sum.invalid"


def parse_duration(text: object) -> timedelta:
    """An xAPI `result.duration` (ISO 8601, e.g. `PT1H2M3.5S` or `P2W`), to the microsecond."""
    if not isinstance(text, str):
        raise InputError(f"invalid duration {text!r}: expected an ISO 8601 string like PT25M")
    return timedelta(microseconds=parse_iso_duration(text))


def format_duration(value: timedelta) -> str:
    """An ISO 8601 duration that `parse_duration` reads back exactly: `PT1H2M3.5S`, `PT0S`."""
    return timeutil_format_duration(value // timedelta(microseconds=1))


def parse_timestamp(text: object) -> datetime:
    """An xAPI timestamp (ISO 8601 date and time; without an offset it is UTC), in UTC.

    The rules are the project's TIME rules (a `-00:00` offset is refused), except that a bare
    date is not a timestamp, and an instant no learner's clock can show (within a day of the
    years 1 and 9999 ends) is refused.
    """
    if not isinstance(text, str) or "T" not in text.upper():
        raise InputError(f"invalid timestamp {text!r}: use ISO 8601, e.g. 2026-03-01T09:30:00Z")
    value = parse_time(text, UTC)
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        utc = _EARLIEST  # refused just below
    if not _EARLIEST < utc < _LATEST:
        raise InputError(f"invalid timestamp {text!r}: out of range")
    return utc


def format_timestamp(value: datetime) -> str:
    """UTC, `Z`, with milliseconds (and microseconds when the instant has them)."""
    utc = value.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    micro = utc.microsecond
    fraction = f"{micro // 1000:03d}" if micro % 1000 == 0 else f"{micro:06d}"
    return f"{text}.{fraction}Z"


def parse_uuid(text: object, what: str) -> str:
    """A UUID (statement id, registration) in its canonical lower-case form."""
    if not isinstance(text, str):
        raise InputError(f"invalid {what} {text!r}: expected a UUID")
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise InputError(f"invalid {what} {text!r}: expected a UUID") from None


def language_text(value: object) -> str | None:
    """The text of a language map: en-US, then en, then any English, then the first; or None."""
    if not isinstance(value, Mapping):
        return None
    texts = {str(k).lower(): v for k, v in value.items() if isinstance(v, str) and v.strip()}
    for key in ("en-us", "en"):
        if key in texts:
            return str(texts[key]).strip()
    english = [v for k, v in texts.items() if k.startswith("en-")]
    chosen = english or list(texts.values())
    return str(chosen[0]).strip() if chosen else None


def number(value: object, what: str) -> Decimal:
    """A JSON number (int, Decimal or float; never a bool or a string) as a Decimal."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise InputError(f"invalid {what} {value!r}: expected a number")
    try:
        result = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise InputError(f"invalid {what} {value!r}: expected a number") from None
    if not result.is_finite():
        raise InputError(f"invalid {what} {value!r}: expected a finite number")
    return result


def half_up(value: Decimal) -> int:
    """`value` rounded to a whole number, halves away from zero."""
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Score:
    """A score as catalyst keeps it: `score` of `total` (total >= 1, 0 <= score <= total)."""

    score: int
    total: int


def parse_score(value: object) -> Score | None:
    """The spec's score rule; None when the score object gives nothing usable (`{"min": 0}`).

    raw with min and max gives raw - min of max - min when all are whole (and max > min);
    otherwise scaled, or else raw / max (or (raw - min) / (max - min) when min is given),
    becomes a percent of 100, rounded half up. A negative scaled score is 0.
    """
    if not isinstance(value, Mapping):
        raise InputError(f"invalid score {value!r}: expected an object")
    parts = {
        k: number(value[k], f"score {k}") for k in ("raw", "min", "max", "scaled") if k in value
    }
    raw, low, high, scaled = (parts.get(k) for k in ("raw", "min", "max", "scaled"))
    if scaled is not None and not -1 <= scaled <= 1:
        raise InputError(f"invalid score scaled {scaled}: must be between -1 and 1")
    if low is not None and high is not None and low > high:
        raise InputError(f"invalid score: min {low} is above max {high}")
    if raw is not None and ((low is not None and raw < low) or (high is not None and raw > high)):
        raise InputError(f"invalid score raw {raw}: outside min..max")
    if raw is not None and low is not None and high is not None and high > low:
        if all(v == v.to_integral_value() for v in (raw, low, high)):
            return Score(int(raw - low), int(high - low))
    if scaled is not None:
        return Score(half_up(max(scaled, Decimal(0)) * 100), 100)
    if raw is not None and high is not None:
        base = low if low is not None else Decimal(0)
        if high > base:
            return Score(half_up(max(raw - base, Decimal(0)) * 100 / (high - base)), 100)
    return None


@dataclass(frozen=True)
class Identity:
    """An xAPI agent's identity: the normalised key, its email (mbox only) and a handle.

    `key` is `mbox:mailto:x@y`, `mbox_sha1sum:HEX`, `openid:URL` or `account:HOMEPAGE|NAME`.
    `handle` is an email-shaped name that `users.normalize_email` accepts: the email for an mbox,
    `NAME@HOST` for an account, `HOSTPATH@openid.invalid`, `HEX@mbox-sha1sum.invalid`.
    """

    key: str
    email: str | None
    handle: str


def agent_identity(agent: Mapping[str, Any]) -> Identity:
    """The identity of an Agent object; it must carry exactly one inverse functional identifier."""
    forms = [k for k in ("mbox", "mbox_sha1sum", "openid", "account") if agent.get(k) is not None]
    if len(forms) != 1:
        raise InputError(
            f"an agent needs exactly one of mbox, mbox_sha1sum, openid, account, not {forms}"
        )
    form = forms[0]
    value = agent[form]
    if form == "mbox":
        if not isinstance(value, str) or not value.lower().startswith("mailto:"):
            raise InputError(f"invalid mbox {value!r}: expected mailto:EMAIL")
        email = normalize_email(value[len("mailto:") :])
        return Identity(f"mbox:mailto:{email}", email, email)
    if form == "mbox_sha1sum":
        digest = value.strip().lower() if isinstance(value, str) else ""
        if not _SHA1.fullmatch(digest):
            raise InputError(f"invalid mbox_sha1sum {value!r}: expected 40 hex digits")
        return Identity(f"mbox_sha1sum:{digest}", None, f"{digest}@{_SHA1_DOMAIN}")
    if form == "openid":
        url = value.strip() if isinstance(value, str) else ""
        parts = urlsplit(url)
        if not parts.scheme or not parts.netloc:
            raise InputError(f"invalid openid {value!r}: expected a URL")
        local = _local_part(parts.netloc.lower() + parts.path.rstrip("/") + parts.query)
        return Identity(f"openid:{url}", None, _handle(local, _OPENID_DOMAIN, url))
    return _account_identity(value)


def _account_identity(account: object) -> Identity:
    if not isinstance(account, Mapping):
        raise InputError(f"invalid account {account!r}: expected homePage and name")
    home, name = account.get("homePage"), account.get("name")
    if not isinstance(home, str) or not isinstance(name, str) or not name or "|" in home:
        raise InputError(f"invalid account {dict(account)!r}: expected homePage and name")
    host = urlsplit(home.strip()).netloc.lower()
    if not host:
        raise InputError(f"invalid account homePage {home!r}: expected a URL")
    return Identity(
        f"account:{home.strip()}|{name}", None, _handle(_local_part(name), host, f"{home}|{name}")
    )


def _local_part(text: str) -> str:
    """`text` as an email's local part; a long one is cut, and a digest keeps it unique."""
    local = quote(text, safe=_LOCAL_SAFE)
    if len(local) <= _LOCAL_MAX:
        return local
    head = re.sub(r"%[0-9A-F]?$", "", local[: _LOCAL_MAX - 17])
    return f"{head}.{hashlib.sha256(text.encode('utf-8', 'surrogatepass')).hexdigest()[:16]}"


def _handle(local: str, domain: str, source: str) -> str:
    try:
        return normalize_email(f"{local}@{domain}")
    except InputError:
        raise InputError(f"cannot make a learner handle from {source!r}") from None
