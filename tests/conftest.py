"""Fixtures: an isolated environment, and real databases (an SQLite file, a PostgreSQL server).

`db_url` runs a test on both backends. The PostgreSQL server is a throwaway one started for the
test session (tests/pg_server.py), or the one at $CATALYST_TEST_POSTGRES_URL. Outside CI, with
no server to be had, the PostgreSQL half skips with the reason; with CI=true it fails instead.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any, NoReturn

import pytest
import typer.main
import typer.testing
from sqlalchemy import Connection, create_engine, text
from typer.testing import CliRunner, Result

from catalyst_cli.db.engine import make_engine
from catalyst_cli.db.migrate import upgrade
from catalyst_cli.db.url import normalize_url
from catalyst_cli.main import app

# Real learning records written by other systems: ../shared beside the checkout (CI has it too).
REAL_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"


def require_real_data(path: Path) -> Path:
    """`path` under REAL_DATA; when it is absent the test skips naming the folder (fails in CI).

    Call it in the test body, never at collection time, so a plain clone collects every test.
    """
    if path.exists():
        return path
    missing(f"needs the real learning records in {REAL_DATA} (../shared/data/real): {path.name}")


def missing(reason: str) -> NoReturn:
    """Skip the test for something this machine lacks, naming it; under CI=true, fail instead.

    The one way a test skips: CI has everything, so there nothing may skip.
    """
    if _in_ci():
        pytest.fail(f"CI=true but this is missing: {reason}")
    pytest.skip(reason)


TEST_CATALOG: dict[str, Any] = {
    "competencies": [
        {
            "slug": "python",
            "title": "Python",
            "modules": [
                {
                    "slug": "intro",
                    "title": "Intro",
                    "quizzes": [
                        {
                            "slug": "py-intro",
                            "title": "Intro quiz",
                            "pass_percent": 50,
                            "questions": [
                                {
                                    "id": "q1",
                                    "prompt": "1+1?",
                                    "choices": ["1", "2"],
                                    "answer": "2",
                                },
                                {
                                    "id": "q2",
                                    "prompt": "2+2?",
                                    "choices": ["4", "5"],
                                    "answer": "4",
                                },
                                {
                                    "id": "q3",
                                    "prompt": "3+3?",
                                    "choices": ["6", "7"],
                                    "answer": "6",
                                },
                            ],
                        }
                    ],
                },
                {
                    "slug": "types",
                    "title": "Types",
                    "quizzes": [{"slug": "py-types", "title": "Types quiz", "pass_percent": 57}],
                },
                {"slug": "functions", "title": "Functions"},
                {"slug": "classes", "title": "Classes"},
            ],
        },
        {
            "slug": "sql",
            "title": "SQL",
            "modules": [
                {"slug": "intro", "title": "SQL intro"},
                {
                    "slug": "joins",
                    "title": "Joins",
                    "quizzes": [{"slug": "sql-joins", "title": "Joins quiz"}],
                },
            ],
        },
    ]
}

TABLES = (
    "users",
    "competencies",
    "learning_modules",
    "quizzes",
    "learning_progress",
    "quiz_attempts",
    "learning_events",
    "groups",
    "group_members",
    "user_identities",
    "voided_ids",
)


@pytest.fixture(autouse=True)
def typer_command_built_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Typer's CliRunner rebuilds the click command from `app` on every invoke, half the cost
    of a call; build it once per test."""
    command = typer.main.get_command(app)

    def get_command(typer_app: typer.Typer) -> Any:
        return command if typer_app is app else typer.main.get_command(typer_app)

    monkeypatch.setattr(typer.testing, "_get_command", get_command)


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No stray CATALYST_* variables; every default path under the test's tmp_path."""
    for name in list(os.environ):
        if name.startswith("CATALYST_") and name != "CATALYST_TEST_POSTGRES_URL":
            monkeypatch.delenv(name)
    data = tmp_path / "data"
    monkeypatch.setenv("CATALYST_DATA_DIR", str(data))
    return data


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """An admin URL of a real PostgreSQL server for this test session."""
    given = os.environ.get("CATALYST_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    from tests.pg_server import throwaway_server

    with ExitStack() as stack:
        try:
            url = stack.enter_context(throwaway_server())
        except RuntimeError as exc:
            missing(f"no PostgreSQL server could be started: {exc}")
        yield url


def _admin_engine(admin_url: str) -> Any:
    return create_engine(normalize_url(admin_url), isolation_level="AUTOCOMMIT")


def _with_database(admin_url: str, name: str) -> str:
    return normalize_url(admin_url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_template(pg_admin_url: str) -> str:
    """A database migrated to head once, cloned for each test."""
    name = f"catalyst_template_{uuid.uuid4().hex[:8]}"
    engine = _admin_engine(pg_admin_url)
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    url = _with_database(pg_admin_url, name)
    migrated = make_engine(normalize_url(url))
    upgrade(migrated)
    migrated.dispose()
    return name


@pytest.fixture
def pg_url(pg_admin_url: str, pg_template: str) -> Iterator[str]:
    """A fresh PostgreSQL database at head, dropped after the test."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    engine = _admin_engine(pg_admin_url)
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"'))
    yield _with_database(pg_admin_url, name)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated to head once, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(normalize_url(str(path)))
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A fresh SQLite file at head."""
    path = tmp_path / "catalyst.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """A fresh database at head, on each backend in turn."""
    return str(
        request.getfixturevalue(f"{'pg' if request.param == 'postgresql' else 'sqlite'}_url")
    )


@pytest.fixture
def catalog_file(tmp_path: Path) -> Path:
    """The test catalogue as a JSON file."""
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(TEST_CATALOG))
    return path


Runner = Callable[..., Result]


@pytest.fixture
def cli(db_url: str) -> Runner:
    """Run catalyst against the test database: cli("stats", "--user", ...)."""
    runner = CliRunner()

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(app, ["--db", db_url, *args], input=input, env=env)

    return run


@pytest.fixture
def seeded(cli: Runner, catalog_file: Path) -> Runner:
    """The test catalogue and three learners in different zones."""
    assert cli("catalog", "load", str(catalog_file)).exit_code == 0
    for email, tz in (
        ("ann@example.com", "Europe/Paris"),
        ("bob@example.com", "America/Los_Angeles"),
        ("kim@example.com", "Pacific/Kiritimati"),
    ):
        result = cli("users", "add", email, "--name", email.split("@")[0].title(), "--tz", tz)
        assert result.exit_code == 0, result.output
    return cli


@pytest.fixture
def cohort(seeded: Runner) -> Runner:
    """Ann (Paris) is active March 1-4 and 6; Bob (Los Angeles) on 2-3; Kim never."""
    for args in (
        ("start", "python/intro", "-u", "ann@example.com", "--at", "2026-03-01"),
        ("quiz", "submit", "py-intro", "-u", "ann@example.com", "--score", "1", "--total", "3",
         "--at", "2026-03-02"),
        ("quiz", "submit", "py-intro", "-u", "ann@example.com", "--score", "2", "--total", "3",
         "--at", "2026-03-03"),
        ("complete", "python/types", "-u", "ann@example.com", "--at", "2026-03-04"),
        ("start", "sql/intro", "-u", "ann@example.com", "--at", "2026-03-06"),
        ("quiz", "submit", "py-types", "-u", "bob@example.com", "--score", "4", "--total", "7",
         "--at", "2026-03-02T23:30"),
        ("quiz", "submit", "sql-joins", "-u", "bob@example.com", "--score", "1", "--total", "8",
         "--at", "2026-03-03"),
    ):  # fmt: skip
        result = seeded(*args)
        assert result.exit_code == 0, result.output
    return seeded


def snapshot(db_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to check that a failed command changed nothing."""
    engine = make_engine(normalize_url(db_url))
    try:
        with engine.connect() as conn:
            return {
                t: sorted((tuple(r) for r in conn.execute(text(f"SELECT * FROM {t}"))), key=repr)
                for t in TABLES
            }
    finally:
        engine.dispose()


def json_out(result: Result) -> Any:
    """The command's stdout parsed as JSON, after checking it succeeded."""
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return json.loads(result.stdout)


@pytest.fixture
def session(db_url: str) -> Iterator[Connection]:
    """A session on a fresh database with the test catalogue and two learners, for tests of
    the domain functions (the library level); committed work is dropped with the database."""
    from datetime import UTC, datetime

    from catalyst_cli.catalog import load_catalog, parse_catalog
    from catalyst_cli.users import add_user

    engine = make_engine(normalize_url(db_url))
    created = datetime(2026, 1, 1, tzinfo=UTC)
    try:
        with engine.connect() as s, s.begin():
            load_catalog(s, parse_catalog(TEST_CATALOG))
            add_user(s, "ann@example.com", name="Ann", timezone="Europe/Paris", now=created)
            add_user(s, "bob@example.com", name="Bob", timezone="Asia/Tokyo", now=created)
            yield s
    finally:
        engine.dispose()
