"""`catalyst report`: every learner's progress as a table or a file, made for cron."""

from __future__ import annotations

from typing import Annotated

import typer

from catalyst_cli.commands.common import (
    AsOfOption,
    CompetencyOption,
    IdleOption,
    command,
    idle_limit,
    now,
    settings,
)

app = typer.Typer()


def _check_format(value: str) -> str:
    from catalyst_cli.formats import report_formats

    valid = report_formats()
    if value.lower() not in valid:
        raise typer.BadParameter(f"{value!r} is not one of: {', '.join(valid)}")
    return value.lower()


@command(
    app,
    "report",
    example="catalyst report --as-of 2026-11-25 --format csv --output 'reports/%Y-%m-%d.csv'",
)
def report(
    ctx: typer.Context,
    *,
    competency: CompetencyOption = None,
    users: Annotated[
        list[str] | None,
        typer.Option(
            "--user",
            "-u",
            help="Only this learner (repeat for more). Default: every learner.",
            show_default=False,
        ),
    ] = None,
    groups: Annotated[
        list[str] | None,
        typer.Option(
            "--group",
            "-g",
            help="Only the learners in this group (repeat: in any of them).",
            show_default=False,
        ),
    ] = None,
    include_withdrawn: Annotated[
        bool,
        typer.Option(
            "--include-withdrawn/--no-include-withdrawn",
            help="Under --competency, also the learners withdrawn from it.",
        ),
    ] = False,
    by_module: Annotated[
        bool, typer.Option("--by-module/--no-by-module", help="One row per learner and module.")
    ] = False,
    as_of: AsOfOption = None,
    idle: IdleOption = 30,
    tz: Annotated[
        str, typer.Option("--tz", help="Zone of --as-of without an offset, and of --output.")
    ] = "UTC",
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="table, csv, json, jsonl, or a tabulate format (github, grid, html, ...).",
            callback=_check_format,
        ),
    ] = "table",
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            help="File to write, with strftime fields from --as-of (reports/%Y-%m-%d.csv); "
            "written whole or not at all. '-': stdout.",
        ),
    ] = "-",
) -> None:
    """Report every learner's progress (or per module); reads only, quiet on success."""
    import sys

    from catalyst_cli.db.session import unit_of_work
    from catalyst_cli.output import atomic_text_file, write_rows
    from catalyst_cli.reports import build_report, output_path, report_time
    from catalyst_cli.timeutil import optional_time

    when = report_time(optional_time(as_of), tz, now())
    limit = idle_limit(idle)
    target = None if output == "-" else output_path(output, when)
    with unit_of_work(settings(ctx).database_url, write=False) as session:
        rep = build_report(
            session,
            as_of=when,
            competency=competency,
            users=users,
            by_module=by_module,
            idle=limit,
            groups=groups,
            include_withdrawn=include_withdrawn,
        )
        if target is None:
            write_rows(rep.rows, rep.columns, fmt, sys.stdout)
        else:
            with atomic_text_file(target) as out:
                write_rows(rep.rows, rep.columns, fmt, out)
