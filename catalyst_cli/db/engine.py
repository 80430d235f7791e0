"""Engine factory: psycopg 3 for PostgreSQL; WAL, foreign keys and a busy timeout on SQLite."""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL

from catalyst_cli.db.url import sqlite_path
from catalyst_cli.errors import DatabaseError

SQLITE_BUSY_TIMEOUT_MS = 30_000
PG_CONNECT_TIMEOUT_S = 10
PG_LOCK_TIMEOUT_MS = 30_000


def _create_owner_only(path: os.PathLike[str]) -> None:
    """Create the SQLite file, in WAL mode, readable by its owner alone, if it does not exist.

    The file is made whole beside its place and linked in, so a process that races this one
    never sees an empty file whose journal mode is still being switched (a reader could then
    fail with "database is locked" instead of waiting).
    """
    import sqlite3
    from pathlib import Path

    p = Path(path)
    if p.exists():
        return
    p.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = p.with_name(f".{p.name}.{os.getpid()}.new")
    try:
        os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        fresh = sqlite3.connect(tmp, isolation_level=None)
        try:
            fresh.execute("PRAGMA journal_mode = WAL")
            fresh.execute("PRAGMA user_version = 0")  # writes the header: the file is WAL now
        finally:
            fresh.close()
        os.link(tmp, p)
    except FileExistsError:
        pass  # another process made it first
    finally:
        tmp.unlink(missing_ok=True)


def make_engine(url: URL, *, immediate: bool = True) -> Engine:
    """Build the engine for `url`.

    On SQLite, `immediate` makes every transaction BEGIN IMMEDIATE, so a writer takes the write
    lock up front and waits on the busy timeout instead of failing on a lock upgrade.
    """
    if url.get_backend_name() == "postgresql":
        try:
            return create_engine(
                url,
                connect_args={
                    "connect_timeout": PG_CONNECT_TIMEOUT_S,
                    "options": f"-c lock_timeout={PG_LOCK_TIMEOUT_MS} -c timezone=UTC",
                },
                pool_pre_ping=False,
            )
        except ImportError:  # the driver comes with the `postgres` extra only
            raise DatabaseError(
                "PostgreSQL support is not installed: pip install 'catalyst-cli[postgres]'"
            ) from None
    path = sqlite_path(url)
    if path is not None:
        _create_owner_only(path)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)

    return engine
