"""End-to-end: `users import`, `users list` and `catalog export`, exit codes and output shape."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalyst_cli.catalog import (
    CompetencySpec,
    ModuleSpec,
    QuestionSpec,
    QuizSpec,
    catalog_document,
    dump_catalog,
    parse_catalog,
)
from tests.conftest import TEST_CATALOG, Runner, json_out

HEADER = "email,name,timezone,groups,ids\n"
ACCOUNT = "account:https://lms.example.org|4213"


def test_users_import_then_list_round_trips(cli: Runner, tmp_path: Path) -> None:
    data = HEADER + (
        f'ann@example.com,"Lovelace, Ada ""A.""",Europe/Paris,cohort-a;staff,{ACCOUNT}\n'
        "bob@example.com,,,cohort-a,\n"
        "kim@example.com,=1+1 Kîm,Pacific/Kiritimati,,\n"
    )
    result = cli("users", "import", "-", input=data)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("imported <stdin>: 3 rows, 3 new learners, 0 updated, 2 new")
    listed = cli("users", "list", "--format", "csv")
    assert listed.exit_code == 0
    assert listed.stdout.replace("\r\n", "\n") == HEADER + (
        f'ann@example.com,"Lovelace, Ada ""A.""",Europe/Paris,cohort-a;staff,{ACCOUNT}\n'
        "bob@example.com,,UTC,cohort-a,\n"
        "kim@example.com,=1+1 Kîm,Pacific/Kiritimati,,\n"
    )
    rows = json_out(cli("users", "list", "--format", "json", "--group", "staff"))
    assert rows == [
        {
            "email": "ann@example.com",
            "name": 'Lovelace, Ada "A."',
            "timezone": "Europe/Paris",
            "groups": ["cohort-a", "staff"],
            "ids": [ACCOUNT],
        }
    ]
    jsonl = cli("users", "list", "-f", "jsonl").stdout
    path = tmp_path / "learners.jsonl"
    path.write_text(jsonl)
    again = cli("users", "import", str(path))
    assert again.exit_code == 0
    assert "0 new learners, 0 updated, 0 new groups, 0 memberships added" in again.stderr
    table = cli("users", "list")
    assert table.stdout.splitlines()[0].split() == ["email", "name", "timezone", "groups", "ids"]


def test_users_import_errors_exit_1_and_write_nothing(cli: Runner, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "ann@example.com,,Mars/Base,,\nbob@example.com,,,;,\n")
    result = cli("users", "import", str(path), "--dry-run")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{path}:2: unknown timezone 'Mars/Base': use an IANA zone such as Europe/Paris",
        f"{path}:3: empty group name",
        f"nothing was imported: 2 errors in {path}",
    ]
    assert json_out(cli("users", "list", "-f", "json")) == []
    assert cli("users", "import", str(tmp_path / "nope.csv")).exit_code == 1
    assert cli("users", "import", "-", input="name\nAnn\n").exit_code == 1
    assert cli("users", "import", "-", "--format", "xml").exit_code == 2
    unknown = cli("users", "list", "--group", "nope")
    assert (unknown.exit_code, unknown.stderr) == (1, "unknown group 'nope'\n")


def test_users_import_dry_run_writes_nothing(cli: Runner) -> None:
    result = cli("users", "import", "-", "--dry-run", input="email\nann@example.com\n")
    assert result.exit_code == 0
    assert result.stderr == (
        "dry run: <stdin>: 1 valid rows would give 1 new learners, 0 updated, 0 new groups, "
        "0 memberships added, 0 removed, 0 identities added, 0 removed\n"
    )
    assert json_out(cli("users", "list", "-f", "json")) == []


# --- catalog export ----------------------------------------------------------------------------


def _with_iris(catalog: dict[str, Any]) -> dict[str, Any]:
    data = json.loads(json.dumps(catalog))
    python = data["competencies"][0]
    python["iri"] = "https://example.org/python"
    python["modules"][0]["iri"] = "https://example.org/python/intro"
    python["modules"][0]["quizzes"][0]["iri"] = "https://example.org/python/intro/quiz"
    return dict(data)


@pytest.mark.parametrize("fmt", ["json", "toml"])
def test_catalog_export_loads_back_byte_identical(
    cli: Runner, db_url: str, tmp_path: Path, fmt: str, request: pytest.FixtureRequest
) -> None:
    source = tmp_path / "catalog.json"
    source.write_text(json.dumps(_with_iris(TEST_CATALOG)))
    assert cli("catalog", "load", str(source)).exit_code == 0
    first = cli("catalog", "export", "--format", fmt)
    assert first.exit_code == 0, first.stderr
    exported = tmp_path / f"exported.{fmt}"
    exported.write_text(first.stdout)
    parsed = tomllib.loads(first.stdout) if fmt == "toml" else json.loads(first.stdout)
    assert parsed == catalog_document(parse_catalog(_with_iris(TEST_CATALOG)))
    fresh = request.getfixturevalue("sqlite_url").replace("catalyst.db", "fresh.db")
    from typer.testing import CliRunner

    from catalyst_cli.main import app

    runner = CliRunner()
    assert runner.invoke(app, ["--db", fresh, "catalog", "load", str(exported)]).exit_code == 0
    second = runner.invoke(app, ["--db", fresh, "catalog", "export", "-f", fmt])
    assert second.stdout == first.stdout


def test_catalog_iris_are_upserted_and_unique(cli: Runner, tmp_path: Path) -> None:
    data = _with_iris(TEST_CATALOG)
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(data))
    assert cli("catalog", "load", str(path)).exit_code == 0
    # a changed iri is updated; two modules swap theirs
    modules = data["competencies"][0]["modules"]
    modules[0]["iri"], modules[1]["iri"] = (
        "https://example.org/m/2",
        "https://example.org/python/intro",
    )
    path.write_text(json.dumps(data))
    assert cli("catalog", "load", str(path)).exit_code == 0
    doc = json_out(cli("catalog", "export"))
    assert [m.get("iri") for m in doc["competencies"][0]["modules"][:2]] == [
        "https://example.org/m/2",
        "https://example.org/python/intro",
    ]
    # an iri held by an item outside the file
    other = tmp_path / "other.json"
    other.write_text(
        json.dumps(
            {
                "competencies": [
                    {"slug": "x", "title": "X", "iri": "https://example.org/m/2", "modules": []}
                ]
            }
        )
    )
    result = cli("catalog", "load", str(other))
    assert result.exit_code == 1
    assert result.stderr == (
        "iri 'https://example.org/m/2' of competency x is already used by module python/intro\n"
    )
    modules[1]["iri"] = "https://example.org/m/2"
    path.write_text(json.dumps(data))
    result = cli("catalog", "load", str(path))
    assert result.exit_code == 1
    assert "is used by both module python/intro and module python/types" in result.stderr
    modules[1]["iri"] = "not an iri"
    path.write_text(json.dumps(data))
    assert cli("catalog", "load", str(path)).exit_code == 1


def test_toml_export_refuses_null(cli: Runner, tmp_path: Path) -> None:
    data = json.loads(json.dumps(TEST_CATALOG))
    data["competencies"][0]["modules"][0]["quizzes"][0]["questions"][0]["answer"] = None
    data["competencies"][0]["modules"][0]["quizzes"][0]["questions"][0]["choices"] = []
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(data))
    assert cli("catalog", "load", str(path)).exit_code == 0
    result = cli("catalog", "export", "--format", "toml")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == "TOML cannot hold the value null: use --format json\n"
    assert cli("catalog", "export", "--output", str(tmp_path / "out" / "c.json")).exit_code == 0
    assert json.loads((tmp_path / "out" / "c.json").read_text())["competencies"]


# --- the catalogue document round-trips, whatever it holds -------------------------------------

_chars = st.characters(exclude_categories=["Cs", "Cc"])  # the catalogue refuses NUL
_slug = st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True)
_title = (
    st.text(st.characters(exclude_categories=["Cs", "Cc"]), min_size=1, max_size=12)
    .map(str.strip)
    .filter(bool)
)
_iri = st.none() | st.from_regex(r"https://e\.org/[a-z0-9/]{0,10}", fullmatch=True)
_scalar = (
    st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.text(_chars, max_size=8)
    | st.floats(allow_nan=False, allow_infinity=False)
)
_value = st.recursive(
    _scalar,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(_chars, max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def catalogues(draw: st.DrawFn) -> tuple[CompetencySpec, ...]:
    slugs = draw(st.lists(_slug, unique=True, max_size=3))
    quiz_slugs = iter(draw(st.lists(_slug, unique=True, min_size=12, max_size=12)))
    used: set[str] = set()

    def iri() -> str | None:
        value = draw(_iri)
        if value is None or value in used:
            return None
        used.add(value)
        return value

    comps = []
    for slug in slugs:
        modules = []
        for mslug in draw(st.lists(_slug, unique=True, max_size=2)):
            quizzes = []
            for _ in range(draw(st.integers(0, 2))):
                questions = tuple(
                    QuestionSpec(str(i), draw(st.text(_chars, max_size=6)), (), draw(_value))
                    for i in range(draw(st.integers(0, 2)))
                )
                quizzes.append(
                    QuizSpec(
                        next(quiz_slugs),
                        draw(_title),
                        draw(st.integers(0, 100)),
                        questions or None,
                        iri(),
                    )
                )
            modules.append(ModuleSpec(mslug, draw(_title), tuple(quizzes), iri()))
        comps.append(CompetencySpec(slug, draw(_title), tuple(modules), iri()))
    return tuple(comps)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(catalogue=catalogues(), fmt=st.sampled_from(["json", "toml"]))
def test_catalogue_documents_round_trip(catalogue: tuple[CompetencySpec, ...], fmt: str) -> None:
    text = dump_catalog(catalogue, fmt)
    data = tomllib.loads(text) if fmt == "toml" else json.loads(text)
    assert parse_catalog(data) == catalogue
    assert dump_catalog(parse_catalog(data), fmt) == text
