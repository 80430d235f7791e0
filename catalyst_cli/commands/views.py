"""`catalyst stats`, `streak` and `modules`: one learner's progress as it stood at a moment."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from catalyst_cli.commands.common import (
    AsOfOption,
    CompetencyOption,
    IdleOption,
    UserOption,
    ViewFormatOption,
    command,
    idle_limit,
    learner_email,
    now,
    settings,
)
from catalyst_cli.formats import ViewFormat

if TYPE_CHECKING:
    from catalyst_cli.stats import LearnerView

app = typer.Typer()


def _view(
    ctx: typer.Context,
    user: str | None,
    competency: str | None,
    as_of: str | None,
    idle: int = 30,
) -> LearnerView:
    from catalyst_cli.db.session import unit_of_work
    from catalyst_cli.stats import learner_view
    from catalyst_cli.timeutil import optional_time

    email = learner_email(user)
    when = optional_time(as_of)
    limit = idle_limit(idle)
    with unit_of_work(settings(ctx).database_url, write=False) as session:
        return learner_view(
            session, email=email, competency=competency, as_of=when, now=now(), idle=limit
        )


@command(
    app,
    "stats",
    example="catalyst stats --user ada@example.com --competency python --as-of 2026-11-25",
)
def stats(
    ctx: typer.Context,
    *,
    user: UserOption = None,
    competency: CompetencyOption = None,
    as_of: AsOfOption = None,
    idle: IdleOption = 30,
    fmt: ViewFormatOption = ViewFormat.table,
) -> None:
    """Show a learner's progress, quiz results, streak and time spent."""
    import sys

    from catalyst_cli.columns import STATS_COLUMNS
    from catalyst_cli.output import record, write_record

    row = record(_view(ctx, user, competency, as_of, idle).stats(), STATS_COLUMNS)
    write_record(row, fmt.value, sys.stdout)


@command(app, "streak", example="catalyst streak --user ada@example.com")
def streak(
    ctx: typer.Context,
    *,
    user: UserOption = None,
    as_of: AsOfOption = None,
    fmt: ViewFormatOption = ViewFormat.table,
) -> None:
    """Show a learner's current and longest streak of active days."""
    import sys

    from catalyst_cli.columns import STREAK_COLUMNS
    from catalyst_cli.output import record, write_record

    row = record(_view(ctx, user, None, as_of).stats(), STREAK_COLUMNS)
    write_record(row, fmt.value, sys.stdout)


@command(app, "modules", example="catalyst modules python --user ada@example.com --ascii")
def modules(
    ctx: typer.Context,
    competency: Annotated[str, typer.Argument(help="The competency's slug.")],
    *,
    user: UserOption = None,
    as_of: AsOfOption = None,
    ascii_only: Annotated[
        bool, typer.Option("--ascii", help="Plain [x] [>] [ ] instead of icons.")
    ] = False,
    fmt: ViewFormatOption = ViewFormat.table,
) -> None:
    """List a competency's modules with the learner's status; the next one is marked."""
    import sys

    from catalyst_cli.columns import MODULE_COLUMNS
    from catalyst_cli.output import record, write_json_array, write_module_list

    statuses = _view(ctx, user, competency, as_of).modules()
    if fmt is ViewFormat.json:
        write_json_array((record(s, MODULE_COLUMNS) for s in statuses), sys.stdout)
    else:
        write_module_list(
            (record(s, (*MODULE_COLUMNS, "is_next")) for s in statuses),
            sys.stdout,
            ascii_only=ascii_only,
        )
