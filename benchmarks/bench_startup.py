"""Start-up cost: whole-process times of `catalyst --help` and one `catalyst start`.

Each command runs as a fresh process, beside `python -c "import typer"` and
`python -c "import typer, sqlalchemy.orm"` in the same run, so the figures compare with what
merely importing the libraries costs on this machine. Reports the median of --runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CATALOG = {
    "competencies": [
        {"slug": "python", "title": "Python", "modules": [{"slug": "intro", "title": "Intro"}]}
    ]
}


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "start.db"
        env = {**os.environ, "CATALYST_DATA_DIR": tmp, "CATALYST_DATABASE_URL": f"sqlite:///{db}"}
        catalog = Path(tmp) / "catalog.json"
        catalog.write_text(json.dumps(CATALOG))
        cli = [sys.executable, "-m", "catalyst_cli"]
        subprocess.run(
            [*cli, "catalog", "load", str(catalog)], env=env, check=True, capture_output=True
        )
        subprocess.run(
            [*cli, "users", "add", "a@example.com"], env=env, check=True, capture_output=True
        )
        cases = {
            'python -c "import typer"': [sys.executable, "-c", "import typer"],
            'python -c "import typer, sqlalchemy.orm"': [
                sys.executable,
                "-c",
                "import typer, sqlalchemy.orm",
            ],
            "catalyst --help": [*cli, "--help"],
            "catalyst start python/intro": [
                *cli,
                "start",
                "python/intro",
                "--user",
                "a@example.com",
            ],
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.runs):  # interleaved, so a busy moment hits every case alike
            for name, argv in cases.items():
                times[name].append(timed(argv, env))
    base = statistics.median(times['python -c "import typer"'])
    print(f"median of {args.runs} runs, whole process")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:<42} {median * 1000:7.0f} ms  ({median / base:.2f}x import typer)")


if __name__ == "__main__":
    main()
