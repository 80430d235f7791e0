"""The metadata with its naming convention, and the column types catalyst adds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, MetaData
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from catalyst_cli.limits import MAX_INSTANT, MIN_INSTANT
from catalyst_cli.timeutil import clamp

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Python None is SQL NULL, not the JSON value null.
class JSONType(TypeDecorator[Any]):
    """JSON, stored as JSONB on PostgreSQL; Python None is SQL NULL, not the JSON value null.

    The PostgreSQL type is looked up only on PostgreSQL, so an SQLite command never imports
    that dialect.
    """

    impl = JSON(none_as_null=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB(none_as_null=True))
        return dialect.type_descriptor(JSON(none_as_null=True))


class UTCDateTime(TypeDecorator[datetime]):
    """An aware timestamp: rejects naive values, stores UTC, returns aware UTC on every dialect.

    On SQLite the value is stored as naive UTC text of fixed width, so text order is time order.
    A value read from outside limits.MIN_INSTANT..MAX_INSTANT (stored before catalyst refused
    such times) comes back clamped to that range, so no zone's clock overflows on it.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: timestamps must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return clamp(value.replace(tzinfo=UTC))
        return _aware_utc(value)

    def bind_processor(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            # One C-level call per value instead of this type's step and then SQLAlchemy's
            # formatting of SQLite's DATETIME text: the same text, a bulk import's hot spot.
            return _to_sqlite_text
        if dialect.name == "postgresql":
            return _to_timestamptz  # one call per value, not TypeDecorator's two
        return super().bind_processor(dialect)

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        if dialect.name == "postgresql":
            # psycopg already returns aware datetimes: one plain call per value, not the two
            # of TypeDecorator's wrapper (a report reads a million timestamps)
            return _aware_utc
        if dialect.name == "sqlite":
            return _from_sqlite_text
        return super().result_processor(dialect, coltype)


def _to_sqlite_text(value: datetime | None) -> str | None:
    """SQLAlchemy's SQLite DATETIME text (`YYYY-MM-DD HH:MM:SS.ffffff`) of the UTC instant."""
    if value is None:
        return None
    if value.tzinfo is not UTC:  # the recorder's times are UTC already: no conversion
        value = _aware(value).astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:-6]  # less its "+00:00"


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: timestamps must be timezone-aware")
    return value


def _to_timestamptz(value: datetime | None) -> datetime | None:
    """An aware value as it is: `timestamptz` stores the instant, whatever its zone."""
    return None if value is None else value if value.tzinfo is UTC else _aware(value)


def _from_sqlite_text(value: str | datetime | None) -> datetime | None:
    """The aware UTC instant of stored SQLite text, clamped like every read."""
    if value is None:
        return None
    if isinstance(value, str):
        # an offset in the text, not .replace(): about a sixth of the time per value; the
        # range checked in line, `clamp` called only outside it (a report reads millions)
        found = datetime.fromisoformat(value + "+00:00")
        return found if MIN_INSTANT <= found <= MAX_INSTANT else clamp(found)
    return clamp(value.replace(tzinfo=UTC))


def _aware_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if MIN_INSTANT <= value <= MAX_INSTANT:
        return value if value.tzinfo is UTC else value.astimezone(UTC)
    return clamp(value).astimezone(UTC)


metadata = MetaData(naming_convention=NAMING_CONVENTION)
"""Every catalyst table, named by the convention above."""
