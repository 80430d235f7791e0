"""Time `catalyst users import` of a learners CSV against a plain csv + raw sqlite3 executemany.

    python benchmarks/bench_users_import.py [--users 10000] [--runs 3]

Generates a CSV of N learners (names with commas, quotes and accents; ten IANA zones; one or two
of twelve groups each) and an empty database at head (catalyst's own migration). Each run copies
it for each side and, alternately, each in a fresh subprocess with its imports done before the
clock starts:
  catalyst  the domain function in-process, as the command calls it: `open_source`, then
            `unit_of_work` (engine, schema check, one transaction) around `import_learners`:
            every line checked (email, zone, name, groups), the comparison with what is stored,
            executemany insert-on-conflict, the commit. Typer's parsing is left out (about 0.3 s
            of building the command, the same for every command: see bench_startup.py);
  baseline  the csv module and the raw sqlite3 driver: one executemany for users, one for the
            distinct groups, names to ids through dicts, one for the memberships, a commit. It
            checks nothing.
Both sides must leave the same learners, groups and memberships. Target: catalyst at most 3x
the baseline's time.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchkit import raw_sqlite

ZONES = (
    "UTC",
    "Europe/Paris",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Kiritimati",
)
GROUPS = tuple(f"cohort-{c}" for c in "abcdefghijkl")
SQLITE_TS = "%Y-%m-%d %H:%M:%S.%f"
CPU_AT_START = 0.0


def write_learners(path: Path, count: int) -> None:
    rng = random.Random(1)
    first = ("Ada", "Grace", "Émile", "Zoë", "Alan", "Ken", "Bjørn", "Ngozi", "Li", "José")
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\r\n")
        out.writerow(["email", "name", "timezone", "groups", "ids"])
        for i in range(count):
            name = f'{rng.choice(first)} "{i}", Learner'
            groups = ";".join(sorted(rng.sample(GROUPS, rng.randint(1, 2))))
            out.writerow([f"learner{i:05d}@example.com", name, rng.choice(ZONES), groups, ""])


def run_catalyst(db: Path, learners: Path) -> None:
    from catalyst_cli.db.session import unit_of_work
    from catalyst_cli.learners_io import import_learners
    from catalyst_cli.readers import FileFormat, open_source

    began = time.perf_counter()
    try:
        with open_source(str(learners), sys.stdin.buffer) as source:
            with unit_of_work(f"sqlite:///{db}") as session:
                import_learners(
                    session, source, fmt=FileFormat.csv, dry_run=False, now=datetime.now(UTC)
                )
    finally:
        report(time.perf_counter() - began)


def run_baseline(db: Path, learners: Path) -> None:
    began = time.perf_counter()
    con = raw_sqlite(db)
    now = datetime.now(UTC).strftime(SQLITE_TS)
    with learners.open(newline="", encoding="utf-8") as f:
        rows = csv.reader(f)
        next(rows)
        people = [(email, name, zone, groups.split(";")) for email, name, zone, groups, _ in rows]
    con.execute("BEGIN")
    con.executemany(
        "INSERT INTO users (email, name, timezone, created_at) VALUES (?, ?, ?, ?)",
        ((email, name, zone, now) for email, name, zone, _ in people),
    )
    names = sorted({g for *_, groups in people for g in groups})
    con.executemany("INSERT INTO groups (name) VALUES (?)", ((n,) for n in names))
    user_ids = dict(con.execute("SELECT email, id FROM users"))
    group_ids = dict(con.execute("SELECT name, id FROM groups"))
    con.executemany(
        "INSERT INTO group_members (group_id, user_id) VALUES (?, ?)",
        ((group_ids[g], user_ids[email]) for email, *_, groups in people for g in groups),
    )
    con.execute("COMMIT")
    con.close()
    report(time.perf_counter() - began)


def report(seconds: float) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - CPU_AT_START
    sys.stdout.write(json.dumps({"seconds": seconds, "cpu": cpu}) + "\n")


def side(name: str, db: Path, learners: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--side", name, str(db), str(learners)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def content(db: Path) -> list[Any]:
    """Learners, groups and memberships without ids or times, to check that the sides agree."""
    con = sqlite3.connect(db)
    found = [
        sorted(con.execute("SELECT email, name, timezone FROM users")),
        sorted(con.execute("SELECT name FROM groups")),
        sorted(
            con.execute(
                "SELECT u.email, g.name FROM group_members m JOIN users u ON u.id = m.user_id"
                " JOIN groups g ON g.id = m.group_id"
            )
        ),
    ]
    con.close()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--side", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        global CPU_AT_START
        if args.side[0] == "catalyst":  # the imports a command makes, before the clock starts
            import sqlalchemy.dialects.sqlite  # noqa: F401

            import catalyst_cli.db.session  # noqa: F401
            import catalyst_cli.learners_io  # noqa: F401
        usage = resource.getrusage(resource.RUSAGE_SELF)
        CPU_AT_START = usage.ru_utime + usage.ru_stime
        name, db, learners = args.side
        (run_catalyst if name == "catalyst" else run_baseline)(Path(db), Path(learners))
        return

    from catalyst_cli.db.engine import make_engine
    from catalyst_cli.db.migrate import upgrade
    from catalyst_cli.db.url import normalize_url

    with tempfile.TemporaryDirectory(prefix="catalyst-bench-") as tmp:
        folder = Path(tmp)
        template, learners = folder / "template.db", folder / "learners.csv"
        engine = make_engine(normalize_url(str(template)))
        upgrade(engine)
        engine.dispose()
        write_learners(learners, args.users)
        times: dict[str, list[dict[str, Any]]] = {"baseline": [], "catalyst": []}
        for run in range(args.runs):
            results = {}
            for name in ("baseline", "catalyst") if run % 2 == 0 else ("catalyst", "baseline"):
                db = folder / f"{name}.db"
                for leftover in folder.glob(f"{name}.db*"):
                    leftover.unlink()
                shutil.copyfile(template, db)
                times[name].append(side(name, db, learners))
                results[name] = content(db)
            if results["baseline"] != results["catalyst"]:
                sys.exit("the two sides left different rows")
        best = {name: min(r["seconds"] for r in runs) for name, runs in times.items()}
        cpu = {name: min(r["cpu"] for r in runs) for name, runs in times.items()}
        for name in ("baseline", "catalyst"):
            median = statistics.median(r["seconds"] for r in times[name])
            print(
                f"{name:9} best {best[name]:.3f} s  median {median:.3f} s  "
                f"cpu {cpu[name]:.3f} s  ({args.users:,} learners)"
            )
        ratio = best["catalyst"] / best["baseline"]
        print(f"ratio {ratio:.2f}x by wall time, {cpu['catalyst'] / cpu['baseline']:.2f}x by CPU")
        if ratio > 3:
            sys.exit("above the 3x target")


if __name__ == "__main__":
    main()
