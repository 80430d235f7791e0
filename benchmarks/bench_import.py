"""Time `catalyst import` of a seeded CSV against a plain csv + raw sqlite3 executemany.

    python benchmarks/bench_import.py [--users 10000] [--competencies 5]
                                      [--modules-per-competency 10] [--days 60] [--runs 1]
                                      [--target 0.35] [--data DIR] [--profile FILE]

Builds the data with catalyst itself: `catalyst seed` (timed) into a template database as of
2026-06-30, then `catalyst export` to a CSV of every event, revisits, durations and ids
included (about 500,000 rows for the defaults). --data DIR keeps the template and the CSV there
and reuses them when the sizes match. The template, emptied of events, attempts and progress
but keeping its catalogue and learners, is copied for each side; then, in one run, alternately:
  catalyst  `catalyst import events.csv`: streaming read, every rule checked, the recorder's
            batched insert-on-conflict of events and attempts and its merge of the progress
            they imply, one transaction;
  baseline  the csv module and the raw sqlite3 driver: names to ids through dicts, times to
            catalyst's stored UTC text, durations to microseconds, the pass rule applied,
            progress merged in a dict (earliest start, earliest completion), then one
            executemany per table (learning_events, quiz_attempts, learning_progress) and a
            commit. It checks nothing. `answers` is SQL NULL, as catalyst stores it for a row
            with a score and a total.
Each side runs in a fresh subprocess (imports done before the clock starts), so peak memory
(peak RSS) is measured per side. Both sides must leave the same rows in all three tables.
Target: catalyst's rate at least 0.35 of the baseline's. --profile FILE runs the catalyst side
once more under cProfile and writes the stats there.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

AS_OF = "2026-06-30"
TARGET = 0.35
CPU_AT_START = 0.0
SQLITE_TS = "%Y-%m-%d %H:%M:%S.%f"  # how catalyst's UTC type stores timestamps on SQLite
EVENT_COLUMNS = "user_id, kind, module_id, competency_id, occurred_at, duration_us, external_id"
ATTEMPT_COLUMNS = (
    "user_id, quiz_id, score, total_questions, answers, passed, created_at, external_id,"
    " duration_us"
)
PROGRESS_COLUMNS = "user_id, module_id, status, started_at, completed_at"
TABLES = {
    "learning_events": EVENT_COLUMNS,
    "quiz_attempts": ATTEMPT_COLUMNS,
    "learning_progress": PROGRESS_COLUMNS,
}
DURATION = re.compile(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.(\d{1,6}))?S)?\Z")


def catalyst(*args: str) -> float:
    """Run the catalyst CLI in a subprocess; return its wall time."""
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "catalyst_cli", *args], check=True)
    return time.perf_counter() - began


def empty_copy(template: Path, target: Path) -> None:
    """The template with its catalogue and learners, and no events, attempts or progress."""
    shutil.copyfile(template, target)
    with sqlite3.connect(target) as con:
        for table in TABLES:
            con.execute(f"DELETE FROM {table}")
    con = sqlite3.connect(target)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("VACUUM")
    con.close()


# --- the two sides, each run in its own subprocess -----------------------------------------


def run_catalyst(db: Path, events: Path) -> None:
    from catalyst_cli.main import app

    began = time.perf_counter()
    try:
        app(["--db", str(db), "import", str(events)], standalone_mode=False)
    finally:
        report(time.perf_counter() - began)


def duration_us(text: str) -> int | None:
    """`export`'s ISO 8601 durations (PT1H2M3.5S) in microseconds."""
    if not text:
        return None
    match = DURATION.match(text)
    if match is None:
        raise ValueError(f"unexpected duration {text!r}")
    hours, minutes, seconds, fraction = match.groups()
    micros = int(hours or 0) * 3600 + int(minutes or 0) * 60 + int(seconds or 0)
    return micros * 1_000_000 + (int((fraction + "00000")[:6]) if fraction else 0)


def run_baseline(db: Path, events: Path) -> None:
    began = time.perf_counter()
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = NORMAL")
    con.execute("PRAGMA foreign_keys = ON")
    users = dict(con.execute("SELECT email, id FROM users"))
    modules = {
        f"{c}/{m}": i
        for i, c, m in con.execute(
            "SELECT m.id, c.slug, m.slug FROM learning_modules m JOIN competencies c"
            " ON c.id = m.competency_id"
        )
    }
    competencies = dict(con.execute("SELECT slug, id FROM competencies"))
    quizzes = {
        slug: (i, module, percent)
        for i, slug, module, percent in con.execute(
            "SELECT id, slug, module_id, pass_percent FROM quizzes"
        )
    }
    progress: dict[tuple[int, int], list[str | None]] = {}
    logged = []
    attempts = []

    def touch(key: tuple[int, int], at: str, done: bool) -> None:
        row = progress.get(key)
        if row is None:
            progress[key] = [at, at if done else None]
            return
        if at < row[0]:  # type: ignore[operator]
            row[0] = at
        if done and (row[1] is None or at < row[1]):
            row[1] = at

    with events.open(newline="", encoding="utf-8") as f:
        rows = csv.reader(f)
        next(rows)
        for email, event, module, quiz, score, total, at, key, spent, competency in rows:
            user = users[email]
            stamp = datetime.fromisoformat(at).astimezone(UTC).strftime(SQLITE_TS)
            micros = duration_us(spent)
            if event == "quiz":
                quiz_id, module_id, percent = quizzes[quiz]
                s, t = int(score), int(total)
                passed = s * 100 >= percent * t
                attempts.append((user, quiz_id, s, t, None, passed, stamp, key or None, micros))
                touch((user, module_id), stamp, passed)
            elif event in ("start", "complete"):
                module_id = modules[module]
                logged.append((user, event, module_id, None, stamp, micros, key or None))
                touch((user, module_id), stamp, event == "complete")
            else:  # enrol, withdraw
                logged.append(
                    (user, event, None, competencies[competency], stamp, None, key or None)
                )
    con.execute("BEGIN")
    con.executemany(
        f"INSERT INTO learning_events ({EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)", logged
    )
    con.executemany(
        f"INSERT INTO quiz_attempts ({ATTEMPT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        attempts,
    )
    con.executemany(
        f"INSERT INTO learning_progress ({PROGRESS_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
        (
            (u, m, "in_progress" if done is None else "completed", start, done)
            for (u, m), (start, done) in progress.items()
        ),
    )
    con.execute("COMMIT")
    con.close()
    report(time.perf_counter() - began)


def report(seconds: float) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - CPU_AT_START
    result = {"seconds": seconds, "cpu": cpu, "peak_mb": usage.ru_maxrss / 1024}
    sys.stdout.write(json.dumps(result) + "\n")


def side(name: str, db: Path, events: Path, profile: Path | None = None) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--side", name, str(db), str(events)]
    if profile is not None:
        cmd[1:1] = ["-m", "cProfile", "-o", str(profile)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def content(db: Path) -> dict[str, list[Any]]:
    """Every table's rows without their ids, sorted, to check that the sides agree."""
    con = sqlite3.connect(db)
    rows = {
        table: sorted(con.execute(f"SELECT {columns} FROM {table}"), key=repr)
        for table, columns in TABLES.items()
    }
    con.close()
    return rows


def prepare(args: argparse.Namespace, folder: Path) -> tuple[Path, Path]:
    """The seeded template and its export, made now or reused from --data."""
    sizes = [
        f"--users={args.users}",
        f"--competencies={args.competencies}",
        f"--modules-per-competency={args.modules_per_competency}",
        f"--days={args.days}",
        "--seed=1",
        f"--as-of={AS_OF}",
    ]
    template, events, stamp = folder / "template.db", folder / "events.csv", folder / "sizes"
    if stamp.exists() and stamp.read_text() == " ".join(sizes) and events.exists():
        print(f"reusing {template} and {events}")
        return template, events
    for path in (template, events, stamp):
        path.unlink(missing_ok=True)
    seed_s = catalyst("--db", str(template), "seed", *sizes)
    export_s = catalyst("--db", str(template), "export", "--output", str(events))
    con = sqlite3.connect(template)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    stamp.write_text(" ".join(sizes))
    print(f"seed: {seed_s:.1f}s; export: {export_s:.1f}s")
    return template, events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--competencies", type=int, default=5)
    parser.add_argument("--modules-per-competency", type=int, default=10)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--target", type=float, default=TARGET)
    parser.add_argument("--data", type=Path, help="keep and reuse the seeded data here")
    parser.add_argument("--profile", type=Path, help="cProfile the catalyst side into FILE")
    parser.add_argument("--side", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        global CPU_AT_START
        if args.side[0] == "catalyst":  # the imports a command makes, before the clock starts
            import catalyst_cli.db.session  # noqa: F401
            import catalyst_cli.main  # noqa: F401
            import catalyst_cli.recorder  # noqa: F401
            import catalyst_cli.transfer  # noqa: F401
        usage = resource.getrusage(resource.RUSAGE_SELF)
        CPU_AT_START = usage.ru_utime + usage.ru_stime
        name, db, events = args.side
        (run_catalyst if name == "catalyst" else run_baseline)(Path(db), Path(events))
        return

    with tempfile.TemporaryDirectory(prefix="catalyst-bench-") as tmp:
        folder = Path(tmp)
        if args.data is not None:
            args.data.mkdir(parents=True, exist_ok=True)
        template, events = prepare(args, args.data or folder)
        with events.open(encoding="utf-8") as f:
            count = sum(1 for _ in f) - 1
        print(f"{count:,} events, {events.stat().st_size / 1e6:.0f} MB of CSV")
        empty = folder / "empty.db"
        empty_copy(template, empty)
        best: dict[str, dict[str, Any]] = {}
        for run in range(1, args.runs + 1):
            for name in ("baseline", "catalyst"):
                db = folder / f"{name}.db"
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{db}{suffix}").unlink(missing_ok=True)
                shutil.copyfile(empty, db)
                result = side(name, db, events)
                rate = count / result["seconds"]
                print(
                    f"run {run} {name:8}: {result['seconds']:6.1f}s {rate:9,.0f} events/s, "
                    f"CPU {result['cpu']:6.1f}s, peak {result['peak_mb']:4.0f} MB"
                )
                if name not in best or result["seconds"] < best[name]["seconds"]:
                    best[name] = result
        theirs, ours = content(folder / "baseline.db"), content(folder / "catalyst.db")
        for table in TABLES:
            if theirs[table] != ours[table]:
                sys.exit(f"the two sides left different rows in {table}")
        sizes = ", ".join(f"{len(rows):,} {table}" for table, rows in ours.items())
        ratio = best["baseline"]["seconds"] / best["catalyst"]["seconds"]
        cpu_ratio = best["baseline"]["cpu"] / best["catalyst"]["cpu"]
        verdict = "meets" if ratio >= args.target else "MISSES"
        print(
            f"catalyst/baseline rate: {ratio:.2f} by wall time ({verdict} the target of "
            f"{args.target}), {cpu_ratio:.2f} by CPU time; rows identical ({sizes})"
        )
        if args.profile is not None:
            db = folder / "profiled.db"
            shutil.copyfile(empty, db)
            side("catalyst", db, events, args.profile)
            print(f"cProfile of the catalyst side: {args.profile}")
        if ratio < args.target:
            sys.exit(1)


if __name__ == "__main__":
    main()
