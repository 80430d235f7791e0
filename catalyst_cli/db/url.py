"""Database URL handling: normalising what users type, and never showing any of its userinfo.

A URL's userinfo (`user:password@`) is never printed, parsed or not: a password with an
unencoded `@`, `:`, `/` or space is easily mistaken for a host or port, so catalyst shows a
URL it could not parse by its scheme only, and a parsed one with `***` for the whole userinfo.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from catalyst_cli.errors import InputError

_PG_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")
_ENCODE_HINT = "percent-encode @ : / and spaces in the user name and password"


def normalize_url(raw: str) -> URL:
    """Turn what the user gave into a SQLAlchemy URL.

    `postgresql://` and `postgres://` mean psycopg 3; a bare path means an SQLite file.
    """
    if "\x00" in raw:
        raise InputError("invalid database URL: it contains a NUL character")
    if "://" not in raw:
        return URL.create("sqlite", database=str(Path(raw).expanduser().resolve()))
    for scheme in _PG_SCHEMES:
        if raw.startswith(scheme):
            raw = "postgresql+psycopg://" + raw[len(scheme) :]
            break
    try:
        url = make_url(raw)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise InputError(f"invalid database URL {unparsed(raw)}: {_ENCODE_HINT}") from None
    backend = url.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise InputError(
            f"unsupported database {backend!r} in {safe_url(url)}: "
            "use sqlite:///PATH or postgresql://..."
        )
    if backend == "sqlite" and url.database in (None, "", ":memory:"):
        raise InputError("in-memory SQLite keeps nothing between commands: give a file path")
    if backend == "postgresql" and url.get_driver_name() != "psycopg":
        raise InputError(
            f"unsupported PostgreSQL driver {url.get_driver_name()!r} in {safe_url(url)}: "
            "catalyst uses psycopg 3, write postgresql://..."
        )
    if backend == "postgresql" and url.host and re.search(r"[@\s]", url.host):
        # "user:p@ss@host" parses with "ss@host" as the host: part of the password
        raise InputError(f"invalid database URL {unparsed(raw)}: {_ENCODE_HINT}")
    return url


def unparsed(raw: str) -> str:
    """A URL that could not be parsed, as it may be shown: its scheme only."""
    scheme, sep, _rest = raw.partition("://")
    return f"{scheme}://..." if sep and re.fullmatch(r"[A-Za-z][\w+.-]*", scheme) else "'...'"


def safe_url(url: URL) -> str:
    """The URL as text with its userinfo hidden, and any `?password=...` parameter."""
    if url.username is None and url.password is None:
        return redact(url.render_as_string(hide_password=True))
    text = url.set(username=None, password=None).render_as_string(hide_password=True)
    return redact(text.replace("://", "://***@", 1))


_USERINFO_IN_TEXT = re.compile(r"([A-Za-z][\w+.-]*://)[^/?#\s]*@")
_PASSWORD_PARAMETER = re.compile(r"(\bpassword=)[^&\s'\"]*", re.IGNORECASE)


def redact(text: str, url: URL | None = None) -> str:
    """Hide the userinfo of any URL in `text`, and `url`'s password wherever it appears."""
    if url is not None and url.password:
        text = text.replace(str(url.password), "***")
    text = _PASSWORD_PARAMETER.sub(r"\1***", text)
    return _USERINFO_IN_TEXT.sub(r"\1***@", text)


def redact_for(text: str, raw_url: str) -> str:
    """`redact` for a message about the database the user gave as `raw_url` (parsed or not)."""
    try:
        return redact(text, normalize_url(raw_url))
    except InputError:
        userinfo = raw_url.partition("://")[2].rpartition("@")[0]
        for secret in (userinfo, *userinfo.split(":", 1)):
            if secret:
                text = text.replace(secret, "***")
        return redact(text)


def sqlite_path(url: URL) -> Path | None:
    """The file of an SQLite URL, or None for other databases and in-memory SQLite."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)
