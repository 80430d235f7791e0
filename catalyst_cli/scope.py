"""Which learners a report covers: `--competency`, `--user`, `--group`, `--include-withdrawn`.

The scope is decided in one place, for every report shape (per learner, per module, summaries,
series): build a `Scope` with `resolve_scope`, then read the learners in it with
`stats.iter_activity(session, as_of=..., scope=scope)`. That applies both halves:

- in SQL, `Scope.learner_clause()` (on `users`) narrows the four streamed queries to the learners
  named by `--user` and to the members of any `--group` (a WHERE clause, no query per learner);
- in Python, `Scope.admits(activity)` keeps, under `--competency C`, the learners enrolled in C
  at `as_of` (everyone when C is open), plus, with `include_withdrawn`, those whose last
  enrolment in C a withdraw ended. It reads only the learner's streamed events.

`Scope.standing(activity)` gives the learner's `Enrolment` in C (None without a competency or
when the learner has no enrol or withdraw for it) for the `enrolled_at` and `withdrawn_at`
columns. A scope is a frozen value: a summary may build one per row group and reuse it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, Connection, and_, select, true

from catalyst_cli.catalog import CatalogIndex, CompetencyRef
from catalyst_cli.db.models import GroupMember, User
from catalyst_cli.enrolment import Enrolment
from catalyst_cli.errors import InputError
from catalyst_cli.groups import group_ids
from catalyst_cli.users import known_emails

if TYPE_CHECKING:
    from catalyst_cli.stats import LearnerActivity


@dataclass(frozen=True)
class Scope:
    """The learners a report covers; the default covers everyone.

    `competency`: under `--competency`, the competency (None: all, no enrolment filter).
    `emails`: the stored emails of `--user` (None: any learner).
    `group_ids`: the ids of the `--group`s, a learner in any of them is in (None: any learner).
    `include_withdrawn`: under a competency, admit the learners withdrawn from it too.
    """

    competency: CompetencyRef | None = None
    emails: tuple[str, ...] | None = None
    group_ids: tuple[int, ...] | None = None
    include_withdrawn: bool = False

    def learner_clause(self) -> ColumnElement[bool]:
        """A WHERE clause on `users`: the learners `--user` and `--group` leave in."""
        clauses: list[ColumnElement[bool]] = []
        if self.emails is not None:
            clauses.append(User.c.email.in_(self.emails))
        if self.group_ids is not None:
            members = select(GroupMember.c.user_id).where(
                GroupMember.c.group_id.in_(self.group_ids)
            )
            clauses.append(User.c.id.in_(members))
        return and_(true(), *clauses)

    def standing(self, activity: LearnerActivity) -> Enrolment | None:
        """The learner's enrolment in the scope's competency, if they have one recorded."""
        if self.competency is None:
            return None
        return activity.enrolments().get(self.competency.id)

    def admits(self, activity: LearnerActivity) -> bool:
        """Whether the learner is in scope at `activity.as_of` (after the SQL narrowing)."""
        comp = self.competency
        if comp is None:
            return True
        if activity.open_competencies is None or comp.id in activity.open_competencies:
            return True
        standing = self.standing(activity)
        if standing is None:
            return False
        return standing.enrolled or (self.include_withdrawn and standing.withdrawn_at is not None)


def resolve_scope(
    session: Connection,
    index: CatalogIndex,
    *,
    competency: str | None = None,
    users: Sequence[str] | None = None,
    groups: Sequence[str] | None = None,
    include_withdrawn: bool = False,
) -> Scope:
    """The scope of `--competency`, `--user`s, `--group`s and `--include-withdrawn`, checked.

    An unknown competency, learner or group is a NotFoundError (exit 1) naming it, and
    `--include-withdrawn` without `--competency` an InputError: errors surface before any row.
    """
    if include_withdrawn and competency is None:
        raise InputError("--include-withdrawn needs --competency: withdrawn from which?")
    return Scope(
        competency=None if competency is None else index.competency(competency),
        emails=tuple(known_emails(session, users)) if users else None,
        group_ids=tuple(sorted(group_ids(session, groups).values())) if groups else None,
        include_withdrawn=include_withdrawn,
    )
