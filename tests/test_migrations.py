"""Migrations: one linear history ending at HEAD_REVISION, up and down, no drift, on both backends.

Also the schema-at-head rules of SPEC.md "Database": SQLite is brought to head by any command,
PostgreSQL only by `catalyst db upgrade`, and a schema newer than the code stops every command.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, text
from typer.testing import CliRunner, Result

from catalyst_cli.db import content_indexes  # noqa: F401  (the tables and all their indexes)
from catalyst_cli.db.base import metadata
from catalyst_cli.db.engine import make_engine
from catalyst_cli.db.migrate import (
    HEAD_REVISION,
    current_revision,
    downgrade,
    script_location,
    upgrade,
)
from catalyst_cli.db.url import normalize_url
from catalyst_cli.main import app
from tests.conftest import TABLES, _admin_engine, _with_database

# What the stats, streak, modules and report queries look rows up by (see catalyst_cli/stats.py).
QUERY_INDEXES = {
    "learning_modules": {"ix_learning_modules_competency_position": ["competency_id", "position"]},
    "quizzes": {"ix_quizzes_module_id": ["module_id"]},
    "learning_progress": {"ix_learning_progress_module_id": ["module_id"]},
    "quiz_attempts": {
        "ix_quiz_attempts_user_id_created_at": ["user_id", "created_at"],
        "ix_quiz_attempts_quiz_id": ["quiz_id"],
        "uq_quiz_attempts_content": [
            "user_id",
            "quiz_id",
            "created_at",
            "score",
            "total_questions",
        ],
    },
}
# Unique constraints the upserts name as their conflict targets; (user_id, module_id) also
# serves every per-learner lookup of learning_progress.
UPSERT_KEYS = {
    "users": ["email"],
    "competencies": ["slug"],
    "learning_modules": ["competency_id", "slug"],
    "quizzes": ["slug"],
    "learning_progress": ["user_id", "module_id"],
    "quiz_attempts": ["external_id"],
}


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database that exists but has never been migrated, on each backend in turn."""
    if request.param == "sqlite":
        (tmp_path / "empty.db").touch()  # an empty file is an empty SQLite database
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    admin_url: str = request.getfixturevalue("pg_admin_url")
    name = f"empty_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine(admin_url)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield _with_database(admin_url, name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def engine(empty_url: str) -> Iterator[Engine]:
    """An engine on the empty database."""
    built = make_engine(normalize_url(empty_url))
    yield built
    built.dispose()


def scripts() -> ScriptDirectory:
    """The migration scripts, found as `catalyst db upgrade` finds them."""
    config = Config()
    config.set_main_option("script_location", str(script_location()))
    return ScriptDirectory.from_config(config)


def history() -> list[Script]:
    """Every revision, oldest first."""
    return list(reversed(list(scripts().walk_revisions())))


def revision_of(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return current_revision(conn)


def table_names(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(inspect(conn).get_table_names())


def drift(engine: Engine) -> list[Any]:
    """What autogenerate would write to bring the database to the models (empty: no drift)."""
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, metadata))


def run(url: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["--db", url, *args])


# --- the history -----------------------------------------------------------------------------


def test_single_head_is_the_code_head_revision() -> None:
    assert scripts().get_heads() == [HEAD_REVISION]


def test_history_is_one_line_from_base_to_head() -> None:
    revisions = history()
    assert revisions[0].down_revision is None
    assert revisions[-1].revision == HEAD_REVISION
    for older, newer in zip(revisions, revisions[1:], strict=False):
        assert newer.down_revision == older.revision
    assert not any(r.is_merge_point or r.is_branch_point for r in revisions)


def test_revision_files_start_with_their_revision_id() -> None:
    """migrate._known_revisions reads revision ids from file names, so they must agree."""
    by_file = {Path(str(r.path)).stem.split("_", 1)[0]: r.revision for r in history()}
    assert all(prefix == revision for prefix, revision in by_file.items())
    assert len(by_file) == len(history())


# --- up and down, on both backends -----------------------------------------------------------


def test_upgrade_from_empty_reaches_head_with_every_table(engine: Engine) -> None:
    assert revision_of(engine) is None
    upgrade(engine)
    assert revision_of(engine) == HEAD_REVISION
    assert table_names(engine) == {*TABLES, "alembic_version"}


def test_each_step_down_and_up_again(engine: Engine) -> None:
    revisions = history()
    for script in revisions:
        upgrade(engine, script.revision)
        assert revision_of(engine) == script.revision
    with engine.begin() as conn:  # data in the tables must not stop a downgrade
        conn.execute(text("INSERT INTO competencies (slug, title, position) VALUES ('c', 'C', 1)"))
    for script in reversed(revisions):
        down = script.down_revision
        assert down is None or isinstance(down, str)
        downgrade(engine, down or "base")
        assert revision_of(engine) == down
    assert table_names(engine) == {"alembic_version"}
    upgrade(engine)
    assert revision_of(engine) == HEAD_REVISION
    assert table_names(engine) == {*TABLES, "alembic_version"}
    assert drift(engine) == []


def test_models_and_migrations_agree(engine: Engine) -> None:
    upgrade(engine)
    assert drift(engine) == []


def test_drift_check_sees_a_missing_index(engine: Engine) -> None:
    """The no-drift test above would catch a difference: it is not vacuous."""
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_quiz_attempts_quiz_id"))
    found = drift(engine)
    assert [(d[0], d[1].name) for d in found] == [("add_index", "ix_quiz_attempts_quiz_id")]


def test_constraint_names_follow_the_naming_convention(engine: Engine) -> None:
    """Same names on SQLite and PostgreSQL, as the metadata's naming convention gives them."""
    upgrade(engine)
    with engine.connect() as conn:
        found = inspect(conn)
        for table in metadata.sorted_tables:
            expected = {
                "pk": table.primary_key.name,
                "fk": sorted(str(fk.name) for fk in table.foreign_key_constraints),
                "ck": sorted(
                    str(c.name) for c in table.constraints if type(c).__name__ == "CheckConstraint"
                ),
            }
            actual = {
                "pk": found.get_pk_constraint(table.name)["name"],
                "fk": sorted(str(fk["name"]) for fk in found.get_foreign_keys(table.name)),
                "ck": sorted(str(c["name"]) for c in found.get_check_constraints(table.name)),
            }
            assert actual == expected, table.name


# --- the indexes the queries need ------------------------------------------------------------


def test_query_indexes_exist(db_url: str) -> None:
    engine = make_engine(normalize_url(db_url))
    try:
        with engine.connect() as conn:
            found = inspect(conn)
            for table, wanted in QUERY_INDEXES.items():
                indexes = {i["name"]: i for i in found.get_indexes(table)}
                for name, columns in wanted.items():
                    assert name in indexes, f"{table}: no index {name}"
                    assert indexes[name]["column_names"] == columns
            content = {i["name"]: i for i in found.get_indexes("quiz_attempts")}[
                "uq_quiz_attempts_content"
            ]
            assert content["unique"]
            where = content["dialect_options"][f"{engine.dialect.name}_where"]
            assert "external_id IS NULL" in str(where)
            for table, columns in UPSERT_KEYS.items():
                unique = [u["column_names"] for u in found.get_unique_constraints(table)]
                assert columns in unique, f"{table}: no unique constraint on {columns}"
    finally:
        engine.dispose()


# --- the schema check, through the CLI -------------------------------------------------------


def test_db_current_and_upgrade(empty_url: str) -> None:
    current = run(empty_url, "db", "current")
    assert (current.exit_code, current.stdout) == (0, "none\n")
    done = run(empty_url, "db", "upgrade")
    assert done.exit_code == 0, done.stderr
    assert done.stdout == ""
    assert HEAD_REVISION in done.stderr
    again = run(empty_url, "db", "upgrade")
    assert again.exit_code == 0, again.stderr
    current = run(empty_url, "db", "current")
    assert (current.exit_code, current.stdout) == (0, f"{HEAD_REVISION}\n")


def test_sqlite_new_file_is_brought_to_head_by_a_command_that_writes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    added = run(url, "users", "add", "ann@example.com")
    assert added.exit_code == 0, added.stderr
    assert run(url, "db", "current").stdout == f"{HEAD_REVISION}\n"


def test_sqlite_empty_file_is_brought_to_head_by_a_read_only_command(tmp_path: Path) -> None:
    (tmp_path / "empty.db").touch()
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    listed = run(url, "users", "list", "--format", "json")
    assert (listed.exit_code, listed.stdout) == (0, "[]\n"), listed.stderr
    assert listed.stderr == ""
    assert run(url, "db", "current").stdout == f"{HEAD_REVISION}\n"


def test_sqlite_behind_is_brought_to_head_by_any_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'behind.db'}"
    engine = make_engine(normalize_url(url))
    upgrade(engine)
    downgrade(engine, "base")
    engine.dispose()
    added = run(url, "users", "add", "ann@example.com")
    assert added.exit_code == 0, added.stderr
    assert run(url, "db", "current").stdout == f"{HEAD_REVISION}\n"


def test_schema_newer_than_the_code_stops_every_command(empty_url: str) -> None:
    engine = make_engine(normalize_url(empty_url))
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    for args in (("users", "list"), ("users", "add", "ann@example.com"), ("db", "upgrade")):
        result = run(empty_url, *args)
        assert result.exit_code == 4, (args, result.output)
        assert result.stdout == ""
        assert result.stderr.count("\n") == 1, result.stderr
        assert "9999" in result.stderr
        assert "upgrade catalyst" in result.stderr
    assert run(empty_url, "db", "current").stdout == "9999\n"


# --- 0002: a database of the first release keeps every stat --------------------------------


def test_a_first_release_database_upgrades_and_keeps_every_stat(
    engine: Engine, empty_url: str, tmp_path: Path
) -> None:
    """Made as release 0001 made it (progress rows and attempts only), then upgraded."""
    upgrade(engine, "0001")
    ts = (
        "'2026-03-0{}T09:00:00+00:00'"
        if engine.dialect.name == "postgresql"
        else "'2026-03-0{} 09:00:00.000000'"
    )
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO competencies (id, slug, title, position) VALUES (1, 'py', 'Py', 1)")
        )
        for mid, slug in ((1, "a"), (2, "b"), (3, "c")):
            conn.execute(
                text(
                    "INSERT INTO learning_modules (id, competency_id, slug, title, position)"
                    f" VALUES ({mid}, 1, '{slug}', '{slug}', {mid})"
                )
            )
        conn.execute(
            text(
                "INSERT INTO quizzes (id, module_id, slug, title, pass_percent, position)"
                " VALUES (1, 2, 'b-quiz', 'B quiz', 50, 1)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO users (id, email, name, timezone, created_at)"
                f" VALUES (1, 'ann@example.com', 'Ann', 'UTC', {ts.format(1)})"
            )
        )
        rows = (  # module, status, started day, completed day
            (1, "completed", 1, 2),
            (2, "completed", 3, 3),  # completed when first started (by a passing attempt)
            (3, "in_progress", 5, None),
        )
        for mid, status, started, done in rows:
            completed = "NULL" if done is None else ts.format(done)
            conn.execute(
                text(
                    "INSERT INTO learning_progress (user_id, module_id, status, started_at,"
                    f" completed_at) VALUES (1, {mid}, '{status}', {ts.format(started)}, {completed})"
                )
            )
        conn.execute(
            text(
                "INSERT INTO quiz_attempts (user_id, quiz_id, score, total_questions, passed,"
                f" created_at) VALUES (1, 1, 4, 5, {'true' if engine.dialect.name == 'postgresql' else 1},"
                f" {ts.format(3)})"
            )
        )
    assert run(empty_url, "db", "upgrade").exit_code == 0
    assert revision_of(engine) == HEAD_REVISION
    with engine.connect() as conn:
        kinds = sorted(
            (r[0], r[1]) for r in conn.execute(text("SELECT kind, module_id FROM learning_events"))
        )
    assert kinds == [("complete", 1), ("complete", 2), ("start", 1), ("start", 3)]
    result = run(
        empty_url, "stats", "--user", "ann@example.com", "--as-of", "2026-03-06", "-f", "json"
    )
    assert result.exit_code == 0, result.stderr
    stats = json.loads(result.stdout)
    figures = {k: stats[k] for k in (
        "modules_total", "modules_completed", "modules_in_progress", "progress_percent",
        "quizzes_passed", "quiz_attempts", "current_streak", "longest_streak", "last_active",
    )}  # fmt: skip
    # days 03-01, 03-02, 03-03 and 03-05, as the first release counted them
    assert figures == {
        "modules_total": 3, "modules_completed": 2, "modules_in_progress": 1,
        "progress_percent": 67, "quizzes_passed": 1, "quiz_attempts": 1,
        "current_streak": 1, "longest_streak": 3, "last_active": "2026-03-05",
    }  # fmt: skip


def snapshot_tables(url: str) -> tuple[list[str], list[Any]]:
    """The table names and schema revision rows, read without catalyst's engine."""
    engine = create_engine(normalize_url(url))
    try:
        with engine.connect() as conn:
            rows = list(conn.execute(text("SELECT * FROM alembic_version")))
            return sorted(inspect(conn).get_table_names()), rows
    finally:
        engine.dispose()


def test_another_alembic_projects_database_is_not_catalysts(empty_url: str) -> None:
    engine = make_engine(normalize_url(empty_url))
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('ae1027a6acf')"))
    engine.dispose()
    before = snapshot_tables(empty_url)
    for args in (
        ("users", "list"),
        ("users", "add", "ann@example.com"),
        ("db", "upgrade"),
        ("db", "current"),
    ):
        result = run(empty_url, *args)
        assert result.exit_code == 4, (args, result.output)
        assert result.stderr.count("\n") == 1, result.stderr
        assert "is not a catalyst database" in result.stderr
    assert snapshot_tables(empty_url) == before
