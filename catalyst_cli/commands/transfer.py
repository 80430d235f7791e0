"""`catalyst import` and `catalyst export`: progress events in bulk, as CSV, JSON lines or xAPI."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from catalyst_cli.commands.common import command, now, settings
from catalyst_cli.formats import DataFormat, EventFormat

app = typer.Typer()

IriBaseOption = Annotated[
    str | None,
    typer.Option(
        "--iri-base",
        help="xAPI: activities without an iri are named BASE/modules/COMPETENCY/MODULE, "
        "BASE/quizzes/QUIZ, BASE/competencies/COMPETENCY.",
        show_default=False,
    ),
]


@command(app, "import", example="catalyst import statements.json --create-users --create-catalog")
def import_(
    ctx: typer.Context,
    file: Annotated[
        str,
        typer.Argument(
            metavar="FILE", help="CSV, JSON-lines or xAPI file of events; - for stdin (CSV)."
        ),
    ],
    *,
    fmt: Annotated[
        EventFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="File format. Default: by the extension (.csv, .jsonl, .json is xAPI) and "
            "content (xAPI statements); stdin is CSV.",
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
    create_catalog: Annotated[
        bool,
        typer.Option("--create-catalog", help="xAPI: add unknown activities to the catalogue."),
    ] = False,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            metavar="FILE.toml",
            help="xAPI: a [verbs] table mapping more verb IRIs to start|complete|attempt|ignore.",
            show_default=False,
        ),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option("--strict", help="xAPI: any skipped statement or conflict is an error."),
    ] = False,
    iri_base: IriBaseOption = None,
) -> None:
    """Import events from FILE: all rows, or none if any is bad."""
    from catalyst_cli.db.session import unit_of_work
    from catalyst_cli.output import note, progress_bar
    from catalyst_cli.readers import open_source
    from catalyst_cli.transfer import XAPI, choose_format, import_events, import_format

    chosen = choose_format(file, None if fmt is None else fmt.value)
    if chosen == XAPI:
        _import_xapi(ctx, file, dry_run, create_users, create_catalog, profile, strict, iri_base)
        return
    if create_catalog or profile is not None or strict or iri_base is not None:
        raise typer.BadParameter(
            "--create-catalog, --profile, --strict and --iri-base are for xAPI"
        )
    with open_source(file, sys.stdin.buffer) as source:
        kind = import_format(file, DataFormat(chosen))
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


def _import_xapi(
    ctx: typer.Context,
    file: str,
    dry_run: bool,
    create_users: bool,
    create_catalog: bool,
    profile: str | None,
    strict: bool,
    iri_base: str | None,
) -> None:
    from pathlib import Path

    from catalyst_cli.db.session import unit_of_work
    from catalyst_cli.output import note
    from catalyst_cli.xapi.importer import XapiOptions, import_xapi
    from catalyst_cli.xapi.profile import BUILTIN, load_profile

    if file == "-":
        raise typer.BadParameter("an xAPI import reads a file, not stdin")
    options = XapiOptions(
        create_users=create_users,
        create_catalog=create_catalog,
        strict=strict,
        dry_run=dry_run,
        profile=BUILTIN if profile is None else load_profile(Path(profile)),
        iri_base=iri_base,
    )
    with unit_of_work(settings(ctx).database_url) as session:
        summary = import_xapi(session, Path(file), options=options, now=now())
    note(summary.describe())


@command(app, "export", example="catalyst export --format xapi --iri-base https://lms.example.org")
def export(
    ctx: typer.Context,
    *,
    fmt: Annotated[
        EventFormat,
        typer.Option(
            "--format", "-f", help="Output format (xapi: JSON lines).", case_sensitive=False
        ),
    ] = EventFormat.csv,
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
    iri_base: IriBaseOption = None,
) -> None:
    """Write every progress event in the form `catalyst import` reads."""
    from functools import partial
    from pathlib import Path

    from catalyst_cli.db.session import unit_of_work
    from catalyst_cli.output import atomic_text_file, note
    from catalyst_cli.timeutil import parse_time, zone
    from catalyst_cli.transfer import export_events, write_events
    from catalyst_cli.xapi.exporter import export_statements, write_statements

    zone_info = zone(tz)
    cutoff = None if as_of is None else parse_time(as_of, zone_info, end_of_day=True)
    with unit_of_work(settings(ctx).database_url, write=False) as session:
        if fmt is EventFormat.xapi:
            statements = export_statements(session, as_of=cutoff, iri_base=iri_base)
            write = partial(write_statements, statements)
        else:
            events = export_events(session, as_of=cutoff, tz=zone_info)
            write = partial(write_events, events, DataFormat(fmt.value))
        if output == "-":
            count = write(sys.stdout)
        else:
            with atomic_text_file(Path(output)) as out:
                count = write(out)
    note(f"exported {count:,} events to {'stdout' if output == '-' else output}")
