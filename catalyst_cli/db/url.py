"""Database URL handling: normalising what users type, and never showing a password."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from catalyst_cli.errors import InputError

_PG_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")


def normalize_url(raw: str) -> URL:
    """Turn what the user gave into a SQLAlchemy URL.

    `postgresql://` and `postgres://` mean psycopg 3; a bare path means an SQLite file.
    """
    if "://" not in raw:
        return URL.create("sqlite", database=str(Path(raw).expanduser().resolve()))
    for scheme in _PG_SCHEMES:
        if raw.startswith(scheme):
            raw = "postgresql+psycopg://" + raw[len(scheme) :]
            break
    try:
        url = make_url(raw)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise InputError(f"invalid database URL {redact(raw)!r}") from None
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise InputError(
            f"unsupported database {url.get_backend_name()!r} in {redact(raw)!r}: "
            "use sqlite:///PATH or postgresql://..."
        )
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        raise InputError("in-memory SQLite keeps nothing between commands: give a file path")
    if url.get_backend_name() == "postgresql" and url.get_driver_name() != "psycopg":
        raise InputError(
            f"unsupported PostgreSQL driver {url.get_driver_name()!r} in {redact(raw)!r}: "
            "catalyst uses psycopg 3, write postgresql://..."
        )
    return url


def safe_url(url: URL) -> str:
    """The URL as text with its password hidden, also one given as `?password=...`."""
    return redact(url.render_as_string(hide_password=True))


_PASSWORD_IN_TEXT = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")
_PASSWORD_PARAMETER = re.compile(r"(\bpassword=)[^&\s'\"]*", re.IGNORECASE)


def redact(text: str, url: URL | None = None) -> str:
    """Hide any URL password in `text`, and `url`'s password wherever it appears."""
    if url is not None and url.password:
        text = text.replace(str(url.password), "***")
    text = _PASSWORD_PARAMETER.sub(r"\1***", text)
    return _PASSWORD_IN_TEXT.sub(r"\1***@", text)


def sqlite_path(url: URL) -> Path | None:
    """The file of an SQLite URL, or None for other databases and in-memory SQLite."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)
