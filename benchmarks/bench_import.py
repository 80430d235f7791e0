"""Time `catalyst import` of a seeded CSV against a plain csv + raw driver bulk load.

    python benchmarks/bench_import.py [--users 10000] [--competencies 5]
                                      [--modules-per-competency 10] [--days 60] [--runs 1]
                                      [--target 0.5] [--data DIR] [--profile FILE]
                                      [--postgres ADMIN_URL | --no-postgres]

Builds the data with catalyst itself: `catalyst seed` (timed) into a template database as of
2026-06-30, then `catalyst export` to a CSV of every event, revisits, durations and ids
included (about 500,000 rows for the defaults). --data DIR keeps the template and the CSV there
and reuses them when the sizes match. The template, emptied of events, attempts and progress
but keeping its catalogue and learners, is copied for each side; then, in one run, alternately:
  catalyst  `catalyst import events.csv`: streaming read, every rule checked, the recorder's
            batched insert-on-conflict of events and attempts and its merge of the progress
            they imply, one transaction;
  baseline  the csv module and the raw driver: names to ids through dicts, times to UTC
            (on SQLite catalyst's stored UTC text), durations to microseconds, the pass rule
            applied, progress merged in a dict (earliest start, earliest completion), then one
            bulk write per table (learning_events, quiz_attempts, learning_progress) and a
            commit: sqlite3 executemany on SQLite, psycopg `COPY ... FROM STDIN` on
            PostgreSQL. It checks nothing. `answers` is SQL NULL, as catalyst stores it for a
            row with a score and a total.
PostgreSQL: a throwaway server started as the tests start theirs (tests/pg_server.py), or the
server of --postgres, where the script creates (and drops) scratch databases: one migrated to
head and holding the template's catalogue and learners, copied for each side; the catalyst
side runs with CATALYST_DATABASE_URL pointing at its copy. --no-postgres skips it.
Each side runs in a fresh subprocess (imports done before the clock starts), so peak memory
(peak RSS) is measured per side; its CPU time is the client's (on PostgreSQL the server's work
is not in it). Both sides must leave the same rows in all three tables. Target: catalyst's
rate at least 0.5 of the baseline's, on both backends. --profile FILE runs the catalyst side
once more under cProfile and writes the stats there (FILE-postgresql for PostgreSQL).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchkit import peak_memory_kib, postgres_server, raw_sqlite

AS_OF = "2026-06-30"
TARGET = 0.5
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


def run_catalyst(db: str, events: Path) -> None:
    from catalyst_cli.main import app

    if is_postgres(db):
        os.environ["CATALYST_DATABASE_URL"] = db
        args = ["import", str(events)]
    else:
        args = ["--db", db, "import", str(events)]
    began = time.perf_counter()
    try:
        app(args, standalone_mode=False)
    finally:
        report(time.perf_counter() - began)


def is_postgres(db: str) -> bool:
    return db.startswith("postgresql")


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


Rows = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]


def read_baseline(
    events: Path,
    users: dict[str, int],
    modules: dict[str, int],
    competencies: dict[str, int],
    quizzes: dict[str, tuple[int, int, int]],
    stamp_of: Any,
) -> Rows:
    """Events, attempts and progress rows of the CSV, times converted by `stamp_of`."""
    progress: dict[tuple[int, int], list[Any]] = {}
    logged = []
    attempts = []

    def touch(key: tuple[int, int], at: Any, done: bool) -> None:
        row = progress.get(key)
        if row is None:
            progress[key] = [at, at if done else None]
            return
        if at < row[0]:
            row[0] = at
        if done and (row[1] is None or at < row[1]):
            row[1] = at

    with events.open(newline="", encoding="utf-8") as f:
        rows = csv.reader(f)
        next(rows)
        for email, event, module, quiz, score, total, at, key, spent, competency in rows:
            user = users[email]
            stamp = stamp_of(datetime.fromisoformat(at).astimezone(UTC))
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
    merged = [
        (u, m, "in_progress" if done is None else "completed", start, done)
        for (u, m), (start, done) in progress.items()
    ]
    return logged, attempts, merged


CATALOGUE_QUERIES = (
    "SELECT email, id FROM users",
    "SELECT m.id, c.slug, m.slug FROM learning_modules m JOIN competencies c"
    " ON c.id = m.competency_id",
    "SELECT slug, id FROM competencies",
    "SELECT id, slug, module_id, pass_percent FROM quizzes",
)


def catalogue(execute: Any) -> tuple[Any, ...]:
    """Learners, modules, competencies and quizzes by name, through a driver's `execute`."""
    users_q, modules_q, competencies_q, quizzes_q = CATALOGUE_QUERIES
    users = dict(execute(users_q))
    modules = {f"{c}/{m}": i for i, c, m in execute(modules_q)}
    competencies = dict(execute(competencies_q))
    quizzes = {slug: (i, module, percent) for i, slug, module, percent in execute(quizzes_q)}
    return users, modules, competencies, quizzes


def run_baseline(db: str, events: Path) -> None:
    began = time.perf_counter()
    con = raw_sqlite(db)
    names = catalogue(lambda sql: con.execute(sql).fetchall())
    logged, attempts, progress = read_baseline(events, *names, lambda t: t.strftime(SQLITE_TS))
    con.execute("BEGIN")
    con.executemany(
        f"INSERT INTO learning_events ({EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)", logged
    )
    con.executemany(
        f"INSERT INTO quiz_attempts ({ATTEMPT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        attempts,
    )
    con.executemany(
        f"INSERT INTO learning_progress ({PROGRESS_COLUMNS}) VALUES (?, ?, ?, ?, ?)", progress
    )
    con.execute("COMMIT")
    con.close()
    report(time.perf_counter() - began)


def run_baseline_postgres(db: str, events: Path) -> None:
    import psycopg

    began = time.perf_counter()
    with psycopg.connect(libpq(db)) as con, con.cursor() as cur:
        names = catalogue(lambda sql: cur.execute(sql).fetchall())
        tables = read_baseline(events, *names, lambda t: t)
        for (table, columns), rows in zip(TABLES.items(), tables, strict=True):
            with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    report(time.perf_counter() - began)


def report(seconds: float) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - CPU_AT_START
    result = {"seconds": seconds, "cpu": cpu, "peak_mb": peak_memory_kib() / 1024}
    sys.stdout.write(json.dumps(result) + "\n")


def side(name: str, db: str, events: Path, profile: Path | None = None) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--side", name, db, str(events)]
    if profile is not None:
        cmd[1:1] = ["-m", "cProfile", "-o", str(profile)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def content(db: str) -> dict[str, list[Any]]:
    """Every table's rows without their ids, sorted, to check that the sides agree."""
    if is_postgres(db):
        import psycopg

        with psycopg.connect(libpq(db)) as pg:
            return {
                table: sorted(pg.execute(f"SELECT {columns} FROM {table}").fetchall(), key=repr)
                for table, columns in TABLES.items()
            }
    con = sqlite3.connect(db)
    rows = {
        table: sorted(con.execute(f"SELECT {columns} FROM {table}"), key=repr)
        for table, columns in TABLES.items()
    }
    con.close()
    return rows


# --- PostgreSQL ------------------------------------------------------------------------------


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


class Scratch:
    """Scratch databases on one server, named after this run, all dropped by `drop_all`."""

    def __init__(self, admin_url: str) -> None:
        self.admin = admin_url
        self.prefix = f"catalyst_bench_import_{uuid.uuid4().hex[:8]}"
        self.made: list[str] = []

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(libpq(self.admin), autocommit=True) as conn:
            conn.execute(sql)

    def create(self, suffix: str, template: str | None = None) -> str:
        """A new database (a copy of `template`'s, when given); returns its URL."""
        from sqlalchemy.engine import make_url

        name = f"{self.prefix}_{suffix}"
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        copy = f' TEMPLATE "{self.prefix}_{template}"' if template else ""
        self._admin(f'CREATE DATABASE "{name}"{copy}')
        if name not in self.made:
            self.made.append(name)
        url = make_url(self.admin).set(drivername="postgresql+psycopg", database=name)
        return url.render_as_string(hide_password=False)

    def drop_all(self) -> None:
        for name in self.made:
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_template(scratch: Scratch, empty: Path) -> str:
    """A database migrated to head with the SQLite template's catalogue and learners."""
    from sqlalchemy import create_engine, insert, select, text

    from catalyst_cli.db import models  # noqa: F401  (the tables, on the metadata)
    from catalyst_cli.db.base import metadata
    from catalyst_cli.db.engine import make_engine
    from catalyst_cli.db.migrate import upgrade
    from catalyst_cli.db.url import normalize_url

    url = scratch.create("template")
    engine = make_engine(normalize_url(url))
    upgrade(engine)
    source = create_engine(f"sqlite:///{empty}")
    with source.connect() as src, engine.begin() as dst:
        for table in metadata.sorted_tables:
            if table.name in TABLES:
                continue
            rows = [dict(r._mapping) for r in src.execute(select(table))]
            if rows:
                dst.execute(insert(table), rows)
            if "id" in table.c:
                dst.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"(SELECT coalesce(max(id), 0) + 1 FROM {table.name}), false)"
                    )
                )
        dst.execute(text("ANALYZE"))
    source.dispose()
    engine.dispose()
    return url


# --- the comparison --------------------------------------------------------------------------


def compare(
    label: str,
    fresh: Any,
    events: Path,
    count: int,
    runs: int,
    target: float,
    profile: Path | None,
) -> float:
    """Alternate the sides `runs` times on fresh databases (`fresh(name)` gives one's URL);
    print each run, the best-of ratios, and check that both sides left the same rows."""
    print(f"\n{label}:")
    best: dict[str, dict[str, Any]] = {}
    dbs: dict[str, str] = {}
    for run in range(1, runs + 1):
        for name in ("baseline", "catalyst"):
            dbs[name] = fresh(name)
            result = side(name, dbs[name], events)
            rate = count / result["seconds"]
            print(
                f"run {run} {name:8}: {result['seconds']:6.1f}s {rate:9,.0f} events/s, "
                f"CPU {result['cpu']:6.1f}s, peak {result['peak_mb']:4.0f} MB",
                flush=True,
            )
            if name not in best or result["seconds"] < best[name]["seconds"]:
                best[name] = result
    theirs, ours = content(dbs["baseline"]), content(dbs["catalyst"])
    for table in TABLES:
        if theirs[table] != ours[table]:
            sys.exit(f"{label}: the two sides left different rows in {table}")
    sizes = ", ".join(f"{len(rows):,} {table}" for table, rows in ours.items())
    ratio = best["baseline"]["seconds"] / best["catalyst"]["seconds"]
    cpu_ratio = best["baseline"]["cpu"] / best["catalyst"]["cpu"]
    verdict = "meets" if ratio >= target else "MISSES"
    cpu = "client CPU" if label == "postgresql" else "CPU"
    print(
        f"{label}: catalyst/baseline rate: {ratio:.2f} by wall time ({verdict} the target of "
        f"{target}), {cpu_ratio:.2f} by {cpu} time; rows identical ({sizes})"
    )
    if profile is not None:
        where = profile if label == "sqlite" else profile.with_name(f"{profile.name}-{label}")
        side("catalyst", fresh("profiled"), events, where)
        print(f"cProfile of the catalyst side: {where}")
    return ratio


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
    backends = parser.add_mutually_exclusive_group()
    backends.add_argument("--postgres", metavar="ADMIN_URL", help="use this server")
    backends.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--side", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        global CPU_AT_START
        name, db, events = args.side
        if name == "catalyst":  # the imports a command makes, before the clock starts
            import catalyst_cli.db.session  # noqa: F401
            import catalyst_cli.main  # noqa: F401
            import catalyst_cli.recorder  # noqa: F401
            import catalyst_cli.transfer  # noqa: F401
        if is_postgres(db):
            import psycopg  # noqa: F401

            if name == "catalyst":
                import sqlalchemy.dialects.postgresql.psycopg  # noqa: F401
        usage = resource.getrusage(resource.RUSAGE_SELF)
        CPU_AT_START = usage.ru_utime + usage.ru_stime
        if name == "catalyst":
            run_catalyst(db, Path(events))
        elif is_postgres(db):
            run_baseline_postgres(db, Path(events))
        else:
            run_baseline(db, Path(events))
        return

    ratios = []
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

        def fresh_sqlite(name: str) -> str:
            db = folder / f"{name}.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(empty, db)
            return str(db)

        ratios.append(
            compare("sqlite", fresh_sqlite, events, count, args.runs, args.target, args.profile)
        )
        if not args.no_postgres:
            with postgres_server(args.postgres) as admin:
                scratch = Scratch(admin)
                try:
                    postgres_template(scratch, empty)
                    ratios.append(
                        compare(
                            "postgresql",
                            lambda name: scratch.create(name, template="template"),
                            events,
                            count,
                            args.runs,
                            args.target,
                            args.profile,
                        )
                    )
                finally:
                    scratch.drop_all()
    if min(ratios) < args.target:
        sys.exit(f"catalyst's rate was {min(ratios):.2f} of the baseline's: below {args.target}")


if __name__ == "__main__":
    main()
