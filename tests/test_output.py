"""Formatters: control characters escaped for people, formulas neutralised in delimited text."""

import io
import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from catalyst_cli.errors import InputError
from catalyst_cli.formats import report_formats
from catalyst_cli.output import (
    atomic_text_file,
    neutralize,
    printable,
    write_module_list,
    write_pairs,
    write_rows,
)

UNSAFE = [
    "\x00",
    "\x07",
    "\x1b",
    "\n",
    "\r",
    "\t",
    "\x7f",
    "\x85",
    "\x9b",
    "\u202e",
    "\u2066",
    "\u2028",
]


@pytest.mark.parametrize("char", UNSAFE)
def test_printable_escapes_what_a_terminal_acts_on(char: str) -> None:
    shown = printable(f"a{char}b")
    assert char not in shown
    assert shown == "a" + repr(char)[1:-1] + "b"


def test_printable_keeps_text_and_optionally_line_breaks() -> None:
    text = "Zoë 日本 👩‍💻 ✓ \\x1b"
    assert printable(text) == text
    assert printable("one\ntwo\x1b", newlines=True) == "one\ntwo\\x1b"


@pytest.mark.parametrize(
    "fmt", [f for f in report_formats() if f not in ("csv", "tsv", "json", "jsonl")]
)
def test_every_table_format_escapes_control_characters(fmt: str) -> None:
    out = io.StringIO()
    write_rows([{"name": "\x1b[2J\u202eevil"}], ["name"], fmt, out)
    assert "\x1b" not in out.getvalue() and "\u202e" not in out.getvalue()


def test_records_and_the_module_list_escape_control_characters() -> None:
    out = io.StringIO()
    write_pairs({"name": "\x1b]0;x\x07"}, out)
    row = {"status": "completed", "position": 1, "title": "\x1b[31mT", "module": "m\x9b"}
    write_module_list([row], out, ascii_only=True)
    assert "\x1b" not in out.getvalue() and "\x9b" not in out.getvalue()


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1"])
def test_formula_like_cells_are_neutralised(cell: str) -> None:
    assert neutralize(cell) == "'" + cell


@pytest.mark.parametrize("cell", [-1, 3, "ada@example.com", "2026-03-01T00:00:00-05:00", ""])
def test_other_cells_are_left_alone(cell: object) -> None:
    assert neutralize(cell) == cell


@pytest.mark.parametrize(("fmt", "sep"), [("csv", ","), ("tsv", "\t")])
def test_delimited_formats_neutralise_and_quote(fmt: str, sep: str) -> None:
    out = io.StringIO()
    rows = [{"name": '=HYPERLINK("http://x")', "n": -3, "note": f"a{sep}b\nc"}]
    write_rows(rows, ["name", "n", "note"], fmt, out)
    lines = out.getvalue().split("\r\n")
    assert lines[0] == sep.join(["name", "n", "note"])
    assert lines[1].startswith("\"'=HYPERLINK(")
    assert f"{sep}-3{sep}" in lines[1]
    assert f'"a{sep}b\nc"' in out.getvalue()


def test_unescaped_markup_formats_are_not_offered() -> None:
    assert "unsafehtml" not in report_formats() and "latex_raw" not in report_formats()
    assert {"html", "latex", "github", "tsv"} <= set(report_formats())


@pytest.mark.parametrize("kind", ["device", "directory", "symlink", "dangling-symlink"])
def test_atomic_file_writes_regular_files_only(tmp_path: Path, kind: str) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep")
    target = {"device": Path(os.devnull), "directory": tmp_path}.get(kind, tmp_path / "link")
    if kind == "symlink":
        target.symlink_to(victim)
    elif kind == "dangling-symlink":
        target.symlink_to(tmp_path / "nowhere")
    with pytest.raises(InputError, match="not a regular file"):
        with atomic_text_file(target) as out:
            out.write("x")
    assert victim.read_text() == "keep"
    assert not (tmp_path / "nowhere").exists()
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_atomic_file_name_with_nul_is_one_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot contain NUL"):
        with atomic_text_file(tmp_path / "a\x00b"):
            pass


@pytest.mark.parametrize(
    "row",
    [
        {"user": "ann@example.com", "n": 5, "percent": 33.3, "none": None, "ok": True},
        {"name": "  Ann  ", "wide": "日本語の名前", "day": date(2026, 1, 2), "x": ""},
        {"status": "in_progress", "started_at": datetime(2026, 1, 2, 3, 4, tzinfo=UTC)},
        {"k": "tab\there", "newline": "a\nb"},
    ],
)
def test_one_record_reads_as_tabulate_plain_would_print_it(row: dict[str, Any]) -> None:
    """`write_pairs` lays a record out without loading tabulate: the same bytes as it gave."""
    from tabulate import tabulate

    from catalyst_cli.output import _shown

    out = io.StringIO()
    write_pairs(row, out)
    expected = tabulate([[k, _shown(v)] for k, v in row.items()], tablefmt="plain") + "\n"
    assert out.getvalue() == expected
