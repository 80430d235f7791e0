"""`catalyst db`: schema migrations."""

from __future__ import annotations

import typer

from catalyst_cli.commands.common import command, group, settings

app = group("db", "Manage the database schema.", example="catalyst db upgrade")


@command(
    app, "upgrade", example="catalyst --db postgresql://catalyst@db.example.org/school db upgrade"
)
def upgrade(ctx: typer.Context) -> None:
    """Bring the database schema up to date (the only way on PostgreSQL)."""
    from catalyst_cli.db.migrate import HEAD_REVISION
    from catalyst_cli.db.migrate import upgrade as run_upgrade
    from catalyst_cli.db.session import database_errors, open_engine
    from catalyst_cli.db.url import normalize_url, safe_url
    from catalyst_cli.output import note

    url = settings(ctx).database_url
    engine = open_engine(url, check_schema=False)
    with database_errors(normalize_url(url)):
        run_upgrade(engine)
    note(f"{safe_url(normalize_url(url))} is at revision {HEAD_REVISION}")


@command(app, "current", example="catalyst --db ~/school.db db current")
def current(ctx: typer.Context) -> None:
    """Print the database's schema revision (`none` for an empty database)."""
    from catalyst_cli.db.migrate import check_ours, current_revision
    from catalyst_cli.db.session import database_errors, open_engine
    from catalyst_cli.db.url import normalize_url
    from catalyst_cli.output import echo

    url = settings(ctx).database_url
    engine = open_engine(url, write=False, check_schema=False)
    with database_errors(normalize_url(url)), engine.connect() as connection:
        revision = current_revision(connection)
        check_ours(connection, revision)
        echo(revision or "none")
