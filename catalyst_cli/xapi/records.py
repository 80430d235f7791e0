"""What an interpreted statement becomes: a record, a voiding, or a skip with its reason."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from catalyst_cli.xapi.values import Identity, Score


class EventKind(enum.Enum):
    """What a statement records about a learner (the learning record's kinds, plus attempts)."""

    START = "start"
    COMPLETE = "complete"
    ATTEMPT = "attempt"
    ENROL = "enrol"
    WITHDRAW = "withdraw"


class SkipReason(enum.Enum):
    """Why a statement records nothing. The value is the summary's wording."""

    NOT_A_STATEMENT = "not a statement"  # not an object, a required part missing, a bad value
    UNKNOWN_VERB = "unknown verb"
    IGNORED_VERB = "ignored verb"  # known, and mapped to ignore (built in or by --profile)
    GROUP_ACTOR = "Group actor"
    UNKNOWN_ACTOR = "unknown actor"  # an Agent without exactly one usable identifier
    NOT_AN_ACTIVITY = "not an activity"  # object is an Agent, Group, SubStatement, ...
    NO_TIME = "no time"


@dataclass(frozen=True)
class Activity:
    """An xAPI activity: its IRI, its name (en-US, en, then any language) and its type IRI."""

    iri: str
    name: str | None
    type: str | None


@dataclass(frozen=True)
class StatementRecord:
    """One statement that records something about one learner.

    `activity` is what the learner worked on (for ENROL and WITHDRAW: the competency itself);
    `competency` where it belongs, from the statement's context (None when it gives none).
    `score` is None when the statement has no usable score; `success` is the statement's own
    verdict (verb passed/failed, else result.success), None when it gives none.
    """

    position: str
    statement_id: str | None
    kind: EventKind
    verb: str
    actor: Identity
    learner_name: str | None
    activity: Activity
    competency: Activity | None
    at: datetime
    duration: timedelta | None
    score: Score | None
    success: bool | None
    pass_percent: int | None
    registration: str | None


@dataclass(frozen=True)
class Voiding:
    """A voiding statement: `target_id` is withdrawn with everything derived from it."""

    position: str
    statement_id: str | None
    target_id: str
    at: datetime | None


@dataclass(frozen=True)
class Skipped:
    """A statement that records nothing, and why (`detail` names the bad value)."""

    position: str
    statement_id: str | None
    reason: SkipReason
    detail: str


Fate = StatementRecord | Voiding | Skipped
