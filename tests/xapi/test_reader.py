import json
import os
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from catalyst_cli.xapi.reader import Form, XapiFileError, detect_form, read_statements
from tests.xapi.corpora import corpus

STATEMENT = {
    "actor": {"mbox": "mailto:ann@example.org"},
    "verb": {"id": "v"},
    "object": {"id": "o"},
}


def _write(tmp_path: Path, name: str, data: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def _read(path: Path) -> list[tuple[str, object]]:
    return [(r.position.rsplit("/", 1)[-1], r.value) for r in read_statements(path)]


def test_array(tmp_path: Path) -> None:
    path = _write(tmp_path, "a.json", json.dumps([STATEMENT, {"x": 0.5}], indent=2))
    assert detect_form(path) is Form.ARRAY
    assert _read(path) == [("a.json:#1", STATEMENT), ("a.json:#2", {"x": Decimal("0.5")})]


def test_one_statement(tmp_path: Path) -> None:
    path = _write(tmp_path, "s.json", "\n\n" + json.dumps(STATEMENT, indent=2))
    assert detect_form(path) is Form.OBJECT
    assert _read(path) == [("s.json:3", STATEMENT)]


def test_json_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, "s.jsonl", f"{json.dumps(STATEMENT)}\n\n{json.dumps([1])}\n")
    assert detect_form(path) is Form.JSON_LINES
    assert _read(path) == [("s.jsonl:1", STATEMENT), ("s.jsonl:3", [1])]


def test_lrs_page_streamed(tmp_path: Path) -> None:
    page = {"more": "/xAPI/statements?more=2", "statements": [STATEMENT, STATEMENT]}
    path = _write(tmp_path, "p.json", json.dumps(page, indent=1))
    assert _read(path) == [("p.json:#1", STATEMENT), ("p.json:#2", STATEMENT)]


def test_lrs_pages_one_per_line(tmp_path: Path) -> None:
    pages = [{"statements": [STATEMENT], "more": "x"}, {"statements": [STATEMENT, STATEMENT]}]
    path = _write(tmp_path, "p.jsonl", "".join(json.dumps(p) + "\n" for p in pages))
    assert [p for p, _ in _read(path)] == ["p.jsonl:1#1", "p.jsonl:2#1", "p.jsonl:2#2"]


def test_bom_and_empty(tmp_path: Path) -> None:
    assert _read(_write(tmp_path, "b.json", b"\xef\xbb\xbf[{}]")) == [("b.json:#1", {})]
    assert _read(_write(tmp_path, "e.json", " \n")) == []


@pytest.mark.parametrize(
    ("data", "line", "reason"),
    [
        ("should fail", 1, "expected a statement object or an array"),
        ("\n\n<html>", 3, "expected a statement object or an array"),
        ('[{"a": 1},\n{"b": 2 x}]', 2, "Expecting"),
        ('[{"a": 1},\n {"b": "x\ny"}]', 2, "Invalid control character"),
        ('{\n "a": 1\n "b": 2\n}', 3, "Expecting ',' delimiter"),
        ("[1,\n2,\n", 3, "Expecting value"),
        ("[1]\n\n2", 3, "Extra data"),
        ('{"a": 1}\n{"b": \n', 2, "Expecting value"),
        ('{"a": 1}\n{"b": NaN}\n', 2, "NaN is not JSON"),
        (b'{"a": 1}\n{"b": "\xff"}\n', 2, "not UTF-8"),
        (b'[{"b": "\xff"}]', 1, "not UTF-8"),
    ],
)
def test_not_json_is_an_error_with_a_line(
    tmp_path: Path, data: str | bytes, line: int, reason: str
) -> None:
    path = _write(tmp_path, "bad.json", data)
    with pytest.raises(XapiFileError, match=f"^{path}:{line}: .*{reason}"):
        list(read_statements(path))


@pytest.mark.parametrize(
    ("name", "data", "where"),
    [
        (
            "deep.jsonl",
            '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}\n",
            ":1: JSON nested too deep",
        ),
        ("deep.json", '{\n"a": ' + "[" * 100_000 + "]" * 100_000 + "}", ":1: JSON nested deeper"),
        (
            "deep-array.json",
            "[{}, " + "[" * 100_000 + "]" * 100_000 + "]",
            ":#2: JSON nested deeper",
        ),
    ],
)
def test_deep_nesting_is_an_error(tmp_path: Path, name: str, data: str, where: str) -> None:
    path = _write(tmp_path, name, data)
    with pytest.raises(XapiFileError, match=f"^{path}{where}"):
        list(read_statements(path))


def test_real_not_quite_json() -> None:
    """The ADL spec's Appendix A block has a string spanning lines; cmi5 scenario 16 a missing comma."""
    adl = (
        corpus("adl-xapi-spec")
        / "examples"
        / "data-L2122-appendixA-simple-VERBATIM-invalid-json.txt"
    )
    with pytest.raises(XapiFileError, match=r":22: not JSON: Invalid control character"):
        list(read_statements(adl))
    cmi5 = (
        corpus("cmi5-spec-samples")
        / "scenarios"
        / "16-not_applicable-no_launch"
        / "05-initialized_statement.json"
    )
    with pytest.raises(XapiFileError, match=r":38: not JSON: Expecting ',' delimiter"):
        list(read_statements(cmi5))


def test_real_forms() -> None:
    openedx = corpus("openedx-event-routing-backends") / "xapi-expected"
    assert detect_form(openedx / "play_video.json") is Form.OBJECT
    assert detect_form(openedx / "problem_check(server).list_answers.json") is Form.ARRAY
    potsie = corpus("openfun-ralph-potsie") / "statements-sample.jsonl"
    assert detect_form(potsie) is Form.JSON_LINES
    assert sum(1 for _ in read_statements(potsie)) == 973


_MEMORY_CHILD = textwrap.dedent(
    """
    import sys
    from collections import Counter
    from pathlib import Path
    from catalyst_cli.xapi.interpret import interpret_all
    from catalyst_cli.xapi.reader import read_statements
    fates = Counter(type(f).__name__ for f in interpret_all(read_statements(Path(sys.argv[1]))))
    # VmHWM is this process's own peak; ru_maxrss keeps the parent's across exec on Linux
    status = Path("/proc/self/status").read_text()
    peak = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM"))
    print(fates["StatementRecord"], peak)
    """
)


@pytest.mark.slow
def test_memory_flat_in_file_size(tmp_path: Path) -> None:
    """A million JSON lines are read and interpreted in under 150 MB."""
    count = 1_000_000
    template = (
        json.dumps(
            {
                "id": "00000000-0000-4000-8000-%012d",
                "actor": {"account": {"homePage": "https://lms.example.org", "name": "u%d"}},
                "verb": {"id": "https://w3id.org/xapi/video/verbs/played"},
                "object": {
                    "id": "https://example.org/video/%d",
                    "definition": {"name": {"en": "V"}},
                },
                "result": {"duration": "PT1M3.5S"},
                "timestamp": "2021-11-24T10:00:00.123456+00:00",
            }
        )
        .replace("%012d", "%(i)012d")
        .replace('"u%d"', '"u%(u)d"')
        .replace("video/%d", "video/%(v)d")
    )
    path = tmp_path / "big.jsonl"
    with path.open("w") as out:
        for i in range(count):
            out.write(template % {"i": i, "u": i % 5000, "v": i % 50} + "\n")
    assert path.stat().st_size > 300_000_000
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    done = subprocess.run(
        [sys.executable, "-c", _MEMORY_CHILD, str(path)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    records, max_rss_kib = map(int, done.stdout.split())
    assert records == count
    assert max_rss_kib < 150 * 1024, f"peak {max_rss_kib // 1024} MB"


def test_error_line_in_a_file_too_big_to_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the size the json module may load, the error's line comes from a character offset."""
    monkeypatch.setattr("catalyst_cli.xapi.reader._EXACT_ERROR_LINE", 0)
    path = _write(tmp_path, "big.json", '[{"a": 1},\n{"é": 2},\n{"b": 2 x}]')
    with pytest.raises(XapiFileError, match=f"^{path}:3: not JSON: Unexpected symbol"):
        list(read_statements(path))
