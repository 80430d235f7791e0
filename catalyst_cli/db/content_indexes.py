"""The partial unique indexes that make a repeated event without an id one row.

They belong to `models`' tables; importing this module adds them there. They are kept apart
because declaring `postgresql_where` makes SQLAlchemy load its PostgreSQL dialect (some 40 ms)
to check the keyword, which a command on SQLite never needs. Nothing at run time reads them
from the metadata: the migrations create them, and the recorder's insert-on-conflict names no
index. Alembic's comparison and the schema tests import this module.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Index, text

from catalyst_cli.db.models import LearningEvent, QuizAttempt


def _partial(where: str) -> dict[str, Any]:
    return {"sqlite_where": text(where), "postgresql_where": text(where)}


ATTEMPT_CONTENT = Index(
    "uq_quiz_attempts_content",
    QuizAttempt.c.user_id,
    QuizAttempt.c.quiz_id,
    QuizAttempt.c.created_at,
    QuizAttempt.c.score,
    QuizAttempt.c.total_questions,
    unique=True,
    **_partial("external_id IS NULL"),
)


def _event_content(target: str) -> Index:
    """One learner's event of one kind on one target at one instant, once, when it has no id."""
    return Index(
        f"uq_learning_events_{target}_content",
        LearningEvent.c.user_id,
        LearningEvent.c.kind,
        LearningEvent.c[f"{target}_id"],
        LearningEvent.c.occurred_at,
        unique=True,
        **_partial(f"external_id IS NULL AND {target}_id IS NOT NULL"),
    )


MODULE_EVENT_CONTENT = _event_content("module")
COMPETENCY_EVENT_CONTENT = _event_content("competency")
