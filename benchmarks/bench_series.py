"""Time `catalyst report --series week` (52 weeks) against one per-learner report of the same data.

    python benchmarks/bench_series.py [--users 10000] [--competencies 5]
                                      [--modules-per-competency 10] [--days 365] [--runs 3]
                                      [--db PATH]

Seeds the data with `catalyst seed` (seed 1, as of 2026-03-31) into an SQLite file (kept with
--db PATH, and reused when it exists), then, in one run, alternately, each in a fresh process:
  report  `catalyst report --format csv --as-of 2026-03-31 --output FILE`, every learner's row;
  series  `catalyst report --series week --from 2025-04-01 --as-of 2026-03-31 --format csv
          --output FILE`: 53 weekly rows, each as of its week's end.
Whole processes are timed (start-up included, the same for both), best of --runs. Target: the
series takes at most 3x the report. Exits non-zero above it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AS_OF = "2026-03-31"
FROM = "2025-04-01"  # 52 weeks back: the week holding it to the week holding AS_OF
TARGET = 3.0


def catalyst(*args: str) -> float:
    """Run the catalyst CLI in a subprocess; its wall time in seconds."""
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "catalyst_cli", *args], check=True)
    return time.perf_counter() - began


def main() -> int:
    """Seed, time both sides alternately, print the figures; 1 when above the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--competencies", type=int, default=5)
    parser.add_argument("--modules-per-competency", type=int, default=10)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="catalyst-bench-series-") as scratch:
        folder = Path(scratch)
        db = args.db or folder / "seeded.db"
        if not db.exists():
            seconds = catalyst(
                "--db",
                str(db),
                "seed",
                "--users",
                str(args.users),
                "--competencies",
                str(args.competencies),
                "--modules-per-competency",
                str(args.modules_per_competency),
                "--days",
                str(args.days),
                "--seed",
                "1",
                "--as-of",
                AS_OF,
            )
            print(f"seeded {db} in {seconds:.1f} s", file=sys.stderr)
        report_args = ("--db", str(db), "report", "--format", "csv", "--as-of", AS_OF)
        timings: dict[str, list[float]] = {"report": [], "series": []}
        for _ in range(args.runs):
            timings["report"].append(catalyst(*report_args, "--output", str(folder / "r.csv")))
            timings["series"].append(
                catalyst(
                    *report_args,
                    "--series",
                    "week",
                    "--from",
                    FROM,
                    "--output",
                    str(folder / "s.csv"),
                )
            )
        rows = (folder / "s.csv").read_text().count("\n") - 1
        learners = (folder / "r.csv").read_text().count("\n") - 1
    best = {side: min(t) for side, t in timings.items()}
    ratio = best["series"] / best["report"]
    print(f"learners: {learners}, series rows: {rows}, runs: {args.runs}")
    for side, seconds in best.items():
        every = ", ".join(f"{t:.2f}" for t in timings[side])
        print(f"{side:7} best {seconds:6.2f} s   all: {every}")
    print(f"ratio series/report: {ratio:.2f} (target <= {TARGET})")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
