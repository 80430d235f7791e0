"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op
from catalyst_cli.db.base import UTCDateTime

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "competencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_competencies")),
        sa.UniqueConstraint("slug", name=op.f("uq_competencies_slug")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("timezone", sa.String(length=64), server_default="UTC", nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "learning_modules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("competency_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["competency_id"],
            ["competencies.id"],
            name=op.f("fk_learning_modules_competency_id_competencies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learning_modules")),
        sa.UniqueConstraint(
            "competency_id", "slug", name=op.f("uq_learning_modules_competency_id_slug")
        ),
    )
    op.create_index(
        "ix_learning_modules_competency_position",
        "learning_modules",
        ["competency_id", "position"],
        unique=False,
    )

    op.create_table(
        "learning_progress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('in_progress', 'completed')",
            name=op.f("ck_learning_progress_status_values"),
        ),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["learning_modules.id"],
            name=op.f("fk_learning_progress_module_id_learning_modules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_learning_progress_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learning_progress")),
        sa.UniqueConstraint(
            "user_id", "module_id", name=op.f("uq_learning_progress_user_id_module_id")
        ),
    )
    op.create_index(
        "ix_learning_progress_module_id", "learning_progress", ["module_id"], unique=False
    )

    op.create_table(
        "quizzes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("pass_percent", sa.Integer(), server_default="70", nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("questions", JSON, nullable=True),
        sa.CheckConstraint(
            "pass_percent BETWEEN 0 AND 100", name=op.f("ck_quizzes_pass_percent_range")
        ),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["learning_modules.id"],
            name=op.f("fk_quizzes_module_id_learning_modules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quizzes")),
        sa.UniqueConstraint("slug", name=op.f("uq_quizzes_slug")),
    )
    op.create_index(op.f("ix_quizzes_module_id"), "quizzes", ["module_id"], unique=False)

    op.create_table(
        "quiz_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("quiz_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("total_questions", sa.Integer(), nullable=False),
        sa.Column("answers", JSON, nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.CheckConstraint(
            "score >= 0 AND score <= total_questions", name=op.f("ck_quiz_attempts_score_range")
        ),
        sa.CheckConstraint("total_questions >= 1", name=op.f("ck_quiz_attempts_total_positive")),
        sa.ForeignKeyConstraint(
            ["quiz_id"],
            ["quizzes.id"],
            name=op.f("fk_quiz_attempts_quiz_id_quizzes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_quiz_attempts_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_attempts")),
        sa.UniqueConstraint("external_id", name=op.f("uq_quiz_attempts_external_id")),
    )
    op.create_index("ix_quiz_attempts_quiz_id", "quiz_attempts", ["quiz_id"], unique=False)
    op.create_index(
        "ix_quiz_attempts_user_id_created_at",
        "quiz_attempts",
        ["user_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "uq_quiz_attempts_content",
        "quiz_attempts",
        ["user_id", "quiz_id", "created_at", "score", "total_questions"],
        unique=True,
        sqlite_where=sa.text("external_id IS NULL"),
        postgresql_where=sa.text("external_id IS NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_quiz_attempts_content",
        table_name="quiz_attempts",
        sqlite_where=sa.text("external_id IS NULL"),
        postgresql_where=sa.text("external_id IS NULL"),
    )
    op.drop_index("ix_quiz_attempts_user_id_created_at", table_name="quiz_attempts")
    op.drop_index("ix_quiz_attempts_quiz_id", table_name="quiz_attempts")

    op.drop_table("quiz_attempts")
    op.drop_index(op.f("ix_quizzes_module_id"), table_name="quizzes")

    op.drop_table("quizzes")
    op.drop_index("ix_learning_progress_module_id", table_name="learning_progress")

    op.drop_table("learning_progress")
    op.drop_index("ix_learning_modules_competency_position", table_name="learning_modules")

    op.drop_table("learning_modules")
    op.drop_table("users")
    op.drop_table("competencies")
