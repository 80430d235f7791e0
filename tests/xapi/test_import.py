"""xAPI import into the database: the real corpora, voiding, verdicts, and the export round trip."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import func, select, text

from catalyst_cli.db.engine import make_engine
from catalyst_cli.db.models import (
    LearningEvent,
    LearningModule,
    LearningProgress,
    Quiz,
    QuizAttempt,
    User,
)
from catalyst_cli.db.session import unit_of_work
from catalyst_cli.db.url import normalize_url
from catalyst_cli.events import EventKind
from catalyst_cli.xapi.exporter import export_statements, write_statements
from catalyst_cli.xapi.importer import XapiImportFailed, XapiOptions, XapiSummary, import_xapi
from catalyst_cli.xapi.reader import XapiFileError
from tests.conftest import Runner, json_out, snapshot
from tests.test_transfer import LEARNERS, clear_progress, event_files, run_import, views
from tests.xapi.corpora import corpus, statement_files

NOW = datetime(2026, 4, 1, 12, tzinfo=UTC)
ALL = XapiOptions(create_users=True, create_catalog=True)
ADL = "http://adlnet.gov/expapi/verbs/"
# Statements of each corpus (PROVENANCE.md), less those in files that are not JSON at all.
READABLE = {
    "openedx-event-routing-backends": 90,
    "cmi5-spec-samples": 104,
    "moodle-logstore-xapi": 44,
    "openfun-ralph-potsie": 973,
    "adl-xapi-spec": 14,
    "adl-xapiwrapper-stmtbank": 17,
}


def xapi_import(db_url: str, path: Path, options: XapiOptions = ALL) -> XapiSummary:
    with unit_of_work(db_url) as session:
        return import_xapi(session, path, options=options, now=NOW)


def corpus_files(name: str, tmp_path: Path) -> list[Path]:
    """The statement files of a corpus; the statement bank (one object of named statements,
    not a statement file) is handed over as the array an LRS client would send."""
    if name != "adl-xapiwrapper-stmtbank":
        return statement_files(name)
    (bank_file,) = statement_files(name)
    bank = json.loads(bank_file.read_text(), parse_float=Decimal)
    array = tmp_path / "stmtbank-array.json"
    array.write_text(json.dumps(list(bank.values()), default=str))
    return [array]


def import_corpus(db_url: str, name: str, tmp_path: Path) -> tuple[XapiSummary, list[str]]:
    """Every file of a corpus, one import each: the summed counts, and the files refused."""
    total = XapiSummary(name)
    refused = []
    for path in corpus_files(name, tmp_path):
        try:
            summary = xapi_import(db_url, path)
        except XapiFileError as exc:
            refused.append(str(exc))
            continue
        assert summary.accounted == summary.read, (path, summary)
        total.read += summary.read
        total.recorded += summary.recorded
        total.duplicates += summary.duplicates
        total.conflicts += summary.conflicts
        total.voidings += summary.voidings
        total.withdrawn += summary.withdrawn
        total.void_unknown += summary.void_unknown
        total.skipped += summary.skipped
        total.new_learners += summary.new_learners
    return total, refused


def count(db_url: str, stmt: Any) -> int:
    with unit_of_work(db_url, write=False) as session:
        return int(session.scalar(stmt) or 0)


@pytest.mark.parametrize("name", READABLE)
def test_each_corpus_imports_every_statement_accounted_and_twice_changes_nothing(
    db_url: str, name: str, tmp_path: Path
) -> None:
    summary, refused = import_corpus(db_url, name, tmp_path)
    assert summary.read == READABLE[name]
    assert summary.accounted == summary.read
    assert all("not JSON" in r for r in refused)
    first = snapshot(db_url)
    again, _ = import_corpus(db_url, name, tmp_path)
    assert snapshot(db_url) == first
    assert sum(again.recorded.values()) == 0 and again.new_learners == 0
    assert again.read == summary.read


def _statements(name: str) -> list[dict[str, Any]]:
    found = []
    for path in statement_files(name):
        try:
            value = json.loads(path.read_text())
        except ValueError:
            try:
                found += [json.loads(line) for line in path.read_text().splitlines() if line]
            except ValueError:
                continue
            continue
        found += value if isinstance(value, list) else [value]
    return found


def test_potsie_figures_match_an_independent_reading(db_url: str, tmp_path: Path) -> None:
    statements = _statements("openfun-ralph-potsie")
    actors = {s["actor"]["account"]["name"] for s in statements}
    objects = {s["object"]["id"] for s in statements}
    completed = {
        (s["actor"]["account"]["name"], s["object"]["id"])
        for s in statements
        if s["verb"]["id"] == ADL + "completed"
    }
    summary, _ = import_corpus(db_url, "openfun-ralph-potsie", tmp_path)
    assert summary.recorded == Counter({EventKind.start: 961, EventKind.complete: 12})
    assert count(db_url, select(func.count()).select_from(User)) == len(actors) == 36
    assert count(db_url, select(func.count()).select_from(LearningModule)) == len(objects)
    done = select(func.count()).where(LearningProgress.c.status == "completed")
    assert count(db_url, done) == len(completed)


def test_cmi5_figures_match_an_independent_reading(db_url: str, tmp_path: Path) -> None:
    """Attempts: passed/failed verbs and scored statements, the first of an id standing."""
    first: dict[str, bool] = {}
    for s in _statements("cmi5-spec-samples"):
        verb, result = s["verb"]["id"], s.get("result", {})
        if verb in (ADL + "passed", ADL + "failed") or "score" in result:
            verdict = verb == ADL + "passed" if verb != ADL + "answered" else result["success"]
            first.setdefault(s["id"], verdict)
    verdicts = Counter("passed" if v else "failed" for v in first.values())
    summary, refused = import_corpus(db_url, "cmi5-spec-samples", tmp_path)
    assert len(refused) == 1
    passed = select(func.count()).where(QuizAttempt.c.passed.is_(True))
    failed = select(func.count()).where(QuizAttempt.c.passed.is_(False))
    assert (count(db_url, passed), count(db_url, failed)) == (
        verdicts["passed"],
        verdicts["failed"],
    )
    assert summary.recorded[EventKind.quiz] == verdicts["passed"] + verdicts["failed"]


def test_openedx_enrolments_and_learners(db_url: str, tmp_path: Path) -> None:
    statements = _statements("openedx-event-routing-backends")
    enrolments = [s for s in statements if s["verb"]["id"].endswith("/registered")]
    summary, _ = import_corpus(db_url, "openedx-event-routing-backends", tmp_path)
    assert summary.recorded[EventKind.enrol] == len({s["id"] for s in enrolments}) == 1
    actors = {
        json.dumps(s["actor"], sort_keys=True)
        for s in statements
        if s["object"].get("objectType", "Activity") == "Activity"
    }
    assert count(db_url, select(func.count()).select_from(User)) == len(actors)


def test_moodle_as_shipped_has_no_time(db_url: str, tmp_path: Path) -> None:
    summary, _ = import_corpus(db_url, "moodle-logstore-xapi", tmp_path)
    assert summary.skipped == Counter({"no time": 43, "ignored verb": 1})


def test_potsie_streaks_through_the_report(cli: Runner) -> None:
    """PROVENANCE.md: longest runs of UTC days are 1 (7 learners), 2 (8), 3 (4), 4 (3), ..."""
    path = corpus("openfun-ralph-potsie") / "statements-sample.jsonl"
    result = cli("import", str(path), "--create-users", "--create-catalog")
    assert result.exit_code == 0, result.stderr
    rows = json_out(cli("report", "--format", "json", "--as-of", "2021-12-01T23:59:59Z"))
    assert len(rows) == 36
    longest = Counter(r["longest_streak"] for r in rows)
    assert dict(longest) == {1: 7, 2: 8, 3: 4, 4: 3, 5: 2, 6: 1, 7: 6, 8: 5}


def test_cmi5_failed_then_passed_ends_completed_with_both_attempts(db_url: str) -> None:
    folder = (
        corpus("cmi5-spec-samples") / "scenarios/11-completed_and_passed-masteryScore-failed_first"
    )
    for path in sorted(folder.glob("*_statement.json")):
        xapi_import(db_url, path)
    with unit_of_work(db_url, write=False) as session:
        attempts = session.execute(
            select(
                QuizAttempt.c.score, QuizAttempt.c.total_questions, QuizAttempt.c.passed
            ).order_by(QuizAttempt.c.created_at)
        ).all()
        assert [tuple(a) for a in attempts] == [(82, 100, False), (91, 100, True)]
        assert session.scalar(select(Quiz.c.pass_percent)) == 86
        (status,) = session.scalars(select(LearningProgress.c.status)).all()
        assert status == "completed"


def _statement(sid: str, verb: str, day: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": sid,
        "actor": {"mbox": "mailto:ann@example.com", "name": "Ann"},
        "verb": {"id": ADL + verb},
        "object": {"id": "https://lms.example.org/m/1", "definition": {"name": {"en": "One"}}},
        "timestamp": f"2026-03-0{day}T10:00:00Z",
        **extra,
    }


def _void(sid: str, target: str) -> dict[str, Any]:
    return {
        "id": sid,
        "actor": {"mbox": "mailto:admin@example.com"},
        "verb": {"id": ADL + "voided"},
        "object": {"objectType": "StatementRef", "id": target},
    }


START = "00000000-0000-4000-8000-000000000001"
DONE = "00000000-0000-4000-8000-000000000002"
LATER = "00000000-0000-4000-8000-000000000003"


def test_voiding_withdraws_a_completion_and_its_streak_day(
    cli: Runner, db_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "voided.json"
    statements = [
        _statement(START, "initialized", 1),
        _statement(DONE, "completed", 2),
        _void("00000000-0000-4000-8000-0000000000a1", DONE),
        _void("00000000-0000-4000-8000-0000000000a2", LATER),
    ]
    path.write_text(json.dumps(statements))
    summary = xapi_import(db_url, path)
    assert (summary.voidings, summary.withdrawn, summary.void_unknown) == (2, 1, 1)
    assert summary.accounted == summary.read == 4
    stats = json_out(
        cli("stats", "--user", "ann@example.com", "--as-of", "2026-03-02", "-f", "json")
    )
    assert (stats["modules_completed"], stats["modules_in_progress"]) == (0, 1)
    assert stats["longest_streak"] == 1
    assert count(db_url, select(func.count()).select_from(LearningEvent)) == 1

    # The unknown target's id was kept: importing it later records nothing.
    later = tmp_path / "later.json"
    later.write_text(json.dumps([_statement(LATER, "completed", 3)]))
    summary = xapi_import(db_url, later)
    assert summary.skipped == Counter({"voided before": 1})
    assert sum(summary.recorded.values()) == 0


def test_same_id_different_content_is_a_counted_conflict_and_strict_refuses(
    db_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "conflict.json"
    path.write_text(
        json.dumps([_statement(START, "initialized", 1), _statement(START, "completed", 2)])
    )
    before = snapshot(db_url)
    with pytest.raises(XapiImportFailed) as failed:
        xapi_import(db_url, path, XapiOptions(create_users=True, create_catalog=True, strict=True))
    assert failed.value.errors == (
        f"{path}:#2: conflict: statement id {START} was recorded with different content",
    )
    assert snapshot(db_url) == before
    summary = xapi_import(db_url, path)
    assert (sum(summary.recorded.values()), summary.conflicts) == (1, 1)


def test_unknown_actor_and_activity_without_create(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "unknown.json"
    path.write_text(json.dumps([_statement(START, "initialized", 1)]))
    summary = xapi_import(db_url, path, XapiOptions())
    assert summary.skipped == Counter({"unknown actor": 1})
    summary = xapi_import(db_url, path, XapiOptions(create_users=True))
    assert summary.skipped == Counter({"unknown activity": 1})
    assert summary.new_learners == 1


def test_dry_run_writes_nothing(db_url: str, tmp_path: Path) -> None:
    path = corpus("openfun-ralph-potsie") / "statements-sample.jsonl"
    before = snapshot(db_url)
    summary = xapi_import(db_url, path, XapiOptions(True, True, dry_run=True))
    assert summary.new_learners == 36 and summary.recorded[EventKind.start] == 961
    assert snapshot(db_url) == before


def test_scores_without_a_score_keep_the_verdict(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "verdicts.json"
    path.write_text(
        json.dumps(
            [
                _statement(START, "failed", 1),
                _statement(DONE, "passed", 2, result={"success": True}),
            ]
        )
    )
    xapi_import(db_url, path)
    with unit_of_work(db_url, write=False) as session:
        rows = session.execute(
            select(
                QuizAttempt.c.score, QuizAttempt.c.total_questions, QuizAttempt.c.passed
            ).order_by(QuizAttempt.c.created_at)
        ).all()
    assert [tuple(r) for r in rows] == [(0, 1, False), (1, 1, True)]


def clear_all_progress(db_url: str) -> None:
    clear_progress(db_url)
    engine = make_engine(normalize_url(db_url))
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM voided_ids"))
    engine.dispose()


def _reports(cli: Runner, day: str) -> Any:
    return json_out(cli("report", "--format", "json", "--as-of", day))


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(events=event_files())
def test_xapi_export_then_import_gives_the_same_stats_and_reports(
    seeded: Runner, db_url: str, tmp_path: Path, events: list[dict[str, Any]]
) -> None:
    from tests.test_transfer import as_csv

    clear_all_progress(db_url)
    run_import(db_url, as_csv(events))
    days = ("2026-03-22", "2026-03-28", "2026-04-05")
    expected = {day: (views(db_url, day), _reports(seeded, day)) for day in days}
    path = tmp_path / "export.jsonl"
    with unit_of_work(db_url, write=False) as session, path.open("w") as out:
        write_statements(export_statements(session, as_of=None, iri_base="https://x.test"), out)

    clear_all_progress(db_url)
    summary = xapi_import(db_url, path, XapiOptions(iri_base="https://x.test"))
    assert summary.accounted == summary.read
    assert sum(summary.recorded.values()) == summary.read
    assert {day: (views(db_url, day), _reports(seeded, day)) for day in days} == expected
    assert set(LEARNERS) <= {r["user"] for r in expected[days[0]][1]}
