"""`catalyst catalog`: load and show the catalogue."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from catalyst_cli.commands.common import ViewFormatOption, command, group, settings
from catalyst_cli.formats import CatalogFormat, ViewFormat

app = group(
    "catalog", "Load, show and export the catalogue.", example="catalyst catalog load catalog.json"
)


@command(app, "load", example="catalyst catalog load catalog.json")
def load(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Catalogue file, JSON or TOML (.toml).")],
) -> None:
    """Upsert competencies, modules and quizzes from FILE by slug."""
    from catalyst_cli.catalog import load_catalog, read_catalog_file
    from catalyst_cli.db.session import unit_of_work
    from catalyst_cli.output import note

    competencies = read_catalog_file(file)
    with unit_of_work(settings(ctx).database_url) as session:
        summary = load_catalog(session, competencies)
    note(
        f"loaded {summary.competencies} competencies, {summary.modules} modules, "
        f"{summary.quizzes} quizzes from {file}"
    )


@command(app, "show", example="catalyst catalog show --format json")
def show(ctx: typer.Context, *, fmt: ViewFormatOption = ViewFormat.table) -> None:
    """List the catalogue: one line per module, in order, with its quizzes."""
    import sys

    from catalyst_cli.catalog import catalog_index, catalog_rows
    from catalyst_cli.db.session import unit_of_work
    from catalyst_cli.output import record, write_rows

    columns = ["competency", "module", "title", "position", "quizzes"]
    with unit_of_work(settings(ctx).database_url, write=False) as session:
        rows = [record(r, columns) for r in catalog_rows(catalog_index(session))]
    write_rows(rows, columns, fmt.value, sys.stdout)


@command(app, "export", example="catalyst catalog export --format toml --output catalog.toml")
def export(
    ctx: typer.Context,
    *,
    fmt: Annotated[
        CatalogFormat, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
    ] = CatalogFormat.json,
    output: Annotated[
        str,
        typer.Option("--output", "-o", help="Write to this file (whole or not at all); - stdout."),
    ] = "-",
) -> None:
    """Write the catalogue in the form `catalog load` reads."""
    import sys

    from catalyst_cli.catalog import catalog_specs, dump_catalog
    from catalyst_cli.db.session import unit_of_work
    from catalyst_cli.output import atomic_text_file

    with unit_of_work(settings(ctx).database_url, write=False) as session:
        text = dump_catalog(catalog_specs(session), fmt.value)
    if output == "-":
        sys.stdout.write(text)
    else:
        with atomic_text_file(Path(output)) as out:
            out.write(text)
