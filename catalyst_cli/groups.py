"""Groups of learners: names, looking them up, and the learners in any of some groups."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from sqlalchemy import ColumnElement, Connection, select

from catalyst_cli.db.models import Group, GroupMember, User
from catalyst_cli.errors import InputError, unknown

MAX_GROUP_NAME = 200
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # Unicode's control characters (Cc)


@lru_cache(maxsize=4096)
def normalize_group(name: str) -> str:
    """A group name trimmed; empty, too long, or with `;` or control characters is an error."""
    value = name.strip()
    if not value:
        raise InputError("empty group name")
    if len(value) > MAX_GROUP_NAME:
        raise InputError(f"group name {value[:40]!r}... is longer than {MAX_GROUP_NAME}")
    if ";" in value or CONTROL.search(value):
        raise InputError(f"invalid group name {value!r}: no ';' or control characters")
    return value


def group_ids(session: Connection, names: Iterable[str]) -> dict[str, int]:
    """The id of each group named; an unknown one is a NotFoundError naming the closest."""
    wanted = sorted({n.strip() for n in names})
    stmt = select(Group.c.name, Group.c.id).where(Group.c.name.in_(wanted))
    found = {name: gid for name, gid in session.execute(stmt)}
    for name in wanted:
        if name not in found:
            raise unknown("group", name, sorted(session.scalars(select(Group.c.name))))
    return found


def in_groups(
    session: Connection, names: Sequence[str], user_id: ColumnElement[int]
) -> ColumnElement[bool]:
    """A WHERE clause: `user_id` is a member of any of the groups named (checked here)."""
    ids = sorted(group_ids(session, names).values())
    return user_id.in_(select(GroupMember.c.user_id).where(GroupMember.c.group_id.in_(ids)))


def users_in_groups(session: Connection, names: Sequence[str]) -> list[int]:
    """The ids of the learners in any of the groups named, in email order."""
    stmt = select(User.c.id).where(in_groups(session, names, User.c.id)).order_by(User.c.email)
    return list(session.scalars(stmt))


def emails_in_groups(session: Connection, names: Sequence[str]) -> list[str]:
    """The emails of the learners in any of the groups named, in order."""
    stmt = select(User.c.email).where(in_groups(session, names, User.c.id)).order_by(User.c.email)
    return list(session.scalars(stmt))
