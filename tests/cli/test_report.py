"""End-to-end: `catalyst report`, its formats, its files and its cron behaviour, on both backends."""

from __future__ import annotations

import csv
import io
import json
import re
import signal
import subprocess
import sys
import sysconfig
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert
from typer.testing import CliRunner, Result

from catalyst_cli.db.engine import make_engine
from catalyst_cli.db.models import User
from catalyst_cli.db.url import normalize_url
from catalyst_cli.main import app
from tests.conftest import Runner, json_out, snapshot

EMAILS = ["ann@example.com", "bob@example.com", "kim@example.com"]
# SPEC.md's keys, written out: scripts depend on them
KEYS = [
    "user",
    "name",
    "as_of",
    "timezone",
    "competency",
    "modules_total",
    "modules_completed",
    "modules_in_progress",
    "progress_percent",
    "quizzes_total",
    "quizzes_passed",
    "quiz_attempts",
    "quiz_attempts_passed",
    "current_streak",
    "longest_streak",
    "last_active",
    "streak_at_risk",
    "time_spent",
]
MODULE_KEYS = [
    "user",
    "name",
    "competency",
    "module",
    "title",
    "status",
    "started_at",
    "completed_at",
    "best_score",
    "time_spent",
]
NUMBER_KEYS = KEYS[5:15]  # modules_total ... longest_streak


def report(cli: Runner, *args: str, env: dict[str, str] | None = None) -> Any:
    result = cli("report", "--format", "json", *args, env=env)
    assert result.stderr == ""
    return json_out(result)


def one_error_line(result: Result) -> str:
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# --- rows --------------------------------------------------------------------------------------


def test_one_row_per_learner_with_the_spec_keys_in_email_order(cohort: Runner) -> None:
    assert cohort("users", "add", "AARON@example.com").exit_code == 0
    rows = report(cohort, "--as-of", "2026-03-04")
    assert [list(r) for r in rows] == [KEYS] * 4
    assert [r["user"] for r in rows] == ["aaron@example.com", *EMAILS]
    aaron, ann, bob, kim = rows
    assert aaron["name"] is None and aaron["progress_percent"] == 0
    assert ann == {
        "user": "ann@example.com",
        "name": "Ann",
        "as_of": "2026-03-05T00:59:59.999999+01:00",
        "timezone": "Europe/Paris",
        "competency": None,
        "modules_total": 6,
        "modules_completed": 2,
        "modules_in_progress": 0,
        "progress_percent": 33,
        "quizzes_total": 3,
        "quizzes_passed": 1,
        "quiz_attempts": 2,
        "quiz_attempts_passed": 1,
        "current_streak": 4,
        "longest_streak": 4,
        "last_active": "2026-03-04",
        "streak_at_risk": True,
        "time_spent": 0,
    }
    assert (bob["progress_percent"], bob["quiz_attempts"], bob["current_streak"]) == (17, 2, 2)
    assert (kim["modules_completed"], kim["last_active"], kim["streak_at_risk"]) == (0, None, False)


AS_OF_POINTS = [  # Ann's (completed, in progress, %, attempts, streak, last active, at risk)
    ("2026-02-28", "UTC", (0, 0, 0, 0, 0, None, False)),
    ("2026-03-02", "UTC", (0, 1, 0, 1, 2, "2026-03-02", True)),
    ("2026-03-04", "UTC", (2, 0, 33, 2, 4, "2026-03-04", True)),
    ("2026-03-04", "Europe/Paris", (2, 0, 33, 2, 4, "2026-03-04", False)),
    ("2026-03-04T11:00:00+01:00", "Asia/Tokyo", (1, 0, 17, 2, 3, "2026-03-03", True)),
    ("2026-03-10", "UTC", (2, 1, 33, 2, 0, "2026-03-06", False)),
]


def test_as_of_points(cohort: Runner) -> None:
    keys = (
        "modules_completed",
        "modules_in_progress",
        "progress_percent",
        "quiz_attempts",
        "current_streak",
        "last_active",
        "streak_at_risk",
    )
    for as_of, tz, expected in AS_OF_POINTS:
        ann = report(cohort, "--as-of", as_of, "--tz", tz, "-u", "ann@example.com")[0]
        assert tuple(ann[k] for k in keys) == expected, (as_of, tz)


def test_a_report_row_says_what_stats_says(cohort: Runner) -> None:
    for as_of in ("2026-03-01T20:00:00Z", "2026-03-04T22:30:00Z", "2026-04-01T10:00-07:00"):
        for scope in ([], ["--competency", "python"], ["--competency", "sql"]):
            for row in report(cohort, "--as-of", as_of, *scope):
                stats = cohort("stats", "-u", row["user"], "--as-of", as_of, "-f", "json", *scope)
                extra = ("name", "enrolled_at", "withdrawn_at")  # stats has not these
                assert {k: v for k, v in row.items() if k not in extra} == json_out(stats), (
                    as_of,
                    scope,
                )


def test_by_module_rows_say_what_modules_says(cohort: Runner) -> None:
    keys = ("module", "title", "status", "started_at", "completed_at")
    for as_of in ("2026-03-02T12:00:00Z", "2026-03-05"):
        rows = report(cohort, "--by-module", "--as-of", as_of)
        assert [list(r) for r in rows] == [MODULE_KEYS] * 18
        assert [(r["user"], r["competency"]) for r in rows[:6]] == [
            ("ann@example.com", c) for c in ("python",) * 4 + ("sql",) * 2
        ]
        for email in EMAILS:
            for competency in ("python", "sql"):
                listed = cohort("modules", competency, "-u", email, "--as-of", as_of, "-f", "json")
                mine = [r for r in rows if r["user"] == email and r["competency"] == competency]
                assert [{k: r[k] for k in keys} for r in mine] == [
                    {k: m[k] for k in keys} for m in json_out(listed)
                ], (as_of, email, competency)


def test_by_module_best_score_is_a_half_up_percent_or_null(cohort: Runner) -> None:
    rows = report(cohort, "--by-module", "--as-of", "2026-03-05", "-u", "bob@example.com")
    assert {r["module"]: r["best_score"] for r in rows} == {
        "intro": None,
        "types": 57,  # 4/7
        "functions": None,
        "classes": None,
        "joins": 13,  # 1/8 = 12.5
    }
    ann = report(
        cohort, "--by-module", "--as-of", "2026-03-05", "-u", "ann@example.com", "-c", "python"
    )
    assert [(r["module"], r["status"], r["best_score"]) for r in ann] == [
        ("intro", "completed", 67),  # the best of 33 and 67
        ("types", "completed", None),
        ("functions", "not_started", None),
        ("classes", "not_started", None),
    ]
    assert ann[0]["started_at"] == "2026-03-01T12:00:00+01:00"
    assert ann[0]["completed_at"] == "2026-03-03T12:00:00+01:00"


def test_competency_and_repeated_users(cohort: Runner) -> None:
    rows = report(cohort, "-c", "sql", "-u", "KIM@example.com", "--user", "ann@example.com")
    assert [r["user"] for r in rows] == ["ann@example.com", "kim@example.com"]
    assert {(r["competency"], r["modules_total"], r["quizzes_total"]) for r in rows} == {
        ("sql", 2, 1)
    }


def test_catalyst_user_does_not_narrow_the_report(cohort: Runner) -> None:
    rows = report(cohort, env={"CATALYST_USER": "ann@example.com"})
    assert [r["user"] for r in rows] == EMAILS


def test_no_learners_is_an_empty_report(cli: Runner, catalog_file: Path) -> None:
    assert cli("catalog", "load", str(catalog_file)).exit_code == 0
    assert report(cli) == []
    assert cli("report", "-f", "jsonl").stdout == ""
    assert cli("report", "-f", "csv").stdout_bytes == ",".join(KEYS).encode() + b"\r\n"


def test_bad_values_are_one_line_and_exit_1(cohort: Runner, tmp_path: Path) -> None:
    target = tmp_path / "out" / "r.csv"
    for args, message in (
        (("-u", "ann@example.com", "-u", "zed@example.com"), "unknown user 'zed@example.com'"),
        (("-c", "pyton"), "unknown competency 'pyton' (did you mean python?)"),
        (("--tz", "Mars/Olympus"), "unknown timezone 'Mars/Olympus'"),
        (("--as-of", "someday"), "invalid time 'someday'"),
    ):
        result = cohort("report", *args, "-o", str(target))
        assert result.exit_code == 1, args
        assert message in one_error_line(result)
        assert result.stdout == ""
        assert not target.parent.exists()


def test_the_report_only_reads(cohort: Runner, db_url: str, tmp_path: Path) -> None:
    before = snapshot(db_url)
    for args in ((), ("--by-module",), ("-f", "csv", "-o", str(tmp_path / "r.csv"))):
        assert cohort("report", *args).exit_code == 0
    assert snapshot(db_url) == before


# --- formats -------------------------------------------------------------------------------------


def test_jsonl_is_one_object_per_line(cohort: Runner) -> None:
    result = cohort("report", "-f", "jsonl", "--by-module")
    assert result.exit_code == 0 and result.stderr == ""
    lines = result.stdout.splitlines()
    assert len(lines) == 18
    assert [json.loads(line)["module"] for line in lines[:2]] == ["intro", "types"]


def test_table_formats(cohort: Runner) -> None:
    for fmt, marker in (
        ("table", "user             name"),
        ("github", "| user            | name   |"),
        ("GitHub", "| user            | name   |"),
        ("grid", "+=================+"),
        ("html", "<!DOCTYPE html>"),  # the page of its own, not tabulate's table
        ("tsv", "user\tname\tas_of\t"),
    ):
        result = cohort("report", "-f", fmt, "--as-of", "2026-03-04")
        assert result.exit_code == 0 and result.stderr == "", fmt
        assert marker in result.stdout, fmt
        assert all(email in result.stdout for email in EMAILS), fmt
        assert "\x1b" not in result.stdout  # no colour off a terminal


def test_unknown_format_is_a_usage_error_listing_the_valid_ones(cohort: Runner) -> None:
    result = cohort("report", "-f", "xlsx")
    assert result.exit_code == 2
    assert result.stdout == ""
    message = re.sub(r"[\s│╭╮╰╯─]+", " ", result.stderr)
    assert "'xlsx' is not one of: table, csv, json, jsonl, " in message
    assert all(f" {name}," in message for name in ("github", "grid", "html", "tsv"))


FORMULAS = ['=HYPERLINK("http://x","y")', "+1+1", "-2", "@SUM(A1)", "\tcmd", "\rcmd"]


def test_csv_neutralises_formulas_and_keeps_numbers(cohort: Runner) -> None:
    for i, name in enumerate(FORMULAS):
        assert cohort("users", "add", f"eve{i}@example.com", "--name", name).exit_code == 0
    result = cohort("report", "-f", "csv", "--as-of", "2026-03-04")
    assert result.exit_code == 0 and result.stderr == ""
    rows = list(csv.DictReader(io.StringIO(result.stdout_bytes.decode(), newline="")))
    assert list(rows[0]) == KEYS
    assert [r["name"] for r in rows if r["user"].startswith("eve")] == ["'" + n for n in FORMULAS]
    ann = next(r for r in rows if r["user"] == "ann@example.com")
    assert (ann["progress_percent"], ann["current_streak"], ann["competency"]) == ("33", "4", "")
    assert (ann["streak_at_risk"], ann["last_active"]) == ("true", "2026-03-04")
    for row in rows:
        assert all(re.fullmatch(r"\d+", row[k]) for k in NUMBER_KEYS), row


def test_csv_is_rfc_4180(cohort: Runner) -> None:
    assert cohort("users", "add", "doe@example.com", "--name", 'Doe, "JJ"\nJr').exit_code == 0
    result = cohort("report", "-f", "csv", "-u", "doe@example.com", "--as-of", "2026-03-04")
    assert result.exit_code == 0
    header, record = result.stdout_bytes.split(b"\r\n", 1)
    assert header == ",".join(KEYS).encode()
    assert record.startswith(b'doe@example.com,"Doe, ""JJ""\nJr",2026-03-04T23:59:59.999999+00:00,')
    assert record.endswith(b",false,0\r\n") and record.count(b"\r\n") == 1


# --- files ---------------------------------------------------------------------------------------


def test_output_expands_strftime_creates_folders_and_replaces(
    cohort: Runner, tmp_path: Path
) -> None:
    template = str(tmp_path / "reports" / "%Y" / "%m-%d.csv")
    result = cohort("report", "-f", "csv", "--as-of", "2026-03-04", "-o", template)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    target = tmp_path / "reports" / "2026" / "03-04.csv"
    first = target.read_bytes()
    assert first.startswith(b"user,name,as_of,") and first.count(b"\r\n") == 4
    result = cohort("report", "-f", "csv", "--as-of", "2026-03-04", "-o", template, "-c", "sql")
    assert result.exit_code == 0
    assert target.read_bytes() != first and b",sql,2," in target.read_bytes()
    assert [p.name for p in target.parent.iterdir()] == ["03-04.csv"]


def test_output_fields_follow_tz(cohort: Runner, tmp_path: Path) -> None:
    args = ("--as-of", "2026-03-04T20:00:00Z", "--tz", "Asia/Tokyo", "-o")
    assert cohort("report", *args, str(tmp_path / "%Y-%m-%d.txt")).exit_code == 0
    assert (tmp_path / "2026-03-05.txt").exists()


def test_unwritable_output_is_one_line_exit_1_and_no_file(cohort: Runner, tmp_path: Path) -> None:
    work = tmp_path / "work"
    (work / "dir").mkdir(parents=True)
    (work / "file").write_text("")
    for target in (work / "file" / "r.csv", work / "dir"):
        result = cohort("report", "-f", "csv", "-o", str(target))
        assert result.exit_code == 1
        assert one_error_line(result).startswith(f"cannot write {target}: ")
        assert result.stdout == ""
        assert sorted(p.name for p in work.iterdir()) == ["dir", "file"]
        assert list((work / "dir").iterdir()) == []


# --- cron: a real process, a minimal environment, signals -----------------------------------------


def catalyst_command() -> list[str]:
    """The installed `catalyst` script, or the package run as a module."""
    script = Path(sysconfig.get_path("scripts")) / "catalyst"
    return [str(script)] if script.exists() else [sys.executable, "-m", "catalyst_cli"]


def test_runs_under_a_minimal_cron_environment(cohort: Runner, db_url: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    target = home / "reports" / "2026-03-04.csv"
    done = subprocess.run(
        [*catalyst_command(), "--db", db_url, "report", "-f", "csv", "--as-of", "2026-03-04",
         "-o", str(home / "reports" / "%Y-%m-%d.csv")],
        env={"PATH": "/usr/bin:/bin", "HOME": str(home)},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        cwd=home,
        timeout=120,
        check=False,
    )  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (0, b"", b"")
    rows = list(csv.DictReader(io.StringIO(target.read_bytes().decode(), newline="")))
    assert [(r["user"], r["progress_percent"]) for r in rows] == [
        ("ann@example.com", "33"),
        ("bob@example.com", "17"),
        ("kim@example.com", "0"),
    ]


def test_failure_under_cron_is_one_line_and_non_zero(db_url: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [*catalyst_command(), "--db", db_url, "report", "-u", "nobody@example.com"],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "unknown user 'nobody@example.com'" in done.stderr


@pytest.fixture
def big_cohort(sqlite_url: str, catalog_file: Path) -> str:
    """An SQLite database with the test catalogue and 30,000 learners: a slow report."""
    loaded = CliRunner().invoke(app, ["--db", sqlite_url, "catalog", "load", str(catalog_file)])
    assert loaded.exit_code == 0
    engine = make_engine(normalize_url(sqlite_url))
    created = datetime(2026, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(User),
            [
                {"email": f"l{i:05d}@example.com", "name": f"L {i}", "created_at": created}
                for i in range(30_000)
            ],
        )
    engine.dispose()
    return sqlite_url


def _start_and_wait_for_rows(db_url: str, target: Path) -> subprocess.Popen[bytes]:
    """Start a big report to `target` and return once rows are reaching its temporary file."""
    proc = subprocess.Popen(
        [*catalyst_command(), "--db", db_url, "report", "--by-module", "-f", "csv",
         "-o", str(target)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if any(p.stat().st_size > 0 for p in target.parent.glob(f".{target.name}.*.tmp")):
            return proc
        time.sleep(0.005)
    proc.kill()
    pytest.fail(f"the report never wrote to a temporary file (exit {proc.wait()})")


def test_a_killed_report_leaves_no_file(big_cohort: str, tmp_path: Path) -> None:
    target = tmp_path / "out" / "big.csv"
    proc = _start_and_wait_for_rows(big_cohort, target)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    assert not target.exists()


def test_a_terminated_report_keeps_the_old_file_and_cleans_up(
    big_cohort: str, tmp_path: Path
) -> None:
    target = tmp_path / "out" / "big.csv"
    target.parent.mkdir()
    target.write_text("yesterday's report\n")
    proc = _start_and_wait_for_rows(big_cohort, target)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 128 + signal.SIGTERM
    assert stderr.decode().splitlines() == [f"terminated by signal 15: {target} was not written"]
    assert target.read_text() == "yesterday's report\n"
    assert [p.name for p in target.parent.iterdir()] == ["big.csv"]
