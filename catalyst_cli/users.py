"""Learners: adding, listing and finding them by email (case-insensitive)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import Connection, select

from catalyst_cli.db.models import User
from catalyst_cli.db.upsert import dialect_insert
from catalyst_cli.errors import InputError, NotFoundError
from catalyst_cli.limits import MAX_EMAIL, MAX_NAME, check_identifier, check_text, preview
from catalyst_cli.timeutil import zone

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


@dataclass(frozen=True)
class Learner:
    """A learner as the domain sees one."""

    id: int
    email: str
    name: str | None
    timezone: str

    @property
    def tz(self) -> tzinfo:
        """The learner's IANA zone."""
        return zone(self.timezone)


def normalize_email(email: str) -> str:
    """The stored form of an email: trimmed and lower-cased; a malformed one is an InputError.

    No control, invisible or space characters, at most limits.MAX_EMAIL characters.
    """
    value = check_identifier("email", email.strip().lower(), MAX_EMAIL)
    if not _EMAIL.match(value):
        raise InputError(f"invalid email {preview(email)}")
    return value


def check_name(name: str) -> str:
    """A learner's display name, as both backends store it."""
    return check_text("name", name, MAX_NAME)


def add_user(
    session: Connection, email: str, *, name: str | None, timezone: str | None, now: datetime
) -> Learner:
    """Add a learner, or update the name and zone given for an existing one."""
    key = normalize_email(email)
    if name is not None:
        check_name(name)
    if timezone is not None:
        zone(timezone)
    values = {"email": key, "name": name, "timezone": timezone or "UTC", "created_at": now}
    updates = {k: v for k, v in (("name", name), ("timezone", timezone)) if v is not None}
    ins = dialect_insert(session, User).values(**values)
    stmt = (
        ins.on_conflict_do_update(index_elements=["email"], set_=updates)
        if updates
        else ins.on_conflict_do_nothing(index_elements=["email"])
    )
    session.execute(stmt)
    return get_learner(session, key)


def _unknown_user(email: str) -> NotFoundError:
    hint = email if len(email) <= MAX_EMAIL else "EMAIL"
    return NotFoundError(f"unknown user {preview(email)}: add it with `catalyst users add {hint}`")


def _lookup_key(email: str) -> str:
    """The stored form of an email to look up; one no row can hold is unknown at once."""
    key = email.strip().lower()
    try:
        return check_text("email", key, MAX_EMAIL)
    except InputError:
        raise _unknown_user(email) from None


def get_learner(session: Connection, email: str) -> Learner:
    """The learner with this email; unknown is a NotFoundError."""
    row = session.execute(
        select(User.c.id, User.c.email, User.c.name, User.c.timezone).where(
            User.c.email == _lookup_key(email)
        )
    ).first()
    if row is None:
        raise _unknown_user(email)
    return Learner(*row)


def list_learners(session: Connection) -> Iterator[Learner]:
    """Every learner, ordered by email."""
    stmt = select(User.c.id, User.c.email, User.c.name, User.c.timezone).order_by(User.c.email)
    for row in session.execute(stmt.execution_options(yield_per=1000)):
        yield Learner(*row)


def known_emails(session: Connection, emails: Iterable[str]) -> list[str]:
    """The stored form of each email given (case-insensitive); an unknown one is NotFoundError."""
    given = {_lookup_key(e): e for e in emails}
    found = set(session.scalars(select(User.c.email).where(User.c.email.in_(sorted(given)))))
    for key in sorted(given):
        if key not in found:
            raise _unknown_user(given[key])
    return sorted(found)
