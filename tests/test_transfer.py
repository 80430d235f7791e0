"""Import and export in the domain layer: parsing, every bad-row kind, batching, round trips."""

from __future__ import annotations

import io
import json
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from catalyst_cli import transfer
from catalyst_cli.db.engine import make_engine
from catalyst_cli.db.session import unit_of_work
from catalyst_cli.db.url import normalize_url
from catalyst_cli.events import EventKind
from catalyst_cli.formats import DataFormat
from catalyst_cli.readers import FileFormat, ImportFailed, RowError, Source
from catalyst_cli.stats import learner_view
from catalyst_cli.timeutil import time_arg
from catalyst_cli.transfer import (
    COLUMNS,
    REQUIRED_COLUMNS,
    ImportSummary,
    export_events,
    import_events,
    write_events,
)
from tests.conftest import Runner, snapshot

NOW = datetime(2026, 3, 31, 12, tzinfo=UTC)
HEADER = ",".join(REQUIRED_COLUMNS) + "\n"
EXPECTED_HEADER = "user,event,module,quiz,score,total,at,id (optional: duration,competency)"
GOOD = "ann@example.com,start,python/intro,,,,2026-03-01T10:00,\n"
LEARNERS = {
    "ann@example.com": "Europe/Paris",
    "bob@example.com": "America/Los_Angeles",
    "kim@example.com": "Pacific/Kiritimati",
}


def run_import(
    db_url: str,
    data: str | bytes,
    *,
    name: str = "events.csv",
    fmt: DataFormat = DataFormat.csv,
    create_users: bool = False,
    dry_run: bool = False,
) -> ImportSummary:
    raw = data.encode() if isinstance(data, str) else data
    with unit_of_work(db_url) as session:
        return import_events(
            session,
            Source(io.BytesIO(raw), name, len(raw)),
            fmt=FileFormat(fmt.value),
            create_users=create_users,
            dry_run=dry_run,
            now=NOW,
        )


def import_errors(db_url: str, data: str | bytes, **options: Any) -> list[RowError]:
    with pytest.raises(ImportFailed) as failed:
        run_import(db_url, data, **options)
    return list(failed.value.errors)


def export_text(db_url: str, fmt: DataFormat = DataFormat.csv) -> str:
    out = io.StringIO()
    with unit_of_work(db_url, write=False) as session:
        write_events(export_events(session, as_of=None, tz=UTC), fmt, out)
    return out.getvalue()


def clear_progress(db_url: str) -> None:
    engine = make_engine(normalize_url(db_url))
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM quiz_attempts"))
        conn.execute(text("DELETE FROM learning_events"))
        conn.execute(text("DELETE FROM learning_progress"))
    engine.dispose()


def views(db_url: str, as_of: str) -> dict[str, dict[str, Any]]:
    """Stats (streaks included) and the module list of every learner at `as_of`."""
    found = {}
    with unit_of_work(db_url, write=False) as session:
        for email in LEARNERS:
            view = learner_view(
                session, email=email, competency=None, as_of=time_arg(as_of), now=NOW
            )
            found[email] = {
                "stats": asdict(view.stats()),
                "modules": [asdict(m) for m in view.modules()],
            }
    return found


# --- bad rows: every kind, at its exact line, and nothing written --------------------------


BAD_ROWS = [
    (
        "ann@example.com,strat,python/intro,,,,2026-03-01,",
        "unknown event 'strat' (did you mean start?)",
    ),
    (
        "ann@example.com,,python/intro,,,,2026-03-01,",
        "missing event: use start, complete, quiz, enrol, withdraw",
    ),
    (
        "zed@example.com,start,python/intro,,,,2026-03-01,",
        "unknown user 'zed@example.com': add it with `catalyst users add zed@example.com`, "
        "or import with --create-users",
    ),
    ("not-an-email,start,python/intro,,,,2026-03-01,", "invalid email 'not-an-email'"),
    (",start,python/intro,,,,2026-03-01,", "missing user"),
    (
        "ann@example.com,start,python/intr,,,,2026-03-01,",
        "unknown module 'python/intr' (did you mean python/intro",
    ),
    ("ann@example.com,start,,,,,2026-03-01,", "missing module"),
    (
        "ann@example.com,quiz,,py-intr,1,3,2026-03-01,",
        "unknown quiz 'py-intr' (did you mean py-intro",
    ),
    ("ann@example.com,quiz,,,1,3,2026-03-01,", "missing quiz"),
    (
        "ann@example.com,start,python/intro,,,,2026-13-01,",
        "invalid time '2026-13-01': use ISO 8601, e.g. 2026-03-01T09:30",
    ),
    (
        "ann@example.com,start,python/intro,,,,2026-03-01T10:00-00:00,",
        "invalid time '2026-03-01T10:00-00:00': the offset -00:00 means unknown; use Z or +00:00",
    ),
    ("ann@example.com,start,python/intro,,,,,", "missing time in the 'at' column"),
    (
        "ann@example.com,quiz,,py-types,5,4,2026-03-01,",
        "invalid score 5: must be between 0 and the total 4",
    ),
    (
        "ann@example.com,quiz,,py-types,-1,4,2026-03-01,",
        "invalid score -1: must be between 0 and the total 4",
    ),
    ("ann@example.com,quiz,,py-types,0,0,2026-03-01,", "invalid total 0: must be at least 1"),
    ("ann@example.com,quiz,,py-intro,1,4,2026-03-01,", "invalid total 4: the quiz has 3 questions"),
    (
        "ann@example.com,quiz,,py-types,1.5,4,2026-03-01,",
        "invalid score '1.5': must be a whole number",
    ),
    (
        "ann@example.com,quiz,,py-types,1,99999999999,2026-03-01,",
        "invalid total 99999999999: too large",
    ),
    ("ann@example.com,quiz,,py-types,,4,2026-03-01,", "a quiz row needs a score and a total"),
    (
        "ann@example.com,quiz,python/types,py-types,1,4,2026-03-01,",
        "a quiz row leaves module empty: the module comes from the quiz",
    ),
    (
        "ann@example.com,start,python/intro,py-intro,,,2026-03-01,",
        "a start row takes no quiz: only quiz rows do",
    ),
    ("ann@example.com,enrol,,,,,2026-03-01,k1", "an enrol row needs a competency"),
    (
        "ann@example.com,quiz,,py-types,1,4,2026-03-01," + "k" * 201,
        "invalid id 'kkkkkkkkkkkkkkkkkkkk'...: longer than 200 characters",
    ),
    ("ann@example.com,start,python/intro,,,", "expected 8 columns, found 6"),
    ("ann@example.com,start,python/intro,,,,2026-03-01,,", "expected 8 columns, found 9"),
]


@pytest.mark.parametrize(("row", "message"), BAD_ROWS)
def test_every_bad_row_kind_is_reported_at_its_line_and_nothing_is_written(
    seeded: Runner, db_url: str, row: str, message: str
) -> None:
    before = snapshot(db_url)
    errors = import_errors(db_url, HEADER + GOOD + row + "\n" + GOOD)
    assert [e.line for e in errors] == [3]
    assert errors[0].message.startswith(message)
    assert snapshot(db_url) == before


def test_bad_utf8_is_reported_with_its_line(seeded: Runner, db_url: str) -> None:
    data = (HEADER + GOOD).encode() + b"ann@example.com,start,python/intro,,,,2026-03-01\xff,\n"
    errors = import_errors(db_url, data + GOOD.encode())
    assert errors == [RowError(3, "invalid UTF-8: byte 0xff at column 49")]


def test_lines_are_physical_lines(seeded: Runner, db_url: str) -> None:
    data = (
        "\ufeff"
        + HEADER  # a byte-order mark, as spreadsheets write
        + "\r\n"  # a blank line is skipped but counted
        + 'ann@example.com,start,"python/intro\n",,,,2026-03-01,\r\n'  # two physical lines
        + "ann@example.com,quiz,,py-types,9,4,2026-03-01,\n"
        + "\n"
        + '"ann@example.com","start","python/nope",,,,"2026-03-01",\n'
    )
    errors = import_errors(db_url, data)
    assert [e.line for e in errors] == [5, 7]
    assert errors[0].message == "invalid score 9: must be between 0 and the total 4"
    assert errors[1].message.startswith("unknown module 'python/nope'")


def test_the_header_must_name_the_columns(seeded: Runner, db_url: str) -> None:
    assert import_errors(db_url, "") == [
        RowError(1, f"empty file: expected the header {EXPECTED_HEADER}")
    ]
    assert import_errors(db_url, "user,event,module,quiz,score,total,at\n" + GOOD) == [
        RowError(1, f"missing column 'id' in the header: expected {EXPECTED_HEADER}")
    ]
    assert import_errors(db_url, HEADER.replace("id", "key") + GOOD)[0].message.startswith(
        "unknown column 'key' in the header"
    )
    # any order and case of the columns is read by name
    shuffled = "AT,user,Event,module,quiz,score,total,id\n2026-03-01,ann@example.com,start,python/intro,,,,\n"
    assert run_import(db_url, shuffled).tally.recorded[EventKind.start] == 1


JSONL_GOOD = (
    '{"user": "ann@example.com", "event": "start", "module": "python/intro", "at": "2026-03-01"}\n'
)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "[1, 2]",
            "expected a JSON object with the keys user, event, module, quiz, score, total, at, id",
        ),
        (
            "{not json}",
            "invalid JSON: Expecting property name enclosed in double quotes at column 2",
        ),
        ('{"user": "ann@example.com", "when": "2026-03-01"}', "unknown key 'when': expected user"),
        ('{"user": 7, "event": "start"}', "'user' must be a string, not 7"),
        (
            '{"user": "ann@example.com", "event": "quiz", "quiz": "py-types", "score": true, "total": 4}',
            "'score' must be a string or a whole number, not true",
        ),
        (
            '{"user": "ann@example.com", "event": "quiz", "quiz": "py-types", "score": 5, "total": 4, "at": "2026-03-01"}',
            "invalid score 5: must be between 0 and the total 4",
        ),
    ],
)
def test_bad_jsonl_lines(seeded: Runner, db_url: str, line: str, message: str) -> None:
    before = snapshot(db_url)
    data = JSONL_GOOD + "\n" + line + "\n" + JSONL_GOOD
    errors = import_errors(db_url, data, name="events.jsonl", fmt=DataFormat.jsonl)
    assert [e.line for e in errors] == [3]
    assert errors[0].message.startswith(message)
    assert snapshot(db_url) == before


def test_jsonl_takes_numbers_and_null(seeded: Runner, db_url: str) -> None:
    data = (
        '{"user": "ann@example.com", "event": "quiz", "module": null, "quiz": "py-types", '
        '"score": 3, "total": "4", "at": "2026-03-01T10:00:00+01:00", "id": null}\n'
    )
    summary = run_import(db_url, data, name="e.jsonl", fmt=DataFormat.jsonl)
    assert (
        summary.rows,
        summary.tally.recorded[EventKind.quiz],
        summary.tally.recorded[EventKind.complete],
    ) == (
        1,
        1,
        0,
    )


def test_more_than_fifty_errors_lists_the_first_fifty_then_a_count(
    seeded: Runner, db_url: str
) -> None:
    data = (
        HEADER
        + GOOD
        + "".join(
            f"ann@example.com,strat,python/intro,,,,2026-03-0{i % 9 + 1},\n" for i in range(60)
        )
    )
    with pytest.raises(ImportFailed) as failed:
        run_import(db_url, data, name="many.csv")
    assert failed.value.count == 60
    assert [e.line for e in failed.value.errors] == list(range(3, 53))
    lines = str(failed.value).splitlines()
    assert len(lines) == 52
    assert lines[0] == "many.csv:3: unknown event 'strat' (did you mean start?)"
    assert lines[-2:] == ["... and 10 more errors", "nothing was imported: 60 errors in many.csv"]


def test_errors_across_batches_come_in_line_order(
    seeded: Runner, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transfer, "BATCH_ROWS", 3)
    rows = [GOOD] * 10
    rows[1] = rows[8] = "ann@example.com,start,python/nope,,,,2026-03-01,\n"
    rows[4] = "ann@example.com,quiz,,py-types,1,4,2026-03-01,k\n"
    rows[7] = "ann@example.com,quiz,,py-types,2,4,2026-03-01,k\n"
    errors = import_errors(db_url, HEADER + "".join(rows))
    assert [e.line for e in errors] == [3, 9, 10]
    assert (
        errors[1].message
        == "conflict: id 'k' was given earlier in this file with different content"
    )


# --- what an import records ----------------------------------------------------------------


def test_dry_run_counts_exactly_what_the_import_then_does(seeded: Runner, db_url: str) -> None:
    data = (
        HEADER
        + "ann@example.com,start,python/intro,,,,2026-03-01,\n"
        + "ann@example.com,complete,python/types,,,,2026-03-02,\n"
        + "bob@example.com,quiz,,py-types,4,4,2026-03-02,b1\n"
        + "bob@example.com,quiz,,py-types,1,4,2026-03-03,\n"
        + "new@example.com,start,sql/intro,,,,2026-03-03,\n"
    )
    before = snapshot(db_url)
    dry = run_import(db_url, data, dry_run=True, create_users=True)
    assert snapshot(db_url) == before
    assert dry.dry_run and dry.rows == 5
    assert (
        dry.new_learners,
        dry.tally.recorded[EventKind.start],
        dry.tally.recorded[EventKind.complete],
        dry.tally.recorded[EventKind.quiz],
    ) == (1, 2, 1, 2)
    real = run_import(db_url, data, create_users=True)
    assert real.tally == dry.tally and not real.dry_run
    assert real.describe() == (
        "imported events.csv: 5 rows, 1 new learners, 5 events recorded (2 starts, "
        "1 completions, 2 quiz attempts, 0 enrolments, 0 withdrawals), 0 already recorded"
    )
    after = snapshot(db_url)
    again = run_import(db_url, data, create_users=True)
    assert (
        again.new_learners,
        again.tally.recorded[EventKind.start],
        again.tally.recorded[EventKind.quiz],
    ) == (
        0,
        0,
        0,
    )
    assert snapshot(db_url) == after


def test_create_users_adds_learners_in_utc(seeded: Runner, db_url: str) -> None:
    data = HEADER + "New@Example.com,start,python/intro,,,,2026-03-01T10:00,\n"
    assert import_errors(db_url, data)[0].message.startswith("unknown user 'New@Example.com'")
    assert run_import(db_url, data, create_users=True).new_learners == 1
    users = {row[1]: row[3] for row in snapshot(db_url)["users"]}
    assert users["new@example.com"] == "UTC"
    assert export_text(db_url).splitlines()[1:] == [
        "new@example.com,start,python/intro,,,,2026-03-01T10:00:00+00:00,,,"
    ]


def test_create_users_still_rejects_a_malformed_email(seeded: Runner, db_url: str) -> None:
    data = HEADER + "not-an-email,start,python/intro,,,,2026-03-01,\n"
    assert import_errors(db_url, data, create_users=True) == [
        RowError(2, "invalid email 'not-an-email'")
    ]


def test_times_without_offset_are_in_the_learners_zone(seeded: Runner, db_url: str) -> None:
    data = HEADER + "".join(
        f"{email},start,python/intro,,,,2026-03-01T09:30,\n" for email in LEARNERS
    )
    run_import(db_url, data + "ann@example.com,start,sql/intro,,,,2026-03-01,\n")
    assert [line.split(",")[6] for line in export_text(db_url).splitlines()[1:]] == [
        "2026-03-01T08:30:00+00:00",  # ann, Paris +01:00
        "2026-03-01T11:00:00+00:00",  # ann's bare date: noon in Paris
        "2026-03-01T17:30:00+00:00",  # bob, Los Angeles -08:00
        "2026-02-28T19:30:00+00:00",  # kim, Kiritimati +14:00
    ]


def test_attempts_without_id_are_recognised_by_their_content(seeded: Runner, db_url: str) -> None:
    attempt = "bob@example.com,quiz,,py-types,1,4,2026-03-02T10:00:00+00:00,\n"
    other_time = "bob@example.com,quiz,,py-types,1,4,2026-03-02T11:00:00+00:00,\n"
    summary = run_import(db_url, HEADER + attempt + attempt + other_time)
    assert summary.tally.recorded[EventKind.quiz] == 2
    assert run_import(db_url, HEADER + other_time + attempt).tally.recorded[EventKind.quiz] == 0


KEYED = "bob@example.com,quiz,,py-types,1,4,{at},k1\n"


def test_a_repeated_id_keeps_the_earliest_time_of_the_file_in_any_order(
    seeded: Runner, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    early, late = "2026-03-02T10:00:00+00:00", "2026-03-05T10:00:00+00:00"
    results = []
    for batch_rows in (10_000, 1):
        monkeypatch.setattr(transfer, "BATCH_ROWS", batch_rows)
        for order in ((late, early), (early, late)):
            clear_progress(db_url)
            summary = run_import(db_url, HEADER + "".join(KEYED.format(at=at) for at in order))
            assert summary.tally.recorded[EventKind.quiz] == 1
            results.append(export_text(db_url))
    assert len(set(results)) == 1
    assert results[0].splitlines()[1:] == [f"bob@example.com,quiz,,py-types,1,4,{early},k1,,"]


def test_an_id_recorded_before_keeps_its_attempt(cli: Runner, seeded: Runner, db_url: str) -> None:
    submit = ("quiz", "submit", "py-types", "--score", "1", "--total", "4", "--id", "k1")
    at = ("--user", "bob@example.com", "--at", "2026-03-05T10:00:00+00:00")
    assert cli(*submit, *at).exit_code == 0
    before = snapshot(db_url)
    summary = run_import(db_url, HEADER + KEYED.format(at="2026-03-02T10:00:00+00:00"))
    assert summary.tally.recorded[EventKind.quiz] == 0
    assert snapshot(db_url) == before


@pytest.mark.parametrize(
    ("recorded_first", "message"),
    [
        (False, "conflict: id 'k1' was given on line 2 with different content"),
        (True, "conflict: id 'k1' was already recorded with different content"),
    ],
)
def test_a_repeated_id_with_other_content_is_a_conflict(
    seeded: Runner, db_url: str, recorded_first: bool, message: str
) -> None:
    first = KEYED.format(at="2026-03-02T10:00:00+00:00")
    other = first.replace(",1,4,", ",2,4,")
    if recorded_first:
        run_import(db_url, HEADER + first)
        data = HEADER + GOOD + other
    else:
        data = HEADER + first + other
    before = snapshot(db_url)
    assert import_errors(db_url, data) == [RowError(3, message)]
    assert snapshot(db_url) == before


def test_import_writes_the_rows_the_single_commands_write(
    cli: Runner, seeded: Runner, db_url: str
) -> None:
    user = ("--user", "kim@example.com")
    commands = [
        ("start", "python/intro", "--at", "2026-03-01T09:30"),
        ("complete", "sql/intro", "--at", "2026-03-01"),
        (
            "quiz",
            "submit",
            "py-types",
            "--score",
            "3",
            "--total",
            "4",
            "--at",
            "2026-03-02T08:00:00.25",
        ),
        (
            "quiz",
            "submit",
            "sql-joins",
            "--score",
            "1",
            "--total",
            "9",
            "--id",
            "j",
            "--at",
            "2026-03-03",
        ),
    ]
    for args in commands:
        assert cli(*args, *user).exit_code == 0
    by_commands = content(db_url)
    clear_progress(db_url)
    run_import(
        db_url,
        HEADER
        + "kim@example.com,start,python/intro,,,,2026-03-01T09:30,\n"
        + "kim@example.com,complete,sql/intro,,,,2026-03-01,\n"
        + "kim@example.com,quiz,,py-types,3,4,2026-03-02T08:00:00.25,\n"
        + "kim@example.com,quiz,,sql-joins,1,9,2026-03-03,j\n",
    )
    assert content(db_url) == by_commands


def content(db_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """The progress and attempt rows without their ids, in a stable order."""
    rows = snapshot(db_url)
    return {
        table: sorted((r[1:] for r in rows[table]), key=repr)
        for table in ("learning_progress", "quiz_attempts")
    }


# --- export, and round trips -----------------------------------------------------------------


def test_export_writes_every_event_in_the_import_form(
    cli: Runner, seeded: Runner, db_url: str
) -> None:
    user = ("--user", "ann@example.com")
    assert cli("start", "python/intro", "--at", "2026-03-01T09:00", *user).exit_code == 0
    again = ("--at", "2026-03-02T08:30", "--duration", "PT25M", "--id", "s-2")
    assert cli("start", "python/intro", *again, *user).exit_code == 0
    assert cli("complete", "python/intro", "--at", "2026-03-02T09:00", *user).exit_code == 0
    answers = ("--answers", '{"q1": "2", "q2": "4", "q3": "7"}', "--id", "a-1")
    assert (
        cli("quiz", "submit", "py-intro", *answers, "--at", "2026-03-02T10:00", *user).exit_code
        == 0
    )
    csv_text = export_text(db_url)
    assert csv_text == (
        "user,event,module,quiz,score,total,at,id,duration,competency\r\n"
        "ann@example.com,start,python/intro,,,,2026-03-01T08:00:00+00:00,,,\r\n"
        "ann@example.com,start,python/intro,,,,2026-03-02T07:30:00+00:00,s-2,PT25M,\r\n"
        "ann@example.com,complete,python/intro,,,,2026-03-02T08:00:00+00:00,,,\r\n"
        "ann@example.com,quiz,,py-intro,2,3,2026-03-02T09:00:00+00:00,a-1,,\r\n"
    )
    lines = export_text(db_url, DataFormat.jsonl).splitlines()
    assert json.loads(lines[3]) == {
        "user": "ann@example.com",
        "event": "quiz",
        "module": None,
        "quiz": "py-intro",
        "score": 2,
        "total": 3,
        "at": "2026-03-02T09:00:00+00:00",
        "id": "a-1",
        "duration": None,
        "competency": None,
    }
    with unit_of_work(db_url, write=False) as session:
        cut = datetime(2026, 3, 2, 8, tzinfo=UTC)
        paris = ZoneInfo("Europe/Paris")
        rows = list(export_events(session, as_of=cut, tz=paris))
    assert [(r["event"], r["at"]) for r in rows] == [
        ("start", "2026-03-01T09:00:00+01:00"),
        ("start", "2026-03-02T08:30:00+01:00"),
        ("complete", "2026-03-02T09:00:00+01:00"),
    ]


def test_export_writes_cells_as_they_are(seeded: Runner, db_url: str) -> None:
    data = HEADER + "=cmd@example.com,start,python/intro,,,,2026-03-01T10:00:00+00:00,\n"
    run_import(db_url, data, create_users=True)
    exported = export_text(db_url)
    assert "\r\n=cmd@example.com,start," in exported
    clear_progress(db_url)
    run_import(db_url, exported)
    assert export_text(db_url) == exported


TIMES = st.builds(
    lambda day, minute, style: (day, minute, style),
    st.integers(0, 12),
    st.integers(0, 24 * 60 - 1),
    st.sampled_from(["local", "utc", "offset", "bare"]),
)


def _at(day: int, minute: int, style: str, zone: str) -> str:
    local = datetime(2026, 3, 20) + timedelta(days=day, minutes=minute)  # spans DST in Europe
    if style == "bare":
        return local.date().isoformat()
    if style == "local":
        return local.isoformat()
    instant = local.replace(tzinfo=ZoneInfo(zone))
    if style == "utc":
        return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return instant.astimezone(ZoneInfo("Asia/Kolkata")).isoformat()


@st.composite
def event_files(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Valid events of the three learners, with exact and keyed repeats."""
    events = []
    for n in range(draw(st.integers(1, 25))):
        email = draw(st.sampled_from(sorted(LEARNERS)))
        day, minute, style = draw(TIMES)
        at = _at(day, minute, style, LEARNERS[email])
        kind = draw(st.sampled_from(["start", "complete", "quiz", "quiz"]))
        row: dict[str, Any] = dict.fromkeys(COLUMNS, "")
        row["user"] = email.upper() if n % 5 == 0 else email
        row |= {"event": kind, "at": at}
        if kind == "quiz":
            quiz, total = draw(
                st.sampled_from([("py-intro", 3), ("py-types", 7), ("sql-joins", 10)])
            )
            row |= {"quiz": quiz, "score": draw(st.integers(0, total)), "total": total}
            row["id"] = draw(st.sampled_from(["", "", f"k{n}"]))
        else:
            row["module"] = draw(
                st.sampled_from(["python/intro", "python/types", "sql/intro", "sql/joins"])
            )
        events.append(row)
    for i in draw(st.lists(st.integers(0, len(events) - 1), max_size=4)):
        repeat = dict(events[i])
        if repeat["id"] and draw(st.booleans()):
            repeat["at"] = _at(*draw(TIMES), zone=LEARNERS[repeat["user"].lower()])
        events.append(repeat)
    return draw(st.permutations(events))


def as_csv(events: list[dict[str, Any]]) -> str:
    return HEADER + "".join(",".join(str(e[c]) for c in REQUIRED_COLUMNS) + "\n" for e in events)


def as_jsonl(events: list[dict[str, Any]]) -> str:
    return "".join(
        json.dumps({k: None if v == "" else v for k, v in e.items()}) + "\n" for e in events
    )


@pytest.mark.slow
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(events=event_files(), shuffled=st.randoms(use_true_random=False))
def test_order_never_matters_and_export_then_import_gives_the_same_views(
    seeded: Runner, db_url: str, events: list[dict[str, Any]], shuffled: Any
) -> None:
    clear_progress(db_url)
    run_import(db_url, as_csv(events))
    exported = export_text(db_url)
    expected = {day: views(db_url, day) for day in ("2026-03-22", "2026-03-28", "2026-04-05")}

    other_order = list(events)
    shuffled.shuffle(other_order)
    clear_progress(db_url)
    run_import(db_url, as_jsonl(other_order), name="events.jsonl", fmt=DataFormat.jsonl)
    assert export_text(db_url) == exported

    clear_progress(db_url)
    run_import(db_url, exported)
    assert export_text(db_url) == exported
    assert {day: views(db_url, day) for day in expected} == expected
