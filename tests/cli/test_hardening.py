"""Hostile input, end to end on both backends: one stderr line, the documented exit code, the
database unchanged, no traceback (issue 9's root causes, one or more cases each)."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from typer.testing import Result

from catalyst_cli.db.engine import make_engine
from catalyst_cli.db.models import LearningModule, LearningProgress, QuizAttempt, User
from catalyst_cli.db.url import normalize_url
from tests.conftest import Runner, snapshot

ANN = ("--user", "ann@example.com")
BOB = ("--user", "bob@example.com")  # America/Los_Angeles: west of UTC


def one_line(result: Result) -> str:
    """The single stderr line of a failed command (no traceback, nothing more)."""
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def fails(cli: Runner, db_url: str, *args: str, code: int = 1) -> str:
    """Run a command that must fail with `code` and leave the database as it was."""
    before = snapshot(db_url)
    result = cli(*args)
    assert result.exit_code == code, (args, result.stdout, result.stderr)
    line = one_line(result)
    assert snapshot(db_url) == before
    return line


# --- 1. times at the edges of the calendar ----------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("start", "python/intro", *BOB, "--at", "0001-01-01T00:00:00Z"),
        ("start", "python/intro", *BOB, "--at", "9999-12-31T23:00-05:00"),
        ("complete", "python/intro", *ANN, "--at", "1899-12-31"),
        ("quiz", "submit", "py-types", *ANN, "--score", "1", "--total", "2", "--at", "3000-01-02"),
        ("stats", *BOB, "--as-of", "9999-12-31"),
        ("streak", *BOB, "--as-of", "0001-01-01"),
        ("modules", "python", *BOB, "--as-of", "9999-12-31T23:59:59Z"),
        ("report", "--as-of", "9999-12-31", "--tz", "Pacific/Kiritimati"),
        ("export", "--as-of", "0001-01-01", "--tz", "America/New_York"),
    ],
)
def test_times_outside_the_range_are_refused(
    seeded: Runner, db_url: str, args: tuple[str, ...]
) -> None:
    line = fails(seeded, db_url, *args)
    assert "catalyst accepts times from 1900-01-01T00:00:00Z to 2999-12-31T23:59:59Z" in line


def test_import_row_outside_the_range_is_refused_with_its_line(
    seeded: Runner, db_url: str, tmp_path: Path
) -> None:
    events = tmp_path / "events.csv"
    events.write_text(
        "user,event,module,quiz,score,total,at,id\n"
        "bob@example.com,start,python/intro,,,,2026-03-01T10:00,\n"
        "bob@example.com,start,python/types,,,,0001-01-01T00:00:00Z,\n"
    )
    before = snapshot(db_url)
    result = seeded("import", str(events))
    assert result.exit_code == 1
    assert f"{events}:3: " in result.stderr and "1900-01-01" in result.stderr
    assert snapshot(db_url) == before


def test_rows_stored_outside_the_range_are_read_without_overflow(
    seeded: Runner, db_url: str
) -> None:
    """Rows stored by an earlier catalyst at year 1 and 9999 read as the range's edges."""
    engine = make_engine(normalize_url(db_url))
    with engine.begin() as session:
        bob = session.execute(select(User.c.id).where(User.c.email == "bob@example.com")).one()
        intro = session.execute(
            select(LearningModule.c.id).where(LearningModule.c.slug == "intro")
        ).first()
        assert intro is not None
        session.execute(
            insert(LearningProgress).values(
                user_id=bob.id,
                module_id=intro.id,
                status="completed",
                started_at=datetime(1, 1, 1, tzinfo=UTC),
                completed_at=datetime(9999, 12, 31, 23, 59, tzinfo=UTC),
            )
        )
    engine.dispose()
    for args in (
        ("stats", *BOB, "--format", "json"),
        ("modules", "python", *BOB, "--format", "json"),
        ("report", "--by-module", "--format", "json"),
        ("report", "--tz", "Pacific/Kiritimati"),
        ("export", "--tz", "America/Los_Angeles"),
    ):
        result = seeded(*args)
        assert result.exit_code == 0, (args, result.stderr)
    modules = json.loads(seeded("modules", "python", *BOB, "--format", "json").stdout)
    assert modules[0]["started_at"] == "1899-12-31T16:00:00-08:00"


@pytest.mark.parametrize(
    "zone",
    ["localtime", "posixrules", "../../etc/passwd", "x" * 65],
    ids=["lt", "pr", "path", "65"],
)
def test_zones_that_are_not_iana_zones_are_refused(seeded: Runner, db_url: str, zone: str) -> None:
    assert "unknown timezone" in fails(
        seeded, db_url, "users", "add", "z@example.com", "--tz", zone
    )
    assert "unknown timezone" in fails(seeded, db_url, "report", "--tz", zone)


# --- 2. malformed input and environment -------------------------------------------------------


DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    ("answers", "message"),
    ids=["deep", "depth-40", "digits", "nan", "nul", "surrogate", "surrogate-key"],
    argvalues=[
        ('{"q1": ' + DEEP + "}", "nested too deeply"),
        ('{"q1": ' + "[" * 40 + "]" * 40 + "}", "nested deeper than 32 levels"),
        ('{"q1": ' + "9" * 5000 + "}", "too many digits"),
        ('{"q1": NaN}', "NaN is not a JSON number"),
        ('{"q1": "a\\u0000b"}', "NUL"),
        ('{"q1": "\\ud800"}', "not valid Unicode"),
        ('{"\\ud800": 1}', "not valid Unicode"),
    ],
)
def test_answers_that_no_backend_stores_alike_are_refused(
    seeded: Runner, db_url: str, answers: str, message: str
) -> None:
    line = fails(seeded, db_url, "quiz", "submit", "py-intro", *ANN, "--answers", answers)
    assert message in line


@pytest.mark.parametrize(
    ("score", "total"),
    [("2147483647", "2147483648"), (str(2**63), str(2**63)), ("1", str(2**31))],
)
def test_scores_beyond_an_integer_column_are_refused(
    seeded: Runner, db_url: str, score: str, total: str
) -> None:
    line = fails(
        seeded, db_url, "quiz", "submit", "py-types", *ANN, "--score", score, "--total", total
    )
    assert "invalid total" in line and "2,147,483,647" in line


def test_the_largest_score_is_stored_alike(seeded: Runner, db_url: str) -> None:
    top = str(2**31 - 1)
    result = seeded("quiz", "submit", "py-types", *ANN, "--score", top, "--total", top)
    assert result.exit_code == 0, result.stderr
    exported = seeded("export")
    assert top in exported.stdout


def test_undecodable_bytes_in_arguments_are_refused(seeded: Runner, db_url: str) -> None:
    name = b"caf\xe9".decode("utf-8", "surrogateescape")  # what Python makes of latin-1 argv
    line = fails(seeded, db_url, "users", "add", "z@example.com", "--name", name)
    assert "not valid text in the locale's encoding" in line


def test_undecodable_bytes_in_the_environment_are_refused(seeded: Runner, db_url: str) -> None:
    before = snapshot(db_url)
    result = seeded("stats", env={"CATALYST_USER": "ann\udce9@example.com"})
    assert result.exit_code == 1
    assert "$CATALYST_USER is not valid text" in one_line(result)
    assert snapshot(db_url) == before


@pytest.mark.parametrize(
    "content",
    ids=["deep", "digits"],
    argvalues=[
        '{"competencies": ' + DEEP + "}",
        '{"competencies": [], "x": ' + "9" * 5000 + "}",
    ],
)
def test_catalogue_files_nested_too_deep_or_with_huge_numbers(
    cli: Runner, db_url: str, tmp_path: Path, content: str
) -> None:
    path = tmp_path / "c.json"
    path.write_text(content)
    assert fails(cli, db_url, "catalog", "load", str(path)).startswith(f"{path}: invalid JSON")


def test_toml_catalogue_nested_too_deep(cli: Runner, db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    assert "nested too deeply" in fails(cli, db_url, "catalog", "load", str(path))


def test_a_data_folder_that_cannot_be_created_is_exit_4(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from catalyst_cli.main import app

    blocker = tmp_path / "file"
    blocker.write_text("")
    result = CliRunner().invoke(
        app, ["users", "add", "a@example.com"], env={"CATALYST_DATA_DIR": str(blocker / "sub")}
    )
    assert result.exit_code == 4
    assert "cannot create the database" in one_line(result)


# --- 3. values SQLite would store and PostgreSQL refuse ---------------------------------------


def _catalog(title: str = "T", slug: str = "c") -> str:
    return json.dumps({"competencies": [{"slug": slug, "title": title, "modules": []}]})


@pytest.mark.parametrize(
    ("content", "message"),
    ids=["title-501", "title-50MB", "title-nul", "slug-201", "slug-esc", "slug-bidi", "slug-nbsp"],
    argvalues=[
        (_catalog(title="x" * 501), "title is too long (501 characters; at most 500)"),
        ("BIG", "title is too long (50,000,000 characters"),
        (_catalog(title="a\x00b"), "NUL"),
        (_catalog(slug="s" * 201), "slug is too long"),
        (_catalog(slug="a\x1b[2Jb"), "invalid slug"),
        (_catalog(slug="a\u202eb"), "invalid slug"),
        (_catalog(slug="a\u00a0b"), "invalid slug"),
    ],
)
def test_catalogue_values_are_held_to_the_column_limits(
    cli: Runner, db_url: str, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "c.json"
    path.write_text(_catalog(title="x" * 50_000_000) if content == "BIG" else content)
    assert message in fails(cli, db_url, "catalog", "load", str(path))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("users", "add", "x" * 310 + "@example.com"), "email is too long"),
        (("users", "add", "a\x1b[31m@example.com"), "invalid email"),
        (("users", "add", "a b@example.com"), "invalid email"),
        (("users", "add", "a@example.com", "--name", "n" * 201), "name is too long"),
        (("users", "add", "a@example.com", "--name", "a\x00b"), "NUL"),
        (("stats", "--user", "a\x00b@example.com"), "unknown user"),
        (("report", "--user", "x" * 400), "unknown user"),
    ],
)
def test_learner_values_are_held_to_the_column_limits(
    seeded: Runner,
    db_url: str,
    args: tuple[str, ...],
    message: str,
) -> None:
    assert message in fails(seeded, db_url, *args)


# --- 4. --output ------------------------------------------------------------------------------


def test_output_is_a_regular_file_readable_by_its_owner_only(
    seeded: Runner, tmp_path: Path
) -> None:
    target = tmp_path / "out" / "report.csv"
    old = os.umask(0o022)
    try:
        result = seeded("report", "--format", "csv", "--output", str(target))
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700


@pytest.mark.parametrize("kind", ["device", "directory", "symlink"])
def test_output_never_replaces_anything_but_a_regular_file(
    seeded: Runner, db_url: str, tmp_path: Path, kind: str
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    target = {
        "device": Path(os.devnull),
        "directory": tmp_path,
        "symlink": tmp_path / "link.csv",
    }[kind]
    if kind == "symlink":
        target.symlink_to(victim)
    line = fails(seeded, db_url, "report", "--output", str(target))
    assert "not a regular file" in line
    assert victim.read_text() == "keep me"
    assert Path(os.devnull).is_char_device()
    if kind == "symlink":
        assert target.is_symlink()


def test_export_output_is_held_to_the_same_rules(seeded: Runner, db_url: str) -> None:
    assert "not a regular file" in fails(seeded, db_url, "export", "--output", os.devnull)


# --- 5 and 6. terminal and spreadsheet injection ----------------------------------------------

EVIL = "\x1b]0;pwned\x07\x1b[2J\u202egnp.exe\x9b31m"


@pytest.fixture
def evil(cli: Runner, tmp_path: Path) -> Runner:
    """A catalogue and a learner whose texts carry terminal escape sequences and formulas."""
    catalog = {
        "competencies": [
            {
                "slug": "c",
                "title": f"C {EVIL}",
                "modules": [{"slug": "m", "title": f"M {EVIL}"}],
            }
        ]
    }
    path = tmp_path / "evil.json"
    path.write_text(json.dumps(catalog))
    assert cli("catalog", "load", str(path)).exit_code == 0
    added = cli("users", "add", "eve@example.com", "--name", f'=HYPERLINK("x") {EVIL}')
    assert added.exit_code == 0
    assert "\x1b" not in added.stdout
    assert cli("start", "c/m", "--user", "eve@example.com", "--at", "2026-03-01").exit_code == 0
    return cli


@pytest.mark.parametrize(
    "args",
    [
        ("users", "list"),
        ("catalog", "show"),
        ("modules", "c", "--user", "eve@example.com"),
        ("stats", "--user", "eve@example.com"),
        ("start", "c/m", "--user", "eve@example.com"),
        ("report",),
        ("report", "--by-module", "--format", "github"),
        ("report", "--format", "latex"),
        ("report", "--format", "html"),
        ("report", "--format", "grid"),
    ],
)
def test_control_characters_never_reach_the_terminal(evil: Runner, args: tuple[str, ...]) -> None:
    result = evil(*args)
    assert result.exit_code == 0, result.stderr
    for raw in ("\x1b", "\x07", "\u202e", "\x9b"):
        assert raw not in result.stdout, (args, raw)


def test_formulas_are_neutralised_in_every_delimited_format(evil: Runner) -> None:
    for fmt, delimiter in (("csv", ","), ("tsv", "\t")):
        out = evil("report", "--format", fmt).stdout
        name = out.splitlines()[1].split(delimiter)[1]
        assert name.lstrip('"').startswith("'=HYPERLINK"), (fmt, name)


def test_unescaped_markup_formats_are_not_offered(evil: Runner) -> None:
    for fmt in ("unsafehtml", "latex_raw"):
        result = evil("report", "--format", fmt)
        assert result.exit_code == 2
        one_line(result)


# --- 7. passwords in badly typed URLs ---------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://ann:hunt@er2@db.example.org/prod",
        "postgresql://ann:hunt er2@db.example.org:port/prod",
        "postgres://ann:hunter2/prod",
        "postgresql+psycopg2://ann:hunter2@db.example.org/prod",
        "mysql://ann:hunter2@db.example.org/prod",
    ],
)
def test_no_part_of_a_urls_userinfo_is_printed(url: str) -> None:
    from typer.testing import CliRunner

    from catalyst_cli.main import app

    result = CliRunner().invoke(app, ["--db", url, "report"])
    assert result.exit_code == 1
    line = one_line(result)
    for secret in ("hunt", "er2", "ann"):
        assert secret not in line, line


# --- 9. the same input accepted alike ---------------------------------------------------------


def test_a_byte_order_mark_is_accepted_everywhere(seeded: Runner, tmp_path: Path) -> None:
    bom = "\ufeff"
    catalog = tmp_path / "c.json"
    catalog.write_text(bom + _catalog(slug="bom"), encoding="utf-8")
    assert seeded("catalog", "load", str(catalog)).exit_code == 0
    toml = tmp_path / "c.toml"
    toml.write_text(bom + '[[competencies]]\nslug = "t"\ntitle = "T"\nmodules = []\n')
    assert seeded("catalog", "load", str(toml)).exit_code == 0
    answers = tmp_path / "a.json"
    answers.write_text(bom + '{"q1": "2", "q2": "4", "q3": "6"}', encoding="utf-8")
    result = seeded("quiz", "submit", "py-intro", *ANN, "--answers", f"@{answers}", "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["score"] == 3


# --- 10. usage errors, help ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "where"),
    [
        (("report", "--frmat", "csv"), "catalyst report"),
        (("report", "--format", "nope"), "catalyst report"),
        (("start",), "catalyst start"),
        (("stats", "--as-of"), "catalyst stats"),
        (("users",), "catalyst users"),
        (("users", "add", "--bogus"), "catalyst users add"),
        (("quiz", "submit", "x", "--score", "many"), "catalyst quiz submit"),
        (("nosuch",), "catalyst"),
        ((), "catalyst"),
    ],
)
def test_usage_errors_are_one_line_with_a_pointer_to_help(
    seeded: Runner,
    db_url: str,
    args: tuple[str, ...],
    where: str,
) -> None:
    line = fails(seeded, db_url, *args, code=2)
    assert line.endswith(f"; see '{where} --help'"), line


def test_stored_attempts_read_back_alike(seeded: Runner, db_url: str) -> None:
    """A score at the limit goes in and comes out the same on both backends."""
    top = 2**31 - 1
    assert (
        seeded("quiz", "submit", "py-types", *ANN, "--score", "0", "--total", str(top)).exit_code
        == 0
    )
    engine = make_engine(normalize_url(db_url))
    with engine.connect() as session:
        assert session.scalar(select(QuizAttempt.c.total_questions)) == top
    engine.dispose()


def test_endless_files_are_refused(seeded: Runner, db_url: str) -> None:
    assert "too large" in fails(seeded, db_url, "catalog", "load", "/dev/zero")
    answers = ("quiz", "submit", "py-intro", *ANN, "--answers", "@/dev/zero")
    assert "too large" in fails(seeded, db_url, *answers)


def test_an_answers_file_naming_another_file_is_not_followed(
    seeded: Runner, db_url: str, tmp_path: Path
) -> None:
    answers = tmp_path / "a.json"
    answers.write_text("@/dev/zero")
    line = fails(seeded, db_url, "quiz", "submit", "py-intro", *ANN, "--answers", f"@{answers}")
    assert "invalid JSON" in line
