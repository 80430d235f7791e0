"""Real data: the Open University's registrations as enrolments, its results as quiz attempts.

Each module presentation (AAA 2013J, ...) is a competency, each of its assessments a module with
one quiz (pass mark 40, the OU's). A registration is an enrol at its day, an unregistration a
withdraw at its day (both at noon, London time, days counted from the presentation's start);
a registration without a day is taken to be at the start, or at the unregistration when that is
earlier. Results are attempts scored out of 100. Then, for each presentation and a few days,
`report --competency P` must list exactly the learners the CSV says were registered that day.
"""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_import_export import OULAD, presentation_start
from tests.conftest import Runner, json_out, require_real_data

ZONE = "Europe/London"
EVENT_HEADER = "user,event,module,quiz,score,total,at,id,duration,competency\n"


def read(name: str) -> list[dict[str, str]]:
    path = require_real_data(OULAD / name)
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def slug(module: str, presentation: str) -> str:
    return f"{module}-{presentation}".lower()


def email(student: str) -> str:
    return f"student{student}@oulad.example"


class Registration:
    """One registration row as days from its presentation's start."""

    def __init__(self, row: dict[str, str]) -> None:
        self.competency = slug(row["code_module"], row["code_presentation"])
        self.user = email(row["id_student"])
        self.start = presentation_start(row["code_presentation"])
        left = row["date_unregistration"]
        self.left = int(left) if left else None
        given = row["date_registration"]
        self.joined = int(given) if given else min(0, self.left if self.left is not None else 0)

    def day(self, offset: int) -> date:
        return self.start + timedelta(days=offset)


@pytest.fixture
def oulad(cli: Runner, tmp_path: Path) -> tuple[list[Registration], set[str]]:
    """The extract loaded through the CLI: catalogue, learners, then one import of events."""
    registrations = [Registration(r) for r in read("studentRegistration.subset.csv")]
    results = read("studentAssessment.subset.csv")
    assessments = {a["id_assessment"]: a for a in read("assessments.csv")}
    used = {slug(a["code_module"], a["code_presentation"]) for a in assessments.values()}
    kept = {r.competency for r in registrations}
    competencies: list[dict[str, Any]] = []
    for a in assessments.values():
        key = slug(a["code_module"], a["code_presentation"])
        if key not in kept:
            continue
        if not competencies or competencies[-1]["slug"] != key:
            competencies.append({"slug": key, "title": key.upper(), "modules": []})
        competencies[-1]["modules"].append(
            {
                "slug": f"a{a['id_assessment']}",
                "title": f"{a['assessment_type']} {a['id_assessment']}",
                "quizzes": [{"slug": f"oulad-{a['id_assessment']}", "title": a["assessment_type"],
                             "pass_percent": 40}],
            }
        )  # fmt: skip
    assert len(competencies) == 4 and kept <= used
    catalog = tmp_path / "oulad.json"
    catalog.write_text(json.dumps({"competencies": competencies}))
    assert cli("catalog", "load", str(catalog)).exit_code == 0

    modules: dict[str, set[str]] = {}
    for r in registrations:
        modules.setdefault(r.user, set()).add(r.competency.upper())  # groups: presentations
    for row in results:
        modules.setdefault(email(row["id_student"]), set())
    users = tmp_path / "users.csv"
    users.write_text(
        "email,name,timezone,groups\n"
        + "".join(f"{u},,{ZONE},{';'.join(sorted(g))}\n" for u, g in sorted(modules.items()))
    )
    assert cli("users", "import", str(users)).exit_code == 0

    lines = []
    for r in registrations:
        lines.append(f"{r.user},enrol,,,,,{r.day(r.joined)},,,{r.competency}\n")
        if r.left is not None:
            lines.append(f"{r.user},withdraw,,,,,{r.day(r.left)},,,{r.competency}\n")
    for row in results:
        if not row["score"]:
            continue  # 16 results without a score: not an attempt
        a = assessments[row["id_assessment"]]
        days = timedelta(days=int(row["date_submitted"]))
        when = presentation_start(a["code_presentation"]) + days
        quiz = f"oulad-{row['id_assessment']}"
        lines.append(f"{email(row['id_student'])},quiz,,{quiz},{row['score']},100,{when},,,\n")
    events = tmp_path / "events.csv"
    events.write_text(EVENT_HEADER + "".join(lines))
    result = cli("import", str(events))
    assert result.exit_code == 0, result.stderr
    assert f"{len(registrations):,} enrolments, 739 withdrawals" in result.stderr
    return registrations, set(modules)


def test_each_presentation_lists_exactly_its_registered_learners(
    cli: Runner, oulad: tuple[list[Registration], set[str]]
) -> None:
    registrations, everyone = oulad
    by_competency: dict[str, list[Registration]] = {}
    for r in registrations:
        by_competency.setdefault(r.competency, []).append(r)
    checked = 0
    for competency, regs in sorted(by_competency.items()):
        for offset in (-60, 0, 30, 120, 300):
            day = regs[0].day(offset)
            args = ("--competency", competency, "--as-of", str(day), "--tz", ZONE, "-f", "json")
            if not any(r.joined <= offset for r in regs):  # no enrolment yet: open to all
                assert {row["user"] for row in json_out(cli("report", *args))} == everyone
                continue
            enrolled = {
                r.user for r in regs if r.joined <= offset and (r.left is None or r.left > offset)
            }
            withdrawn = {
                r.user: str(r.day(r.left)) for r in regs if r.left is not None and r.left <= offset
            }
            rows = json_out(cli("report", *args))
            assert [row["user"] for row in rows] == sorted(enrolled), (competency, day)
            assert all(row["withdrawn_at"] is None for row in rows)
            rows = json_out(cli("report", *args, "--include-withdrawn"))
            assert {row["user"] for row in rows} == enrolled | set(withdrawn), (competency, day)
            flagged = {row["user"]: row["withdrawn_at"][:10] for row in rows if row["withdrawn_at"]}
            assert flagged == withdrawn, (competency, day)
            checked += 1
    assert checked >= 16


def test_groups_narrow_a_presentation(
    cli: Runner, oulad: tuple[list[Registration], set[str]]
) -> None:
    registrations, _ = oulad
    repeats = {r.user for r in registrations if r.competency == "aaa-2014j"} & {
        r.user for r in registrations if r.competency == "aaa-2013j"
    }
    assert len(repeats) == 36  # PROVENANCE.md: registered in both AAA presentations
    rows = json_out(
        cli("report", "-c", "aaa-2014j", "-g", "AAA-2013J", "--include-withdrawn",
            "--as-of", "2015-07-01", "-f", "json")
    )  # fmt: skip
    assert {row["user"] for row in rows} == repeats
