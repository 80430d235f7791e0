"""Re-take the figures of issue 13's targets (benchmarks/README.md), one after another.

    python benchmarks/run_all.py [--runs 1] [--big]

Runs, each in its own process, with the interpreter running this script:
  bench_startup.py --runs 15                       one scripted command against a Typer +
                                                   sqlite3 script (start, complete, quiz
                                                   submit, enrol, stats, streak)
  bench_loop.py --rows 1000                        the README's shell loop against its pipe
  bench_import.py --runs RUNS                      import, 10,000 x 50 seeded export, SQLite
                                                   and PostgreSQL
  bench_report.py --users 10000 --runs RUNS        report, SQLite and PostgreSQL
  bench_report.py --users 1000 --runs 1            peak memory at 1,000 learners
  bench_report.py --users 50000 --runs 1           with --big: peak memory at 50,000
Each prints its own figures; this script stops at none of them but exits non-zero when any
missed its target or failed. Run it on a quiet machine: the figures are best-of-RUNS times.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--big", action="store_true", help="also the 50,000-learner report")
    args = parser.parse_args()
    runs = str(args.runs)
    commands = [
        ["bench_startup.py", "--runs", "15"],
        ["bench_loop.py", "--rows", "1000"],
        ["bench_import.py", "--runs", runs],
        ["bench_report.py", "--users", "10000", "--runs", runs],
        ["bench_report.py", "--users", "1000", "--runs", "1"],
    ]
    if args.big:
        commands.append(["bench_report.py", "--users", "50000", "--runs", "1"])
    failed = []
    for script, *rest in commands:
        line = " ".join(["python", f"benchmarks/{script}", *rest])
        print(f"\n$ {line}", flush=True)
        began = time.perf_counter()
        done = subprocess.run([sys.executable, str(HERE / script), *rest], check=False)
        print(f"({time.perf_counter() - began:.0f} s, exit {done.returncode})", flush=True)
        if done.returncode != 0:
            failed.append(line)
    if failed:
        sys.exit("missed a target or failed:\n  " + "\n  ".join(failed))


if __name__ == "__main__":
    main()
