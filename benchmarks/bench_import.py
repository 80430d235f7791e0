"""Time `catalyst import` of a seeded CSV against a plain csv + raw sqlite3 executemany.

    python benchmarks/bench_import.py [--users 10000] [--competencies 5]
                                      [--modules-per-competency 10] [--days 90] [--runs 1]

Builds the data with catalyst itself: `catalyst seed` (timed, for the "well under a minute"
goal) into a template database, then `catalyst export` to a CSV of every event (about 750,000
for the defaults). The template, emptied of progress and attempts but keeping its catalogue and
learners, is copied for each side; then, in one run, alternately:
  catalyst  `catalyst import events.csv`: streaming read, every rule checked, batched
            insert-on-conflict through SQLAlchemy Core, one transaction;
  baseline  the csv module and the raw sqlite3 driver: names to ids through dicts, times to
            catalyst's stored UTC text, progress merged in a dict (earliest start and
            completion), pass rule applied, then one executemany per table and a commit.
Each side runs in a fresh subprocess (imports done before the clock starts), so peak memory
(peak RSS) is measured per side. Both sides must leave identical rows. Target: catalyst's rate
at least a quarter of the baseline's.
"""

from __future__ import annotations

import argparse
import csv
import json
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

AS_OF = "2026-03-31"
CPU_AT_START = 0.0
SQLITE_TS = "%Y-%m-%d %H:%M:%S.%f"  # how catalyst's UTC type stores timestamps on SQLite
PROGRESS_COLUMNS = "user_id, module_id, status, started_at, completed_at"
ATTEMPT_COLUMNS = (
    "user_id, quiz_id, score, total_questions, answers, passed, created_at, external_id"
)


def catalyst(*args: str) -> float:
    """Run the catalyst CLI in a subprocess; return its wall time."""
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "catalyst_cli", *args], check=True)
    return time.perf_counter() - began


def empty_copy(template: Path, target: Path) -> None:
    """The template with its catalogue and learners, and no progress or attempts."""
    shutil.copyfile(template, target)
    with sqlite3.connect(target) as con:
        con.execute("DELETE FROM quiz_attempts")
        con.execute("DELETE FROM learning_progress")
    con = sqlite3.connect(target)
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
    quizzes = {
        slug: (i, module, percent)
        for i, slug, module, percent in con.execute(
            "SELECT id, slug, module_id, pass_percent FROM quizzes"
        )
    }
    progress: dict[tuple[int, int], list[str | None]] = {}
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
        for email, event, module, quiz, score, total, at, key in rows:
            user = users[email]
            stamp = datetime.fromisoformat(at).astimezone(UTC).strftime(SQLITE_TS)
            if event == "quiz":
                quiz_id, module_id, percent = quizzes[quiz]
                s, t = int(score), int(total)
                passed = s * 100 >= percent * t
                attempts.append((user, quiz_id, s, t, "null", passed, stamp, key or None))
                touch((user, module_id), stamp, passed)
            else:
                touch((user, modules[module]), stamp, event == "complete")
    con.execute("BEGIN")
    con.executemany(
        f"INSERT INTO learning_progress ({PROGRESS_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
        (
            (u, m, "in_progress" if done is None else "completed", start, done)
            for (u, m), (start, done) in progress.items()
        ),
    )
    con.executemany(
        f"INSERT INTO quiz_attempts ({ATTEMPT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", attempts
    )
    con.execute("COMMIT")
    con.close()
    report(time.perf_counter() - began)


def report(seconds: float) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - CPU_AT_START
    result = {"seconds": seconds, "cpu": cpu, "peak_mb": usage.ru_maxrss / 1024}
    sys.stdout.write(json.dumps(result) + "\n")


def side(name: str, db: Path, events: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--side", name, str(db), str(events)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def content(db: Path) -> tuple[list[Any], list[Any]]:
    """Both tables' rows without their ids, sorted, to check that the sides agree."""
    con = sqlite3.connect(db)
    progress = sorted(con.execute(f"SELECT {PROGRESS_COLUMNS} FROM learning_progress"))
    attempts = sorted(
        con.execute(f"SELECT {ATTEMPT_COLUMNS} FROM quiz_attempts"), key=lambda r: repr(r)
    )
    con.close()
    return progress, attempts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--competencies", type=int, default=5)
    parser.add_argument("--modules-per-competency", type=int, default=10)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--side", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        global CPU_AT_START
        usage = resource.getrusage(resource.RUSAGE_SELF)
        CPU_AT_START = usage.ru_utime + usage.ru_stime
        if args.side[0] == "catalyst":  # the imports a command makes, before the clock starts
            import catalyst_cli.db.session  # noqa: F401
            import catalyst_cli.main  # noqa: F401
            import catalyst_cli.transfer  # noqa: F401
        name, db, events = args.side
        (run_catalyst if name == "catalyst" else run_baseline)(Path(db), Path(events))
        return

    with tempfile.TemporaryDirectory(prefix="catalyst-bench-") as tmp:
        folder = Path(tmp)
        template, events = folder / "template.db", folder / "events.csv"
        sizes = [
            f"--users={args.users}",
            f"--competencies={args.competencies}",
            f"--modules-per-competency={args.modules_per_competency}",
            f"--days={args.days}",
        ]
        seed_s = catalyst("--db", str(template), "seed", *sizes, "--seed=1", f"--as-of={AS_OF}")
        export_s = catalyst("--db", str(template), "export", "--output", str(events))
        with events.open(encoding="utf-8") as f:
            count = sum(1 for _ in f) - 1
        print(
            f"seed: {seed_s:.1f}s; export: {export_s:.1f}s; {count:,} events, "
            f"{events.stat().st_size / 1e6:.0f} MB of CSV"
        )
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
        if content(folder / "catalyst.db") != content(folder / "baseline.db"):
            sys.exit("the two sides left different rows")
        ratio = best["baseline"]["seconds"] / best["catalyst"]["seconds"]
        cpu_ratio = best["baseline"]["cpu"] / best["catalyst"]["cpu"]
        verdict = "meets" if ratio >= 0.25 else "MISSES"
        print(
            f"catalyst/baseline rate: {ratio:.2f} by wall time ({verdict} the target of 0.25), "
            f"{cpu_ratio:.2f} by CPU time; rows identical"
        )


if __name__ == "__main__":
    main()
