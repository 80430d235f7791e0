"""What the benchmark scripts share: a side's CPU time and peak memory, the raw SQLite
connection a baseline writes through, and the PostgreSQL server to run against.

The scripts run as `python benchmarks/NAME.py`, so this folder is on `sys.path`.
"""

from __future__ import annotations

import contextlib
import resource
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path


def cpu_seconds() -> float:
    """CPU time of this process so far (the database server's, on PostgreSQL, not included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_memory_kib() -> int:
    """This process's peak resident memory.

    VmHWM where Linux has it: ru_maxrss survives exec, so it would include the parent's peak.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def raw_sqlite(db: str | Path) -> sqlite3.Connection:
    """A baseline's `sqlite3` connection, set up as catalyst's engine sets up its own."""
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = NORMAL")
    con.execute("PRAGMA foreign_keys = ON")
    return con


@contextlib.contextmanager
def postgres_server(admin_url: str | None) -> Iterator[str]:
    """The server given, or a throwaway one started like the tests' (tests/pg_server.py)."""
    if admin_url:
        yield admin_url
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.pg_server import throwaway_server

    with throwaway_server() as url:
        yield url
