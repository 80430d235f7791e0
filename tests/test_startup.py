"""Start-up: --help and --version stay light, and every command explains itself."""

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from catalyst_cli import __version__
from catalyst_cli.main import app

HEAVY = ("sqlalchemy", "alembic", "tabulate", "dateutil", "jinja2", "markupsafe")


@pytest.mark.parametrize(
    "argv", [["--help"], ["--version"], ["stats", "--help"], ["report", "--help"]]
)
def test_help_and_version_import_nothing_heavy(argv: list[str]) -> None:
    code = (
        "import sys\n"
        "from catalyst_cli.main import app\n"
        "try:\n"
        f"    app({argv!r})\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, None), exc.code\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"catalyst {__version__}"


def _commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name), command


def test_every_command_has_help() -> None:
    root = get_command(app)
    found = list(_commands(root))
    assert len(found) >= 10
    for path, command in found:
        assert (command.help or "").strip(), f"{' '.join(path)} has no help"
        for param in command.params:
            if param.name not in ("ctx",) and getattr(param, "help", None) is not None:
                assert param.help.strip()
        result = CliRunner().invoke(app, [*path, "--help"])
        assert result.exit_code == 0, path


def _groups(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _groups(command, (*path, name))


def test_every_help_ends_with_an_example() -> None:
    root = get_command(app)
    paths = [*_groups(root), *(path for path, _ in _commands(root))]
    assert len(paths) >= 20
    for path in paths:
        result = CliRunner().invoke(app, [*path, "--help"])
        assert result.exit_code == 0, path
        last = result.stdout.strip().splitlines()[-1].strip()
        example = result.stdout.rsplit("Example: ", 1)
        assert len(example) == 2, path
        assert example[1].startswith("catalyst"), path
        assert last.endswith(example[1].split()[-1]), (path, last)


# What the hot path of a scripted write or read may load: the set is pinned, not the time.
# No ORM (Core tables only), no PostgreSQL dialect on SQLite, no tabulate for one record, no
# pydantic (Typer 0.29 parses every option through it: the dependency stays below 0.29).
NOT_ON_THE_HOT_PATH = (
    "sqlalchemy.orm",
    "sqlalchemy.dialects.postgresql",
    "psycopg",
    "pydantic",
    "tabulate",
    "wcwidth",
    "alembic",
    "dateutil",
    "rich",
    "jinja2",
    "ijson",
    "catalyst_cli.xapi",
    "catalyst_cli.html_page",
    "catalyst_cli.summaries",
    "catalyst_cli.series",
    "catalyst_cli.learners_io",
)


@pytest.mark.parametrize(
    "argv",
    [
        ["start", "python/intro", "--user", "a@example.com"],
        ["complete", "python/intro", "--user", "a@example.com", "--duration", "PT5M"],
        ["enrol", "python", "--user", "a@example.com", "--id", "e-1"],
        ["quiz", "submit", "py-intro", "--user", "a@example.com", "--score", "1", "--total", "3"],
        ["stats", "--user", "a@example.com"],
        ["streak", "--user", "a@example.com"],
    ],
)
def test_a_single_command_on_sqlite_imports_only_what_it_needs(
    argv: list[str], catalog_file: Any, tmp_path: Any
) -> None:
    db = str(tmp_path / "hot.db")
    runner = CliRunner()
    assert runner.invoke(app, ["--db", db, "catalog", "load", str(catalog_file)]).exit_code == 0
    assert runner.invoke(app, ["--db", db, "users", "add", "a@example.com"]).exit_code == 0
    code = (
        "import sys\n"
        "from catalyst_cli.main import app\n"
        "try:\n"
        f"    app({['--db', db, *argv]!r})\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, None), exc.code\n"
        f"print(sorted(m for m in {NOT_ON_THE_HOT_PATH!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout


def test_the_collector_is_off_while_loading_and_on_once_the_database_is_open() -> None:
    import gc

    from catalyst_cli.startup import pause_collector, resume_collector

    assert gc.isenabled()
    resume_collector()  # not paused: nothing to do
    assert gc.isenabled() and gc.get_freeze_count() == 0
    try:
        pause_collector()
        assert not gc.isenabled()
        resume_collector()
        assert gc.isenabled() and gc.get_freeze_count() > 0
    finally:
        gc.enable()
        gc.unfreeze()


def test_the_console_script_runs_a_command_with_the_collector_back_on(tmp_path: Any) -> None:
    db = str(tmp_path / "gc.db")
    code = (
        "import gc, sys\n"
        "import catalyst_cli.db.session as s\n"
        "real = s.unit_of_work\n"
        "def seen(*a, **k):\n"
        "    print('collector off before:', not gc.isenabled(), file=sys.stderr)\n"
        "    with real(*a, **k) as session:\n"
        "        print('collector on inside:', gc.isenabled(), file=sys.stderr)\n"
        "        yield session\n"
        "import contextlib\n"
        "s.unit_of_work = contextlib.contextmanager(seen)\n"
        "from catalyst_cli.entry import main\n"
        f"sys.argv = ['catalyst', '--db', {db!r}, 'users', 'add', 'a@example.com']\n"
        "main()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "collector off before: True" in out.stderr, out.stderr
    assert "collector on inside: True" in out.stderr, out.stderr


@pytest.mark.parametrize(
    ("argv", "name"),
    [
        (["start", "x"], "start"),
        (["--db", "f.db", "users", "add"], "users"),
        (["--db=f.db", "stats"], "stats"),
        (["--help"], None),
        (["--version"], None),
        ([], None),
        (["--db"], None),
    ],
)
def test_the_command_is_found_after_the_root_options(argv: list[str], name: str | None) -> None:
    from catalyst_cli.main import command_name

    assert command_name(argv) == name


def test_a_named_command_builds_only_its_module_and_an_unknown_one_builds_all() -> None:
    from catalyst_cli.main import build_app

    everything = set(get_command(build_app()).commands)  # type: ignore[attr-defined]
    assert {"start", "complete", "users", "report", "import"} <= everything
    assert set(get_command(build_app("start")).commands) == {  # type: ignore[attr-defined]
        "start",
        "complete",
        "enrol",
        "withdraw",
    }
    assert set(get_command(build_app("users")).commands) == {"users"}  # type: ignore[attr-defined]
    assert set(get_command(build_app("nonsense")).commands) == everything  # type: ignore[attr-defined]
