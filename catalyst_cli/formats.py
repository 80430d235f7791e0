"""The closed sets of output formats; light to import, for Typer's option types."""

from __future__ import annotations

import enum


class ViewFormat(enum.StrEnum):
    """Formats of the one-learner views: stats, streak, modules."""

    table = "table"
    json = "json"


class DataFormat(enum.StrEnum):
    """Machine formats of `report`, `export` and `import` (besides tabulate's)."""

    table = "table"
    csv = "csv"
    json = "json"
    jsonl = "jsonl"


class TransferFormat(enum.StrEnum):
    """The formats events are imported and exported in."""

    csv = DataFormat.csv.value
    jsonl = DataFormat.jsonl.value


class EventFormat(enum.StrEnum):
    """The formats `import` reads and `export` writes events in."""

    csv = DataFormat.csv.value
    jsonl = DataFormat.jsonl.value
    xapi = "xapi"


class CatalogFormat(enum.StrEnum):
    """The formats of a catalogue file."""

    json = "json"
    toml = "toml"


# tabulate's formats that pass cells through unescaped: learners' names would become markup.
UNSAFE_TABLE_FORMATS = frozenset({"unsafehtml", "latex_raw"})


def report_formats() -> list[str]:
    """Every value `report --format` takes: ours, then tabulate's table formats by name.

    `tsv` is tabulate's name, but written as delimited text (output.write_csv), not a table.
    """
    from tabulate import tabulate_formats

    ours = [f.value for f in DataFormat]
    return ours + sorted(
        f for f in tabulate_formats if f not in ours and f not in UNSAFE_TABLE_FORMATS
    )
