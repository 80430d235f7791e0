"""the learning record: every event kept; groups, identities, IRIs, voided ids

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

Every progress row becomes events: its start (unless the module was completed at that very
instant, which says the same) and its completion. Attempts stay in quiz_attempts. So every
stat the database had, it keeps.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from catalyst_cli.db.base import UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

IRI = 600
KEY = 200
MODULE_CONTENT = "external_id IS NULL AND module_id IS NOT NULL"
COMPETENCY_CONTENT = "external_id IS NULL AND competency_id IS NOT NULL"


def upgrade() -> None:
    # Plain ADD COLUMN and unique indexes, no batch mode: on SQLite a batch operation copies
    # the table and drops the old one, and with foreign keys on that drop cascades to every
    # child row (progress, attempts). Columns and indexes can be added in place.
    for table in ("competencies", "learning_modules", "quizzes"):
        op.add_column(table, sa.Column("iri", sa.String(length=IRI), nullable=True))
        op.create_index(f"uq_{table}_iri", table, ["iri"], unique=True)
    op.add_column("quiz_attempts", sa.Column("duration_us", sa.BigInteger(), nullable=True))

    op.create_table(
        "learning_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=True),
        sa.Column("competency_id", sa.Integer(), nullable=True),
        sa.Column("occurred_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("duration_us", sa.BigInteger(), nullable=True),
        sa.Column("external_id", sa.String(length=KEY), nullable=True),
        sa.CheckConstraint(
            "(kind IN ('start', 'complete') AND module_id IS NOT NULL AND competency_id IS NULL)"
            " OR (kind IN ('enrol', 'withdraw') AND competency_id IS NOT NULL"
            " AND module_id IS NULL)",
            name=op.f("ck_learning_events_kind_target"),
        ),
        sa.CheckConstraint("duration_us >= 0", name=op.f("ck_learning_events_duration_positive")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_learning_events_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["learning_modules.id"],
            name=op.f("fk_learning_events_module_id_learning_modules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["competency_id"],
            ["competencies.id"],
            name=op.f("fk_learning_events_competency_id_competencies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learning_events")),
        sa.UniqueConstraint("external_id", name=op.f("uq_learning_events_external_id")),
    )
    op.create_index(
        "ix_learning_events_user_id_occurred_at", "learning_events", ["user_id", "occurred_at"]
    )
    op.create_index("ix_learning_events_module_id", "learning_events", ["module_id"])
    op.create_index("ix_learning_events_competency_id", "learning_events", ["competency_id"])
    op.create_index(
        "uq_learning_events_module_content",
        "learning_events",
        ["user_id", "kind", "module_id", "occurred_at"],
        unique=True,
        sqlite_where=sa.text(MODULE_CONTENT),
        postgresql_where=sa.text(MODULE_CONTENT),
    )
    op.create_index(
        "uq_learning_events_competency_content",
        "learning_events",
        ["user_id", "kind", "competency_id", "occurred_at"],
        unique=True,
        sqlite_where=sa.text(COMPETENCY_CONTENT),
        postgresql_where=sa.text(COMPETENCY_CONTENT),
    )

    op.create_table(
        "groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_groups")),
        sa.UniqueConstraint("name", name=op.f("uq_groups_name")),
    )
    op.create_table(
        "group_members",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_group_members_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_group_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "user_id", name=op.f("pk_group_members")),
    )
    op.create_index("ix_group_members_user_id", "group_members", ["user_id"])
    op.create_table(
        "user_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("identity", sa.String(length=IRI), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_identities_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_identities")),
        sa.UniqueConstraint("identity", name=op.f("uq_user_identities_identity")),
    )
    op.create_index("ix_user_identities_user_id", "user_identities", ["user_id"])
    op.create_table(
        "voided_ids",
        sa.Column("external_id", sa.String(length=KEY), nullable=False),
        sa.Column("voided_by", sa.String(length=KEY), nullable=True),
        sa.Column("voided_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("external_id", name=op.f("pk_voided_ids")),
    )

    # the record of what the database knew: each progress row's start and completion
    op.execute(
        "INSERT INTO learning_events (user_id, kind, module_id, occurred_at)"
        " SELECT user_id, 'start', module_id, started_at FROM learning_progress"
        " WHERE completed_at IS NULL OR completed_at <> started_at"
    )
    op.execute(
        "INSERT INTO learning_events (user_id, kind, module_id, occurred_at)"
        " SELECT user_id, 'complete', module_id, completed_at FROM learning_progress"
        " WHERE completed_at IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_table("voided_ids")
    op.drop_index("ix_user_identities_user_id", table_name="user_identities")
    op.drop_table("user_identities")
    op.drop_index("ix_group_members_user_id", table_name="group_members")
    op.drop_table("group_members")
    op.drop_table("groups")
    op.drop_index(
        "uq_learning_events_competency_content",
        table_name="learning_events",
        sqlite_where=sa.text(COMPETENCY_CONTENT),
        postgresql_where=sa.text(COMPETENCY_CONTENT),
    )
    op.drop_index(
        "uq_learning_events_module_content",
        table_name="learning_events",
        sqlite_where=sa.text(MODULE_CONTENT),
        postgresql_where=sa.text(MODULE_CONTENT),
    )
    op.drop_index("ix_learning_events_competency_id", table_name="learning_events")
    op.drop_index("ix_learning_events_module_id", table_name="learning_events")
    op.drop_index("ix_learning_events_user_id_occurred_at", table_name="learning_events")
    op.drop_table("learning_events")
    op.drop_column("quiz_attempts", "duration_us")
    for table in ("quizzes", "learning_modules", "competencies"):
        op.drop_index(f"uq_{table}_iri", table_name=table)
        op.drop_column(table, "iri")
