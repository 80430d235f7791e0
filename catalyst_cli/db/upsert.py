"""The dialect's INSERT, for insert-on-conflict on SQLite and PostgreSQL alike."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table


def dialect_insert(session: Connection, table: Table | Any) -> Any:
    """An INSERT for `table` with `on_conflict_do_nothing/do_update`, in the session's dialect.

    Each dialect's module is imported only when used: an SQLite command never loads
    PostgreSQL's.
    """
    if session.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table)
