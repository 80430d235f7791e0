"""`catalyst report`: every learner's progress as a table or a file, made for cron."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

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
from catalyst_cli.formats import Period, SummaryKind

app = typer.Typer()
T = TypeVar("T")


def _check_format(value: str) -> str:
    from catalyst_cli.formats import report_formats

    valid = report_formats()
    if value.lower() not in valid:
        raise typer.BadParameter(f"{value!r} is not one of: {', '.join(valid)}")
    return value.lower()


def _kind_or_usage_error(make: Callable[[], T]) -> T:
    """Options that do not go together are a usage error (exit 2), as Typer's own are."""
    from catalyst_cli.report_kinds import KindConflict

    try:
        return make()
    except KindConflict as exc:
        raise typer.BadParameter(str(exc)) from None


@command(
    app,
    "report",
    example="catalyst report --summary module --format csv --output 'reports/%Y-%m-%d.csv'",
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
    summary: Annotated[
        SummaryKind | None,
        typer.Option(
            "--summary",
            help="One row per competency, module or group instead of per learner.",
            case_sensitive=False,
            show_default=False,
        ),
    ] = None,
    series: Annotated[
        Period | None,
        typer.Option(
            "--series",
            help="One row per day, week or month up to --as-of, each as of its end.",
            case_sensitive=False,
            show_default=False,
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="TIME",
            help="With --series: start at the period holding TIME. Default: the first event.",
            show_default=False,
        ),
    ] = None,
    stuck: Annotated[
        int | None,
        typer.Option(
            "--stuck",
            metavar="DAYS",
            help="Only learners with a module in progress untouched for DAYS days.",
            show_default=False,
        ),
    ] = None,
    inactive: Annotated[
        int | None,
        typer.Option(
            "--inactive",
            metavar="DAYS",
            help="Only learners with no activity day in the last DAYS days (never active too).",
            show_default=False,
        ),
    ] = None,
    at_risk: Annotated[
        bool,
        typer.Option("--at-risk/--no-at-risk", help="Only learners whose streak is at risk."),
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
            help="table, csv, json, jsonl, html (a page with charts), or a tabulate format "
            "(github, grid, ...).",
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
    """Report every learner's progress, per module, as a summary or a series; reads only."""
    import sys

    from catalyst_cli.db.session import unit_of_work
    from catalyst_cli.output import atomic_text_file
    from catalyst_cli.report_kinds import report_kind
    from catalyst_cli.reports import build_report, output_path, report_time, write_report
    from catalyst_cli.timeutil import optional_time

    when = report_time(optional_time(as_of), tz, now())
    limit = idle_limit(idle)
    target = None if output == "-" else output_path(output, when)
    kind = _kind_or_usage_error(
        lambda: report_kind(
            summary=summary,
            series=series,
            since=optional_time(since),
            tz=tz,
            html=fmt == "html",
            by_module=by_module,
            stuck=stuck,
            inactive=inactive,
            at_risk=at_risk,
        )
    )
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
            kind=kind,
        )
        if target is None:
            write_report(rep, fmt, sys.stdout)
        else:
            with atomic_text_file(target) as out:
                write_report(rep, fmt, out)
