"""The root command: global options, the command groups, and the one error boundary."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence
from contextlib import suppress
from types import ModuleType
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from catalyst_cli import __version__
from catalyst_cli.commands import (
    catalog,
    db,
    demo,
    progress,
    quiz,
    report,
    seed,
    transfer,
    users,
    views,
)
from catalyst_cli.config import resolve_settings
from catalyst_cli.errors import CatalystError

# The status of a process killed by SIGPIPE, as a shell reports it (`cat file | head -1`).
PIPE_STATUS = 128 + 13
DEBUG_ENV = "CATALYST_DEBUG"


def _say(message: str) -> None:
    """Write an error message to stderr: control characters escaped, one line per line."""
    from catalyst_cli.output import printable

    with suppress(OSError, ValueError):  # stderr itself closed or full: nothing left to tell
        sys.stderr.write(printable(message, newlines=True) + "\n")
        sys.stderr.flush()


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the buffered rest cannot fail again at exit."""
    with suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _unexpected(exc: Exception, ctx: Any) -> tuple[str, int]:
    """The last resort: one line and an exit code for an exception no code path expected."""
    if type(exc).__module__.split(".")[0] in ("sqlalchemy", "psycopg", "sqlite3"):
        from catalyst_cli.db.url import redact_for

        orig = getattr(exc, "orig", None) or exc
        detail = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
        url = getattr(ctx.find_root().obj, "database_url", "")
        return f"database error: {redact_for(detail, url)}", 4
    if isinstance(exc, OSError):  # no file name: writing stdout (a full disk, say)
        if exc.filename:
            return f"{exc.filename}: {exc.strerror or exc}", 1
        return f"cannot write output: {exc.strerror or exc}", 1
    if isinstance(exc, RecursionError):
        return "the input is nested too deeply", 1
    if isinstance(exc, MemoryError):
        return "out of memory", 1
    if isinstance(exc, UnicodeError):
        return f"text that is not valid Unicode: {exc}", 1
    return f"internal error: {type(exc).__name__}: {exc} (set {DEBUG_ENV}=1 for details)", 1


def _usage_line(exc: typer.TyperException) -> str:
    """A usage error as one line, with a pointer to the command's help."""
    ctx = getattr(exc, "ctx", None)
    path = ctx.command_path if ctx is not None else "catalyst"
    message = " ".join(exc.format_message().split()).rstrip(".")
    if ctx is not None and message == "Missing command" and isinstance(ctx.command, TyperGroup):
        message += f" (one of: {', '.join(ctx.command.list_commands(ctx))})"
    return f"{message}; see '{path} --help'"


def _undecodable(args: Sequence[str]) -> str | None:
    """A message if an argument or CATALYST_* variable holds bytes the locale cannot decode.

    Python keeps them as lone surrogates, which no database and no UTF-8 output accepts.
    """
    for i, arg in enumerate(args, 1):
        if any("\ud800" <= c <= "\udfff" for c in arg):
            return f"argument {i} ({ascii(arg)}) is not valid text in the locale's encoding"
    for name, value in os.environ.items():
        if name.startswith("CATALYST_") and any("\ud800" <= c <= "\udfff" for c in value):
            return f"${name} is not valid text in the locale's encoding"
    return None


class CatalystGroup(TyperGroup):
    """The root group and its one error boundary.

    A CatalystError becomes one line on stderr and its exit code; a usage error one line and
    exit 2; a closed stdout pipe a quiet exit as `cat` makes (killed by SIGPIPE, status 141);
    anything unexpected one line and exit 1 (4 for the database), the last resort.
    """

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except CatalystError as exc:
            _say(str(exc))
            raise typer.Exit(exc.exit_code) from None
        except BrokenPipeError:
            _silence_stdout()
            raise typer.Exit(PIPE_STATUS) from None
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except Exception as exc:
            if os.environ.get(DEBUG_ENV):
                raise
            message, code = _unexpected(exc, ctx)
            _say(message)
            raise typer.Exit(code) from None

    def main(  # type: ignore[override]
        self, args: Sequence[str] | None = None, *, standalone_mode: bool = True, **extra: Any
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        status = 0
        problem = _undecodable(argv)
        if problem is not None:
            _say(problem)
            status = 1
        else:
            try:
                result = super().main(argv, standalone_mode=False, **extra)
                status = result if isinstance(result, int) else 0
                if status != PIPE_STATUS:
                    sys.stdout.flush()
            except typer.TyperException as exc:  # usage errors, Typer's own
                _say(_usage_line(exc))
                status = getattr(exc, "exit_code", 2)
            except typer.Abort:
                _say("aborted")
                status = 1
            except BrokenPipeError:
                _silence_stdout()
                status = PIPE_STATUS
            except OSError as exc:  # stdout on a full disk, at the final flush
                _silence_stdout()
                _say(f"cannot write output: {exc.strerror or exc}")
                status = 1
        if standalone_mode:
            sys.exit(status)
        return status


def _version(value: bool) -> None:
    if value:
        typer.echo(f"catalyst {__version__}")
        raise typer.Exit()


def root(
    ctx: typer.Context,
    db_url: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database URL (sqlite:///PATH, postgresql://...) or an SQLite file path. "
            "Default: $CATALYST_DATABASE_URL, else catalyst.db in the user data folder.",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Track learners' progress through modules and quizzes, on SQLite or PostgreSQL."""
    ctx.obj = resolve_settings(db_flag=db_url)


COMMANDS = (db, catalog, users, quiz, progress, views, demo, report, transfer, seed)
"""The modules of commands, in the order `catalyst --help` lists them."""


def _names(commands: ModuleType) -> set[str]:
    """What a module adds: its group's name (`users`), or its commands' (`start`, ...)."""
    sub = commands.app
    if sub.info.name:
        return {sub.info.name}
    return {info.name for info in sub.registered_commands if info.name}


def build_app(command: str | None = None) -> typer.Typer:
    """The root command, with only the module that holds `command` when one is named.

    Typer turns every registered command into a Click command before it parses anything (50 ms
    for all of catalyst's): a scripted `catalyst start` builds only `start` and its siblings.
    An unknown or missing name builds them all, so help and usage errors list every command.
    """
    root_app = typer.Typer(
        cls=CatalystGroup,
        name="catalyst",
        help="Track learners' progress through modules and quizzes, on SQLite or PostgreSQL.",
        pretty_exceptions_enable=False,
        epilog="Example: catalyst demo",
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    root_app.callback()(root)
    chosen = [m for m in COMMANDS if command in _names(m)] or COMMANDS
    for commands in chosen:
        root_app.add_typer(commands.app)
    return root_app


def command_name(argv: Sequence[str]) -> str | None:
    """The command an argument list names after the root's options; None if unclear."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--db":
            i += 2
        elif arg.startswith("--db="):
            i += 1
        elif arg.startswith("-"):
            return None  # --help, --version, or a mistake: the whole command tree answers
        else:
            return arg
    return None


app = build_app()


def main() -> None:
    """Console-script entry point; a closed stdout pipe ends it as SIGPIPE ends `cat`."""
    try:
        build_app(command_name(sys.argv[1:]))()
    except SystemExit as exc:
        if exc.code == PIPE_STATUS:
            signal.signal(signal.SIGPIPE, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGPIPE)
        if exc.code is not None and not isinstance(exc.code, int):
            raise
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except OSError:
            raise exc from None
        # Everything is committed, written and closed by now: skip the interpreter's teardown
        # of some 500 modules, a sixth of a short command's time.
        os._exit(exc.code or 0)
