"""Bulk writes: one compiled statement, the columns' own binds, the fewest round trips.

On SQLite the driver's executemany runs the INSERT once per row (in C, in process). On
PostgreSQL a row-by-row executemany is a round trip and a statement per row, even pipelined,
so the same INSERT takes all its rows at once instead: `INSERT INTO t (columns) SELECT * FROM
unnest(array of each column) ... ON CONFLICT ...`, one statement per batch. Each row is still
checked, inserted or skipped (DO NOTHING), or merged (DO UPDATE) exactly as it would be alone:
the same constraints, the same conflict clause, the same count of rows changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, String, select, text
from sqlalchemy.engine import Dialect


def executemany(
    session: Connection, stmt: Any, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> int:
    """Run an INSERT of `columns` for every row; returns the rows changed.

    The statement is compiled once and each value goes through its column type's own bind
    processor, so what is stored is exactly what `session.execute` would store; skipping
    SQLAlchemy's per-row parameter handling halves the time of a bulk import's writes. The
    count is the database's: rows inserted or updated (a skipped conflict counts 0).
    """
    if not rows:
        return 0
    dialect = session.dialect
    table = stmt.table
    processors = [
        (i, p)
        for i, p in enumerate(
            table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns
        )
        if p is not None
    ]
    converted: list[list[Any]] = [list(r) for r in rows]
    for values in converted if processors else ():
        for i, process in processors:
            values[i] = process(values[i])
    if dialect.name == "postgresql":
        return _insert_arrays(session, dialect, stmt, columns, converted)
    compiled = stmt.compile(dialect=dialect, column_keys=list(columns))
    params: list[Any]
    if compiled.positional:
        order = [columns.index(name) for name in compiled.positiontup]
        if order == list(range(len(columns))):
            params = [tuple(values) for values in converted]
        else:
            params = [tuple([values[i] for i in order]) for values in converted]
    else:
        params = [dict(zip(columns, values, strict=True)) for values in converted]
    result = session.exec_driver_sql(compiled.string, params)
    return max(result.rowcount, 0)


def _insert_arrays(
    session: Connection, dialect: Dialect, stmt: Any, columns: Sequence[str], rows: list[list[Any]]
) -> int:
    """PostgreSQL: the INSERT with its rows from `unnest` of one array per column.

    Text columns are cast to `text[]`, not to their `varchar(n)`, whose explicit cast would cut
    a long value short: the INSERT's own assignment then refuses it, as it does for one row.
    """
    table = stmt.table
    casts = []
    for name in columns:
        column_type = table.c[name].type
        element = (
            "TEXT"
            if isinstance(column_type, String)
            else dialect.type_compiler_instance.process(column_type)
        )
        casts.append(f"CAST(:{name} AS {element}[])")
    source = select(text("*")).select_from(
        text(f"unnest({', '.join(casts)}) AS bulk_rows({', '.join(columns)})")
    )
    compiled = stmt.from_select(list(columns), source).compile(dialect=dialect)
    params = dict(zip(columns, (list(values) for values in zip(*rows, strict=True)), strict=True))
    result = session.exec_driver_sql(compiled.string, params)
    return max(result.rowcount, 0)
