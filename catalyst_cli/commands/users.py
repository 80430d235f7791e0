"""`catalyst users`: add and list learners."""

from __future__ import annotations

from typing import Annotated

import typer

from catalyst_cli.columns import USER_COLUMNS
from catalyst_cli.commands.common import ViewFormatOption, command, group, now, settings
from catalyst_cli.formats import ViewFormat

app = group(
    "users",
    "Add and list learners.",
    example="catalyst users add ada@example.com --tz Europe/London",
)


@command(
    app,
    "add",
    example="catalyst users add ada@example.com --name 'Ada Lovelace' --tz Europe/London",
)
def add(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The learner's email (case-insensitive).")],
    *,
    name: Annotated[str | None, typer.Option(help="Display name.", show_default=False)] = None,
    tz: Annotated[
        str | None, typer.Option("--tz", help="IANA timezone. Default: UTC.", show_default=False)
    ] = None,
) -> None:
    """Add a learner, or update an existing learner's name and timezone."""
    import sys

    from catalyst_cli.db.session import unit_of_work
    from catalyst_cli.output import record, write_pairs
    from catalyst_cli.users import add_user

    with unit_of_work(settings(ctx).database_url) as session:
        learner = add_user(session, email, name=name, timezone=tz, now=now())
    write_pairs(record(learner, USER_COLUMNS), sys.stdout)


@command(app, "list", example="catalyst users list --format json")
def list_(ctx: typer.Context, *, fmt: ViewFormatOption = ViewFormat.table) -> None:
    """List learners by email."""
    import sys

    from catalyst_cli.db.session import unit_of_work
    from catalyst_cli.output import record, write_rows
    from catalyst_cli.users import list_learners

    with unit_of_work(settings(ctx).database_url, write=False) as session:
        rows = [record(u, USER_COLUMNS) for u in list_learners(session)]
    write_rows(rows, USER_COLUMNS, fmt.value, sys.stdout)
