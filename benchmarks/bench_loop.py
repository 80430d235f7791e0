"""A shell loop of single commands against its piped equivalent, as README.md shows them.

    python benchmarks/bench_loop.py [--rows 1000]

Writes ROWS completions (`user,module,at`: 50 learners, 5 modules, distinct times) and records
them twice into fresh SQLite files: with the README's loop (`catalyst complete` once per row,
run by `sh`) and with its pipe (the rows turned into import lines and fed to one
`catalyst import -`). Prints both wall times and their ratio, and fails unless both databases
export the same events.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODULES = [f"python/m{i}" for i in range(1, 6)]
CATALOG = {
    "competencies": [
        {
            "slug": "python",
            "title": "Python",
            "modules": [{"slug": m.split("/")[1], "title": m} for m in MODULES],
        }
    ]
}
LOOP = """while IFS=, read -r user module at; do
  catalyst complete "$module" --user "$user" --at "$at" > /dev/null
done < rows.csv
"""
PIPE = """{ echo "user,event,module,quiz,score,total,at,id"
  while IFS=, read -r user module at; do echo "$user,complete,$module,,,,$at,"; done < rows.csv
} | catalyst import - 2> import.log
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "catalog.json").write_text(json.dumps(CATALOG))
        rows = [
            f"l{i % 50}@example.com,{MODULES[i % 5]},2026-11-{1 + i % 28:02d}T{i % 24:02d}:"
            f"{i // 24 % 60:02d}:00Z"
            for i in range(args.rows)
        ]
        (folder / "rows.csv").write_text("\n".join(rows) + "\n")
        bin_dir = folder / "bin"  # `catalyst` as the README's shell finds it: this interpreter
        bin_dir.mkdir()
        shim = bin_dir / "catalyst"
        shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m catalyst_cli "$@"\n')
        shim.chmod(0o755)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
        times, exports = {}, {}
        for name, script in (("loop", LOOP), ("pipe", PIPE)):
            db = folder / f"{name}.db"
            run = {**env, "CATALYST_DATABASE_URL": f"sqlite:///{db}"}
            cli = ["catalyst"]
            subprocess.run(
                [*cli, "catalog", "load", "catalog.json"],
                cwd=folder,
                env=run,
                check=True,
                capture_output=True,
            )
            for i in range(50):
                subprocess.run(
                    [*cli, "users", "add", f"l{i}@example.com"],
                    cwd=folder,
                    env=run,
                    check=True,
                    capture_output=True,
                )
            start = time.perf_counter()
            subprocess.run(["sh", "-c", script], cwd=folder, env=run, check=True)
            times[name] = time.perf_counter() - start
            exports[name] = subprocess.run(
                [*cli, "export"], cwd=folder, env=run, check=True, capture_output=True, text=True
            ).stdout
    if exports["loop"] != exports["pipe"]:
        sys.exit("the loop and the pipe recorded different events")
    print(f"{args.rows} completions, load average {os.getloadavg()[0]:.2f}")
    per_row = times["loop"] / args.rows * 1000
    print(f"  loop of single commands  {times['loop']:8.2f} s  ({per_row:.0f} ms a row)")
    print(f"  one import fed by a pipe {times['pipe']:8.2f} s")
    print(f"  the pipe is {times['loop'] / times['pipe']:.0f}x faster; same events recorded")


if __name__ == "__main__":
    main()
