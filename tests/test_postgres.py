"""PostgreSQL: URL forms, the schema check, column types, privileges, locks and hidden passwords.

Runs against the throwaway server of tests/pg_server.py (or $CATALYST_TEST_POSTGRES_URL); the
URL-parsing tests at the top need no server.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import typer.main
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import URL
from typer.testing import CliRunner, Result

from catalyst_cli.db.engine import make_engine
from catalyst_cli.db.migrate import HEAD_REVISION, downgrade, upgrade
from catalyst_cli.db.url import normalize_url, safe_url
from catalyst_cli.errors import InputError
from catalyst_cli.main import app
from tests.conftest import TABLES, TEST_CATALOG, _admin_engine, _with_database
from tests.pg_server import free_port

PASSWORD = "s3cretpw"
ANN = "ann@example.com"


def run(url: str, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, ["--db", url, *args], env=env)


def one_line_error(result: Result, code: int) -> str:
    """Check the spec's failure shape: the exit code, nothing on stdout, one line on stderr."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.endswith("\n") and result.stderr.count("\n") == 1, result.stderr
    return result.stderr


def url_text(url: URL) -> str:
    """A URL as a user would type it: postgresql://, password shown."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def admin(pg_admin_url: str) -> Iterator[Engine]:
    engine = _admin_engine(pg_admin_url)
    yield engine
    engine.dispose()


@pytest.fixture
def new_database(admin: Engine, pg_admin_url: str) -> Iterator[Callable[..., str]]:
    """Make empty databases (optionally owned by a role); all dropped after the test."""
    made: list[str] = []

    def make(owner: str | None = None) -> str:
        name = f"e_{uuid.uuid4().hex[:12]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"' + (f' OWNER "{owner}"' if owner else "")))
        made.append(name)
        return _with_database(pg_admin_url, name)

    yield make
    with admin.connect() as conn:
        for name in made:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def new_role(admin: Engine) -> Iterator[Callable[[str], str]]:
    """Make login roles with PASSWORD (not superusers), dropped at teardown.

    Tests request it before their databases, so the databases are dropped first.
    """
    made: list[str] = []

    def make(prefix: str) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f"CREATE ROLE \"{name}\" LOGIN PASSWORD '{PASSWORD}'"))
        made.append(name)
        return name

    yield make
    with admin.connect() as conn:
        for name in made:
            conn.execute(text(f'DROP OWNED BY "{name}"'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{name}"'))


@pytest.fixture
def empty_pg_url(new_database: Callable[..., str]) -> str:
    """A PostgreSQL database that was never migrated."""
    return new_database()


@pytest.fixture
def catalog_loaded(pg_url: str, catalog_file: Path) -> str:
    """pg_url with the test catalogue and Ann (Europe/Paris)."""
    assert run(pg_url, "catalog", "load", str(catalog_file)).exit_code == 0
    assert run(pg_url, "users", "add", ANN, "--tz", "Europe/Paris").exit_code == 0
    return pg_url


# --- URL forms -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "given",
    [
        f"postgresql://ann:{PASSWORD}@db.example.com:6432/catalyst",
        f"postgres://ann:{PASSWORD}@db.example.com:6432/catalyst",
        f"postgresql+psycopg://ann:{PASSWORD}@db.example.com:6432/catalyst",
    ],
)
def test_postgres_url_forms_mean_psycopg_3(given: str) -> None:
    url = normalize_url(given)
    assert url.drivername == "postgresql+psycopg"
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "ann",
        PASSWORD,
        "db.example.com",
        6432,
        "catalyst",
    )
    assert PASSWORD not in safe_url(url)


def test_bare_path_means_an_sqlite_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert normalize_url("data/progress.db") == URL.create(
        "sqlite", database=str(tmp_path / "data" / "progress.db")
    )
    assert normalize_url("~/p.db").database == str(tmp_path / "home" / "p.db")
    assert normalize_url(f"sqlite:///{tmp_path}/x.db").database == f"{tmp_path}/x.db"


@pytest.mark.parametrize(
    ("given", "says"),
    [
        (f"mysql://ann:{PASSWORD}@h/db", "unsupported database 'mysql'"),
        (f"postgresql+psycopg2://ann:{PASSWORD}@h/db", "psycopg 3"),
        (f"postgresql://ann:{PASSWORD}@h:notaport/db", "invalid database URL"),
        (f"postgresql://ann:{PASSWORD}@[::1/db", "invalid database URL"),
    ],
)
def test_unusable_urls_are_bad_input_without_the_password(given: str, says: str) -> None:
    with pytest.raises(InputError) as caught:
        normalize_url(given)
    assert says in str(caught.value)
    assert PASSWORD not in str(caught.value)
    stderr = one_line_error(run(given, "users", "list"), 1)
    assert says in stderr
    assert PASSWORD not in stderr


def test_every_url_form_reaches_the_same_database(pg_url: str) -> None:
    url = normalize_url(pg_url)
    forms = [url_text(url), url_text(url).replace("postgresql://", "postgres://", 1)]
    forms.append(url.render_as_string(hide_password=False))  # postgresql+psycopg://
    for i, form in enumerate(forms):
        assert run(form, "users", "add", f"u{i}@example.com").exit_code == 0
    for form in forms:
        listed = run(form, "users", "list", "--format", "json")
        assert listed.exit_code == 0, listed.stderr
        assert [u["email"] for u in json.loads(listed.stdout)] == [
            f"u{i}@example.com" for i in range(len(forms))
        ]


def test_catalyst_database_url_is_honoured(pg_url: str) -> None:
    result = CliRunner().invoke(
        app, ["users", "add", ANN], env={"CATALYST_DATABASE_URL": url_text(normalize_url(pg_url))}
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(run(pg_url, "users", "list", "-f", "json").stdout)[0]["email"] == ANN


# --- the schema check: only `catalyst db upgrade` migrates PostgreSQL ------------------------


def command_args(tmp_path: Path) -> dict[str, list[str]]:
    """Valid arguments for every command of SPEC.md, so that only the schema can stop them."""
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps(TEST_CATALOG))
    events = tmp_path / "events.csv"
    events.write_text(
        "user,event,module,quiz,score,total,at,id\n"
        f"{ANN},start,python/intro,,,,2026-03-01T10:00:00Z,\n"
    )
    learners = tmp_path / "learners.csv"
    learners.write_text(f"email,name\n{ANN},Ann\n")
    user = ["--user", ANN]
    return {
        "catalog load": [str(catalog)],
        "catalog show": [],
        "catalog export": [],
        "users add": [ANN],
        "users import": [str(learners)],
        "users list": [],
        "start": ["python/intro", *user],
        "complete": ["python/intro", *user],
        "quiz submit": ["py-intro", "--score", "2", "--total", "3", *user],
        "enrol": ["python", *user],
        "withdraw": ["python", *user],
        "stats": user,
        "streak": user,
        "modules": ["python", *user],
        "report": [],
        "import": [str(events)],
        "export": [],
        "seed": ["--users", "2", "--days", "3"],
        "demo": [],
    }


def registered_commands() -> list[str]:
    """Every command of the CLI as 'group command' or 'command'."""

    def walk(command: object, path: tuple[str, ...]) -> Iterator[str]:
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for name, sub in subcommands.items():
                yield from walk(sub, (*path, name))
        else:
            yield " ".join(path)

    return list(walk(typer.main.get_command(app), ()))


def assert_stopped_by_schema(url: str, tmp_path: Path) -> None:
    args = command_args(tmp_path)
    commands = [c for c in registered_commands() if not c.startswith("db ")]
    assert set(commands) <= set(args), "a new command: give it arguments in command_args()"
    for command in commands:
        result = run(url, *command.split(), *args[command])
        stderr = one_line_error(result, 4)
        assert "catalyst db upgrade" in stderr, (command, stderr)


def test_empty_database_every_command_exits_4_naming_db_upgrade(
    empty_pg_url: str, tmp_path: Path
) -> None:
    assert_stopped_by_schema(empty_pg_url, tmp_path)
    engine = make_engine(normalize_url(empty_pg_url))
    with engine.connect() as conn:
        assert inspect(conn).get_table_names() == []  # nothing was created
    engine.dispose()
    assert run(empty_pg_url, "db", "current").stdout == "none\n"
    upgraded = run(empty_pg_url, "db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.stderr
    assert run(empty_pg_url, "db", "current").stdout == f"{HEAD_REVISION}\n"
    added = run(empty_pg_url, "users", "add", ANN)
    assert added.exit_code == 0, added.stderr


def test_outdated_database_every_command_exits_4(empty_pg_url: str, tmp_path: Path) -> None:
    engine = make_engine(normalize_url(empty_pg_url))
    upgrade(engine)
    downgrade(engine, "base")
    engine.dispose()
    assert_stopped_by_schema(empty_pg_url, tmp_path)
    assert run(empty_pg_url, "db", "current").stdout == "none\n"


# --- types: timestamptz, jsonb ---------------------------------------------------------------


def test_timestamps_are_timestamptz_and_json_is_jsonb(pg_url: str) -> None:
    engine = make_engine(normalize_url(pg_url))
    with engine.connect() as conn:
        types = {
            (row.table_name, row.column_name): row.data_type
            for row in conn.execute(
                text(
                    "SELECT table_name, column_name, data_type FROM information_schema.columns"
                    " WHERE table_schema = current_schema()"
                )
            )
        }
    engine.dispose()
    for column in (
        ("users", "created_at"),
        ("learning_progress", "started_at"),
        ("learning_progress", "completed_at"),
        ("quiz_attempts", "created_at"),
    ):
        assert types[column] == "timestamp with time zone", column
    assert types[("quiz_attempts", "answers")] == "jsonb"
    assert types[("quizzes", "questions")] == "jsonb"
    assert "timestamp without time zone" not in types.values()
    assert "json" not in types.values()
    assert {table for table, _ in types} == {*TABLES, "alembic_version"}


def test_instants_are_stored_in_utc_and_answers_as_jsonb(catalog_loaded: str) -> None:
    url = catalog_loaded
    answers = json.dumps({"q1": "2", "q2": "4", "q3": "7"})
    at = "2026-03-01T12:00:00+02:00"
    submitted = run(url, "quiz", "submit", "py-intro", "--answers", answers, "-u", ANN, "--at", at)
    assert submitted.exit_code == 0, submitted.stderr
    started = run(url, "start", "python/types", "--user", ANN, "--at", "2026-03-01T09:00")
    assert started.exit_code == 0, started.stderr
    engine = create_engine(normalize_url(url))  # a plain engine: not catalyst's session zone
    with engine.connect() as conn:
        conn.execute(text("SET TIME ZONE 'Asia/Tokyo'"))
        attempt = conn.execute(
            text(
                "SELECT created_at, answers->>'q1' AS q1, jsonb_typeof(answers) AS kind,"
                " score, total_questions, passed FROM quiz_attempts"
            )
        ).one()
        types_start = conn.execute(
            text(
                "SELECT p.started_at FROM learning_progress p"
                " JOIN learning_modules m ON m.id = p.module_id WHERE m.slug = 'types'"
            )
        ).scalar_one()
    engine.dispose()
    assert attempt.created_at == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    assert (attempt.q1, attempt.kind) == ("2", "object")
    assert (attempt.score, attempt.total_questions, attempt.passed) == (2, 3, True)
    # no offset: the learner's zone, Paris (UTC+1 in March)
    assert types_start == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


# --- locks -----------------------------------------------------------------------------------


def test_write_blocked_past_the_lock_timeout_exits_4_and_reads_go_on(
    catalog_loaded: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("catalyst_cli.db.engine.PG_LOCK_TIMEOUT_MS", 300)
    holder = make_engine(normalize_url(catalog_loaded))
    with holder.connect() as conn:
        conn.execute(text("LOCK TABLE learning_progress IN EXCLUSIVE MODE"))  # readers may pass
        stderr = one_line_error(run(catalog_loaded, "start", "python/intro", "--user", ANN), 4)
        assert "lock" in stderr
        stats = run(catalog_loaded, "stats", "--user", ANN, "--format", "json")
        assert stats.exit_code == 0, stats.stderr
        assert json.loads(stats.stdout)["modules_in_progress"] == 0
        conn.rollback()
    holder.dispose()
    assert run(catalog_loaded, "start", "python/intro", "--user", ANN).exit_code == 0


# --- passwords and unreachable servers -------------------------------------------------------


def assert_hidden(result: Result) -> None:
    assert PASSWORD not in result.stdout
    assert PASSWORD not in result.stderr


@pytest.mark.parametrize(
    "args",
    [("users", "list"), ("db", "current"), ("db", "upgrade"), ("start", "python/intro", "-u", ANN)],
)
def test_closed_port_is_one_line_exit_4_without_the_password(args: tuple[str, ...]) -> None:
    url = f"postgresql://catalyst_user:{PASSWORD}@127.0.0.1:{free_port()}/catalyst"
    result = run(url, *args)
    stderr = one_line_error(result, 4)
    assert_hidden(result)
    assert "://***@127.0.0.1" in stderr  # no part of the userinfo, the user name included
    assert "catalyst_user" not in stderr


def test_password_as_query_parameter_is_hidden_too() -> None:
    result = run(
        f"postgresql://catalyst_user@127.0.0.1:{free_port()}/db?password={PASSWORD}",
        "users",
        "list",
    )
    one_line_error(result, 4)
    assert_hidden(result)


def test_password_in_environment_url_is_hidden() -> None:
    env = {"CATALYST_DATABASE_URL": f"postgres://u:{PASSWORD}@127.0.0.1:{free_port()}/db"}
    result = CliRunner().invoke(app, ["users", "list"], env=env)
    one_line_error(result, 4)
    assert_hidden(result)


def test_unknown_host_is_one_line_exit_4() -> None:
    result = run(f"postgresql://u:{PASSWORD}@nonexistent.invalid/db", "users", "list")
    stderr = one_line_error(result, 4)
    assert "nonexistent.invalid" in stderr
    assert_hidden(result)


def test_missing_database_is_one_line_exit_4(pg_admin_url: str) -> None:
    url = url_text(normalize_url(pg_admin_url).set(database=f"no_{uuid.uuid4().hex[:8]}"))
    stderr = one_line_error(run(url, "db", "current"), 4)
    assert "does not exist" in stderr


def test_missing_driver_is_one_line_exit_4(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as without the extra
    result = run(f"postgresql://u:{PASSWORD}@127.0.0.1:{free_port()}/db", "users", "list")
    stderr = one_line_error(result, 4)
    assert "catalyst-cli[postgres]" in stderr


def test_working_url_with_a_password_never_shows_it(
    new_role: Callable[[str], str], new_database: Callable[..., str], catalog_file: Path
) -> None:
    """A non-superuser owning its database: the schema owner `db upgrade` needs."""
    role = new_role("catalyst_user")
    url = url_text(normalize_url(new_database(owner=role)).set(username=role, password=PASSWORD))
    steps: list[tuple[tuple[str, ...], int]] = [
        (("db", "current"), 0),
        (("users", "list"), 4),
        (("db", "upgrade"), 0),
        (("db", "upgrade"), 0),
        (("db", "current"), 0),
        (("catalog", "load", str(catalog_file)), 0),
        (("users", "add", ANN), 0),
        (("start", "python/intro", "--user", ANN), 0),
        (("start", "python/intro", "--user", "nobody@example.com"), 1),
        (("stats", "--user", ANN, "--format", "json"), 0),
    ]
    outputs = []
    for args, code in steps:
        result = run(url, *args)
        assert result.exit_code == code, (args, result.stdout, result.stderr)
        assert_hidden(result)
        outputs.append(result)
    assert outputs[0].stdout == "none\n"
    assert "://***@" in outputs[2].stderr and role not in outputs[2].stderr
    assert outputs[4].stdout == f"{HEAD_REVISION}\n"


def test_least_privileges_of_the_readme(
    new_role: Callable[[str], str], pg_url: str, catalog_file: Path, admin: Engine
) -> None:
    """Daily use: SELECT/INSERT/UPDATE on the tables and USAGE on sequences; reports: SELECT."""
    assert run(pg_url, "catalog", "load", str(catalog_file)).exit_code == 0
    writer, reader = new_role("catalyst_app"), new_role("catalyst_report")
    tables = ", ".join(TABLES)
    owner = make_engine(normalize_url(pg_url))
    with owner.begin() as conn:
        conn.execute(text(f'GRANT SELECT, INSERT, UPDATE ON {tables} TO "{writer}"'))
        conn.execute(text(f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO "{writer}"'))
        conn.execute(text(f'GRANT SELECT ON {tables}, alembic_version TO "{reader}", "{writer}"'))
    owner.dispose()
    as_writer = url_text(normalize_url(pg_url).set(username=writer, password=PASSWORD))
    as_reader = url_text(normalize_url(pg_url).set(username=reader, password=PASSWORD))
    for args in (
        ("catalog", "load", str(catalog_file)),
        ("users", "add", ANN),
        ("start", "python/intro", "--user", ANN, "--at", "2026-03-01"),
        ("complete", "python/intro", "--user", ANN, "--at", "2026-03-02"),
        ("quiz", "submit", "py-types", "--score", "3", "--total", "4", "--id", "k1", "-u", ANN),
        ("quiz", "submit", "py-types", "--score", "3", "--total", "4", "--id", "k1", "-u", ANN),
    ):
        result = run(as_writer, *args)
        assert result.exit_code == 0, (args, result.stderr)
    reads: tuple[tuple[str, ...], ...] = (
        ("users", "list"),
        ("stats", "--user", ANN),
        ("catalog", "show"),
    )
    for read in reads:
        result = run(as_reader, *read)
        assert result.exit_code == 0, (read, result.stderr)
    if "report" in registered_commands():
        report = run(as_reader, "report", "--format", "json")
        assert report.exit_code == 0, report.stderr
    denied = run(as_reader, "users", "add", "bob@example.com")
    assert "permission denied" in one_line_error(denied, 4)
    assert_hidden(denied)
    schema_change = run(as_writer, "db", "upgrade")  # at head: nothing to create
    assert schema_change.exit_code == 0, schema_change.stderr
