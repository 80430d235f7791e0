"""The tables of SPEC.md, with the seed's table names, and the learning record.

Plain SQLAlchemy Core tables, no ORM: a one-event command loads neither the ORM nor mapped
classes (a tenth of its time). Each table is named for the record it holds (`User` is the
`users` table): `select(User.c.email)`. The three partial unique indexes that make content
duplicates idempotent live in `content_indexes`, which migrations and the schema tests import:
declaring their `postgresql_where` would load SQLAlchemy's PostgreSQL dialect on every command.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from catalyst_cli.db.base import JSONType, UTCDateTime, metadata

IRI_LENGTH = 600  # at 4 bytes a character, still within a PostgreSQL index entry
EXTERNAL_ID_LENGTH = 200


def _id() -> Column[int]:
    return Column("id", Integer, primary_key=True)


def _ref(name: str, target: str, *, nullable: bool = False, index: bool = False) -> Column[int]:
    return Column(name, ForeignKey(target, ondelete="CASCADE"), nullable=nullable, index=index)


User = Table(
    "users",
    metadata,
    _id(),
    Column("email", String(320), nullable=False, unique=True),  # stored lower-cased
    Column("name", String(200)),
    Column("timezone", String(64), nullable=False, server_default="UTC"),
    Column("created_at", UTCDateTime, nullable=False),
)
"""Learners. `email` is stored lower-cased, so emails compare case-insensitively."""

Competency = Table(
    "competencies",
    metadata,
    _id(),
    Column("slug", String(200), nullable=False, unique=True),
    Column("title", String(500), nullable=False),
    Column("position", Integer, nullable=False),
    Column("iri", String(IRI_LENGTH)),
    Index("uq_competencies_iri", "iri", unique=True),
)
"""Competencies: ordered groups of modules."""

LearningModule = Table(
    "learning_modules",
    metadata,
    _id(),
    _ref("competency_id", "competencies.id"),
    Column("slug", String(200), nullable=False),
    Column("title", String(500), nullable=False),
    Column("position", Integer, nullable=False),
    Column("iri", String(IRI_LENGTH)),
    UniqueConstraint("competency_id", "slug"),
    Index("ix_learning_modules_competency_position", "competency_id", "position"),
    Index("uq_learning_modules_iri", "iri", unique=True),
)
"""Modules; a module's slug is unique within its competency."""

Quiz = Table(
    "quizzes",
    metadata,
    _id(),
    _ref("module_id", "learning_modules.id", index=True),
    Column("slug", String(200), nullable=False, unique=True),
    Column("title", String(500), nullable=False),
    Column("pass_percent", Integer, nullable=False, server_default="70"),
    Column("position", Integer, nullable=False),
    Column("questions", JSONType),
    Column("iri", String(IRI_LENGTH)),
    CheckConstraint("pass_percent BETWEEN 0 AND 100", name="pass_percent_range"),
    Index("uq_quizzes_iri", "iri", unique=True),
)
"""Quizzes, each of one module; a quiz's slug is globally unique."""

LearningProgress = Table(
    "learning_progress",
    metadata,
    _id(),
    _ref("user_id", "users.id"),
    _ref("module_id", "learning_modules.id"),
    Column("status", String(16), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("completed_at", UTCDateTime),
    UniqueConstraint("user_id", "module_id"),
    CheckConstraint("status IN ('in_progress', 'completed')", name="status_values"),
    Index("ix_learning_progress_module_id", "module_id"),
)
"""One learner's progress on one module, derived from the record; no row: not started."""

QuizAttempt = Table(
    "quiz_attempts",
    metadata,
    _id(),
    _ref("user_id", "users.id"),
    _ref("quiz_id", "quizzes.id"),
    Column("score", Integer, nullable=False),
    Column("total_questions", Integer, nullable=False),
    Column("answers", JSONType),
    Column("passed", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("external_id", String(EXTERNAL_ID_LENGTH), unique=True),
    Column("duration_us", BigInteger),
    CheckConstraint("score >= 0 AND score <= total_questions", name="score_range"),
    CheckConstraint("total_questions >= 1", name="total_positive"),
    Index("ix_quiz_attempts_user_id_created_at", "user_id", "created_at"),
    Index("ix_quiz_attempts_quiz_id", "quiz_id"),
)
"""Recorded quiz attempts.

`external_id` is the caller's idempotency key. Attempts without one are identified by their
content (user, quiz, time, score, total): a partial unique index makes them idempotent too.
"""

LearningEvent = Table(
    "learning_events",
    metadata,
    _id(),
    _ref("user_id", "users.id"),
    Column("kind", String(16), nullable=False),
    _ref("module_id", "learning_modules.id", nullable=True),
    _ref("competency_id", "competencies.id", nullable=True),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("duration_us", BigInteger),
    Column("external_id", String(EXTERNAL_ID_LENGTH), unique=True),
    CheckConstraint(
        "(kind IN ('start', 'complete') AND module_id IS NOT NULL AND competency_id IS NULL)"
        " OR (kind IN ('enrol', 'withdraw') AND competency_id IS NOT NULL"
        " AND module_id IS NULL)",
        name="kind_target",
    ),
    CheckConstraint("duration_us >= 0", name="duration_positive"),
    Index("ix_learning_events_user_id_occurred_at", "user_id", "occurred_at"),
    Index("ix_learning_events_module_id", "module_id"),
    Index("ix_learning_events_competency_id", "competency_id"),
)
"""The learning record: every start, completion, enrolment and withdrawal.

Append-only; `learning_progress` is derived from these rows and the quiz attempts. Module
events name a module, enrolment events a competency. `duration_us` is the time the learner
spent on what the event reports, ending at `occurred_at`. Without `external_id`, the same
event twice (learner, kind, target, instant) is one row: partial unique indexes.
"""

Group = Table(
    "groups",
    metadata,
    _id(),
    Column("name", String(200), nullable=False, unique=True),
)
"""Named sets of learners; a learner may be in any number of groups."""

GroupMember = Table(
    "group_members",
    metadata,
    Column("group_id", ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_group_members_user_id", "user_id"),
)
"""Learners' memberships of groups."""

UserIdentity = Table(
    "user_identities",
    metadata,
    _id(),
    _ref("user_id", "users.id"),
    Column("identity", String(IRI_LENGTH), nullable=False, unique=True),
    Index("ix_user_identities_user_id", "user_id"),
)
"""The xAPI identities learners hold (`account:HOMEPAGE|NAME`, `openid:URL`, ...)."""

VoidedId = Table(
    "voided_ids",
    metadata,
    Column("external_id", String(EXTERNAL_ID_LENGTH), primary_key=True),
    Column("voided_by", String(EXTERNAL_ID_LENGTH)),
    Column("voided_at", UTCDateTime, nullable=False),
)
"""Event ids withdrawn by a voiding statement: importing one again records nothing."""
