"""`catalyst start` and `catalyst complete`: record a learner's progress on a module."""

from __future__ import annotations

from typing import Annotated

import typer

from catalyst_cli.commands.common import (
    AtOption,
    UserOption,
    ViewFormatOption,
    command,
    learner_email,
    now,
    settings,
)
from catalyst_cli.formats import ViewFormat

app = typer.Typer()

ModuleArgument = Annotated[
    str, typer.Argument(help="The module: COMPETENCY/MODULE, or its numeric id.")
]


def _record(
    ctx: typer.Context,
    user: str | None,
    module: str,
    at: str | None,
    fmt: ViewFormat,
    *,
    complete: bool,
) -> None:
    import sys

    from catalyst_cli.columns import PROGRESS_COLUMNS
    from catalyst_cli.db.session import unit_of_work
    from catalyst_cli.output import record, write_record
    from catalyst_cli.progress import module_status, record_completion, record_start

    email = learner_email(user)
    action = record_completion if complete else record_start
    clock = now()
    with unit_of_work(settings(ctx).database_url) as session:
        event = action(session, email=email, module=module, at=at, now=clock)
        status = module_status(session, event, clock)
    row = record(status, PROGRESS_COLUMNS)
    write_record(row, fmt.value, sys.stdout)


@command(
    app, "start", example="catalyst start python/intro --user ada@example.com --at 2026-11-23T09:15"
)
def start(
    ctx: typer.Context,
    module: ModuleArgument,
    *,
    user: UserOption = None,
    at: AtOption = None,
    fmt: ViewFormatOption = ViewFormat.table,
) -> None:
    """Record that the learner started MODULE (repeating it changes nothing)."""
    _record(ctx, user, module, at, fmt, complete=False)


@command(app, "complete", example="catalyst complete python/intro --user ada@example.com")
def complete(
    ctx: typer.Context,
    module: ModuleArgument,
    *,
    user: UserOption = None,
    at: AtOption = None,
    fmt: ViewFormatOption = ViewFormat.table,
) -> None:
    """Record that the learner completed MODULE (the earliest completion stands)."""
    _record(ctx, user, module, at, fmt, complete=True)
