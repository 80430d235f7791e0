"""`catalyst import --format xapi` and `export --format xapi`: exit codes and the summary's shape."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.conftest import Runner, snapshot

ADL = "http://adlnet.gov/expapi/verbs/"


def _statement(n: int, verb: str = "initialized") -> dict[str, Any]:
    return {
        "id": f"00000000-0000-4000-8000-{n:012d}",
        "actor": {"mbox": "mailto:ann@example.com"},
        "verb": {"id": ADL + verb},
        "object": {"id": "https://lms.example.org/m/1", "definition": {"name": {"en": "One"}}},
        "timestamp": "2026-03-01T10:00:00Z",
    }


def test_summary_line_counts_every_statement(seeded: Runner, tmp_path: Path) -> None:
    path = tmp_path / "statements.json"
    path.write_text(json.dumps([_statement(1), _statement(2, "completed"), _statement(3, "x")]))
    result = seeded("import", str(path), "--create-catalog")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr.strip() == (
        f"imported {path}: 3 statements: 2 recorded (1 starts, 1 completions, 0 attempts, "
        "0 enrolments, 0 withdrawals), 0 duplicates, 0 conflicts, 0 voided (0 events withdrawn, "
        "0 targets not recorded), 1 skipped (1 unknown verb); 0 new learners, "
        "1 new competencies, 1 new modules, 0 new quizzes"
    )


def test_strict_lists_each_skip_and_writes_nothing(
    seeded: Runner, db_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "statements.json"
    path.write_text(json.dumps([_statement(1), _statement(2, "x"), _statement(3)]))
    before = snapshot(db_url)
    result = seeded("import", str(path), "--create-catalog", "--strict")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{path}:#2: unknown verb")
    assert result.stderr.endswith(" (nothing was imported)\n")
    assert result.stderr.count("\n") == 1
    assert snapshot(db_url) == before


def test_a_file_that_is_not_json_is_refused_at_its_line(
    seeded: Runner, db_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(_statement(1)) + "\n{not json\n")
    before = snapshot(db_url)
    result = seeded("import", str(path), "--create-catalog")
    assert result.exit_code == 1
    assert re.match(rf"{re.escape(str(path))}:2: not JSON", result.stderr)
    assert snapshot(db_url) == before


def test_xapi_options_are_refused_for_csv(seeded: Runner, tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text("user,event,module,quiz,score,total,at,id\n")
    assert seeded("import", str(path), "--strict").exit_code == 2


def test_export_needs_an_iri_base_when_the_catalogue_has_no_iris(
    seeded: Runner, tmp_path: Path
) -> None:
    assert (
        seeded("start", "python/intro", "-u", "ann@example.com", "--at", "2026-03-01").exit_code
        == 0
    )
    refused = seeded("export", "--format", "xapi")
    assert refused.exit_code == 1
    assert refused.stdout == ""
    assert "python/intro has no iri: give --iri-base URL" in refused.stderr
    result = seeded("export", "--format", "xapi", "--iri-base", "https://lms.example.org/")
    assert result.exit_code == 0, result.stderr
    (line,) = result.stdout.splitlines()
    statement = json.loads(line)
    assert statement["actor"]["mbox"] == "mailto:ann@example.com"
    assert statement["object"]["id"] == "https://lms.example.org/modules/python/intro"
    assert statement["verb"]["id"] == ADL + "initialized"


def test_export_then_import_on_the_command_line(seeded: Runner, tmp_path: Path) -> None:
    for args in (
        ("complete", "python/intro", "-u", "ann@example.com", "--at", "2026-03-01"),
        ("quiz", "submit", "py-types", "-u", "bob@example.com", "--score", "4", "--total", "7"),
    ):
        assert seeded(*args).exit_code == 0
    out = tmp_path / "statements.jsonl"
    base = ("--iri-base", "https://lms.example.org")
    assert seeded("export", "--format", "xapi", *base, "-o", str(out)).exit_code == 0
    again = seeded("import", str(out), *base)
    assert again.exit_code == 0, again.stderr
    assert "2 statements: 0 recorded" in again.stderr and "2 duplicates" in again.stderr
