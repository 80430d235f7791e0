"""Time `catalyst import --format xapi` against `import --format jsonl` of the same events.

    python benchmarks/bench_xapi_import.py [--users 2000] [--days 90] [--statements 1000000]

Speed: `catalyst seed` into a template database, then `catalyst export` of every event twice:
as catalyst's JSON lines and as xAPI statements (`--iri-base`). Each side imports its file into
an emptied copy of the template (same catalogue and learners), in its own subprocess; both must
leave the same stats. Target: the xAPI import at least 0.25 of the jsonl import's rate.

Memory: a JSON-lines file of `--statements` synthetic statements (5,000 learners by mbox, 200
activities, starts, completions and scored attempts) is imported with `--create-users
--create-catalog` into a fresh database; the peak RSS of that process is reported. Target: under
150 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

AS_OF = "2026-03-31"
BASE = "https://bench.example.org"


def catalyst(db: Path, *args: str) -> tuple[float, float]:
    """Run the CLI in a child of a fresh helper process: (wall seconds, peak RSS in MB)."""
    code = (
        "import resource, subprocess, sys, time; t = time.perf_counter();"
        "subprocess.run(sys.argv[1:], check=True);"
        "print(time.perf_counter() - t,"
        " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)"
    )
    cmd = [sys.executable, "-m", "catalyst_cli", "--db", f"sqlite:///{db}", *args]
    out = subprocess.run(
        [sys.executable, "-c", code, *cmd], check=True, capture_output=True, text=True
    )
    wall, rss = out.stdout.split()
    return float(wall), float(rss)


def empty_copy(template: Path, target: Path) -> None:
    """The template with its catalogue and learners, and no learning record."""
    shutil.copyfile(template, target)
    con = sqlite3.connect(target)
    for table in ("quiz_attempts", "learning_events", "learning_progress", "voided_ids"):
        con.execute(f"DELETE FROM {table}")
    con.commit()
    con.execute("VACUUM")
    con.close()


def figures(db: Path) -> tuple[int, ...]:
    """Counts both imports must agree on."""
    con = sqlite3.connect(db)
    row = con.execute(
        "SELECT (SELECT count(*) FROM learning_events), (SELECT count(*) FROM quiz_attempts),"
        " (SELECT count(*) FROM learning_progress WHERE status = 'completed'),"
        " (SELECT count(*) FROM quiz_attempts WHERE passed)"
    ).fetchone()
    con.close()
    return tuple(row)


def synthetic(path: Path, count: int) -> None:
    """`count` statements as JSON lines: starts, completions, scored attempts."""
    verbs = ["initialized", "experienced", "completed", "passed", "failed"]
    with path.open("w") as out:
        for n in range(count):
            verb = verbs[n % 5]
            statement = {
                "id": str(uuid.UUID(int=n + 1)),
                "actor": {"mbox": f"mailto:learner{n % 5000}@example.org"},
                "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}"},
                "object": {
                    "id": f"{BASE}/course{n % 4}/activity{n % 200}",
                    "definition": {"name": {"en": f"Activity {n % 200}"}},
                },
                "timestamp": f"2026-03-{1 + n % 28:02d}T{n % 24:02d}:00:00Z",
            }
            if verb in ("passed", "failed"):
                statement["result"] = {"score": {"raw": n % 11, "min": 0, "max": 10}}
            out.write(json.dumps(statement) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--statements", type=int, default=1_000_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-xapi-"))
    os.environ["CATALYST_DATA_DIR"] = str(work)
    try:
        template = work / "template.db"
        seed = ("seed", "--users", str(args.users), "--days", str(args.days), "--seed", "1")
        catalyst(template, *seed, "--as-of", AS_OF)
        rows, statements = work / "events.jsonl", work / "statements.jsonl"
        catalyst(template, "export", "--format", "jsonl", "-o", str(rows))
        catalyst(template, "export", "--format", "xapi", "--iri-base", BASE, "-o", str(statements))
        events = sum(1 for _ in rows.open())
        results = {}
        for name, file, extra in (
            ("jsonl", rows, ("--format", "jsonl")),
            ("xapi", statements, ("--format", "xapi", "--iri-base", BASE)),
        ):
            db = work / f"{name}.db"
            empty_copy(template, db)
            wall, rss = catalyst(db, "import", str(file), *extra)
            results[name] = (wall, rss, figures(db))
            print(
                f"{name:6} {events:,} events in {wall:.1f} s: {events / wall:,.0f}/s, "
                f"peak RSS {rss:.0f} MB"
            )
        assert results["jsonl"][2] == results["xapi"][2], results
        ratio = results["jsonl"][0] / results["xapi"][0]
        print(f"xapi / jsonl rate: {ratio:.2f} (target >= 0.25)")

        big = work / "million.jsonl"
        began = time.perf_counter()
        synthetic(big, args.statements)
        print(
            f"wrote {args.statements:,} statements ({big.stat().st_size / 2**20:.0f} MB) "
            f"in {time.perf_counter() - began:.0f} s"
        )
        fresh = work / "million.db"
        wall, rss = catalyst(
            fresh, "import", str(big), "--format", "xapi", "--create-users", "--create-catalog"
        )
        print(
            f"xapi   {args.statements:,} statements in {wall:.1f} s: "
            f"{args.statements / wall:,.0f}/s, peak RSS {rss:.0f} MB (target < 150 MB)"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
