"""One scripted command: whole-process `catalyst` against a Typer script doing it with sqlite3.

    python benchmarks/bench_startup.py [--runs 15] [--target 2.0]

Admins script catalyst one command at a time, so what they feel is a whole process: start-up,
imports, one transaction, output, exit. Each case runs as a fresh process on a small SQLite
file at head (one learner with 60 days of history), interleaved with its baseline so a busy
moment hits both alike:

  catalyst  `python -m catalyst_cli CMD ...` (the console script's path);
  baseline  `python benchmarks/startup_baseline.py DB CMD ...`: a Typer script with the same
            work on the same tables through `sqlite3`, checking nothing.

For the writes `start`, `complete`, `quiz submit`, `enrol` and the reads `stats`, `streak`, it
prints the median wall time and the median CPU time (user + system) of each side and their
ratios, beside `python -c pass`, `python -c "import typer"` and the floor of any command built
on SQLAlchemy (Typer, SQLAlchemy and its SQLite dialect imported with the GC off, and no
teardown, as catalyst skips it), for scale.
Exits non-zero when a wall ratio is above --target. Bytecode is written before timing (an
installed package has it), whatever PYTHONDONTWRITEBYTECODE says.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CATALOG = {
    "competencies": [
        {
            "slug": "python",
            "title": "Python",
            "modules": [
                {
                    "slug": "intro",
                    "title": "Intro",
                    "quizzes": [{"slug": "py-intro", "title": "Intro quiz", "pass_percent": 50}],
                },
                {"slug": "types", "title": "Types"},
            ],
        }
    ]
}
USER = "ada@example.com"


def history() -> str:
    """60 days of a learner's events, as catalyst's import reads them."""
    lines = ["user,event,module,quiz,score,total,at,id"]
    for day in range(60):
        at = f"2026-{9 + day // 30:02d}-{1 + day % 30:02d}T1{day % 10}:00:00+00:00"
        lines.append(f"{USER},start,python/intro,,,,{at},")
        if day % 3 == 0:
            lines.append(f"{USER},quiz,,py-intro,{day % 4},3,{at},")
    return "\n".join(lines) + "\n"


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu


def cases(db: Path) -> dict[str, tuple[list[str], list[str]]]:
    """Each command: catalyst's argv and the baseline's."""
    cli = [sys.executable, "-m", "catalyst_cli"]
    base = [sys.executable, str(HERE / "startup_baseline.py"), str(db)]
    user = ["--user", USER]
    return {
        "start": ([*cli, "start", "python/intro", *user], [*base, "start", "python/intro", *user]),
        "complete": (
            [*cli, "complete", "python/types", *user],
            [*base, "complete", "python/types", *user],
        ),
        "quiz submit": (
            [*cli, "quiz", "submit", "py-intro", "--score", "2", "--total", "3", *user],
            [*base, "quiz-submit", "py-intro", "2", "3", *user],
        ),
        "enrol": ([*cli, "enrol", "python", *user], [*base, "enrol", "python", *user]),
        "stats": ([*cli, "stats", *user], [*base, "stats", *user]),
        "streak": ([*cli, "streak", *user], [*base, "streak", *user]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--target", type=float, default=2.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "start.db"
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env |= {"CATALYST_DATA_DIR": tmp, "CATALYST_DATABASE_URL": f"sqlite:///{db}"}
        catalog = Path(tmp) / "catalog.json"
        catalog.write_text(json.dumps(CATALOG))
        events = Path(tmp) / "history.csv"
        events.write_text(history())
        cli = [sys.executable, "-m", "catalyst_cli"]
        for setup in (
            ["catalog", "load", str(catalog)],
            ["users", "add", USER, "--tz", "Europe/Paris"],
            ["import", str(events)],
        ):
            subprocess.run([*cli, *setup], env=env, check=True, capture_output=True)
        table = cases(db)
        scale = {
            'python -c "pass"': [sys.executable, "-c", "pass"],
            'python -c "import typer"': [sys.executable, "-c", "import typer"],
            "typer + sqlalchemy, GC off": [
                sys.executable,
                "-c",
                "import gc, os; gc.disable(); import typer, sqlalchemy, sqlalchemy.dialects.sqlite;"
                " os._exit(0)",
            ],
        }
        for catalyst_argv, base_argv in table.values():  # warm up: bytecode, page cache
            timed(catalyst_argv, env)
            timed(base_argv, env)
        times: dict[str, list[tuple[float, float]]] = {}
        for _ in range(args.runs):
            for name, argv in scale.items():
                times.setdefault(name, []).append(timed(argv, env))
            for name, (catalyst_argv, base_argv) in table.items():
                times.setdefault(f"catalyst {name}", []).append(timed(catalyst_argv, env))
                times.setdefault(f"baseline {name}", []).append(timed(base_argv, env))

    def median(name: str, i: int) -> float:
        return statistics.median(t[i] for t in times[name])

    load = os.getloadavg()[0]
    print(f"median of {args.runs} runs, whole processes, load average {load:.2f}")
    for name in scale:
        wall, cpu = median(name, 0) * 1000, median(name, 1) * 1000
        print(f"  {name:<26} {wall:6.0f} ms wall {cpu:6.0f} ms CPU")
    print(f"  {'command':<14} {'catalyst':>17} {'baseline':>17}   ratio wall / CPU")
    worst = 0.0
    for name in table:
        c_wall, c_cpu = median(f"catalyst {name}", 0), median(f"catalyst {name}", 1)
        b_wall, b_cpu = median(f"baseline {name}", 0), median(f"baseline {name}", 1)
        worst = max(worst, c_wall / b_wall)
        print(
            f"  {name:<14} {c_wall * 1000:5.0f} ms ({c_cpu * 1000:4.0f} CPU)"
            f" {b_wall * 1000:5.0f} ms ({b_cpu * 1000:4.0f} CPU)"
            f"   {c_wall / b_wall:.2f}x / {c_cpu / b_cpu:.2f}x"
        )
    verdict = "meets" if worst <= args.target else "MISSES"
    print(f"worst wall ratio {worst:.2f}x: {verdict} the target of {args.target:.1f}x")
    sys.exit(0 if worst <= args.target else 1)


if __name__ == "__main__":
    main()
