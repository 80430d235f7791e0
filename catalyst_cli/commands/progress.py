"""`catalyst start`, `complete`, `enrol` and `withdraw`: record one event for a learner."""

from __future__ import annotations

from typing import Annotated

import typer

from catalyst_cli.commands.common import (
    AtOption,
    DurationOption,
    IdOption,
    UserOption,
    ViewFormatOption,
    command,
    event_options,
    learner_email,
    now,
    settings,
)
from catalyst_cli.formats import ViewFormat

app = typer.Typer()

ModuleArgument = Annotated[
    str, typer.Argument(help="The module: COMPETENCY/MODULE, or its numeric id.")
]
CompetencyArgument = Annotated[str, typer.Argument(help="The competency's slug.")]


def _module_event(
    ctx: typer.Context,
    kind: str,
    module: str,
    user: str | None,
    options: tuple[str | None, str | None, str | None],
    fmt: ViewFormat,
) -> None:
    import sys

    from catalyst_cli.catalog import catalog_index
    from catalyst_cli.columns import PROGRESS_COLUMNS
    from catalyst_cli.db.session import unit_of_work
    from catalyst_cli.events import EventKind
    from catalyst_cli.output import record, write_record
    from catalyst_cli.progress import module_status, record_module_event

    email = learner_email(user)
    given = event_options(*options)
    clock = now()
    with unit_of_work(settings(ctx).database_url) as session:
        index = catalog_index(session)  # read once, for the event and the module's status
        outcome, ref = record_module_event(
            session,
            index,
            email=email,
            module=module,
            kind=EventKind(kind),
            options=given,
            now=clock,
        )
        status = module_status(session, index, outcome, ref, clock)
    write_record(record(status, PROGRESS_COLUMNS), fmt.value, sys.stdout)


@command(
    app, "start", example="catalyst start python/intro --user ada@example.com --at 2026-11-23T09:15"
)
def start(
    ctx: typer.Context,
    module: ModuleArgument,
    *,
    user: UserOption = None,
    at: AtOption = None,
    duration: DurationOption = None,
    key: IdOption = None,
    fmt: ViewFormatOption = ViewFormat.table,
) -> None:
    """Record that the learner started MODULE (again on a later day: a revisit)."""
    _module_event(ctx, "start", module, user, (at, duration, key), fmt)


@command(app, "complete", example="catalyst complete python/intro --user ada@example.com")
def complete(
    ctx: typer.Context,
    module: ModuleArgument,
    *,
    user: UserOption = None,
    at: AtOption = None,
    duration: DurationOption = None,
    key: IdOption = None,
    fmt: ViewFormatOption = ViewFormat.table,
) -> None:
    """Record that the learner completed MODULE (the earliest completion stands)."""
    _module_event(ctx, "complete", module, user, (at, duration, key), fmt)


def _enrolment(
    ctx: typer.Context,
    kind: str,
    competency: str,
    user: str | None,
    options: tuple[str | None, str | None],
    fmt: ViewFormat,
) -> None:
    import sys

    from catalyst_cli.db.session import unit_of_work
    from catalyst_cli.events import EventKind
    from catalyst_cli.output import write_record
    from catalyst_cli.progress import record_enrolment

    email = learner_email(user)
    given = event_options(options[0], None, options[1])
    with unit_of_work(settings(ctx).database_url) as session:
        outcome, ref = record_enrolment(
            session,
            email=email,
            competency=competency,
            kind=EventKind(kind),
            options=given,
            now=now(),
        )
    learner = outcome.learner
    row = {
        "user": learner.email,
        "competency": ref.slug,
        "event": kind,
        "at": outcome.event.at.astimezone(learner.tz),
        "id": outcome.event.external_id,
        "recorded": outcome.recorded,
    }
    write_record(row, fmt.value, sys.stdout)


@command(app, "enrol", example="catalyst enrol python --user ada@example.com --at 2026-11-20")
def enrol(
    ctx: typer.Context,
    competency: CompetencyArgument,
    *,
    user: UserOption = None,
    at: AtOption = None,
    key: IdOption = None,
    fmt: ViewFormatOption = ViewFormat.table,
) -> None:
    """Enrol the learner in COMPETENCY (it then counts in their catalogue)."""
    _enrolment(ctx, "enrol", competency, user, (at, key), fmt)


@command(app, "withdraw", example="catalyst withdraw python --user ada@example.com")
def withdraw(
    ctx: typer.Context,
    competency: CompetencyArgument,
    *,
    user: UserOption = None,
    at: AtOption = None,
    key: IdOption = None,
    fmt: ViewFormatOption = ViewFormat.table,
) -> None:
    """Withdraw the learner from COMPETENCY (their progress there is kept)."""
    _enrolment(ctx, "withdraw", competency, user, (at, key), fmt)
