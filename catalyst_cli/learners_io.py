"""Learners in bulk: `users import` (upsert with groups and identities) and `users list`.

An import reads the whole file first (one small tuple per learner), checks every line, then
compares it with what is stored in a few set-based queries (chunks of `IN (...)`) and writes only
the differences, each kind of change as one executemany: so a dry run counts exactly what the
import would write, and nothing is written when any line is bad.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import Connection, Table, bindparam, delete, select, update

from catalyst_cli.db.models import Group, GroupMember, User, UserIdentity
from catalyst_cli.db.upsert import dialect_insert
from catalyst_cli.errors import InputError
from catalyst_cli.groups import in_groups, normalize_group
from catalyst_cli.identities import (
    MBOX,
    identity_holders,
    mbox_email,
    mbox_holders,
    normalize_identity,
)
from catalyst_cli.readers import (
    CellKind,
    Column,
    ErrorLog,
    FileFormat,
    Lines,
    RawRow,
    RowError,
    Source,
    read_rows,
)
from catalyst_cli.timeutil import zone
from catalyst_cli.users import normalize_email

COLUMNS = (
    Column("email"),
    Column("name", required=False),
    Column("timezone", required=False),
    Column("groups", required=False, kind=CellKind.items),
    Column("ids", required=False, kind=CellKind.items),
)
LEARNER_COLUMNS = tuple(c.name for c in COLUMNS)
MAX_NAME = 200
MAX_ZONE = 64
_IN_CHUNK = 1000  # values per IN (...) query, well under every driver's parameter limit
_PROGRESS_EVERY = 5000

ProgressCallback = Callable[[int, int], None]
"""Called while reading with the rows read so far and the bytes read so far."""


class LearnerLine(NamedTuple):
    """One valid line of a learners file; None keeps what is stored."""

    line: int
    email: str
    name: str | None
    timezone: str | None
    groups: frozenset[str] | None
    ids: frozenset[str] | None


@dataclass(frozen=True)
class LearnerChanges:
    """What a learners import changed (or, in a dry run, would change)."""

    added: int = 0
    updated: int = 0
    groups_created: int = 0
    memberships_added: int = 0
    memberships_removed: int = 0
    identities_added: int = 0
    identities_removed: int = 0


@dataclass(frozen=True)
class LearnerImportSummary:
    """What a learners import read and changed."""

    source: str
    rows: int
    changes: LearnerChanges
    dry_run: bool

    def describe(self) -> str:
        """The one-line summary the command prints."""
        c = self.changes
        changes = (
            f"{c.added:,} new learners, {c.updated:,} updated, {c.groups_created:,} new groups, "
            f"{c.memberships_added:,} memberships added, {c.memberships_removed:,} removed, "
            f"{c.identities_added:,} identities added, {c.identities_removed:,} removed"
        )
        if self.dry_run:
            return f"dry run: {self.source}: {self.rows:,} valid rows would give {changes}"
        return f"imported {self.source}: {self.rows:,} rows, {changes}"


# --- checking lines ---------------------------------------------------------------------------


def _items(value: Any, check: Callable[[str], str]) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return _split(value, check)
    return frozenset(check(p) for p in value)


@lru_cache(maxsize=4096)
def _split(cell: str, check: Callable[[str], str]) -> frozenset[str]:
    """A `;`-separated cell, each part checked (cached: the same groups come on many lines)."""
    return frozenset(check(p) for p in cell.split(";"))


def _zone_name(value: str) -> str:
    if len(value) > MAX_ZONE:
        raise InputError(f"unknown timezone {value[:40]!r}...")
    zone(value)
    return "UTC" if value.upper() == "UTC" else value


def check_line(row: RawRow) -> LearnerLine:
    """A raw row as a learner line; a bad value raises InputError."""
    email, name, tz, groups, ids = row.cells
    if not isinstance(email, str):
        raise InputError("missing email")
    if isinstance(name, str) and len(name) > MAX_NAME:
        raise InputError(f"name {name[:40]!r}... is longer than {MAX_NAME} characters")
    return LearnerLine(
        row.line,
        normalize_email(email),
        name if isinstance(name, str) else None,
        _zone_name(tz) if isinstance(tz, str) else None,
        _items(groups, normalize_group),
        _items(ids, normalize_identity),
    )


def read_learners(
    source: Source, fmt: FileFormat, log: ErrorLog, on_progress: ProgressCallback | None
) -> list[LearnerLine]:
    """Every valid line of the file; the bad ones go to `log`, with repeated emails."""
    lines = Lines(source.stream)
    valid: list[LearnerLine] = []
    first_line: dict[str, int] = {}
    count = 0
    for item in read_rows(lines, fmt, COLUMNS):
        count += 1
        if on_progress is not None and count % _PROGRESS_EVERY == 0:
            on_progress(count, lines.bytes_read)
        if isinstance(item, RowError):
            log.add([item])
            continue
        try:
            learner = check_line(item)
        except InputError as exc:
            log.add([RowError(item.line, str(exc))])
            continue
        seen = first_line.setdefault(learner.email, learner.line)
        if seen != learner.line:
            log.add([RowError(learner.line, f"learner {learner.email} is also on line {seen}")])
            continue
        valid.append(learner)
    if on_progress is not None:
        on_progress(count, lines.bytes_read)
    return valid


# --- comparing with what is stored ------------------------------------------------------------


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for i in range(0, len(values), _IN_CHUNK):
        yield values[i : i + _IN_CHUNK]


_STORED_LEARNERS = select(User.c.email, User.c.id, User.c.name, User.c.timezone).where(
    User.c.email.in_(bindparam("emails", expanding=True))
)


def _stored_learners(
    session: Connection, emails: Sequence[str]
) -> dict[str, tuple[int, str | None, str]]:
    """(id, name, timezone) of the learners with these emails that exist, by email."""
    found: dict[str, tuple[int, str | None, str]] = {}
    for chunk in _chunks(emails):
        rows = session.execute(_STORED_LEARNERS, {"emails": list(chunk)})
        found.update((e, (i, n, tz)) for e, i, n, tz in rows)
    return found


def _identity_errors(
    session: Connection, learners: list[LearnerLine], stored: dict[str, Any]
) -> list[RowError]:
    """Lines whose identities another learner would hold after the import.

    An identity is held by one learner: a second line claiming it, a learner outside the file
    (or in it without replacing their identities) holding it, or another learner's email as an
    `mbox` are errors. A learner whose `ids` cell drops an identity releases it.
    """
    errors: list[RowError] = []
    claimed: dict[str, LearnerLine] = {}
    for x in learners:
        for identity in sorted(x.ids or ()):
            other = claimed.setdefault(identity, x)
            if other is not x:
                errors.append(
                    RowError(x.line, f"identity {identity!r} is also on line {other.line}")
                )
    replaced = {x.email: x.ids for x in learners if x.ids is not None}
    in_file = {x.email for x in learners}
    new_mboxes = {MBOX + x.email: x for x in learners if x.email not in stored}
    holders = identity_holders(session, sorted(claimed))
    # the mbox identities stored are few: one query, rather than one per chunk of new learners
    holders.update((i, h) for i, h in mbox_holders(session).items() if i in new_mboxes)
    owners = {e for i in claimed if (e := mbox_email(i)) is not None}
    known = in_file | set(_stored_learners(session, sorted(owners - in_file)))
    for identity, (_, holder) in holders.items():
        released = replaced.get(holder)
        if released is not None and identity not in released:
            continue
        claimant = claimed.get(identity)
        if claimant is not None and holder != claimant.email:
            message = f"identity {identity!r} is held by learner {holder}"
            errors.append(RowError(claimant.line, message))
        newcomer = new_mboxes.get(identity)
        if newcomer is not None and holder != newcomer.email:
            message = f"{newcomer.email} is an identity of learner {holder}"
            errors.append(RowError(newcomer.line, message))
    for identity, x in claimed.items():
        owner = mbox_email(identity)
        if owner is not None and owner != x.email and owner in known:
            errors.append(RowError(x.line, f"identity {identity!r} is the email of {owner}"))
    return errors


@dataclass
class _Diff:
    """Pairs to add and to remove, by email for additions (new learners have no id yet)."""

    add: list[tuple[str, str]]
    remove: list[tuple[int, Any]]


def _diff(
    session: Connection,
    learners: list[LearnerLine],
    stored: dict[str, Any],
    wanted: Callable[[LearnerLine], frozenset[str] | None],
    current: Any,
) -> _Diff:
    """What to add and remove so that each line's learner has exactly the wanted set.

    `current` selects (user id, value, key to remove by) for user ids bound as `ids`.
    """
    lines = [x for x in learners if wanted(x) is not None]
    have: dict[int, dict[str, Any]] = {}
    user_ids = sorted(stored[x.email][0] for x in lines if x.email in stored)
    for chunk in _chunks(user_ids):
        for uid, value, key in session.execute(current, {"ids": list(chunk)}):
            have.setdefault(uid, {})[value] = key
    diff = _Diff([], [])
    for x in lines:
        want = wanted(x) or frozenset()
        user_id: int = stored[x.email][0] if x.email in stored else 0  # 0: new, no rows held
        held = have.get(user_id, {})
        if not held:
            diff.add += [(x.email, v) for v in want]
            continue
        diff.add += [(x.email, v) for v in want - held.keys()]
        diff.remove += [(user_id, held[v]) for v in held.keys() - want]
    return diff


_CURRENT_GROUPS = (
    select(GroupMember.c.user_id, Group.c.name, Group.c.id)
    .join(Group, Group.c.id == GroupMember.c.group_id)
    .where(GroupMember.c.user_id.in_(bindparam("ids", expanding=True)))
)
_CURRENT_IDENTITIES = select(
    UserIdentity.c.user_id, UserIdentity.c.identity, UserIdentity.c.id
).where(UserIdentity.c.user_id.in_(bindparam("ids", expanding=True)))


def _group_ids(session: Connection, names: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(names):
        stmt = select(Group.c.name, Group.c.id).where(Group.c.name.in_(chunk))
        found.update((name, gid) for name, gid in session.execute(stmt))
    return found


# --- writing ----------------------------------------------------------------------------------


def _executemany(session: Connection, stmt: Any, rows: list[dict[str, Any]]) -> None:
    """Run `stmt` once per row through the driver's own executemany.

    SQLAlchemy's per-row parameter processing cost more than the inserts themselves (about 40%
    of a 10,000-learner import), so the statement is compiled once and the rows go to the
    driver as they are: their values must be plain text and numbers, or already in the driver's
    form (`_driver_value`).
    """
    if not rows:
        return
    connection = session
    compiled = stmt.compile(dialect=connection.dialect)
    order = compiled.positiontup
    params: list[Any] = rows
    if order is not None:
        get = itemgetter(*order)
        params = [get(r) for r in rows] if len(order) > 1 else [(get(r),) for r in rows]
    connection.exec_driver_sql(compiled.string, params)


def _driver_value(session: Connection, column: Any, value: Any) -> Any:
    """`value` as the driver takes it for `column` (a timestamp through our UTC type)."""
    process = column.type.bind_processor(session.dialect)
    return value if process is None else process(value)


def _insert(session: Connection, table: Table, columns: Sequence[str], conflict: Any) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING with one named parameter per column."""
    values: dict[str, Any] = {c: bindparam(c) for c in columns}
    return (
        dialect_insert(session, table)
        .values(values)
        .on_conflict_do_nothing(index_elements=conflict)
    )


def _write(
    session: Connection,
    learners: list[LearnerLine],
    stored: dict[str, Any],
    groups: _Diff,
    new_groups: list[str],
    identities: _Diff,
    now: datetime,
) -> None:
    """Apply the differences, each kind of change as one executemany."""
    users, members, held = User, GroupMember, UserIdentity
    new = [x for x in learners if x.email not in stored]
    created = _driver_value(session, users.c.created_at, now)
    _executemany(
        session,
        _insert(session, users, ("email", "name", "timezone", "created_at"), ["email"]),
        [
            {
                "email": x.email,
                "name": x.name,
                "timezone": x.timezone or "UTC",
                "created_at": created,
            }
            for x in new
        ],
    )
    changed = [(x, stored[x.email]) for x in learners if _changed(x, stored)]
    _executemany(
        session,
        update(users)
        .where(users.c.id == bindparam("uid"))
        .values(name=bindparam("new_name"), timezone=bindparam("new_zone")),
        [
            {"uid": s[0], "new_name": x.name or s[1], "new_zone": x.timezone or s[2]}
            for x, s in changed
        ],
    )
    ids = {e: v[0] for e, v in stored.items()}
    ids.update((e, v[0]) for e, v in _stored_learners(session, [x.email for x in new]).items())
    _executemany(
        session,
        _insert(session, Group, ("name",), ["name"]),
        [{"name": n} for n in new_groups],
    )
    _executemany(
        session,
        delete(members).where(
            members.c.user_id == bindparam("uid"), members.c.group_id == bindparam("gid")
        ),
        [{"uid": u, "gid": g} for u, g in groups.remove],
    )
    by_name = _group_ids(session, sorted({g for _, g in groups.add}))
    _executemany(
        session,
        _insert(session, members, ("user_id", "group_id"), None),
        [{"user_id": ids[e], "group_id": by_name[g]} for e, g in groups.add],
    )
    _executemany(
        session,
        delete(held).where(held.c.id == bindparam("row_id")),
        [{"row_id": key} for _, key in identities.remove],
    )
    _executemany(
        session,
        _insert(session, held, ("user_id", "identity"), None),
        [{"user_id": ids[e], "identity": i} for e, i in identities.add],
    )


def _changed(x: LearnerLine, stored: dict[str, Any]) -> bool:
    s = stored.get(x.email)
    return s is not None and (
        (x.name is not None and x.name != s[1]) or (x.timezone is not None and x.timezone != s[2])
    )


def import_learners(
    session: Connection,
    source: Source,
    *,
    fmt: FileFormat,
    dry_run: bool,
    now: datetime,
    on_progress: ProgressCallback | None = None,
) -> LearnerImportSummary:
    """Upsert the learners of `source` with their groups and identities, or raise ImportFailed.

    An empty cell keeps what is stored; a `groups` or `ids` cell replaces the learner's groups
    (creating groups as needed) or identities. A dry run writes nothing and counts the changes.
    """
    log = ErrorLog()
    learners = read_learners(source, fmt, log, on_progress)
    stored = _stored_learners(session, [x.email for x in learners])
    log.add(_identity_errors(session, learners, stored))
    log.raise_if_any(source.name)
    groups = _diff(session, learners, stored, lambda x: x.groups, _CURRENT_GROUPS)
    wanted_groups = sorted({g for _, g in groups.add})
    new_groups = sorted(set(wanted_groups) - _group_ids(session, wanted_groups).keys())
    identities = _diff(session, learners, stored, lambda x: x.ids, _CURRENT_IDENTITIES)
    if not dry_run:
        _write(session, learners, stored, groups, new_groups, identities, now)
    changes = LearnerChanges(
        added=sum(1 for x in learners if x.email not in stored),
        updated=sum(1 for x in learners if _changed(x, stored)),
        groups_created=len(new_groups),
        memberships_added=len(groups.add),
        memberships_removed=len(groups.remove),
        identities_added=len(identities.add),
        identities_removed=len(identities.remove),
    )
    return LearnerImportSummary(source.name, len(learners), changes, dry_run)


# --- listing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LearnerRow:
    """A learner with their groups and identities, as `users list` writes and `import` reads."""

    email: str
    name: str | None
    timezone: str
    groups: tuple[str, ...]
    ids: tuple[str, ...]


def learner_rows(session: Connection, *, groups: Sequence[str] = ()) -> Iterator[LearnerRow]:
    """Every learner (or those in any of `groups`) by email, streamed, with groups and ids.

    Groups and identities come in one query each per chunk of learners.
    """
    stmt = select(User.c.id, User.c.email, User.c.name, User.c.timezone).order_by(User.c.email)
    if groups:
        stmt = stmt.where(in_groups(session, groups, User.c.id))
    chunk: list[tuple[int, str, str | None, str]] = []
    for uid, email, name, tz in session.execute(stmt.execution_options(yield_per=_IN_CHUNK)):
        chunk.append((uid, email, name, tz))
        if len(chunk) >= _IN_CHUNK:
            yield from _with_sets(session, chunk)
            chunk = []
    yield from _with_sets(session, chunk)


def _with_sets(
    session: Connection, chunk: list[tuple[int, str, str | None, str]]
) -> Iterator[LearnerRow]:
    if not chunk:
        return
    ids = [r[0] for r in chunk]
    member_of: dict[int, list[str]] = {}
    for uid, group, _ in session.execute(_CURRENT_GROUPS, {"ids": ids}):
        member_of.setdefault(uid, []).append(group)
    holds: dict[int, list[str]] = {}
    for uid, identity, _ in session.execute(_CURRENT_IDENTITIES, {"ids": ids}):
        holds.setdefault(uid, []).append(identity)
    for uid, email, name, tz in chunk:
        yield LearnerRow(
            email,
            name,
            tz,
            tuple(sorted(member_of.get(uid, ()))),
            tuple(sorted(holds.get(uid, ()))),
        )


def learner_record(row: LearnerRow, *, lists: bool) -> dict[str, Any]:
    """A learner row as output columns: groups and ids as lists (JSON) or `;`-joined text."""
    if lists:
        return {
            "email": row.email,
            "name": row.name,
            "timezone": row.timezone,
            "groups": list(row.groups),
            "ids": list(row.ids),
        }
    return {
        "email": row.email,
        "name": row.name,
        "timezone": row.timezone,
        "groups": ";".join(row.groups),
        "ids": ";".join(row.ids),
    }
