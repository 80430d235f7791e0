from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from catalyst_cli.errors import InputError
from catalyst_cli.xapi.interpret import interpret
from catalyst_cli.xapi.profile import BUILTIN, VerbKind, load_profile
from catalyst_cli.xapi.records import EventKind, Skipped, SkipReason, StatementRecord, Voiding
from catalyst_cli.xapi.values import Score

ADL = "http://adlnet.gov/expapi/verbs/"
SID = "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"


def statement(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": SID,
        "actor": {"objectType": "Agent", "name": "Ann Lee", "mbox": "mailto:Ann@Example.org"},
        "verb": {"id": ADL + "experienced"},
        "object": {
            "id": "https://lms.example.org/modules/intro",
            "definition": {
                "name": {"fr-FR": "Intro FR", "en-US": "Intro"},
                "type": "http://adlnet.gov/expapi/activities/module",
            },
        },
        "timestamp": "2026-03-01T09:30:00+01:00",
    }
    for key, value in changes.items():
        if value is None:
            base.pop(key, None)
        else:
            base[key] = value
    return base


def record(value: Any) -> StatementRecord:
    fate = interpret(value, "f.json:1")
    assert isinstance(fate, StatementRecord), fate
    return fate


def skipped(value: Any) -> Skipped:
    fate = interpret(value, "f.json:1")
    assert isinstance(fate, Skipped), fate
    return fate


def test_a_presence_statement() -> None:
    got = record(statement())
    assert got.kind is EventKind.START
    assert got.statement_id == SID
    assert (got.actor.key, got.actor.email, got.actor.handle) == (
        "mbox:mailto:ann@example.org",
        "ann@example.org",
        "ann@example.org",
    )
    assert got.learner_name == "Ann Lee"
    assert (got.activity.iri, got.activity.name) == (
        "https://lms.example.org/modules/intro",
        "Intro",
    )
    assert got.at == datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    assert (
        got.competency is None
        and got.score is None
        and got.success is None
        and got.duration is None
    )


@pytest.mark.parametrize(
    ("verb", "kind", "success"),
    [
        (ADL + "launched", EventKind.START, None),
        ("https://w3id.org/xapi/video/verbs/seeked", EventKind.START, None),
        ("http://id.tincanapi.com/verb/downloaded", EventKind.START, None),
        (ADL + "completed", EventKind.COMPLETE, None),
        (ADL + "passed", EventKind.ATTEMPT, True),
        (ADL + "failed", EventKind.ATTEMPT, False),
        ("https://w3id.org/xapi/tla/verbs/scored", EventKind.ATTEMPT, None),
        (ADL + "registered", EventKind.ENROL, None),
        ("http://id.tincanapi.com/verb/unregistered", EventKind.WITHDRAW, None),
    ],
)
def test_verbs(verb: str, kind: EventKind, success: bool | None) -> None:
    got = record(statement(verb={"id": verb}))
    assert (got.kind, got.success) == (kind, success)


def test_a_score_makes_an_attempt_and_the_verb_is_the_verdict() -> None:
    result = {"score": {"raw": 7, "min": 0, "max": 10}, "success": True, "duration": "PT25M"}
    got = record(statement(result=result))
    assert (got.kind, got.score, got.success, got.duration) == (
        EventKind.ATTEMPT,
        Score(7, 10),
        True,
        timedelta(minutes=25),
    )
    got = record(statement(verb={"id": ADL + "failed"}, result=result))
    assert got.success is False  # the verb states the verdict
    assert record(statement(result={"score": {"min": 0}})).kind is EventKind.START  # nothing usable


def test_context() -> None:
    course = {
        "id": "https://lms.example.org/course/1",
        "definition": {
            "type": "https://w3id.org/xapi/cmi5/activitytype/course",
            "name": {"en": "Course"},
        },
    }
    section = {"id": "https://lms.example.org/section/1"}
    context = {
        "registration": "EC531277-B57B-4C15-8D91-D292C5B2B8F7",
        "contextActivities": {"parent": [section, course]},
        "extensions": {"https://w3id.org/xapi/cmi5/context/extensions/masteryscore": 0.855},
    }
    got = record(statement(context=context))
    assert got.competency is not None and (got.competency.iri, got.competency.name) == (
        course["id"],
        "Course",
    )
    assert got.registration == "ec531277-b57b-4c15-8d91-d292c5b2b8f7"
    assert got.pass_percent == 86
    # Without a course-typed one: the first parent, else the first grouping; a single object too.
    for contexts in ({"parent": section}, {"grouping": [section]}):
        only = record(statement(context={"contextActivities": contexts})).competency
        assert only is not None and only.iri == section["id"]


def test_an_attempt_object_is_its_parent_activity() -> None:
    """Moodle's quiz attempt statements name the attempt; the quiz is its parent."""
    obj = {
        "id": "https://moodle.example.org/mod/quiz/attempt.php?attempt=7",
        "definition": {"type": "http://adlnet.gov/expapi/activities/attempt"},
    }
    quiz = {
        "id": "https://moodle.example.org/mod/quiz/view.php?id=1",
        "definition": {"name": {"en": "Quiz"}},
    }
    course = {
        "id": "https://moodle.example.org/course/view.php?id=2",
        "definition": {"type": "http://adlnet.gov/expapi/activities/course"},
    }
    got = record(statement(object=obj, context={"contextActivities": {"parent": [quiz, course]}}))
    assert (got.activity.iri, got.activity.name) == (quiz["id"], "Quiz")
    assert got.competency is not None and got.competency.iri == course["id"]


def test_time_falls_back_to_stored() -> None:
    got = record(statement(timestamp=None, stored="2026-03-02T10:00:00Z"))
    assert got.at == datetime(2026, 3, 2, 10, tzinfo=UTC)


def test_voiding() -> None:
    void = statement(
        verb={"id": ADL + "voided"},
        object={"objectType": "StatementRef", "id": SID.upper()},
        timestamp=None,
        id=None,
    )
    fate = interpret(void, "f.json:3")
    assert fate == Voiding("f.json:3", None, SID, None)
    void["actor"] = {"objectType": "Group", "member": []}  # who voids does not matter here
    assert isinstance(interpret(void, "f"), Voiding)
    assert skipped(statement(verb={"id": ADL + "voided"})).reason is SkipReason.NOT_A_STATEMENT


@pytest.mark.parametrize(
    ("value", "reason", "detail"),
    [
        ([1], SkipReason.NOT_A_STATEMENT, "expected a statement object, got an array"),
        ("x", SkipReason.NOT_A_STATEMENT, "got a string"),
        (statement(verb="completed"), SkipReason.NOT_A_STATEMENT, "no verb object"),
        (statement(actor=None), SkipReason.NOT_A_STATEMENT, "no actor object"),
        (statement(verb={"display": {}}), SkipReason.NOT_A_STATEMENT, "verb without an id"),
        (statement(id="42"), SkipReason.NOT_A_STATEMENT, "invalid statement id '42'"),
        (
            statement(actor={"objectType": "Group", "mbox": "mailto:g@x.org"}),
            SkipReason.GROUP_ACTOR,
            "Group",
        ),
        (statement(actor={"name": "nobody"}), SkipReason.UNKNOWN_ACTOR, "exactly one"),
        (statement(actor={"mbox": "mailto:bad"}), SkipReason.UNKNOWN_ACTOR, "invalid email"),
        (
            statement(object={"objectType": "Agent", "mbox": "mailto:b@x.org"}),
            SkipReason.NOT_AN_ACTIVITY,
            "Agent",
        ),
        (
            statement(object={"objectType": "SubStatement"}),
            SkipReason.NOT_AN_ACTIVITY,
            "SubStatement",
        ),
        (statement(object={"definition": {}}), SkipReason.NOT_AN_ACTIVITY, "no activity id"),
        (
            statement(verb={"id": "http://example.com/planned"}),
            SkipReason.UNKNOWN_VERB,
            "http://example.com/planned",
        ),
        (
            statement(verb={"id": "https://w3id.org/xapi/adl/verbs/satisfied"}),
            SkipReason.IGNORED_VERB,
            "satisfied",
        ),
        (statement(timestamp=None), SkipReason.NO_TIME, "neither timestamp nor stored"),
        (
            statement(timestamp="2008-09-15T15:53:00.601-00:00"),
            SkipReason.NOT_A_STATEMENT,
            "-00:00",
        ),
        (statement(result={"duration": "1h"}), SkipReason.NOT_A_STATEMENT, "invalid duration '1h'"),
        (statement(result={"score": {"scaled": 2}}), SkipReason.NOT_A_STATEMENT, "scaled"),
        (statement(result={"success": "yes"}), SkipReason.NOT_A_STATEMENT, "result.success"),
        (statement(result=[]), SkipReason.NOT_A_STATEMENT, "invalid result"),
        (statement(context={"registration": "r1"}), SkipReason.NOT_A_STATEMENT, "registration"),
    ],
)
def test_skips(value: Any, reason: SkipReason, detail: str) -> None:
    got = skipped(value)
    assert got.reason is reason
    assert detail in got.detail
    assert got.position == "f.json:1"


def test_a_group_actor_is_reported_before_an_unknown_verb() -> None:
    """Reasons no --profile can change come first."""
    value = statement(actor={"objectType": "Group", "member": []}, verb={"id": "http://x.org/v"})
    assert skipped(value).reason is SkipReason.GROUP_ACTOR


def test_profile_file(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    novel = "http://novel-verbs.com/expapi/verbs/exited-before-completing"
    path.write_text(f'[verbs]\n"{novel}" = "start"\n"{ADL}experienced" = "ignore"\n')
    profile = load_profile(path)
    assert profile.kind(novel) is VerbKind.START
    assert profile.kind(ADL + "experienced") is VerbKind.IGNORE
    assert BUILTIN.kind(ADL + "experienced") is VerbKind.START  # the built-in one is unchanged
    assert interpret(statement(verb={"id": novel}), "f", profile).kind is EventKind.START  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[verbs]\n"x" = "finish"\n', "use start, complete, attempt or ignore"),
        ('[verbs]\n"http://adlnet.gov/expapi/verbs/voided" = "ignore"\n', "voided"),
        ("verbs = 1\n", "expected only a \\[verbs\\] table"),
        ("[other]\n", "expected only a \\[verbs\\] table"),
        ("[verbs\n", "invalid TOML"),
    ],
)
def test_bad_profile_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "p.toml"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        load_profile(path)
    with pytest.raises(InputError, match="cannot read profile"):
        load_profile(tmp_path / "missing.toml")
