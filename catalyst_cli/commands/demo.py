"""`catalyst demo`: show what catalyst does, on a database of its own."""

from __future__ import annotations

import typer

from catalyst_cli.commands.common import command, now, settings

app = typer.Typer()


@command(app, "demo", example="catalyst demo")
def demo(ctx: typer.Context) -> None:
    """Seed a small demo (its own database unless --db is given) and show what catalyst does."""
    import os
    import sys

    from catalyst_cli.columns import MODULE_COLUMNS, STATS_COLUMNS, STREAK_COLUMNS
    from catalyst_cli.db.session import unit_of_work
    from catalyst_cli.db.url import normalize_url, safe_url
    from catalyst_cli.demo import (
        DEMO_COMPETENCY,
        DEMO_LEARNER,
        demo_database,
        explore_command,
        reset_demo_file,
        seed_demo,
    )
    from catalyst_cli.output import echo, record, write_module_list, write_pairs, write_table
    from catalyst_cli.reports import build_report
    from catalyst_cli.stats import learner_view

    url, own_file = demo_database(settings(ctx), dict(os.environ))
    if own_file is not None:
        reset_demo_file(own_file)
    clock = now()
    with unit_of_work(url) as session:
        seed_demo(session, clock)
    with unit_of_work(url, write=False) as session:
        view = learner_view(
            session, email=DEMO_LEARNER, competency=DEMO_COMPETENCY, as_of=None, now=clock
        )
        report = list(
            build_report(session, as_of=clock, competency=None, users=None, by_module=False).rows
        )
    stats = view.stats()
    echo(f"catalyst demo (database: {safe_url(normalize_url(url))})")
    echo(f"\n== catalyst stats --user {DEMO_LEARNER}")
    write_pairs(record(stats, STATS_COLUMNS), sys.stdout)
    echo(f"\n== catalyst streak --user {DEMO_LEARNER}")
    write_pairs(record(stats, STREAK_COLUMNS), sys.stdout)
    echo(f"\n== catalyst modules {DEMO_COMPETENCY} --user {DEMO_LEARNER}")
    write_module_list(
        (record(s, (*MODULE_COLUMNS, "is_next")) for s in view.modules()),
        sys.stdout,
        ascii_only=False,
    )
    echo("\n== catalyst report (a few of its columns; --format csv|json|jsonl for all)")
    write_table(report, DEMO_REPORT_COLUMNS, sys.stdout)
    echo(f"\nExplore the demo's data yourself:\n  {explore_command(url, own_file)}")


DEMO_REPORT_COLUMNS = (
    "user",
    "name",
    "progress_percent",
    "modules_completed",
    "quizzes_passed",
    "current_streak",
    "streak_at_risk",
)
