"""The root command: global options, the command groups, and the one error boundary."""

from __future__ import annotations

import sys
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


class CatalystGroup(TyperGroup):
    """The root group: a CatalystError becomes one line on stderr and its exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except CatalystError as exc:
            sys.stderr.write(f"{exc}\n")
            raise typer.Exit(exc.exit_code) from None


app = typer.Typer(
    cls=CatalystGroup,
    name="catalyst",
    help="Track learners' progress through modules and quizzes, on SQLite or PostgreSQL.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"catalyst {__version__}")
        raise typer.Exit()


@app.callback()
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


for group in (db, catalog, users, quiz):
    app.add_typer(group.app)
for commands in (progress, views, demo, report, transfer, seed):
    app.add_typer(commands.app)


def main() -> None:
    """Console-script entry point."""
    app()
