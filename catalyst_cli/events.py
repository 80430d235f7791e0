"""The learning record's values: one `Event` per recorded fact, whatever the input.

Single commands, `import` (CSV, JSON lines, xAPI) and `seed` all turn what they read into
these values and hand them to `recorder.Recorder`, the one way into the database. The module
needs no database, so readers can build events without importing SQLAlchemy.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple


class EventKind(enum.StrEnum):
    """What an event records; the values are the `event` column of `import` and `export`."""

    start = "start"
    complete = "complete"
    quiz = "quiz"
    enrol = "enrol"
    withdraw = "withdraw"


MODULE_KINDS = frozenset({EventKind.start, EventKind.complete})
COMPETENCY_KINDS = frozenset({EventKind.enrol, EventKind.withdraw})


class Event(NamedTuple):
    """One fact of the learning record, names already resolved to ids, time in UTC.

    A module event (start, complete) names `module_id`; an enrolment event (enrol, withdraw)
    names `competency_id`; an attempt (quiz) names `quiz_id`, its quiz's `module_id`, and a
    graded `score` of `total` with its verdict `passed`. `duration_us` is the time spent on
    what the event reports, ending at `at`. `line` places the event in its source, for
    messages (0 for a single command). A NamedTuple: bulk imports build millions of them.
    """

    kind: EventKind
    user_id: int
    at: datetime
    module_id: int | None = None
    competency_id: int | None = None
    quiz_id: int | None = None
    score: int | None = None
    total: int | None = None
    passed: bool | None = None
    answers: Mapping[str, Any] | None = None
    duration_us: int | None = None
    external_id: str | None = None
    line: int = 0

    def content(self) -> tuple[Any, ...]:
        """What an id's repeat is compared on: everything but the time and the source line.

        As for an xAPI statement id, the same key with the same content is the same event; the
        time is left out so that a retried command (whose default time is "now") is a repeat.
        """
        answers = None if self.answers is None else dict(self.answers)
        return (
            self.kind,
            self.user_id,
            self.module_id,
            self.competency_id,
            self.quiz_id,
            self.score,
            self.total,
            self.passed,
            answers,
            self.duration_us,
        )

    def same_content(self, other: Event) -> bool:
        """Whether two events say the same thing (see `content`)."""
        return self.content() == other.content()
