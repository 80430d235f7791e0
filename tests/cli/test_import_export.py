"""End-to-end: `catalyst import`, `export` and `seed`, their output and exit codes, both backends."""

from __future__ import annotations

import csv
import io
import json
import random
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from catalyst_cli.main import app
from catalyst_cli.output import progress_bar
from catalyst_cli.transfer import COLUMNS, REQUIRED_COLUMNS
from tests.conftest import (
    REAL_DATA,
    TEST_CATALOG,
    Runner,
    json_out,
    require_real_data,
    snapshot,
)
from tests.test_transfer import clear_progress

HEADER = ",".join(REQUIRED_COLUMNS) + "\n"
LEARNERS = ("ann@example.com", "bob@example.com", "kim@example.com")
OULAD = REAL_DATA / "oulad"


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


# --- reading files ---------------------------------------------------------------------------


def test_import_reads_stdin_and_prints_one_summary_line(seeded: Runner) -> None:
    data = HEADER + "ann@example.com,start,python/intro,,,,2026-03-01,\n"
    result = seeded("import", "-", input=data)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == (
        "imported <stdin>: 1 rows, 0 new learners, 1 events recorded (1 starts, 0 completions, "
        "0 quiz attempts, 0 enrolments, 0 withdrawals), 0 already recorded\n"
    )
    jsonl = '{"user": "bob@example.com", "event": "complete", "module": "sql/intro", "at": "2026-03-01"}\n'
    result = seeded("import", "-", "--format", "jsonl", input=jsonl)
    assert result.exit_code == 0, result.stderr
    assert "(0 starts, 1 completions," in result.stderr


def test_format_follows_the_extension_unless_given(seeded: Runner, tmp_path: Path) -> None:
    row = {
        "user": "ann@example.com",
        "event": "start",
        "module": "python/intro",
        "at": "2026-03-01",
    }
    jsonl = write(tmp_path / "events.JSONL", json.dumps(row) + "\n")
    assert seeded("import", jsonl).exit_code == 0
    txt = write(
        tmp_path / "events.txt", HEADER + "ann@example.com,start,sql/intro,,,,2026-03-01,\n"
    )
    result = seeded("import", txt)
    assert result.exit_code == 1
    assert result.stderr == (
        f"cannot tell the format of {txt!r} from its extension (.csv, .jsonl): "
        "pass --format csv or --format jsonl\n"
    )
    assert seeded("import", txt, "--format", "csv").exit_code == 0
    assert seeded("import", txt, "--format", "xml").exit_code == 2


def test_a_missing_file_is_exit_1(seeded: Runner, tmp_path: Path) -> None:
    result = seeded("import", str(tmp_path / "nope.csv"))
    assert result.exit_code == 1
    assert (
        result.stderr == f"cannot read {str(tmp_path / 'nope.csv')!r}: No such file or directory\n"
    )


def test_bad_rows_are_listed_with_their_lines_and_nothing_is_written(
    seeded: Runner, db_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(
        (
            HEADER
            + "ann@example.com,start,python/intro,,,,2026-03-01,\n"
            + "ann@example.com,strat,python/intro,,,,2026-03-01,\n"
            + "ann@example.com,quiz,,py-types,5,4,2026-03-01,\n"
            + "ann@example.com,quiz,,py-types,1,4,2026-03-01,k\n"
            + "ann@example.com,quiz,,py-types,2,4,2026-03-01,k\n"
        ).encode()
        + b"ann@example.com,start,sql/intro,,,,2026-03-0\xe9,\n"
        + b"ann@example.com,start\n"
    )
    before = snapshot(db_url)
    result = seeded("import", str(path))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{path}:3: unknown event 'strat' (did you mean start?)",
        f"{path}:4: invalid score 5: must be between 0 and the total 4",
        f"{path}:6: conflict: id 'k' was given on line 5 with different content",
        f"{path}:7: invalid UTF-8: byte 0xe9 at column 45",
        f"{path}:8: expected 8 columns, found 2",
        f"nothing was imported: 5 errors in {path}",
    ]
    assert snapshot(db_url) == before


def test_dry_run_writes_nothing_and_counts_the_changes(seeded: Runner, db_url: str) -> None:
    data = HEADER + "new@example.com,quiz,,py-types,4,4,2026-03-01,\n"
    before = snapshot(db_url)
    result = seeded("import", "-", "--dry-run", "--create-users", input=data)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (
        "dry run: <stdin>: 1 valid rows would give 1 new learners, 1 events recorded "
        "(0 starts, 0 completions, 1 quiz attempts, 0 enrolments, 0 withdrawals), "
        "0 already recorded\n"
    )
    assert snapshot(db_url) == before


def test_importing_twice_changes_nothing(seeded: Runner, db_url: str) -> None:
    data = HEADER + "".join(
        f"{u},quiz,,py-types,{i},7,2026-03-0{i + 1}T10:00,\n" for i, u in enumerate(LEARNERS)
    )
    assert seeded("import", "-", input=data).exit_code == 0
    before = snapshot(db_url)
    result = seeded("import", "-", input=data)
    assert result.exit_code == 0
    assert "0 new learners, 0 events recorded" in result.stderr
    assert snapshot(db_url) == before


# --- the same events, one by one or in bulk --------------------------------------------------


def random_events(rng: random.Random, count: int) -> list[dict[str, Any]]:
    """Valid events of the three learners, in arrival order; repeats are exact."""
    events = []
    for n in range(count):
        at = (
            date(2026, 3, 25) + timedelta(days=rng.randrange(10)),
            rng.choice(["T00:30", "T12:00", "T23:30", "T08:15:00+05:30", "T22:00Z", ""]),
        )
        row: dict[str, Any] = dict.fromkeys(COLUMNS, "")
        row |= {"user": rng.choice(LEARNERS), "at": f"{at[0]}{at[1]}"}
        kind = rng.choice(["start", "complete", "quiz", "quiz"])
        row["event"] = kind
        if kind == "quiz":
            quiz, total = rng.choice([("py-intro", 3), ("py-types", 7), ("sql-joins", 10)])
            row |= {"quiz": quiz, "score": rng.randint(0, total), "total": total}
            row["id"] = rng.choice(["", f"id-{n}"])
        else:
            row["module"] = rng.choice(["python/intro", "python/types", "sql/intro", "sql/joins"])
        events.append(row)
    events += [dict(e) for e in rng.sample(events, 3)]
    return events


def cli_args(event: dict[str, Any]) -> list[str]:
    args = ["--user", event["user"], "--at", event["at"]]
    if event["event"] != "quiz":
        return [event["event"], event["module"], *args]
    key = ["--id", event["id"]] if event["id"] else []
    return ["quiz", "submit", event["quiz"], "--score", str(event["score"]),
            "--total", str(event["total"]), *key, *args]  # fmt: skip


def learner_views(cli: Runner) -> dict[tuple[str, str], tuple[Any, ...]]:
    found = {}
    for user in LEARNERS:
        for as_of in ("2026-03-26", "2026-03-30", "2026-04-10"):
            who = ["--user", user, "--as-of", as_of, "--format", "json"]
            found[user, as_of] = (
                json_out(cli("stats", *who)),
                json_out(cli("streak", *who)),
                json_out(cli("modules", "python", *who)),
                json_out(cli("modules", "sql", *who)),
            )
    return found


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_single_commands_and_import_give_the_same_views(
    seeded: Runner, db_url: str, tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    events = random_events(rng, 18)
    for event in events:
        result = seeded(*cli_args(event))
        assert result.exit_code == 0, (event, result.stderr)
    expected = learner_views(seeded)

    shuffled = rng.sample(events, len(events))
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS)
    writer.writeheader()
    writer.writerows(shuffled)
    clear_progress(db_url)
    assert seeded("import", write(tmp_path / "e.csv", out.getvalue())).exit_code == 0
    assert learner_views(seeded) == expected

    rng.shuffle(shuffled)
    lines = "".join(
        json.dumps({k: v if v != "" else None for k, v in e.items()}) + "\n" for e in shuffled
    )
    clear_progress(db_url)
    assert seeded("import", write(tmp_path / "e.jsonl", lines)).exit_code == 0
    assert learner_views(seeded) == expected


def test_export_then_import_gives_the_same_reports(
    seeded: Runner, db_url: str, tmp_path: Path
) -> None:
    events = random_events(random.Random(3), 25)
    for event in events:
        assert seeded(*cli_args(event)).exit_code == 0
    reports = [["report", "--format", "json", "--as-of", d] for d in ("2026-03-28", "2026-04-10")]
    reports.append(["report", "--by-module", "--format", "json", "--as-of", "2026-04-10"])
    expected = [json_out(seeded(*args)) for args in reports]

    target = tmp_path / "new" / "folder" / "events.csv"
    result = seeded("export", "--output", str(target))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert (
        result.stderr == f"exported {len(target.read_text().splitlines()) - 1} events to {target}\n"
    )
    assert [p.name for p in target.parent.iterdir()] == ["events.csv"]  # no temporary file left
    clear_progress(db_url)
    assert seeded("import", str(target)).exit_code == 0
    assert [json_out(seeded(*args)) for args in reports] == expected


def test_export_formats_zone_and_cutoff(seeded: Runner) -> None:
    assert (
        seeded(
            "start", "python/intro", "-u", "bob@example.com", "--at", "2026-03-01T09:00"
        ).exit_code
        == 0
    )
    assert (
        seeded(
            "complete", "python/intro", "-u", "bob@example.com", "--at", "2026-03-03T09:00"
        ).exit_code
        == 0
    )
    result = seeded("export", "--format", "jsonl", "--tz", "Asia/Tokyo", "--as-of", "2026-03-02")
    assert result.exit_code == 0, result.stderr
    assert [json.loads(line) for line in result.stdout.splitlines()] == [
        {"user": "bob@example.com", "event": "start", "module": "python/intro", "quiz": None,
         "score": None, "total": None, "at": "2026-03-02T02:00:00+09:00", "id": None,
         "duration": None, "competency": None},
    ]  # fmt: skip
    assert seeded("export", "--tz", "Mars/Olympus").exit_code == 1


# --- real data: the Open University's assessments --------------------------------------------


def oulad_files() -> tuple[list[dict[str, str]], dict[str, dict[str, str]]]:
    require_real_data(OULAD / "studentAssessment.subset.csv")
    require_real_data(OULAD / "assessments.csv")
    with (OULAD / "studentAssessment.subset.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    with (OULAD / "assessments.csv").open(newline="") as f:
        assessments = {a["id_assessment"]: a for a in csv.DictReader(f)}
    return rows, assessments


def presentation_start(code: str) -> date:
    """A presentation's first day: 2013J starts in October 2013, 2014B in February 2014."""
    return date(int(code[:4]), 2 if code[4] == "B" else 10, 1)


@pytest.mark.slow
def test_import_of_oulad_assessment_results(cli: Runner, tmp_path: Path) -> None:
    rows, assessments = oulad_files()
    used = {assessments[r["id_assessment"]]["id_assessment"] for r in rows}
    by_course: dict[tuple[str, str], list[dict[str, str]]] = {}
    for a in sorted(used, key=int):
        info = assessments[a]
        by_course.setdefault((info["code_module"], info["code_presentation"]), []).append(info)
    catalog = {"competencies": []}  # type: ignore[var-annotated]
    for module in sorted({m for m, _ in by_course}):
        presentations = [
            {
                "slug": p.lower(),
                "title": f"{module} {p}",
                "quizzes": [
                    {
                        "slug": f"oulad-{a['id_assessment']}",
                        "title": a["assessment_type"],
                        "pass_percent": 40,
                    }  # fmt: skip
                    for a in by_course[module, p]
                ],
            }
            for m, p in sorted(by_course)
            if m == module
        ]
        catalog["competencies"].append(
            {"slug": module.lower(), "title": module, "modules": presentations}
        )
    assert (
        cli("catalog", "load", write(tmp_path / "oulad.json", json.dumps(catalog))).exit_code == 0
    )

    def event(r: dict[str, str]) -> str:
        a = assessments[r["id_assessment"]]
        day = presentation_start(a["code_presentation"]) + timedelta(days=int(r["date_submitted"]))
        return f"student{r['id_student']}@oulad.example,quiz,,oulad-{a['id_assessment']},{r['score']},100,{day},\n"

    events = HEADER + "".join(event(r) for r in rows)
    result = cli("import", write(tmp_path / "oulad.csv", events), "--create-users")
    missing = [line for line, r in enumerate(rows, 2) if r["score"] == ""]
    assert len(missing) == 16
    assert result.exit_code == 1
    assert [int(line.split(":")[1]) for line in result.stderr.splitlines()[:-1]] == missing
    assert all(
        ": a quiz row needs a score and a total" in line for line in result.stderr.splitlines()[:-1]
    )

    scored = [r for r in rows if r["score"]]
    path = write(tmp_path / "scored.csv", HEADER + "".join(event(r) for r in scored))
    result = cli("import", path, "--create-users")
    assert result.exit_code == 0, result.stderr
    learners = {r["id_student"] for r in scored}
    assert result.stderr.startswith(
        f"imported {path}: {len(scored):,} rows, {len(learners):,} new learners"
    )
    assert f"{len(scored):,} quiz attempts," in result.stderr
    again = cli("import", path, "--create-users")
    assert "0 new learners, 0 events recorded" in again.stderr

    report = json_out(cli("report", "--format", "json", "--as-of", "2015-12-31"))
    assert len(report) == len(learners)
    passed: dict[str, set[str]] = {}
    for r in scored:
        if int(r["score"]) >= 40:  # the OU's pass mark
            passed.setdefault(f"student{r['id_student']}@oulad.example", set()).add(
                r["id_assessment"]
            )
    for row in report:
        assert row["quizzes_passed"] == len(passed.get(row["user"], ())), row["user"]
    attempts = sum(row["quiz_attempts"] for row in report)
    assert attempts == len(scored)


# --- seed ------------------------------------------------------------------------------------


def test_seed_is_deterministic_and_summarised(cli: Runner) -> None:
    args = ("seed", "--users", "25", "--competencies", "2", "--modules-per-competency", "4",
            "--days", "20", "--seed", "5", "--as-of", "2026-03-31")  # fmt: skip
    first = cli(*args)
    assert first.exit_code == 0, first.stderr
    assert first.stderr.startswith("seeded 2 competencies, 8 modules, ")
    assert ", 25 learners and " in first.stderr and "25 new learners" in first.stderr
    exported = cli("export").stdout
    again = cli(*args)
    assert "0 new learners, 0 events recorded" in again.stderr
    assert cli("export").stdout == exported
    assert cli("seed", "--users", "0").exit_code == 1
    assert cli("seed", "--users", "0").stderr == "invalid --users 0: must be at least 1\n"


# --- the progress bar ------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    with progress_bar("importing x.csv", 100) as tick:
        assert tick is None
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with progress_bar("importing x.csv", 100) as tick:
        assert tick is not None
        tick(1234, 50)
    assert "importing x.csv" in terminal.getvalue()
    assert "1,234 rows" in terminal.getvalue()


def test_a_piped_import_records_what_a_loop_of_single_commands_records(
    seeded: Runner, tmp_path: Path
) -> None:
    """The README's fast way: one `catalyst import -` fed by a pipe instead of a shell loop."""
    rows = [
        ("ann@example.com", "complete", "python/intro", "2026-03-01T09:00", "PT10M"),
        ("ann@example.com", "start", "python/types", "2026-03-02T09:00", "600"),
        ("bob@example.com", "start", "sql/intro", "2026-03-02T10:00", ""),
        ("ann@example.com", "start", "python/types", "2026-03-03T09:00", "PT5M"),  # a revisit
    ]
    for user, event, module, at, duration in rows:
        extra = ["--duration", duration] if duration else []
        assert seeded(event, module, "--user", user, "--at", at, *extra).exit_code == 0
    looped = seeded("export").stdout

    other = f"sqlite:///{tmp_path / 'piped.db'}"
    runner = CliRunner()
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps(TEST_CATALOG))
    assert runner.invoke(app, ["--db", other, "catalog", "load", str(catalog)]).exit_code == 0
    for email, tz in (
        ("ann@example.com", "Europe/Paris"),
        ("bob@example.com", "America/Los_Angeles"),
    ):
        assert runner.invoke(app, ["--db", other, "users", "add", email, "--tz", tz]).exit_code == 0
    piped = "user,event,module,quiz,score,total,at,id,duration\n" + "".join(
        f"{u},{e},{m},,,,{a},,{d}\n" for u, e, m, a, d in rows
    )
    result = runner.invoke(app, ["--db", other, "import", "-"], input=piped)
    assert result.exit_code == 0, result.stderr
    assert runner.invoke(app, ["--db", other, "export"]).stdout == looped
