"""`catalyst seed`: deterministic synthetic data, for CI jobs and benchmarks."""

from __future__ import annotations

from typing import Annotated

import typer

from catalyst_cli.commands.common import command, now, settings

app = typer.Typer()


@command(app, "seed", example="catalyst --db /tmp/school.db seed --users 1000 --days 60 --seed 7")
def seed(
    ctx: typer.Context,
    *,
    users: Annotated[int, typer.Option(help="Number of learners.")] = 100,
    competencies: Annotated[int, typer.Option(help="Number of competencies.")] = 3,
    modules_per_competency: Annotated[int, typer.Option(help="Modules in each competency.")] = 5,
    days: Annotated[int, typer.Option(help="Days of activity before --as-of.")] = 30,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")] = 0,
    prefix: Annotated[
        str | None,
        typer.Option(
            help="A second cohort beside the first: its emails and event ids start with it.",
            show_default=False,
        ),
    ] = None,
    catalog: Annotated[
        str | None,
        typer.Option(
            "--catalog",
            help="Activity over this catalogue file (JSON or TOML) instead of a generated one; "
            "--competencies and --modules-per-competency are then unused.",
            show_default=False,
        ),
    ] = None,
    enrol: Annotated[
        bool,
        typer.Option(
            "--enrol/--no-enrol",
            help="Enrol learners in a subset of the competencies, with a few withdrawals "
            "and re-enrolments.",
        ),
    ] = False,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="End of the activity (ISO 8601; no offset: UTC; a date: its end). Default: now.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Add a synthetic catalogue, learners in many timezones, and their activity."""
    from datetime import UTC, timedelta
    from pathlib import Path

    from catalyst_cli.catalog import read_catalog_file
    from catalyst_cli.db.session import unit_of_work
    from catalyst_cli.limits import MAX_DAYS, check_instant, check_int
    from catalyst_cli.output import note, progress_bar
    from catalyst_cli.seeding import SeedPlan
    from catalyst_cli.seeding import seed as run_seed
    from catalyst_cli.timeutil import optional_time, resolve_time

    check_int("--users", users, 1, 1_000_000)
    check_int("--competencies", competencies, 1, 1_000)
    check_int("--modules-per-competency", modules_per_competency, 1, 1_000)
    check_int("--days", days, 1, MAX_DAYS)
    check_int("--seed", seed, -(2**63), 2**63 - 1)
    given = None if catalog is None else read_catalog_file(Path(catalog))
    plan = SeedPlan(users, competencies, modules_per_competency, days, seed, prefix, given, enrol)
    when = resolve_time(optional_time(as_of), UTC, now(), end_of_day=True)
    check_instant(when - timedelta(days=days), "start of the activity (--as-of less --days)")
    with progress_bar("seeding", users) as tick:
        with unit_of_work(settings(ctx).database_url) as session:
            summary = run_seed(session, plan, as_of=when, on_progress=tick)
    note(summary.describe())
