"""Schema versions: the at-head check every command runs, and Alembic upgrades.

Alembic is imported only when a migration must run, so ordinary commands stay quick.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, text

from catalyst_cli.db.engine import CATALYST_REVISION, make_engine, not_catalyst
from catalyst_cli.errors import DatabaseError

if TYPE_CHECKING:
    from alembic.config import Config

# The newest revision in alembic/versions; tests check that it is Alembic's only head.
HEAD_REVISION = "0002"
_PG_MIGRATION_LOCK = 0x0CA7A1  # an arbitrary advisory-lock key for concurrent `db upgrade`


def script_location() -> Path:
    """Where the migration scripts are: packaged as catalyst_cli.migrations, or the checkout's."""
    spec = importlib.util.find_spec("catalyst_cli.migrations")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(__file__).resolve().parents[2] / "alembic"


def alembic_config(connection: Connection) -> Config:
    """An Alembic config built in code, running on `connection`."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(script_location()))
    config.attributes["connection"] = connection
    return config


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at, or None for an empty database."""
    if not connection.dialect.has_table(connection, "alembic_version"):
        return None
    row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
    return None if row is None else str(row[0])


def check_ours(connection: Connection, current: str | None) -> None:
    """Refuse a database whose revision is not catalyst's (another Alembic project's).

    Another program's SQLite file is refused before it is opened (engine.make_engine); a
    PostgreSQL database without a revision may be shared with other tables: `db upgrade` is
    explicit there.
    """
    if current is not None and not CATALYST_REVISION.fullmatch(current):
        where = connection.engine.url.database or "the database"
        raise not_catalyst(where, f"its schema revision {current!r} is not catalyst's")


def _upgrade(connection: Connection, revision: str) -> None:
    from alembic import command

    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
    current = current_revision(connection)
    check_ours(connection, current)
    if current not in _known_revisions():
        raise _newer_schema(current)
    command.upgrade(alembic_config(connection), revision)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to `revision` in one transaction."""
    with engine.begin() as connection:
        _upgrade(connection, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the database back to `revision` in one transaction."""
    from alembic import command

    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), revision)


def ensure_schema(engine: Engine) -> None:
    """Bring SQLite to head; stop on PostgreSQL with exit 4 when the schema is not at head."""
    with engine.connect() as connection:
        current = current_revision(connection)
        if current != HEAD_REVISION:
            check_ours(connection, current)
        connection.rollback()
    if current == HEAD_REVISION:
        return
    if engine.dialect.name == "sqlite" and current in _known_revisions():
        # BEGIN IMMEDIATE, also under a read-only command's engine: one process migrates and
        # the others wait for it, where a deferred BEGIN would fail on "database is locked".
        migrator = make_engine(engine.url, immediate=True)
        try:
            with migrator.begin() as connection:
                if current_revision(connection) != HEAD_REVISION:
                    _upgrade(connection, "head")
        finally:
            migrator.dispose()
        return
    if current not in _known_revisions():
        raise _newer_schema(current)
    where = "empty" if current is None else f"at revision {current}"
    raise DatabaseError(
        f"the database schema is out of date ({where}, needs {HEAD_REVISION}): "
        "run `catalyst db upgrade`"
    )


def _newer_schema(current: str | None) -> DatabaseError:
    return DatabaseError(
        f"the database schema is at revision {current}, newer than this catalyst "
        f"({HEAD_REVISION}): upgrade catalyst"
    )


def _known_revisions() -> set[str | None]:
    """Revisions this code can upgrade from (None: an empty database)."""
    return {None, *(p.stem.split("_", 1)[0] for p in (script_location() / "versions").glob("*.py"))}
