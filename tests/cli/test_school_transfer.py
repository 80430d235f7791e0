"""End-to-end: seeding for CI (--prefix, --catalog, --enrol) and a school moved whole via the CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner, Result

from catalyst_cli.main import app
from tests.conftest import json_out

AS_OF = "2026-03-31"
SEED = ("seed", "--users", "40", "--competencies", "3", "--modules-per-competency", "4",
        "--days", "30", "--seed", "9", "--enrol", "--as-of", AS_OF)  # fmt: skip


def run(url: str, *args: str, input: str | None = None) -> Result:
    result = CliRunner().invoke(app, ["--db", url, *args], input=input)
    assert result.exit_code == 0, (args, result.stderr)
    return result


def fresh_sqlite(template: Path, path: Path) -> str:
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


def test_seed_options_give_byte_identical_data(
    sqlite_template: Path, tmp_path: Path, catalog_file: Path
) -> None:
    exports = []
    for name in ("one", "two"):
        url = fresh_sqlite(sqlite_template, tmp_path / f"{name}.db")
        run(url, *SEED)
        second = ("--prefix", "night", "--catalog", str(catalog_file), "--users", "15")
        run(url, *SEED, *second)
        exports.append(run(url, "export").stdout)
    assert exports[0] == exports[1]
    lines = exports[0].splitlines()
    assert any(line.startswith("night-learner") for line in lines)
    assert any(",withdraw," in line for line in lines)
    assert any(",night-seed9-" in line for line in lines)


def test_a_seeded_school_moves_whole_to_postgresql(
    sqlite_template: Path, pg_url: str, tmp_path: Path
) -> None:
    source = fresh_sqlite(sqlite_template, tmp_path / "school.db")
    run(source, *SEED)
    run(source, *SEED, "--prefix", "b", "--users", "10")
    groups = "email,name,timezone,groups\n" + "".join(
        f"learner{i:05d}@example.com,,,{'cohort-a' if i % 2 else 'cohort-b;staff'}\n"
        for i in range(1, 12)
    )
    run(source, "users", "import", "-", "--format", "csv", input=groups)
    moves = {
        "catalog.json": ("catalog", "export", "--format", "json"),
        "users.csv": ("users", "list", "--format", "csv"),
        "events.csv": ("export",),
    }
    for name, args in moves.items():
        (tmp_path / name).write_text(run(source, *args).stdout, encoding="utf-8")
    run(pg_url, "catalog", "load", str(tmp_path / "catalog.json"))
    run(pg_url, "users", "import", str(tmp_path / "users.csv"))
    run(pg_url, "import", str(tmp_path / "events.csv"))

    reports = (
        (),
        ("--by-module",),
        ("--competency", "python"),
        ("--competency", "sql", "--include-withdrawn", "--as-of", "2026-03-15"),
        ("--group", "staff", "--group", "cohort-a", "--competency", "git"),
    )
    for extra in reports:
        args = ("report", "--format", "csv", "--as-of", AS_OF, *extra)
        before = run(source, *args).stdout
        assert before.count("\n") > 3, extra
        assert run(pg_url, *args).stdout == before, extra
    for email in (
        "learner00001@example.com",
        "learner00007@example.com",
        "b-learner00003@example.com",
    ):
        for scope in ((), ("--competency", "python")):
            args = ("stats", "-u", email, "--as-of", AS_OF, "--format", "json", *scope)
            a = CliRunner().invoke(app, ["--db", source, *args])
            b = CliRunner().invoke(app, ["--db", pg_url, *args])
            assert (a.exit_code, a.stdout, a.stderr) == (b.exit_code, b.stdout, b.stderr)
            if a.exit_code == 0:
                assert json_out(a)["user"] == email
    moved = run(pg_url, "export").stdout.splitlines()
    assert sorted(moved) == sorted(run(source, "export").stdout.splitlines())  # ids may differ
