"""Engine factory: psycopg 3 for PostgreSQL; WAL, foreign keys and a busy timeout on SQLite."""

from __future__ import annotations

import os
import re
from contextlib import suppress
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL

from catalyst_cli.db.url import sqlite_path
from catalyst_cli.errors import DatabaseError

SQLITE_BUSY_TIMEOUT_MS = 30_000
PG_CONNECT_TIMEOUT_S = 10
PG_LOCK_TIMEOUT_MS = 30_000
CATALYST_REVISION = re.compile(r"\d{4}")  # catalyst's revision ids: 0001, 0002, ...


def _create_owner_only(path: os.PathLike[str]) -> None:
    """Create the SQLite file, in WAL mode, readable by its owner alone, if it does not exist.

    The file is made whole beside its place and linked in, so a process that races this one
    never sees an empty file whose journal mode is still being switched (a reader could then
    fail with "database is locked" instead of waiting). A folder or file that cannot be made
    (no permission, a file where a folder should be, a full disk) is a DatabaseError.
    """
    import sqlite3
    from pathlib import Path

    p = Path(path)
    if p.exists():
        return
    tmp = p.with_name(f".{p.name}.{os.getpid()}.new")
    try:
        p.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
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
    except (OSError, sqlite3.Error) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise DatabaseError(f"cannot create the database {p}: {reason}") from None
    finally:
        with suppress(OSError):
            tmp.unlink(missing_ok=True)


def _check_ours(path: Path) -> None:
    """Refuse another program's SQLite file before a connection switches it to WAL mode.

    Not catalyst's: a file with tables but no schema revision, or with a revision that is not
    one of catalyst's (another Alembic project). Read through a read-only connection; a file
    that is not SQLite at all is left to the real connection, which reports it.
    """
    import sqlite3
    from urllib.parse import quote

    try:
        ro = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error:
        return
    try:
        tables = {row[0] for row in ro.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        revision = None
        if "alembic_version" in tables:
            row = ro.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = None if row is None else str(row[0])
    except sqlite3.Error:
        return
    finally:
        ro.close()
    if revision is not None:
        if not CATALYST_REVISION.fullmatch(revision):
            raise not_catalyst(str(path), f"its schema revision {revision!r} is not catalyst's")
        return
    others = sorted(t for t in tables if t != "alembic_version" and not t.startswith("sqlite_"))
    if others:
        shown = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
        raise not_catalyst(str(path), f"it has tables ({shown}) and no catalyst schema revision")


def not_catalyst(where: str, why: str) -> DatabaseError:
    """The error for a database that is not catalyst's: exit 4, nothing written."""
    return DatabaseError(f"{where} is not a catalyst database: {why}; nothing was written")


def _missing(path: Path) -> DatabaseError:
    return DatabaseError(
        f"no database at {path}: a read-only command never creates one "
        "(check --db or CATALYST_DATABASE_URL)"
    )


def make_engine(url: URL, *, immediate: bool = True, create: bool = True) -> Engine:
    """Build the engine for `url`.

    On SQLite, `immediate` makes every transaction BEGIN IMMEDIATE, so a writer takes the write
    lock up front and waits on the busy timeout instead of failing on a lock upgrade; without
    `create`, a missing file is a DatabaseError naming it instead of a new empty database.
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
    if path is not None and not path.exists():
        if not create:
            raise _missing(path)
        _create_owner_only(path)
    elif path is not None:
        _check_ours(path)
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
