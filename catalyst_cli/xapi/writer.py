"""Writing one exported event as an xAPI 1.0.3 statement that `interpret` reads back the same.

Verbs: start is ADL `initialized`, complete `completed`, an attempt `passed` or `failed` (or the
TLA `scored` when it has no verdict), enrol ADL `registered`, withdraw Tin Can `unregistered`.
The object is the activity's IRI, or one under `--iri-base` by role: `BASE/modules/COMPETENCY/
MODULE`, `BASE/quizzes/QUIZ`, `BASE/competencies/COMPETENCY`. The competency of a module or quiz
event is the context's parent activity (type course). An event without an id, or whose id is
not a UUID (a `--id KEY`), gets a UUID derived from it, so a second export writes the same ids.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from catalyst_cli.xapi.profile import (
    VERB_COMPLETE,
    VERB_ENROL,
    VERB_FAILED,
    VERB_PASSED,
    VERB_SCORED,
    VERB_START,
    VERB_WITHDRAW,
)
from catalyst_cli.xapi.records import EventKind
from catalyst_cli.xapi.values import format_duration, format_timestamp

VERSION = "1.0.3"
# Namespace of the ids catalyst derives (uuid5): fixed, so the same event always gets the same id.
ID_NAMESPACE = uuid.UUID("5b0c3f0e-6d1a-5c47-9a53-0c8a4f3e2b71")
MODULE_TYPE = "http://adlnet.gov/expapi/activities/module"
QUIZ_TYPE = "http://adlnet.gov/expapi/activities/assessment"
COMPETENCY_TYPE = "http://adlnet.gov/expapi/activities/course"
_VERBS = {
    VERB_START: "initialized",
    VERB_COMPLETE: "completed",
    VERB_PASSED: "passed",
    VERB_FAILED: "failed",
    VERB_SCORED: "scored",
    VERB_ENROL: "registered",
    VERB_WITHDRAW: "unregistered",
}


@dataclass(frozen=True)
class ExportedActivity:
    """A catalogue entry as a statement names it.

    `slug` is `COMPETENCY/MODULE` for a module, the quiz slug, or the competency slug.
    """

    slug: str
    title: str | None = None
    iri: str | None = None


@dataclass(frozen=True)
class ExportedEvent:
    """One event of the learning record, as `export --format xapi` hands it over.

    `activity` is the module (start, complete), the quiz (attempt) or the competency (enrol,
    withdraw); `competency` is where a module or quiz belongs. `identities` are the learner's
    normalised xAPI identities (`account:HOME|NAME`, ...); the first is the statement's actor,
    else the learner's email is (as `mbox`).
    """

    kind: EventKind
    learner: str
    activity: ExportedActivity
    at: datetime
    competency: ExportedActivity | None = None
    identities: tuple[str, ...] = ()
    learner_name: str | None = None
    duration: timedelta | None = None
    score: int | None = None
    total: int | None = None
    passed: bool | None = None
    id: str | None = None


def write_statement(event: ExportedEvent, *, iri_base: str | None = None) -> dict[str, Any]:
    """The xAPI statement of `event`; ValueError when an activity has no IRI and no base."""
    verb = _verb(event)
    statement: dict[str, Any] = {
        "id": statement_id(event, iri_base=iri_base),
        "actor": actor(event.learner, event.identities, event.learner_name),
        "verb": {"id": verb, "display": {"en-US": _VERBS[verb]}},
        "object": _activity(event.activity, _role(event.kind), iri_base),
    }
    if event.competency is not None and event.kind not in (EventKind.ENROL, EventKind.WITHDRAW):
        parent = _activity(event.competency, "competencies", iri_base)
        statement["context"] = {"contextActivities": {"parent": [parent]}}
    result = _result(event)
    if result:
        statement["result"] = result
    statement["timestamp"] = format_timestamp(event.at)
    statement["version"] = VERSION
    return statement


def statement_id(event: ExportedEvent, *, iri_base: str | None = None) -> str:
    """The event's id when it is a UUID; else a UUID derived from its id, or from its content."""
    if event.id is not None:
        try:
            return str(uuid.UUID(event.id))
        except ValueError:
            return str(uuid.uuid5(ID_NAMESPACE, f"id:{event.id}"))
    content = [
        event.kind.value,
        _actor_key(event.learner, event.identities),
        activity_iri(event.activity, _role(event.kind), iri_base),
        format_timestamp(event.at),
        None if event.duration is None else event.duration // timedelta(microseconds=1),
        event.score,
        event.total,
        event.passed,
    ]
    return str(uuid.uuid5(ID_NAMESPACE, json.dumps(content)))


def activity_iri(activity: ExportedActivity, role: str, iri_base: str | None) -> str:
    """The activity's IRI, or `IRI-BASE/ROLE/SLUG` (role: modules, quizzes, competencies)."""
    if activity.iri:
        return activity.iri
    if not iri_base:
        raise ValueError(f"{activity.slug!r} has no IRI: give --iri-base URL")
    return f"{iri_base.rstrip('/')}/{role}/{quote(activity.slug, safe='/')}"


def actor(learner: str, identities: tuple[str, ...], name: str | None = None) -> dict[str, Any]:
    """The Agent for a learner: its first identity, else its email as `mbox`."""
    agent: dict[str, Any] = {"objectType": "Agent"}
    if name:
        agent["name"] = name
    key = _actor_key(learner, identities)
    form, _, value = key.partition(":")
    if form == "account":
        home, _, account_name = value.partition("|")
        agent["account"] = {"homePage": home, "name": account_name}
    elif form in ("mbox", "mbox_sha1sum", "openid"):
        agent[form] = value
    else:
        raise ValueError(f"unknown identity form {key!r}")
    return agent


def _actor_key(learner: str, identities: tuple[str, ...]) -> str:
    return identities[0] if identities else f"mbox:mailto:{learner}"


def _role(kind: EventKind) -> str:
    if kind is EventKind.ATTEMPT:
        return "quizzes"
    if kind in (EventKind.ENROL, EventKind.WITHDRAW):
        return "competencies"
    return "modules"


_TYPES = {"modules": MODULE_TYPE, "quizzes": QUIZ_TYPE, "competencies": COMPETENCY_TYPE}


def _activity(activity: ExportedActivity, role: str, iri_base: str | None) -> dict[str, Any]:
    definition: dict[str, Any] = {"type": _TYPES[role]}
    if activity.title:
        definition["name"] = {"en-US": activity.title}
    return {
        "objectType": "Activity",
        "id": activity_iri(activity, role, iri_base),
        "definition": definition,
    }


def _verb(event: ExportedEvent) -> str:
    if event.kind is EventKind.ATTEMPT:
        if event.passed is None:
            return VERB_SCORED
        return VERB_PASSED if event.passed else VERB_FAILED
    return {
        EventKind.START: VERB_START,
        EventKind.COMPLETE: VERB_COMPLETE,
        EventKind.ENROL: VERB_ENROL,
        EventKind.WITHDRAW: VERB_WITHDRAW,
    }[event.kind]


def _result(event: ExportedEvent) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if event.kind is EventKind.ATTEMPT and event.score is not None and event.total is not None:
        if event.total < 1 or not 0 <= event.score <= event.total:
            raise ValueError(f"invalid score {event.score} of {event.total}")
        result["score"] = {
            "scaled": event.score / event.total,
            "raw": event.score,
            "min": 0,
            "max": event.total,
        }
    if event.kind is EventKind.ATTEMPT and event.passed is not None:
        result["success"] = event.passed
    if event.kind is EventKind.COMPLETE:
        result["completion"] = True
    if event.duration is not None:
        result["duration"] = format_duration(event.duration)
    return result
