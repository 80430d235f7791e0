"""The tables of SPEC.md, with the seed's table names, and the learning record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from catalyst_cli.db.base import Base, JSONType

IRI_LENGTH = 600  # at 4 bytes a character, still within a PostgreSQL index entry
EXTERNAL_ID_LENGTH = 200


class User(Base):
    """A learner. `email` is stored lower-cased, so emails compare case-insensitively."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), server_default="UTC")
    created_at: Mapped[datetime]


class Competency(Base):
    """A competency: an ordered group of modules."""

    __tablename__ = "competencies"
    __table_args__ = (Index("uq_competencies_iri", "iri", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    position: Mapped[int]
    iri: Mapped[str | None] = mapped_column(String(IRI_LENGTH))


class LearningModule(Base):
    """A module; its slug is unique within its competency."""

    __tablename__ = "learning_modules"
    __table_args__ = (
        UniqueConstraint("competency_id", "slug"),
        Index("ix_learning_modules_competency_position", "competency_id", "position"),
        Index("uq_learning_modules_iri", "iri", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    competency_id: Mapped[int] = mapped_column(ForeignKey("competencies.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(500))
    position: Mapped[int]
    iri: Mapped[str | None] = mapped_column(String(IRI_LENGTH))


class Quiz(Base):
    """A quiz of one module; its slug is globally unique."""

    __tablename__ = "quizzes"
    __table_args__ = (
        CheckConstraint("pass_percent BETWEEN 0 AND 100", name="pass_percent_range"),
        Index("uq_quizzes_iri", "iri", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(
        ForeignKey("learning_modules.id", ondelete="CASCADE"), index=True
    )
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    pass_percent: Mapped[int] = mapped_column(server_default="70")
    position: Mapped[int]
    questions: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    iri: Mapped[str | None] = mapped_column(String(IRI_LENGTH))


class LearningProgress(Base):
    """One learner's progress on one module; no row means not started."""

    __tablename__ = "learning_progress"
    __table_args__ = (
        UniqueConstraint("user_id", "module_id"),
        CheckConstraint("status IN ('in_progress', 'completed')", name="status_values"),
        Index("ix_learning_progress_module_id", "module_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(ForeignKey("learning_modules.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]


class QuizAttempt(Base):
    """One recorded quiz attempt.

    `external_id` is the caller's idempotency key. Attempts without one are identified by their
    content (user, quiz, time, score, total): a partial unique index makes them idempotent too.
    """

    __tablename__ = "quiz_attempts"
    __table_args__ = (
        CheckConstraint("score >= 0 AND score <= total_questions", name="score_range"),
        CheckConstraint("total_questions >= 1", name="total_positive"),
        Index("ix_quiz_attempts_user_id_created_at", "user_id", "created_at"),
        Index("ix_quiz_attempts_quiz_id", "quiz_id"),
        Index(
            "uq_quiz_attempts_content",
            "user_id",
            "quiz_id",
            "created_at",
            "score",
            "total_questions",
            unique=True,
            sqlite_where=text("external_id IS NULL"),
            postgresql_where=text("external_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"))
    score: Mapped[int]
    total_questions: Mapped[int]
    answers: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    passed: Mapped[bool]
    created_at: Mapped[datetime]
    external_id: Mapped[str | None] = mapped_column(String(EXTERNAL_ID_LENGTH), unique=True)
    duration_us: Mapped[int | None] = mapped_column(BigInteger)


class LearningEvent(Base):
    """One recorded start, completion, enrolment or withdrawal: the learning record.

    Append-only; `learning_progress` is derived from these rows and the quiz attempts. Module
    events name a module, enrolment events a competency. `duration_us` is the time the learner
    spent on what the event reports, ending at `occurred_at`. Without `external_id`, the same
    event twice (learner, kind, target, instant) is one row: partial unique indexes.
    """

    __tablename__ = "learning_events"
    __table_args__ = (
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
        Index(
            "uq_learning_events_module_content",
            "user_id",
            "kind",
            "module_id",
            "occurred_at",
            unique=True,
            sqlite_where=text("external_id IS NULL AND module_id IS NOT NULL"),
            postgresql_where=text("external_id IS NULL AND module_id IS NOT NULL"),
        ),
        Index(
            "uq_learning_events_competency_content",
            "user_id",
            "kind",
            "competency_id",
            "occurred_at",
            unique=True,
            sqlite_where=text("external_id IS NULL AND competency_id IS NOT NULL"),
            postgresql_where=text("external_id IS NULL AND competency_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    module_id: Mapped[int | None] = mapped_column(
        ForeignKey("learning_modules.id", ondelete="CASCADE")
    )
    competency_id: Mapped[int | None] = mapped_column(
        ForeignKey("competencies.id", ondelete="CASCADE")
    )
    occurred_at: Mapped[datetime]
    duration_us: Mapped[int | None] = mapped_column(BigInteger)
    external_id: Mapped[str | None] = mapped_column(String(EXTERNAL_ID_LENGTH), unique=True)


class Group(Base):
    """A named set of learners; a learner may be in any number of groups."""

    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class GroupMember(Base):
    """A learner's membership of a group."""

    __tablename__ = "group_members"
    __table_args__ = (Index("ix_group_members_user_id", "user_id"),)

    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )


class UserIdentity(Base):
    """An xAPI identity a learner holds (`account:HOMEPAGE|NAME`, `openid:URL`, ...)."""

    __tablename__ = "user_identities"
    __table_args__ = (Index("ix_user_identities_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    identity: Mapped[str] = mapped_column(String(IRI_LENGTH), unique=True)


class VoidedId(Base):
    """An event id withdrawn by a voiding statement: importing it again records nothing."""

    __tablename__ = "voided_ids"

    external_id: Mapped[str] = mapped_column(String(EXTERNAL_ID_LENGTH), primary_key=True)
    voided_by: Mapped[str | None] = mapped_column(String(EXTERNAL_ID_LENGTH))
    voided_at: Mapped[datetime]
