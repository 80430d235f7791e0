"""Where the real xAPI corpora are, and how their statements are found (never copied here)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import REAL_DATA, require_real_data


def corpus(name: str) -> Path:
    """The folder of a real corpus; skip when it is absent, except under CI=true (then fail)."""
    return require_real_data(REAL_DATA / name)


def statement_files(name: str) -> list[Path]:
    """The files of a corpus that hold statements."""
    folder = corpus(name)
    if name == "openedx-event-routing-backends":
        return sorted((folder / "xapi-expected").glob("*.json"))
    if name == "cmi5-spec-samples":
        not_statements = ("lms_launch_data", "cmi5LearnerPreferences", "fetch_url_response")
        return sorted(
            p
            for p in (folder / "scenarios").glob("*/*.json")
            if not any(s in p.name for s in not_statements)
        )
    if name == "moodle-logstore-xapi":
        return sorted((folder / "tests").rglob("statements.json"))
    if name == "openfun-ralph-potsie":
        return [folder / "statements-sample.jsonl"]
    if name == "adl-xapi-spec":
        return sorted((folder / "examples").iterdir())
    if name == "adl-xapiwrapper-stmtbank":
        return [folder / "stmtBank.json"]
    raise ValueError(name)
