"""Interpreting one xAPI statement: a StatementRecord, a Voiding, or Skipped with its reason.

The checks run in this order, so each statement gets exactly one reason: the shape and the id
(not a statement; a voiding ends here), the actor (Group, unknown form), the object (not an
activity), the verb (unknown, ignored), the time (none), then the values used (duration, score,
...). What no `--profile` can change is reported first.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from catalyst_cli.errors import InputError
from catalyst_cli.limits import MAX_IRI, check_text, storable_text
from catalyst_cli.xapi.profile import BUILTIN, VERB_FAILED, VERB_PASSED, Profile, VerbKind
from catalyst_cli.xapi.reader import RawStatement
from catalyst_cli.xapi.records import (
    Activity,
    EventKind,
    Fate,
    Skipped,
    SkipReason,
    StatementRecord,
    Voiding,
)
from catalyst_cli.xapi.values import (
    Identity,
    agent_identity,
    half_up,
    language_text,
    number,
    parse_duration,
    parse_score,
    parse_timestamp,
    parse_uuid,
)

MASTERY_SCORE = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore"
COURSE_TYPES = frozenset(
    {"http://adlnet.gov/expapi/activities/course", "https://w3id.org/xapi/cmi5/activitytype/course"}
)
# An object that is one attempt or session of an activity (Moodle's quiz attempts and lesson
# sessions): the activity is its parent, or every attempt would be a new quiz.
ATTEMPT_TYPES = frozenset(
    {
        "http://adlnet.gov/expapi/activities/attempt",
        "https://xapi.edlm/profiles/edlm-lms/concepts/activity-types/lesson-session",
    }
)
_KINDS = {
    VerbKind.START: EventKind.START,
    VerbKind.COMPLETE: EventKind.COMPLETE,
    VerbKind.ATTEMPT: EventKind.ATTEMPT,
    VerbKind.ENROL: EventKind.ENROL,
    VerbKind.WITHDRAW: EventKind.WITHDRAW,
}
_NOT_ACTIVITIES = frozenset({"Agent", "Group", "SubStatement", "StatementRef"})


class _Skip(Exception):
    def __init__(self, reason: SkipReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def interpret_all(statements: Iterable[RawStatement], profile: Profile = BUILTIN) -> Iterator[Fate]:
    """The fate of each statement, in order."""
    for raw in statements:
        yield interpret(raw.value, raw.position, profile)


def interpret(statement: Any, position: str, profile: Profile = BUILTIN) -> Fate:
    """The fate of one decoded statement."""
    sid = _raw_id(statement)
    try:
        return _interpret(statement, position, profile)
    except _Skip as skip:
        return Skipped(position, sid, skip.reason, skip.detail)
    except InputError as exc:
        return Skipped(position, sid, SkipReason.NOT_A_STATEMENT, str(exc))


def _raw_id(statement: Any) -> str | None:
    """The statement's id as given, when it is a string (for messages about a skip)."""
    value = statement.get("id") if isinstance(statement, Mapping) else None
    return value if isinstance(value, str) else None


def _interpret(statement: Any, position: str, profile: Profile) -> Fate:
    if not isinstance(statement, Mapping):
        raise _Skip(
            SkipReason.NOT_A_STATEMENT, f"expected a statement object, got {_json_type(statement)}"
        )
    actor, verb, obj = (statement.get(k) for k in ("actor", "verb", "object"))
    missing = [
        k
        for k, v in (("actor", actor), ("verb", verb), ("object", obj))
        if not isinstance(v, Mapping)
    ]
    if missing:
        raise _Skip(
            SkipReason.NOT_A_STATEMENT,
            f"no {' or '.join(missing)} object (xAPI 0.9 or not a statement)",
        )
    assert isinstance(actor, Mapping) and isinstance(verb, Mapping) and isinstance(obj, Mapping)
    verb_iri = verb.get("id")
    if not isinstance(verb_iri, str) or not verb_iri:
        raise _Skip(SkipReason.NOT_A_STATEMENT, "verb without an id")
    sid = parse_uuid(statement["id"], "statement id") if statement.get("id") is not None else None
    verb_kind = profile.kind(verb_iri)
    if verb_kind is VerbKind.VOID:
        return _voiding(statement, obj, position, sid)
    identity = _actor(actor)
    activity, competency = _activities(obj, statement.get("context"))
    if verb_kind is None:
        raise _Skip(SkipReason.UNKNOWN_VERB, f"unknown verb {verb_iri}")
    if verb_kind is VerbKind.IGNORE:
        raise _Skip(SkipReason.IGNORED_VERB, f"verb {verb_iri} is ignored")
    at = _time(statement)
    result = statement.get("result")
    result = {} if result is None else result
    if not isinstance(result, Mapping):
        raise InputError(f"invalid result {result!r}: expected an object")
    kind = _KINDS[verb_kind]
    score = parse_score(result["score"]) if result.get("score") is not None else None
    if score is not None and kind in (EventKind.START, EventKind.COMPLETE):
        kind = EventKind.ATTEMPT
    name = actor.get("name")
    return StatementRecord(
        position=position,
        statement_id=sid,
        kind=kind,
        verb=verb_iri,
        actor=identity,
        learner_name=name.strip() or None if isinstance(name, str) else None,
        activity=activity,
        competency=competency,
        at=at,
        duration=parse_duration(result["duration"]) if "duration" in result else None,
        score=score,
        success=_success(verb_iri, result),
        pass_percent=_mastery(statement.get("context")),
        registration=_registration(statement.get("context")),
    )


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    return "null" if value is None else f"{value!r}"


def _voiding(
    statement: Mapping[str, Any], obj: Mapping[str, Any], position: str, sid: str | None
) -> Voiding:
    if obj.get("objectType") != "StatementRef":
        raise InputError("a voided statement's object must be a StatementRef")
    target = parse_uuid(obj.get("id"), "voided statement id")
    at = _time(statement) if "timestamp" in statement or "stored" in statement else None
    return Voiding(position, sid, target, at)


def _actor(actor: Mapping[str, Any]) -> Identity:
    if actor.get("objectType") == "Group":
        raise _Skip(SkipReason.GROUP_ACTOR, "the actor is a Group")
    if actor.get("objectType") not in (None, "Agent"):
        raise _Skip(SkipReason.UNKNOWN_ACTOR, f"actor objectType {actor.get('objectType')!r}")
    try:
        return agent_identity(actor)
    except InputError as exc:
        raise _Skip(SkipReason.UNKNOWN_ACTOR, str(exc)) from None


def _activity(value: Any) -> Activity | None:
    """The activity of an object, or None without an id the catalogue could store."""
    if not isinstance(value, Mapping) or not isinstance(value.get("id"), str) or not value["id"]:
        return None
    try:
        iri = check_text("activity id", value["id"], MAX_IRI)
    except InputError:
        return None
    definition = value.get("definition")
    definition = definition if isinstance(definition, Mapping) else {}
    kind = definition.get("type")
    return Activity(
        iri,
        storable_text(language_text(definition.get("name"))),
        kind if isinstance(kind, str) else None,
    )


def _activities(obj: Mapping[str, Any], context: Any) -> tuple[Activity, Activity | None]:
    """The activity the statement is about, and the competency it belongs to."""
    object_type = obj.get("objectType")
    if object_type in _NOT_ACTIVITIES:
        raise _Skip(SkipReason.NOT_AN_ACTIVITY, f"the object is not an activity: {object_type}")
    activity = _activity(obj)
    if activity is None:
        raise _Skip(SkipReason.NOT_AN_ACTIVITY, "the object has no activity id")
    contexts = context.get("contextActivities") if isinstance(context, Mapping) else None
    contexts = contexts if isinstance(contexts, Mapping) else {}
    parents = [a for a in map(_activity, _as_list(contexts.get("parent"))) if a is not None]
    grouping = [a for a in map(_activity, _as_list(contexts.get("grouping"))) if a is not None]
    if activity.type in ATTEMPT_TYPES and parents:
        activity, parents = parents[0], parents[1:]
    courses = [a for a in parents + grouping if a.type in COURSE_TYPES and a.iri != activity.iri]
    others = [a for a in parents + grouping if a.iri != activity.iri]
    candidates = courses or others
    return activity, candidates[0] if candidates else None


def _as_list(value: Any) -> list[Any]:
    """A contextActivities entry: an array, or (as older emitters send) a single activity."""
    if isinstance(value, list):
        return value
    return [value] if value is not None else []


def _time(statement: Mapping[str, Any]) -> datetime:
    for key in ("timestamp", "stored"):
        if statement.get(key) is not None:
            return parse_timestamp(statement[key])
    raise _Skip(SkipReason.NO_TIME, "neither timestamp nor stored")


def _success(verb_iri: str, result: Mapping[str, Any]) -> bool | None:
    if verb_iri == VERB_PASSED:
        return True
    if verb_iri == VERB_FAILED:
        return False
    success = result.get("success")
    if success is not None and not isinstance(success, bool):
        raise InputError(f"invalid result.success {success!r}: expected true or false")
    return success


def _mastery(context: Any) -> int | None:
    extensions = context.get("extensions") if isinstance(context, Mapping) else None
    if not isinstance(extensions, Mapping) or extensions.get(MASTERY_SCORE) is None:
        return None
    mastery = number(extensions[MASTERY_SCORE], "cmi5 masteryScore")
    if not 0 <= mastery <= 1:
        raise InputError(f"invalid cmi5 masteryScore {mastery}: must be between 0 and 1")
    return half_up(mastery * 100)


def _registration(context: Any) -> str | None:
    value = context.get("registration") if isinstance(context, Mapping) else None
    return None if value is None else parse_uuid(value, "registration")
