"""Bad input to the learning record's new options: one line, the documented exit code, and the
database exactly as it was, on both backends."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Runner, snapshot

ANN = ("--user", "ann@example.com")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("start", "python/intro", *ANN, "--duration", "PT"), 1, "invalid duration 'PT'"),
        (("start", "python/intro", *ANN, "--duration", "-5"), 1, "invalid duration '-5'"),
        (("start", "python/intro", *ANN, "--duration", "P40000D"), 1, "longer than 36,525 days"),
        (("start", "python/intro", *ANN, "--duration", "9" * 40), 1, "longer than 36,525 days"),
        (("start", "python/intro", *ANN, "--duration", "P1Y"), 1, "years and months have no"),
        (("complete", "python/intro", *ANN, "--id", " "), 1, "invalid id: must not be empty"),
        (("start", "python/intro", *ANN, "--id", "k" * 201), 1, "longer than 200 characters"),
        (("enrol", "pythn", *ANN), 1, "unknown competency 'pythn' (did you mean python?)"),
        (("withdraw", "python"), 3, "Sign in to track your progress"),
        (("stats", *ANN, "--idle", "-1"), 1, "invalid --idle -1"),
        (("report", "--idle", "99999"), 1, "invalid --idle 99999"),
    ],
)
def test_bad_values_are_one_line_and_change_nothing(
    seeded: Runner, db_url: str, args: tuple[str, ...], code: int, message: str
) -> None:
    before = snapshot(db_url)
    result = seeded(*args)
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert message in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert result.stdout == ""
    assert snapshot(db_url) == before


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"id": "k\u0000"}, "invalid id 'k\\x00': it contains a NUL character"),
        ({"id": "k\ud800"}, "invalid id"),
        ({"duration": "PT1X"}, "invalid duration 'PT1X'"),
        ({"duration": 10**40}, "longer than 36,525 days"),
        ({"competency": "python"}, "a start row takes no competency"),
        ({"at": "0001-01-01T00:00:00Z"}, "time"),
    ],
)
def test_bad_cells_of_the_new_columns_are_listed_at_their_line(
    seeded: Runner, db_url: str, row: dict[str, object], message: str
) -> None:
    base = {"user": "ann@example.com", "event": "start", "module": "python/intro"}
    good = json.dumps(base | {"at": "2026-03-01"})
    bad = json.dumps(base | {"at": "2026-03-02"} | row)
    before = snapshot(db_url)
    result = seeded("import", "-", "--format", "jsonl", input=f"{good}\n{bad}\n")
    assert result.exit_code == 1, result.stderr
    assert result.stderr.startswith("<stdin>:2: ") and message in result.stderr, result.stderr
    assert snapshot(db_url) == before
