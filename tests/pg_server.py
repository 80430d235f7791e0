"""A throwaway PostgreSQL server for one test session.

``throwaway_server()`` runs ``initdb`` into a fresh temporary directory, starts the server with
``pg_ctl`` on a free port of 127.0.0.1, yields its admin URL, and on exit stops the server and
deletes the directory. Durability is switched off, since the data is thrown away.

PostgreSQL refuses to run as root. When the tests run as root (as CI does), the server runs as
the ``postgres`` system user, which the Debian ``postgresql`` package creates.

Any problem is a ``RuntimeError`` with a one-line first sentence, so a fixture can skip (or, on
CI, fail) with it as the reason.

Run this file to check the machine: ``python tests/pg_server.py``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

SERVER_USER = "postgres"
"""System user that runs the server when we are root (PostgreSQL refuses to run as root)."""

SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "100",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}
"""Lines appended to ``postgresql.conf``; port and socket directory are added per server."""

INITDB_OPTIONS = ("-A", "trust", "-U", "postgres", "--encoding=UTF8", "--no-locale", "--no-sync")
"""Trusted local and TCP logins for ``postgres``; UTF-8 and C collation; skip fsync."""

COMMAND_TIMEOUT = 120
"""Seconds any one ``initdb``/``pg_ctl`` call may take."""

LOG_TAIL_LINES = 20
"""How many lines of the server log a startup error quotes."""


def find_binaries() -> tuple[Path, Path]:
    """Return the paths of ``initdb`` and ``pg_ctl``.

    The newest Debian install (``/usr/lib/postgresql/<major>/bin``) wins; otherwise both must be
    on ``PATH``. Raises ``RuntimeError`` naming what is missing.
    """
    debian_dirs = sorted(
        (Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin")),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else -1,
        reverse=True,
    )
    for bin_dir in debian_dirs:
        initdb, pg_ctl = bin_dir / "initdb", bin_dir / "pg_ctl"
        if os.access(initdb, os.X_OK) and os.access(pg_ctl, os.X_OK):
            return initdb, pg_ctl
    found = {name: shutil.which(name) for name in ("initdb", "pg_ctl")}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        raise RuntimeError(
            f"PostgreSQL server binaries not found ({', '.join(missing)} missing from "
            "/usr/lib/postgresql/*/bin and PATH); install the `postgresql` package"
        )
    return Path(str(found["initdb"])), Path(str(found["pg_ctl"]))


def user_prefix() -> list[str]:
    """Return the command prefix that runs a program as the server's user.

    Empty when not root. As root, ``runuser`` (util-linux) switches to ``SERVER_USER``.
    """
    if os.geteuid() != 0:
        return []
    runuser = shutil.which("runuser") or shutil.which("runuser", path="/usr/sbin:/sbin")
    if runuser is None:
        raise RuntimeError(
            "running as root but `runuser` (util-linux) is not found, so PostgreSQL cannot be "
            f"started as the `{SERVER_USER}` user"
        )
    return [runuser, "-u", SERVER_USER, "--"]


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def run(*command: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``command`` in ``cwd``, capturing its output; never raise on a non-zero exit."""
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )


def tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """Return the last ``lines`` lines of a text file, or a note if it cannot be read."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as error:
        return f"(no server log: {error})"


@contextlib.contextmanager
def throwaway_server() -> Iterator[str]:
    """Start a throwaway PostgreSQL server for one test session; yield its admin URL.

    The URL is ``postgresql://postgres@127.0.0.1:PORT/postgres`` (trust authentication, no
    password). The server is stopped and its directory deleted on exit, also after errors.
    """
    initdb, pg_ctl = find_binaries()
    as_user = user_prefix()
    root = Path(tempfile.mkdtemp(prefix="catalyst-pg-"))
    data, log = root / "data", root / "server.log"
    try:
        if as_user:
            shutil.chown(root, user=SERVER_USER, group=SERVER_USER)
        init = run(*as_user, initdb, "-D", data, *INITDB_OPTIONS, cwd=root)
        if init.returncode != 0:
            raise RuntimeError(
                f"initdb failed with exit {init.returncode}:\n{init.stdout}{init.stderr}"
            )
        port = free_port()
        settings = {**SETTINGS, "port": str(port), "unix_socket_directories": f"'{root}'"}
        with (data / "postgresql.conf").open("a") as conf:
            conf.write("".join(f"{key} = {value}\n" for key, value in settings.items()))
        start = run(*as_user, pg_ctl, "start", "-w", "-D", data, "-l", log, cwd=root)
        if start.returncode != 0:
            raise RuntimeError(
                f"PostgreSQL did not start on 127.0.0.1:{port} (pg_ctl exit {start.returncode})."
                f"\n{start.stdout}{start.stderr}--- last lines of {log.name} ---\n{tail(log)}"
            )
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        if (data / "postmaster.pid").exists():
            run(*as_user, pg_ctl, "stop", "-w", "-D", data, "-m", "immediate", cwd=root)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    import sys
    import time

    import psycopg

    began = time.monotonic()
    with throwaway_server() as url:
        sys.stdout.write(f"started {url} in {time.monotonic() - began:.2f}s\n")
        with psycopg.connect(url) as connection:
            row = connection.execute("SELECT version()").fetchone()
            sys.stdout.write(f"{row[0] if row else 'no row'}\n")
    sys.stdout.write(f"stopped and removed after {time.monotonic() - began:.2f}s\n")
