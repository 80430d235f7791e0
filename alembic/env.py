"""Alembic environment: the connection comes from catalyst, the metadata from its models.

Logging is left alone. Run through `catalyst db upgrade`, which passes its connection in
`config.attributes["connection"]`; with plain `alembic`, the URL is resolved as the CLI does.
"""

from sqlalchemy import Connection

from alembic import context
from catalyst_cli.db import content_indexes  # noqa: F401  (the tables and all their indexes)
from catalyst_cli.db.base import metadata


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    from catalyst_cli.config import resolve_settings
    from catalyst_cli.db.engine import make_engine
    from catalyst_cli.db.url import normalize_url

    url = normalize_url(resolve_settings(db_flag=None).database_url)
    with make_engine(url).begin() as connection:
        run_migrations(connection)


if context.is_offline_mode():
    raise SystemExit("catalyst migrations run online only: use `catalyst db upgrade`")
run_online()
