"""The one error boundary, in real processes: broken pipes, full disks, the last resort."""

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO

import pytest
from typer.testing import CliRunner

from catalyst_cli import main as main_module
from catalyst_cli.main import app


def catalyst(
    *args: str, stdout: int | IO[str] = subprocess.PIPE
) -> subprocess.CompletedProcess[str]:
    """Run catalyst in a fresh interpreter, as its console script does."""
    code = "from catalyst_cli.main import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], stdout=stdout, stderr=subprocess.PIPE, text=True
    )


@pytest.fixture
def school(tmp_path: Path) -> str:
    """An SQLite file with a seeded school: a report of a few hundred lines."""
    db = str(tmp_path / "school.db")
    seeded = catalyst("--db", db, "seed", "--users", "200", "--days", "3")
    assert seeded.returncode == 0, seeded.stderr
    return db


def test_a_closed_pipe_ends_catalyst_as_it_ends_cat(school: str) -> None:
    """`catalyst report | head -1`: killed by SIGPIPE (status 141 in a shell), nothing said."""
    code = "from catalyst_cli.main import main; main()"
    report = subprocess.Popen(
        [sys.executable, "-c", code, "--db", school, "report", "--format", "csv"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert report.stdout is not None and report.stderr is not None
    report.stdout.readline()
    report.stdout.close()
    stderr = report.stderr.read()
    assert report.wait() == -signal.SIGPIPE
    assert stderr == b""


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
@pytest.mark.parametrize("args", [("report",), ("users", "list"), ("db", "current")])
def test_stdout_on_a_full_disk_is_one_line(school: str, args: tuple[str, ...]) -> None:
    with open("/dev/full", "w") as full:
        result = catalyst("--db", school, *args, stdout=full)
    assert result.returncode == 1
    assert result.stderr == "cannot write output: No space left on device\n"


def test_an_unexpected_exception_is_one_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr("catalyst_cli.learners_io.learner_rows", broken)
    result = CliRunner().invoke(app, ["--db", str(tmp_path / "x.db"), "users", "add", "a@b.c"])
    assert result.exit_code == 0
    result = CliRunner().invoke(app, ["--db", str(tmp_path / "x.db"), "users", "list"])
    assert result.exit_code == 1
    assert result.stderr.startswith("internal error: KeyError: 'a bug'")
    assert result.stderr.count("\n") == 1


def test_an_unexpected_database_error_is_one_line_and_exit_4(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from sqlalchemy import text

    def broken(session, *_args: object, **_kwargs: object) -> None:  # type: ignore[no-untyped-def]
        insert = "INSERT INTO users (email, timezone, created_at) VALUES ('a@b.c', 'UTC', '2026')"
        session.execute(text(insert))
        session.execute(text(insert))

    db = str(tmp_path / "x.db")
    assert CliRunner().invoke(app, ["--db", db, "users", "list"]).exit_code == 4  # no file yet
    assert CliRunner().invoke(app, ["--db", db, "users", "add", "b@b.c"]).exit_code == 0
    monkeypatch.setattr("catalyst_cli.users.add_user", broken)
    result = CliRunner().invoke(app, ["--db", db, "users", "add", "a@b.c"])
    assert result.exit_code == 4
    assert result.stderr == "database error: UNIQUE constraint failed: users.email\n"


def test_the_debug_variable_lets_the_traceback_through(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr("catalyst_cli.learners_io.learner_rows", broken)
    monkeypatch.setenv(main_module.DEBUG_ENV, "1")
    db = str(tmp_path / "x.db")
    assert CliRunner().invoke(app, ["--db", db, "users", "add", "a@b.c"]).exit_code == 0
    result = CliRunner().invoke(app, ["--db", db, "users", "list"])
    assert isinstance(result.exception, KeyError)


def test_undecodable_argv_in_a_real_process(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from catalyst_cli.main import main; main()",
            "--db",
            str(tmp_path / "x.db"),
            "users",
            "add",
            b"caf\xe9@example.com",
        ],
        capture_output=True,
    )
    assert result.returncode == 1
    assert result.stderr.count(b"\n") == 1
    assert b"not valid text in the locale's encoding" in result.stderr
    assert not (tmp_path / "x.db").exists()
