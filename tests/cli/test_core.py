"""End-to-end: the learner-level commands, their errors and exit codes, on both backends."""

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from catalyst_cli.columns import MODULE_COLUMNS, PROGRESS_COLUMNS, STATS_COLUMNS, STREAK_COLUMNS
from tests.conftest import TEST_CATALOG, Runner, json_out, snapshot

ANN = ("--user", "ann@example.com")
SIGN_IN = "Sign in to track your progress: pass --user EMAIL or set CATALYST_USER.\n"


def stats(cli: Runner, *args: str) -> dict[str, Any]:
    found: dict[str, Any] = json_out(cli("stats", *ANN, "--format", "json", *args))
    return found


def one_error_line(result: Result) -> str:
    lines: list[str] = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# --- catalogue -------------------------------------------------------------------------------


def test_catalog_load_is_idempotent_and_upserts_by_slug(
    cli: Runner, tmp_path: Path, db_url: str
) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps(TEST_CATALOG))
    assert cli("catalog", "load", str(path)).exit_code == 0
    before = snapshot(db_url)
    assert cli("catalog", "load", str(path)).exit_code == 0
    assert snapshot(db_url) == before
    changed = json.loads(json.dumps(TEST_CATALOG))
    changed["competencies"][0]["modules"][0]["title"] = "Intro, revised"
    del changed["competencies"][1]  # absent from the file: kept
    path.write_text(json.dumps(changed))
    assert cli("catalog", "load", str(path)).exit_code == 0
    rows = json_out(cli("catalog", "show", "--format", "json"))
    assert [(r["competency"], r["module"]) for r in rows] == [
        ("python", "intro"),
        ("python", "types"),
        ("python", "functions"),
        ("python", "classes"),
        ("sql", "intro"),
        ("sql", "joins"),
    ]
    assert rows[0]["title"] == "Intro, revised"
    assert rows[0]["quizzes"] == "py-intro"


def test_catalog_load_toml(cli: Runner, tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        '[[competencies]]\nslug = "go"\ntitle = "Go"\n'
        '[[competencies.modules]]\nslug = "intro"\ntitle = "Intro"\n'
        '[[competencies.modules.quizzes]]\nslug = "go-q"\ntitle = "Q"\npass_percent = 80\n'
    )
    assert cli("catalog", "load", str(path)).exit_code == 0
    rows = json_out(cli("catalog", "show", "--format", "json"))
    assert rows == [
        {"competency": "go", "module": "intro", "title": "Intro", "position": 1, "quizzes": "go-q"}
    ]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        ("{not json", "c.json", "c.json:1: invalid JSON"),
        ("[]", "c.json", "must be an object with 'competencies'"),
        (
            '{"competencies": [{"slug": "a", "title": "A", "modules": [{"slug": "m"}]}]}',
            "c.json",
            "'title'",
        ),
        (
            '{"competencies": [{"slug": "a", "title": "A", "modules": [], "x": 1}, {"slug": "a", "title": "B", "modules": []}]}',
            "c.json",
            "duplicate competency slug 'a'",
        ),
        (
            '{"competencies": [{"slug": "a", "title": "A", "modules": [{"slug": "m", "title": "M", "quizzes": [{"slug": "q", "title": "Q", "pass_percent": 101}]}]}]}',
            "c.json",
            "pass_percent 101",
        ),
        ("slug = ", "c.toml", "invalid TOML"),
    ],
)
def test_malformed_catalog_is_exit_1_and_writes_nothing(
    cli: Runner, tmp_path: Path, db_url: str, content: str, name: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    before = snapshot(db_url)
    result = cli("catalog", "load", str(path))
    assert result.exit_code == 1
    assert message in one_error_line(result)
    assert snapshot(db_url) == before


def test_missing_catalog_file_is_exit_1(cli: Runner, tmp_path: Path) -> None:
    result = cli("catalog", "load", str(tmp_path / "nope.json"))
    assert result.exit_code == 1
    assert "nope.json" in one_error_line(result)


# --- learners --------------------------------------------------------------------------------


def test_users_compare_case_insensitively(seeded: Runner) -> None:
    assert seeded("users", "add", "ANN@Example.COM", "--name", "Ann B").exit_code == 0
    users = json_out(seeded("users", "list", "--format", "json"))
    assert [u["email"] for u in users] == ["ann@example.com", "bob@example.com", "kim@example.com"]
    assert users[0] == {
        "email": "ann@example.com",
        "name": "Ann B",
        "timezone": "Europe/Paris",
        "groups": [],
        "ids": [],
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("x@example.com", "--tz", "Mars/Olympus"), "unknown timezone 'Mars/Olympus'"),
        (("not-an-email",), "invalid email 'not-an-email'"),
    ],
)
def test_bad_user_is_exit_1_and_writes_nothing(
    seeded: Runner, db_url: str, args: tuple[str, ...], message: str
) -> None:
    before = snapshot(db_url)
    result = seeded("users", "add", *args)
    assert result.exit_code == 1
    assert message in one_error_line(result)
    assert snapshot(db_url) == before


# --- who is acting ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["start", "python/intro"],
        ["complete", "python/intro"],
        ["quiz", "submit", "py-types", "--score", "1", "--total", "2"],
        ["stats"],
        ["streak"],
        ["modules", "python"],
    ],
)
def test_no_learner_is_exit_3_and_writes_nothing(
    seeded: Runner, db_url: str, argv: list[str]
) -> None:
    before = snapshot(db_url)
    result = seeded(*argv)
    assert result.exit_code == 3
    assert result.stderr == SIGN_IN
    assert result.stdout == ""
    assert snapshot(db_url) == before


def test_learner_from_environment(seeded: Runner) -> None:
    result = seeded(
        "start", "python/intro", "--format", "json", env={"CATALYST_USER": "bob@example.com"}
    )
    assert json_out(result)["user"] == "bob@example.com"


# --- progress operations ---------------------------------------------------------------------


def test_start_and_complete_output_and_rules(seeded: Runner) -> None:
    row = json_out(seeded("start", "python/intro", *ANN, "--at", "2026-03-02T10:00", "-f", "json"))
    assert tuple(row) == PROGRESS_COLUMNS
    assert row["status"] == "in_progress"
    assert row["started_at"] == "2026-03-02T10:00:00+01:00"
    # an earlier start arriving later moves started_at back; a later one changes nothing
    seeded("start", "python/intro", *ANN, "--at", "2026-03-01T10:00")
    seeded("start", "python/intro", *ANN, "--at", "2026-03-05T10:00")
    done = json_out(seeded("complete", "python/intro", *ANN, "--at", "2026-03-04", "-f", "json"))
    assert (done["status"], done["started_at"], done["completed_at"]) == (
        "completed",
        "2026-03-01T10:00:00+01:00",
        "2026-03-04T12:00:00+01:00",
    )
    again = json_out(seeded("complete", "python/intro", *ANN, "--at", "2026-03-06", "-f", "json"))
    assert again["completed_at"] == "2026-03-04T12:00:00+01:00"
    earlier = json_out(
        seeded("complete", "python/intro", *ANN, "--at", "2026-03-03T08:00Z", "-f", "json")
    )
    assert earlier["completed_at"] == "2026-03-03T09:00:00+01:00"


def test_complete_without_start_starts_too(seeded: Runner) -> None:
    row = json_out(seeded("complete", "1", *ANN, "--at", "2026-03-01T08:00", "-f", "json"))
    assert (row["module"], row["started_at"], row["completed_at"]) == (
        "intro",
        "2026-03-01T08:00:00+01:00",
        "2026-03-01T08:00:00+01:00",
    )


def test_quiz_pass_completes_its_module_and_fail_only_starts(seeded: Runner) -> None:
    fail = json_out(
        seeded(
            "quiz",
            "submit",
            "py-types",
            "--score",
            "56",
            "--total",
            "100",
            *ANN,
            "--at",
            "2026-03-01",
            "-f",
            "json",
        )
    )
    assert (fail["passed"], fail["module"], fail["percent"]) == (False, "python/types", 56)
    ok = json_out(
        seeded(
            "quiz",
            "submit",
            "py-types",
            "--score",
            "57",
            "--total",
            "100",
            *ANN,
            "--at",
            "2026-03-02",
            "-f",
            "json",
        )
    )
    assert ok["passed"] is True
    assert set(ok) == {
        "user",
        "quiz",
        "module",
        "score",
        "total",
        "percent",
        "passed",
        "created_at",
        "id",
        "recorded",
    }
    mods = {
        m["module"]: m
        for m in json_out(seeded("modules", "python", *ANN, "-f", "json", "--as-of", "2026-03-03"))
    }
    assert mods["types"]["started_at"] == "2026-03-01T12:00:00+01:00"
    assert mods["types"]["completed_at"] == "2026-03-02T12:00:00+01:00"
    s = stats(seeded, "--as-of", "2026-03-03")
    assert (s["quiz_attempts"], s["quiz_attempts_passed"], s["quizzes_passed"]) == (2, 1, 1)


def test_quiz_graded_from_answers(seeded: Runner, tmp_path: Path) -> None:
    answers = tmp_path / "a.json"
    answers.write_text('{"q1": "2", "q2": "5"}')
    row = json_out(
        seeded("quiz", "submit", "py-intro", "--answers", f"@{answers}", *ANN, "-f", "json")
    )
    assert (row["score"], row["total"], row["passed"]) == (1, 3, False)
    row = json_out(
        seeded(
            "quiz", "submit", "py-intro", "--answers", '{"q1": "2", "q3": "6"}', *ANN, "-f", "json"
        )
    )
    assert (row["score"], row["total"], row["passed"]) == (2, 3, True)


def test_quiz_id_is_idempotent_and_conflicts_on_other_content(seeded: Runner, db_url: str) -> None:
    args = (
        "quiz",
        "submit",
        "py-types",
        "--score",
        "3",
        "--total",
        "4",
        *ANN,
        "--id",
        "k1",
        "-f",
        "json",
    )
    first = json_out(seeded(*args, "--at", "2026-03-01"))
    repeat = json_out(seeded(*args, "--at", "2026-03-05"))
    assert first["recorded"] is True and repeat["recorded"] is False
    assert repeat["created_at"] == first["created_at"]
    before = snapshot(db_url)
    clash = seeded("quiz", "submit", "py-types", "--score", "2", "--total", "4", *ANN, "--id", "k1")
    assert clash.exit_code == 1
    assert "conflict" in one_error_line(clash) and "k1" in clash.stderr
    assert snapshot(db_url) == before
    assert stats(seeded)["quiz_attempts"] == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["start", "python/intr"], "unknown module 'python/intr' (did you mean python/intro"),
        (["start", "intro"], "unknown module 'intro'"),
        (["start", "999"], "unknown module id 999"),
        (
            ["quiz", "submit", "py-type", "--score", "1", "--total", "2"],
            "unknown quiz 'py-type' (did you mean py-types",
        ),
        (["quiz", "submit", "py-types", "--score", "5", "--total", "4"], "invalid score 5"),
        (["quiz", "submit", "py-types", "--score", "-1", "--total", "4"], "invalid score -1"),
        (["quiz", "submit", "py-types", "--score", "0", "--total", "0"], "invalid total 0"),
        (
            ["quiz", "submit", "py-intro", "--score", "1", "--total", "4"],
            "the quiz has 3 questions",
        ),
        (["quiz", "submit", "py-intro", "--answers", "{oops"], "--answers:1: invalid JSON"),
        (["quiz", "submit", "py-intro", "--answers", '{"q9": "x"}'], "unknown question id 'q9'"),
        (["quiz", "submit", "py-types", "--answers", '{"q1": "x"}'], "has no questions"),
        (
            ["quiz", "submit", "py-intro", "--answers", "@/nonexistent/a.json"],
            "cannot read answers file",
        ),
        (
            ["quiz", "submit", "py-types", "--score", "1"],
            "give --answers, or both --score and --total",
        ),
        (["start", "python/intro", "--at", "yesterday-ish"], "invalid time 'yesterday-ish'"),
    ],
)
def test_bad_input_is_exit_1_one_line_and_writes_nothing(
    seeded: Runner, db_url: str, argv: list[str], message: str
) -> None:
    before = snapshot(db_url)
    result = seeded(*argv, *ANN)
    assert result.exit_code == 1, result.output
    assert message in one_error_line(result)
    assert snapshot(db_url) == before


def test_unknown_user_is_exit_1(seeded: Runner, db_url: str) -> None:
    before = snapshot(db_url)
    result = seeded("start", "python/intro", "--user", "zed@example.com")
    assert result.exit_code == 1
    assert "unknown user 'zed@example.com'" in one_error_line(result)
    assert snapshot(db_url) == before


def test_usage_errors_are_exit_2(seeded: Runner) -> None:
    assert seeded("start", *ANN).exit_code == 2
    assert seeded("stats", "--bogus").exit_code == 2
    assert seeded("stats", *ANN, "--format", "xml").exit_code == 2


# --- reading progress ------------------------------------------------------------------------


def test_json_keys_are_pinned(seeded: Runner) -> None:
    assert tuple(stats(seeded)) == STATS_COLUMNS
    assert tuple(json_out(seeded("streak", *ANN, "-f", "json"))) == STREAK_COLUMNS
    rows = json_out(seeded("modules", "python", *ANN, "-f", "json"))
    assert [tuple(r) for r in rows] == [MODULE_COLUMNS] * 4


def test_stats_of_a_new_learner(seeded: Runner) -> None:
    s = stats(seeded, "--as-of", "2026-03-01")
    assert s == {
        "user": "ann@example.com",
        "as_of": "2026-03-01T23:59:59.999999+01:00",
        "timezone": "Europe/Paris",
        "competency": None,
        "modules_total": 6,
        "modules_completed": 0,
        "modules_in_progress": 0,
        "progress_percent": 0,
        "quizzes_total": 3,
        "quizzes_passed": 0,
        "quiz_attempts": 0,
        "quiz_attempts_passed": 0,
        "current_streak": 0,
        "longest_streak": 0,
        "last_active": None,
        "streak_at_risk": False,
        "time_spent": 0,
    }


def test_stats_by_competency_keeps_streaks_learner_wide(seeded: Runner) -> None:
    seeded("complete", "sql/intro", *ANN, "--at", "2026-03-01")
    seeded("start", "python/intro", *ANN, "--at", "2026-03-02")
    s = stats(seeded, "--competency", "python", "--as-of", "2026-03-02")
    assert (
        s["competency"],
        s["modules_total"],
        s["modules_in_progress"],
        s["modules_completed"],
    ) == ("python", 4, 1, 0)
    assert (s["quizzes_total"], s["current_streak"]) == (2, 2)
    s = stats(seeded, "--competency", "sql", "--as-of", "2026-03-02")
    assert (s["modules_total"], s["modules_completed"], s["progress_percent"]) == (2, 1, 50)
    bad = seeded("stats", *ANN, "--competency", "pyton")
    assert bad.exit_code == 1 and "did you mean python" in bad.stderr


def test_as_of_ignores_later_events(seeded: Runner) -> None:
    seeded("start", "python/intro", *ANN, "--at", "2026-03-01")
    seeded("complete", "python/intro", *ANN, "--at", "2026-03-03")
    seeded("quiz", "submit", "py-types", "--score", "1", "--total", "1", *ANN, "--at", "2026-03-04")
    mid = stats(seeded, "--as-of", "2026-03-02")
    assert (mid["modules_in_progress"], mid["modules_completed"], mid["quiz_attempts"]) == (1, 0, 0)
    assert (mid["current_streak"], mid["last_active"], mid["streak_at_risk"]) == (
        1,
        "2026-03-01",
        True,
    )
    end = stats(seeded, "--as-of", "2026-03-04")
    assert (
        end["modules_completed"],
        end["progress_percent"],
        end["current_streak"],
        end["longest_streak"],
    ) == (2, 33, 2, 2)
    before = json_out(seeded("modules", "python", *ANN, "-f", "json", "--as-of", "2026-02-28"))
    assert {r["status"] for r in before} == {"not_started"}


def test_modules_sidebar(seeded: Runner) -> None:
    seeded("complete", "python/intro", *ANN, "--at", "2026-03-01")
    seeded("start", "python/functions", *ANN, "--at", "2026-03-01")
    out = seeded("modules", "python", *ANN, "--as-of", "2026-03-02")
    assert out.exit_code == 0
    assert out.stdout.splitlines() == [
        "✓  1. Intro (intro)",
        "○  2. Types (types)  ← next",
        "▶  3. Functions (functions)",
        "○  4. Classes (classes)",
    ]
    plain = seeded("modules", "python", *ANN, "--as-of", "2026-03-02", "--ascii")
    assert plain.stdout.splitlines()[:2] == [
        "[x]  1. Intro (intro)",
        "[ ]  2. Types (types)  <- next",
    ]


def test_db_current_prints_the_revision(cli: Runner) -> None:
    from catalyst_cli.db.migrate import HEAD_REVISION

    result = cli("db", "current")
    assert (result.exit_code, result.stdout.strip()) == (0, HEAD_REVISION)


def test_new_sqlite_file_is_brought_to_head(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from catalyst_cli.main import app

    db = tmp_path / "fresh.db"
    result = CliRunner().invoke(app, ["--db", f"sqlite:///{db}", "users", "add", "a@example.com"])
    assert result.exit_code == 0, result.stderr
    assert CliRunner().invoke(app, ["--db", str(db), "db", "current"]).stdout.strip() == "0002"
