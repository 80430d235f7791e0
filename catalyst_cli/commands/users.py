"""`catalyst users`: add, import and list learners."""

from __future__ import annotations

from typing import Annotated

import typer

from catalyst_cli.columns import USER_COLUMNS
from catalyst_cli.commands.common import command, group, now, settings
from catalyst_cli.formats import DataFormat, TransferFormat

app = group(
    "users",
    "Add, import and list learners.",
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


@command(app, "import", example="catalyst users import learners.csv --dry-run")
def import_(
    ctx: typer.Context,
    file: Annotated[
        str,
        typer.Argument(
            metavar="FILE",
            help="CSV or JSON-lines file of learners; - for stdin.",
            show_default=False,
        ),
    ],
    *,
    fmt: Annotated[
        TransferFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="File format. Default: by the extension (.csv, .jsonl); stdin is CSV.",
            case_sensitive=False,
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Check every line and count the changes; write nothing."),
    ] = False,
) -> None:
    """Add or update learners, their groups and identities from FILE: all lines, or none.

    Columns: email,name,timezone,groups,ids (only email required; groups and ids separated by
    `;`). An empty cell keeps what is stored; a groups or ids cell replaces them.
    """
    import sys

    from catalyst_cli.db.session import unit_of_work
    from catalyst_cli.learners_io import import_learners
    from catalyst_cli.output import note, progress_bar
    from catalyst_cli.readers import FileFormat, file_format, open_source

    with open_source(file, sys.stdin.buffer) as source:
        kind = file_format(file, None if fmt is None else FileFormat(fmt.value))
        with progress_bar(f"importing {source.name}", source.size) as tick:
            with unit_of_work(settings(ctx).database_url) as session:
                summary = import_learners(
                    session, source, fmt=kind, dry_run=dry_run, now=now(), on_progress=tick
                )
    note(summary.describe())


@command(app, "list", example="catalyst users list --group cohort-a --format csv > learners.csv")
def list_(
    ctx: typer.Context,
    *,
    group: Annotated[
        list[str] | None,
        typer.Option(
            "--group",
            "-g",
            help="Only learners in this group (repeatable: any of).",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        DataFormat, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
    ] = DataFormat.table,
) -> None:
    """List learners by email, with their groups and identities, as `users import` reads them."""
    import sys

    from catalyst_cli.db.session import unit_of_work
    from catalyst_cli.learners_io import LEARNER_COLUMNS, learner_record, learner_rows
    from catalyst_cli.output import write_data_csv, write_rows

    lists = fmt in (DataFormat.json, DataFormat.jsonl)
    with unit_of_work(settings(ctx).database_url, write=False) as session:
        rows = (learner_record(r, lists=lists) for r in learner_rows(session, groups=group or ()))
        if fmt is DataFormat.csv:
            write_data_csv(rows, LEARNER_COLUMNS, sys.stdout)
        else:
            write_rows(rows, LEARNER_COLUMNS, fmt.value, sys.stdout)
