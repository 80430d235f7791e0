"""`catalyst import` and `catalyst export`: progress events in bulk, as CSV or JSON lines."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from catalyst_cli.commands.common import command, now, settings
from catalyst_cli.formats import DataFormat, TransferFormat

app = typer.Typer()


@command(app, "import", example="catalyst import events.csv --create-users --dry-run")
def import_(
    ctx: typer.Context,
    file: Annotated[
        str, typer.Argument(metavar="FILE", help="CSV or JSON-lines file of events; - for stdin.")
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
        typer.Option("--dry-run", help="Check every row and count the changes; write nothing."),
    ] = False,
    create_users: Annotated[
        bool, typer.Option("--create-users", help="Add unknown learners (timezone UTC).")
    ] = False,
) -> None:
    """Import start, complete and quiz events from FILE: all rows, or none if any is bad."""
    from catalyst_cli.db.session import unit_of_work
    from catalyst_cli.output import note, progress_bar
    from catalyst_cli.transfer import import_events, import_format, open_source

    with open_source(file, sys.stdin.buffer) as source:
        kind = import_format(file, None if fmt is None else DataFormat(fmt.value))
        with progress_bar(f"importing {source.name}", source.size) as tick:
            with unit_of_work(settings(ctx).database_url) as session:
                summary = import_events(
                    session,
                    source,
                    fmt=kind,
                    create_users=create_users,
                    dry_run=dry_run,
                    now=now(),
                    on_progress=tick,
                )
    note(summary.describe())


@command(app, "export", example="catalyst export --format jsonl --output events.jsonl")
def export(
    ctx: typer.Context,
    *,
    fmt: Annotated[
        TransferFormat, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
    ] = TransferFormat.csv,
    output: Annotated[
        str,
        typer.Option("--output", "-o", help="Write to this file (whole or not at all); - stdout."),
    ] = "-",
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Only events at or before TIME (no offset: in --tz; a date: its end). "
            "Default: every event.",
            show_default=False,
        ),
    ] = None,
    tz: Annotated[
        str, typer.Option("--tz", help="IANA zone of the times written, and of --as-of.")
    ] = "UTC",
) -> None:
    """Write every progress event in the form `catalyst import` reads."""
    from pathlib import Path

    from catalyst_cli.db.session import unit_of_work
    from catalyst_cli.output import atomic_text_file, note
    from catalyst_cli.timeutil import parse_time, zone
    from catalyst_cli.transfer import export_events, write_events

    zone_info = zone(tz)
    cutoff = None if as_of is None else parse_time(as_of, zone_info, end_of_day=True)
    kind = DataFormat(fmt.value)
    with unit_of_work(settings(ctx).database_url, write=False) as session:
        events = export_events(session, as_of=cutoff, tz=zone_info)
        if output == "-":
            count = write_events(events, kind, sys.stdout)
        else:
            with atomic_text_file(Path(output)) as out:
                count = write_events(events, kind, out)
    note(f"exported {count:,} events to {'stdout' if output == '-' else output}")
