"""The unit of work a command owns: open, check the schema, commit or roll back, close.

The session a domain function takes is a Core `Connection` inside one transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import InterfaceError as SAInterfaceError

from catalyst_cli.db.engine import make_engine
from catalyst_cli.db.migrate import ensure_schema
from catalyst_cli.db.url import normalize_url, redact, safe_url
from catalyst_cli.errors import DatabaseError
from catalyst_cli.startup import resume_collector

# Errors of the database itself, not of the command: permission denied (PostgreSQL's SQLSTATE),
# a file that is not an SQLite database, or a damaged one (SQLite's error names).
_UNUSABLE_DATABASE = {"42501", "SQLITE_NOTADB", "SQLITE_CORRUPT"}


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


@contextmanager
def database_errors(url: URL) -> Iterator[None]:
    """Turn connection, lock and permission failures into one-line exit-4 errors, no password."""
    try:
        yield
    except (OperationalError, SAInterfaceError) as exc:
        detail = _first_line(exc.orig if exc.orig else exc)
        raise DatabaseError(f"database {safe_url(url)}: {redact(detail, url)}") from None
    except DBAPIError as exc:
        message = str(exc.orig)
        code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "sqlite_errorname", None)
        if code in _UNUSABLE_DATABASE or "lock" in message.lower() or "timeout" in message.lower():
            detail = _first_line(exc.orig or exc)
            raise DatabaseError(f"database {safe_url(url)}: {redact(detail, url)}") from None
        raise


def open_engine(database_url: str, *, write: bool = True, check_schema: bool = True) -> Engine:
    """Engine for a user-given URL, schema checked (SQLite brought to head).

    Without `write`, a missing SQLite file is exit 4 naming it: a read-only command never
    creates one, so a mistyped path fails loudly instead of reporting nobody.
    """
    url = normalize_url(database_url)
    engine = make_engine(url, immediate=write, create=write)
    if check_schema:
        with database_errors(url):
            ensure_schema(engine)
    return engine


def _read_only(session: Connection) -> None:
    if session.dialect.name == "postgresql":
        # One snapshot for the whole command: the read path streams several queries side by
        # side and merges them, so they must all see the same learners and catalogue.
        session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
        session.execute(text("SET LOCAL jit = off"))  # short queries; JIT costs more than it saves
    else:
        session.execute(text("PRAGMA query_only = ON"))


@contextmanager
def unit_of_work(database_url: str, *, write: bool = True) -> Iterator[Connection]:
    """One transaction: committed when the block succeeds, rolled back on any error.

    With `write=False` the transaction is read-only where the database allows it.
    """
    url = normalize_url(database_url)
    engine = open_engine(database_url, write=write)
    resume_collector()  # the command's modules and the dialect are loaded by now
    try:
        with database_errors(url), engine.connect() as session, session.begin():
            if not write:
                _read_only(session)
            yield session
    finally:
        engine.dispose()
