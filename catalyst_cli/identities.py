"""xAPI identities a learner holds besides the email: normalising, resolving and adding them.

The normalised forms: `mbox:mailto:EMAIL` (the email as `users.normalize_email` stores it),
`mbox_sha1sum:HEX` (40 lower-case hex digits), `openid:URL` and `account:HOMEPAGE|NAME` (as
given). The `mbox` of a learner's own email is implied: `mbox:mailto:EMAIL` resolves to the
learner with that email even when no identity row holds it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, select

from catalyst_cli.db.models import IRI_LENGTH, User, UserIdentity
from catalyst_cli.db.upsert import dialect_insert
from catalyst_cli.errors import InputError
from catalyst_cli.groups import CONTROL
from catalyst_cli.users import Learner, normalize_email

MAX_IDENTITY_LENGTH = IRI_LENGTH
MBOX = "mbox:mailto:"
_SHA1 = re.compile(r"[0-9a-f]{40}\Z")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+\Z")
_IN_CHUNK = 1000  # values per IN (...) query, well under every driver's parameter limit
_FORMS = "mbox:mailto:EMAIL, mbox_sha1sum:HEX, openid:URL or account:HOMEPAGE|NAME"


def _uri(value: str, what: str, identity: str) -> str:
    if not _URI.match(value):
        raise InputError(f"invalid identity {identity!r}: the {what} must be an absolute URL")
    return value


def normalize_identity(text: str) -> str:
    """The stored form of an identity; an unknown form or a bad value is an InputError.

    `;` and control characters are refused: `;` separates identities in a CSV cell.
    """
    value = text.strip()
    if not value:
        raise InputError("empty identity")
    if ";" in value or CONTROL.search(value):
        raise InputError(f"invalid identity {text!r}: no ';' or control characters")
    kind, sep, rest = value.partition(":")
    kind = kind.lower()
    if not sep:
        raise InputError(f"invalid identity {text!r}: use {_FORMS}")
    if kind == "mbox":
        if rest[:7].lower() != "mailto:":
            raise InputError(f"invalid identity {text!r}: an mbox is mailto:EMAIL")
        normal = MBOX + normalize_email(rest[7:])
    elif kind == "mbox_sha1sum":
        digest = rest.strip().lower()
        if not _SHA1.match(digest):
            raise InputError(f"invalid identity {text!r}: mbox_sha1sum is 40 hex digits")
        normal = f"{kind}:{digest}"
    elif kind == "openid":
        normal = f"{kind}:{_uri(rest.strip(), 'openid', text)}"
    elif kind == "account":
        home, bar, name = rest.partition("|")
        if not bar or not name.strip():
            raise InputError(f"invalid identity {text!r}: an account is account:HOMEPAGE|NAME")
        normal = f"{kind}:{_uri(home.strip(), 'homepage', text)}|{name.strip()}"
    else:
        raise InputError(f"invalid identity {text!r}: use {_FORMS}")
    if len(normal) > MAX_IDENTITY_LENGTH:
        raise InputError(f"invalid identity {text[:40]!r}...: longer than {MAX_IDENTITY_LENGTH}")
    return normal


def mbox_email(identity: str) -> str | None:
    """The email of a normalised `mbox:mailto:` identity, else None."""
    return identity[len(MBOX) :] if identity.startswith(MBOX) else None


def _learners_by_email(session: Connection, emails: Sequence[str]) -> dict[str, Learner]:
    found: dict[str, Learner] = {}
    for i in range(0, len(emails), _IN_CHUNK):
        stmt = select(User.c.id, User.c.email, User.c.name, User.c.timezone).where(
            User.c.email.in_(emails[i : i + _IN_CHUNK])
        )
        found.update((row.email, Learner(*row)) for row in session.execute(stmt))
    return found


def learners_by_identity(session: Connection, identities: Iterable[str]) -> dict[str, Learner]:
    """The learner holding each normalised identity that one holds (a few queries in all).

    An `mbox:mailto:EMAIL` is first the learner with that email, then whoever holds it.
    """
    wanted = sorted(set(identities))
    by_email = _learners_by_email(session, [e for e in map(mbox_email, wanted) if e])
    found = {MBOX + email: learner for email, learner in by_email.items()}
    rest = [i for i in wanted if i not in found]
    for i in range(0, len(rest), _IN_CHUNK):
        stmt = (
            select(UserIdentity.c.identity, User.c.id, User.c.email, User.c.name, User.c.timezone)
            .join(User, User.c.id == UserIdentity.c.user_id)
            .where(UserIdentity.c.identity.in_(rest[i : i + _IN_CHUNK]))
        )
        found.update((row[0], Learner(*row[1:])) for row in session.execute(stmt))
    return found


def learner_by_identity(session: Connection, identity: str) -> Learner | None:
    """The learner holding a normalised identity, or None."""
    return learners_by_identity(session, [identity]).get(identity)


def identity_holders(session: Connection, identities: Sequence[str]) -> dict[str, tuple[int, str]]:
    """Who holds each of these identities as a row: identity -> (user id, email)."""
    found: dict[str, tuple[int, str]] = {}
    for i in range(0, len(identities), _IN_CHUNK):
        stmt = (
            select(UserIdentity.c.identity, User.c.id, User.c.email)
            .join(User, User.c.id == UserIdentity.c.user_id)
            .where(UserIdentity.c.identity.in_(identities[i : i + _IN_CHUNK]))
        )
        found.update((ident, (uid, email)) for ident, uid, email in session.execute(stmt))
    return found


def mbox_holders(session: Connection) -> dict[str, tuple[int, str]]:
    """Every `mbox:mailto:` identity held as a row: identity -> (user id, email)."""
    stmt = (
        select(UserIdentity.c.identity, User.c.id, User.c.email)
        .join(User, User.c.id == UserIdentity.c.user_id)
        .where(UserIdentity.c.identity.startswith(MBOX, autoescape=True))
    )
    return {ident: (uid, email) for ident, uid, email in session.execute(stmt)}


def add_identities(session: Connection, user_id: int, identities: Iterable[str]) -> int:
    """Give the learner these identities (normalised here); returns how many were new.

    An identity another learner holds, or the mbox of another learner's email, is an InputError
    and nothing is added.
    """
    wanted = sorted({normalize_identity(i) for i in identities})
    if not wanted:
        return 0
    for identity, learner in learners_by_identity(session, wanted).items():
        if learner.id != user_id:
            raise InputError(f"identity {identity!r} is held by learner {learner.email}")
    held = identity_holders(session, wanted)
    rows = [{"user_id": user_id, "identity": i} for i in wanted if i not in held]
    if rows:
        stmt = dialect_insert(session, UserIdentity).on_conflict_do_nothing(
            index_elements=["identity"]
        )
        session.execute(stmt, rows)
    return len(rows)
