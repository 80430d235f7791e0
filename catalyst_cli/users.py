"""Learners: adding, listing and finding them by email (case-insensitive)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalyst_cli.db.models import User
from catalyst_cli.db.upsert import dialect_insert
from catalyst_cli.errors import InputError, NotFoundError
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
    """The stored form of an email: trimmed and lower-cased; a malformed one is an InputError."""
    value = email.strip().lower()
    if not _EMAIL.match(value) or len(value) > 320:
        raise InputError(f"invalid email {email!r}")
    return value


def add_user(
    session: Session, email: str, *, name: str | None, timezone: str | None, now: datetime
) -> Learner:
    """Add a learner, or update the name and zone given for an existing one."""
    key = normalize_email(email)
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


def get_learner(session: Session, email: str) -> Learner:
    """The learner with this email; unknown is a NotFoundError."""
    key = email.strip().lower()
    row = session.execute(
        select(User.id, User.email, User.name, User.timezone).where(User.email == key)
    ).first()
    if row is None:
        raise NotFoundError(f"unknown user {email!r}: add it with `catalyst users add {email}`")
    return Learner(*row)


def list_learners(session: Session) -> Iterator[Learner]:
    """Every learner, ordered by email."""
    stmt = select(User.id, User.email, User.name, User.timezone).order_by(User.email)
    for row in session.execute(stmt.execution_options(yield_per=1000)):
        yield Learner(*row)


def known_emails(session: Session, emails: Iterable[str]) -> list[str]:
    """The stored form of each email given (case-insensitive); an unknown one is NotFoundError."""
    given = {e.strip().lower(): e for e in emails}
    found = set(session.scalars(select(User.email).where(User.email.in_(sorted(given)))))
    for key in sorted(given):
        if key not in found:
            email = given[key]
            raise NotFoundError(f"unknown user {email!r}: add it with `catalyst users add {email}`")
    return sorted(found)
