"""SQLite: the owner-only default file, the connection pragmas, URL precedence, locks."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import IntegrityError
from typer.testing import CliRunner, Result

from catalyst_cli.db import engine as engine_module
from catalyst_cli.db.engine import make_engine
from catalyst_cli.db.migrate import HEAD_REVISION
from catalyst_cli.db.url import normalize_url
from catalyst_cli.main import app
from tests.conftest import snapshot

ANN = "ann@example.com"


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, list(args), env=env)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def emails(url: str) -> list[str]:
    result = invoke("--db", url, "users", "list", "--format", "json")
    assert result.exit_code == 0, result.stderr
    return [u["email"] for u in json.loads(result.stdout)]


def path_of(sqlite_url: str) -> Path:
    return Path(sqlite_url.removeprefix("sqlite:///"))


@pytest.fixture
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """Run the test under the umask given as its parameter."""
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


# --- the default file ------------------------------------------------------------------------


@pytest.mark.parametrize("umask", [0o022, 0o000], indirect=True)
def test_default_database_is_created_owner_only(isolated_env: Path, umask: int) -> None:
    assert not isolated_env.exists()
    result = invoke("users", "add", ANN)  # no --db, no CATALYST_DATABASE_URL
    assert result.exit_code == 0, result.stderr
    database = isolated_env / "catalyst.db"
    assert mode(isolated_env) == 0o700
    assert mode(database) == 0o600
    assert emails(str(database)) == [ANN]
    engine = make_engine(normalize_url(str(database)))
    with engine.connect() as conn:  # an open transaction keeps WAL's side files in place
        conn.execute(text("SELECT count(*) FROM users"))
        for suffix in ("-wal", "-shm"):
            side = database.with_name(database.name + suffix)
            assert side.exists(), side
            assert mode(side) == 0o600, side
    engine.dispose()


def test_default_database_is_brought_to_head(isolated_env: Path) -> None:
    result = invoke("db", "upgrade")
    assert result.exit_code == 0, result.stderr
    assert (isolated_env / "catalyst.db").exists()
    assert invoke("db", "current").stdout == f"{HEAD_REVISION}\n"


# --- pragmas ---------------------------------------------------------------------------------


@pytest.mark.parametrize("immediate", [True, False])
def test_wal_foreign_keys_and_busy_timeout_on_every_connection(
    sqlite_url: str, immediate: bool
) -> None:
    engine = make_engine(normalize_url(sqlite_url), immediate=immediate)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            timeout = conn.execute(text("PRAGMA busy_timeout")).scalar()
            assert timeout == engine_module.SQLITE_BUSY_TIMEOUT_MS
            with pytest.raises(IntegrityError):  # the foreign keys are enforced, not only declared
                conn.execute(
                    text(
                        "INSERT INTO learning_progress (user_id, module_id, status, started_at)"
                        " VALUES (999, 999, 'in_progress', '2026-03-01 10:00:00.000000')"
                    )
                )
    finally:
        engine.dispose()
    plain = sqlite3.connect(path_of(sqlite_url))  # WAL is a property of the file
    assert plain.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    plain.close()


def test_instants_are_stored_as_utc_text(sqlite_url: str, catalog_file: Path) -> None:
    assert invoke("--db", sqlite_url, "catalog", "load", str(catalog_file)).exit_code == 0
    assert invoke("--db", sqlite_url, "users", "add", ANN, "--tz", "Europe/Paris").exit_code == 0
    for at in ("2026-03-01T12:00:00+02:00", "2026-03-01T11:00"):  # no offset: Paris, UTC+1
        result = invoke("--db", sqlite_url, "start", "python/intro", "-u", ANN, "--at", at)
        assert result.exit_code == 0, result.stderr
    plain = sqlite3.connect(path_of(sqlite_url))
    assert plain.execute("SELECT started_at FROM learning_progress").fetchall() == [
        ("2026-03-01 10:00:00.000000",)
    ]
    plain.close()


# --- which database: --db > CATALYST_DATABASE_URL > default ----------------------------------


def test_environment_url_is_honoured_and_the_flag_beats_it(
    tmp_path: Path, isolated_env: Path
) -> None:
    from_env, from_flag = tmp_path / "env.db", tmp_path / "flag.db"
    env = {"CATALYST_DATABASE_URL": f"sqlite:///{from_env}"}
    assert invoke("users", "add", "env@example.com", env=env).exit_code == 0
    assert (
        invoke("--db", str(from_flag), "users", "add", "flag@example.com", env=env).exit_code == 0
    )
    assert emails(str(from_env)) == ["env@example.com"]
    assert emails(str(from_flag)) == ["flag@example.com"]
    listed = invoke("users", "list", "--format", "json", env=env)
    assert [u["email"] for u in json.loads(listed.stdout)] == ["env@example.com"]
    assert not isolated_env.exists()  # the default file was never made


def test_bare_path_in_the_environment_is_an_sqlite_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_env: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CATALYST_DATABASE_URL", "relative/progress.db")
    assert invoke("users", "add", ANN).exit_code == 0
    assert emails(str(tmp_path / "relative" / "progress.db")) == [ANN]
    assert not isolated_env.exists()


def test_empty_environment_url_means_the_default(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CATALYST_DATABASE_URL", "")
    assert invoke("users", "add", ANN).exit_code == 0
    assert emails(str(isolated_env / "catalyst.db")) == [ANN]


# --- unusable files and locks ----------------------------------------------------------------


def one_line_error(result: Result, code: int) -> str:
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.endswith("\n") and result.stderr.count("\n") == 1, result.stderr
    return result.stderr


def test_a_file_that_is_not_a_database_is_exit_4(tmp_path: Path) -> None:
    not_a_database = tmp_path / "events.csv"
    not_a_database.write_text("user,event,module\n" * 200)
    stderr = one_line_error(invoke("--db", str(not_a_database), "users", "list"), 4)
    assert "not a database" in stderr
    assert not_a_database.read_text() == "user,event,module\n" * 200


def test_a_directory_is_exit_4(tmp_path: Path) -> None:
    stderr = one_line_error(invoke("--db", str(tmp_path), "users", "list"), 4)
    assert "unable to open" in stderr


def test_write_locked_past_the_busy_timeout_exits_4_and_reads_go_on(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "SQLITE_BUSY_TIMEOUT_MS", 300)
    before = snapshot(sqlite_url)
    holder = sqlite3.connect(path_of(sqlite_url), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # the write lock, as a long import would hold it
    holder.execute("INSERT INTO users (email, timezone, created_at) VALUES ('x@y.z', 'UTC', '')")
    try:
        began = time.monotonic()
        stderr = one_line_error(invoke("--db", sqlite_url, "users", "add", ANN), 4)
        waited = time.monotonic() - began
        assert "locked" in stderr
        assert 0.3 <= waited < 10
        assert emails(sqlite_url) == []  # WAL: a reader neither waits nor sees the open write
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert snapshot(sqlite_url) == before
    assert invoke("--db", sqlite_url, "users", "add", ANN).exit_code == 0


def test_a_reader_on_a_new_file_waits_for_a_writer_then_migrates(tmp_path: Path) -> None:
    """A read-only command that must migrate takes the write lock up front, so it waits.

    The other writer lets go shortly after the command first tries to write: a deferred
    transaction that has already read would fail at once with "database is locked".
    """
    path = tmp_path / "new.db"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("PRAGMA journal_mode = WAL")
    holder.execute("BEGIN IMMEDIATE")  # another process, busy creating the database
    holder.execute("CREATE TABLE elsewhere (id INTEGER)")
    releaser = threading.Timer(0.3, lambda: holder.execute("COMMIT"))
    started: list[str] = []

    def on_statement(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not started and statement.lstrip().startswith(("BEGIN IMMEDIATE", "CREATE TABLE")):
            started.append(statement)
            releaser.start()

    event.listen(Engine, "before_cursor_execute", on_statement)
    try:
        result = invoke("--db", str(path), "users", "list", "--format", "json")
    finally:
        event.remove(Engine, "before_cursor_execute", on_statement)
        if started:
            releaser.join()
        holder.close()
    assert started, "the command never tried to write"
    assert (result.exit_code, result.stdout, result.stderr) == (0, "[]\n", "")
    assert invoke("--db", str(path), "db", "current").stdout == f"{HEAD_REVISION}\n"
