"""The real corpora: every statement gets a fate, and a few interpretations checked by hand."""

import json
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from catalyst_cli.rules import streak
from catalyst_cli.xapi.interpret import interpret, interpret_all
from catalyst_cli.xapi.reader import RawStatement, XapiFileError, read_statements
from catalyst_cli.xapi.records import EventKind, Fate, Skipped, StatementRecord, Voiding
from catalyst_cli.xapi.values import Score
from tests.xapi.corpora import corpus, statement_files

ADL = "http://adlnet.gov/expapi/verbs/"


def _fate_name(fate: Fate) -> str:
    if isinstance(fate, Skipped):
        return fate.reason.value
    return "void" if isinstance(fate, Voiding) else fate.kind.value


def _raw_statements(name: str, path: Path) -> list[RawStatement]:
    raws = list(read_statements(path))
    if name == "adl-xapiwrapper-stmtbank":
        # Not a statement file: one object of named statements (a converted JavaScript literal).
        (bank,) = raws
        return [RawStatement(f"{path}:{key}", value) for key, value in bank.value.items()]
    return raws


def _survey(name: str) -> tuple[Counter[str], list[str], dict[str, Fate]]:
    fates: Counter[str] = Counter()
    errors: list[str] = []
    by_position: dict[str, Fate] = {}
    for path in statement_files(name):
        try:
            for fate in interpret_all(_raw_statements(name, path)):
                fates[_fate_name(fate)] += 1
                by_position[fate.position.removeprefix(str(corpus(name)) + "/")] = fate
        except XapiFileError as exc:
            errors.append(str(exc).removeprefix(str(corpus(name)) + "/"))
    return fates, errors, by_position


# Statements in the files (PROVENANCE.md), and what becomes of each. A file that is not JSON
# at all is an error, not a statement.
EXPECTED: dict[str, tuple[int, dict[str, int], list[str]]] = {
    "openedx-event-routing-backends": (
        90,
        {
            "start": 64,
            "attempt": 18,
            "complete": 2,
            "enrol": 4,
            "withdraw": 1,
            "not an activity": 1,
        },
        [],
    ),
    "cmi5-spec-samples": (
        104,
        {"start": 62, "attempt": 16, "complete": 10, "ignored verb": 15, "unknown verb": 1},
        ["scenarios/16-not_applicable-no_launch/05-initialized_statement.json:38:"],
    ),
    "moodle-logstore-xapi": (44, {"no time": 43, "ignored verb": 1}, []),
    "openfun-ralph-potsie": (973, {"start": 961, "complete": 12}, []),
    "adl-xapi-spec": (
        14,
        {
            "start": 3,
            "complete": 1,
            "attempt": 2,
            "void": 1,
            "unknown verb": 2,
            "not an activity": 2,
            "Group actor": 1,
            "no time": 1,
            "not a statement": 1,
        },
        ["examples/data-L2122-appendixA-simple-VERBATIM-invalid-json.txt:22:"],
    ),
    "adl-xapiwrapper-stmtbank": (
        17,
        {"start": 1, "attempt": 1, "unknown verb": 7, "Group actor": 3, "not an activity": 5},
        [],
    ),
}


@pytest.mark.parametrize("name", EXPECTED)
def test_every_statement_gets_a_fate(name: str) -> None:
    total, expected, error_prefixes = EXPECTED[name]
    fates, errors, _ = _survey(name)
    assert sum(fates.values()) == total
    assert dict(fates) == expected
    assert len(errors) == len(error_prefixes)
    for error, prefix in zip(errors, error_prefixes, strict=True):
        assert error.startswith(prefix) and "not JSON" in error


def _one(name: str, relative: str) -> Fate:
    path = corpus(name) / relative
    (raw,) = read_statements(path)
    return interpret(raw.value, raw.position)


def _record(name: str, relative: str) -> StatementRecord:
    fate = _one(name, relative)
    assert isinstance(fate, StatementRecord), fate
    return fate


def _moodle(relative: str) -> list[Fate]:
    """A Moodle fixture as the plugin's test harness completes it (timestamp, registration)."""
    root = corpus("moodle-logstore-xapi") / "tests"
    common = json.loads((root / "common" / "statement.json").read_text(), parse_float=Decimal)
    fates = []
    for raw in read_statements(root / relative / "statements.json"):
        value = {**raw.value, "timestamp": common["timestamp"]}
        value["context"] = {**value.get("context", {}), **common["context"]}
        fates.append(interpret(value, raw.position))
    return fates


def test_moodle_quiz_attempt() -> None:
    """50/100 with a pass grade of 50: Moodle's scaled 0.0 (on -1..1) is not read as 0 %."""
    attempt, answered = _moodle("mod_quiz/attempt_submitted/truefalse")
    assert isinstance(attempt, StatementRecord) and isinstance(answered, StatementRecord)
    assert attempt.kind is EventKind.ATTEMPT
    assert (attempt.score, attempt.success) == (Score(50, 100), True)
    assert attempt.duration == timedelta(seconds=1)
    # The object is the attempt; the quiz is its parent, the course the competency.
    assert (attempt.activity.iri, attempt.activity.name) == (
        "http://www.example.org/mod/quiz/view.php?id=1",
        "test_quiz_name",
    )
    assert (
        attempt.competency is not None
        and attempt.competency.iri == "http://www.example.org/course/view.php?id=2"
    )
    assert attempt.actor.key == "account:http://www.example.org|1"
    assert attempt.actor.handle == "1@www.example.org"
    assert attempt.learner_name == "test_fullname"
    assert attempt.registration == "58028332-2277-5b51-a632-7836992917ea"
    assert (answered.kind, answered.success, answered.score) == (EventKind.START, True, None)
    (started,) = _moodle("mod_quiz/attempt_started/existing_attempt_started")
    assert isinstance(started, StatementRecord) and started.activity.iri == attempt.activity.iri


def test_moodle_as_shipped_has_no_time_and_uncompleted_is_ignored() -> None:
    path = (
        corpus("moodle-logstore-xapi")
        / "tests"
        / "mod_quiz"
        / "attempt_submitted"
        / "truefalse"
        / "statements.json"
    )
    fates = list(interpret_all(read_statements(path)))
    assert [f.reason.value for f in fates if isinstance(f, Skipped)] == ["no time", "no time"]
    (uncompleted,) = _moodle("core/course_module_completion_update/uncompleting_existing_module")
    assert isinstance(uncompleted, Skipped) and uncompleted.reason.value == "ignored verb"


def test_cmi5_failed_then_passed() -> None:
    """Scenario 11: failed at 0.82 < masteryScore 0.86, then passed at 0.91, then completed."""
    folder = "scenarios/11-completed_and_passed-masteryScore-failed_first/"
    failed = _record("cmi5-spec-samples", folder + "04-failed_statement.json")
    passed = _record("cmi5-spec-samples", folder + "05-passed_statement.json")
    completed = _record("cmi5-spec-samples", folder + "06-completed_statement.json")
    assert (failed.kind, failed.score, failed.success, failed.pass_percent) == (
        EventKind.ATTEMPT,
        Score(82, 100),
        False,
        86,
    )
    assert (passed.kind, passed.score, passed.success, passed.pass_percent) == (
        EventKind.ATTEMPT,
        Score(91, 100),
        True,
        86,
    )
    assert completed.kind is EventKind.COMPLETE
    assert failed.activity == passed.activity == completed.activity
    assert failed.activity.name == "Introduction to Geology"
    assert failed.actor.key == "account:http://example.org/|Learner"
    assert failed.at < passed.at < completed.at
    assert failed.registration == passed.registration is not None
    assert failed.duration is not None and failed.duration > timedelta(0)


def test_cmi5_novel_verb_is_unknown() -> None:
    fate = _one(
        "cmi5-spec-samples", "scenarios/18-cmi5-allowed-passed/05-exited-before-completing.json"
    )
    assert isinstance(fate, Skipped) and fate.reason.value == "unknown verb"


def test_openedx_video() -> None:
    play = _record("openedx-event-routing-backends", "xapi-expected/play_video.json")
    assert play.kind is EventKind.START
    assert play.verb == "https://w3id.org/xapi/video/verbs/played"
    assert play.activity.type == "https://w3id.org/xapi/video/activity-type/video"
    assert play.competency is not None and play.competency.iri.endswith(
        "/course/course-v1:edX+DemoX+Demo_Course"
    )
    assert play.actor.key.startswith("account:http://localhost:18000|")
    assert play.actor.handle.endswith("@localhost:18000")
    complete = _record("openedx-event-routing-backends", "xapi-expected/complete_video.json")
    assert (complete.kind, complete.duration) == (EventKind.COMPLETE, timedelta(seconds=195))


def test_openedx_enrolment_and_grades() -> None:
    enrol = _record(
        "openedx-event-routing-backends", "xapi-expected/edx.course.enrollment.activated.json"
    )
    assert (enrol.kind, enrol.activity.name) == (EventKind.ENROL, "Demonstration Course")
    withdraw = _record(
        "openedx-event-routing-backends", "xapi-expected/edx.course.enrollment.deactivated.json"
    )
    assert withdraw.kind is EventKind.WITHDRAW and withdraw.activity == enrol.activity
    zero = _record(
        "openedx-event-routing-backends", "xapi-expected/problem_check(server).max_grade_0.json"
    )
    assert (zero.kind, zero.score, zero.success) == (EventKind.ATTEMPT, Score(0, 100), False)


def test_voiding() -> None:
    fate = _one("adl-xapi-spec", "examples/data-L286-voiding-statementref.json")
    assert isinstance(fate, Voiding)
    assert (fate.statement_id, fate.target_id, fate.at) == (
        None,
        "e05aa883-acaf-40ad-bf54-02c8ce485fb0",
        None,
    )


def test_legacy_statement_is_not_read_as_1_0() -> None:
    legacy = _one("adl-xapi-spec", "examples/comm-L1951-legacy-0.9-statement.json")
    assert isinstance(legacy, Skipped) and legacy.reason.value == "not a statement"
    converted = _record("adl-xapi-spec", "examples/comm-L2013-converted-to-1.0.0.json")
    assert converted.kind is EventKind.COMPLETE and converted.statement_id == legacy.statement_id


def test_stmtbank_actor_forms() -> None:
    bank = next(read_statements(corpus("adl-xapiwrapper-stmtbank") / "stmtBank.json")).value
    keys = {}
    for name in ("Actor-Agent", "Actor-Mbox", "Actor-Openid", "Actor-Account"):
        statement: dict[str, Any] = {**bank[name], "verb": {"id": ADL + "experienced"}}
        fate = interpret(statement, name)
        assert isinstance(fate, StatementRecord), fate
        keys[name] = fate.actor.key.split(":", 1)[0]
    assert keys == {
        "Actor-Agent": "mbox",
        "Actor-Mbox": "mbox_sha1sum",
        "Actor-Openid": "openid",
        "Actor-Account": "account",
    }


def test_potsie_longest_streaks() -> None:
    """PROVENANCE.md: longest runs of consecutive UTC days are 1 (7 learners), 2 (8), 3 (4), ..."""
    path = corpus("openfun-ralph-potsie") / "statements-sample.jsonl"
    days: dict[str, set[date]] = defaultdict(set)
    for fate in interpret_all(read_statements(path)):
        if isinstance(fate, StatementRecord) and fate.kind is EventKind.START:
            days[fate.actor.key].add(fate.at.date())  # `at` is UTC
    assert len(days) == 36
    today = max(max(d) for d in days.values())
    longest = Counter(streak(d, today).longest for d in days.values())
    assert dict(longest) == {1: 7, 2: 8, 3: 4, 4: 3, 5: 2, 6: 1, 7: 6, 8: 5}
