"""What every command shares: reusable options, the settings, the learner, the clock."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from catalyst_cli.config import USER_ENV, Settings
from catalyst_cli.errors import NoLearnerError
from catalyst_cli.formats import ViewFormat

UserOption = Annotated[
    str | None,
    typer.Option("--user", "-u", envvar=USER_ENV, help="The learner's email.", show_default=False),
]
AtOption = Annotated[
    str | None,
    typer.Option(
        "--at",
        help="When it happened (ISO 8601; no offset: the learner's zone; a date: its noon). "
        "Default: now.",
        show_default=False,
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="See the state as it was then (ISO 8601; a date: its end). Default: now.",
        show_default=False,
    ),
]
CompetencyOption = Annotated[
    str | None,
    typer.Option("--competency", "-c", help="Only this competency (slug).", show_default=False),
]
ViewFormatOption = Annotated[
    ViewFormat, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
]


def settings(ctx: typer.Context) -> Settings:
    """The settings the root command resolved."""
    found = ctx.find_root().obj
    assert isinstance(found, Settings)
    return found


def learner_email(user: str | None) -> str:
    """The learner given by --user or CATALYST_USER; none is exit 3."""
    if user is None or not user.strip():
        raise NoLearnerError()
    return user


def now() -> datetime:
    """The clock, read once at the edge."""
    return datetime.now(UTC)
