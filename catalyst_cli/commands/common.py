"""What every command shares: reusable options, the settings, the learner, the clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from typer.core import TyperCommand, TyperGroup

from catalyst_cli.config import USER_ENV, Settings
from catalyst_cli.errors import NoLearnerError
from catalyst_cli.formats import ViewFormat

if TYPE_CHECKING:
    from catalyst_cli.progress import EventOptions

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
IdOption = Annotated[
    str | None,
    typer.Option(
        "--id",
        help="Idempotency key (as an xAPI statement id): a repeat records nothing; "
        "the same key with other content is a conflict.",
        show_default=False,
    ),
]
DurationOption = Annotated[
    str | None,
    typer.Option(
        "--duration",
        help="Time spent on it, ending at --at: ISO 8601 (PT25M, PT1H2M3.5S) or whole seconds.",
        show_default=False,
    ),
]
IdleOption = Annotated[
    int,
    typer.Option(
        "--idle",
        metavar="MINUTES",
        help="Time spent: join events at most this many minutes apart.",
    ),
]
CompetencyOption = Annotated[
    str | None,
    typer.Option("--competency", "-c", help="Only this competency (slug).", show_default=False),
]
ViewFormatOption = Annotated[
    ViewFormat, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
]


F = TypeVar("F", bound=Callable[..., Any])


def _known_context(error: Exception, ctx: typer.Context) -> None:
    """Tell a usage error which command it is about (the parser leaves some without)."""
    if getattr(error, "ctx", False) is None:
        error.ctx = ctx  # type: ignore[attr-defined]


class CatalystCommand(TyperCommand):
    """A command whose usage errors name it, for the one-line `see 'catalyst CMD --help'`."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        try:
            return super().parse_args(ctx, args)
        except typer.TyperException as exc:
            _known_context(exc, ctx)
            raise


class CatalystSubgroup(TyperGroup):
    """A command group (`catalyst users`, ...) whose usage errors name it."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        try:
            return super().parse_args(ctx, args)
        except typer.TyperException as exc:
            _known_context(exc, ctx)
            raise


def command(app: typer.Typer, name: str, *, example: str) -> Callable[[F], F]:
    """Register command `name` on `app`; its --help ends with `example`."""
    return app.command(name, cls=CatalystCommand, epilog=f"Example: {example}")


def group(name: str, help: str, *, example: str) -> typer.Typer:
    """A command group; its --help ends with `example`."""
    return typer.Typer(name=name, help=help, cls=CatalystSubgroup, epilog=f"Example: {example}")


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


def idle_limit(minutes: int) -> timedelta:
    """`--idle MINUTES`, checked: a whole number of minutes, 0 to a week."""
    from catalyst_cli.errors import InputError

    if not 0 <= minutes <= 7 * 24 * 60:
        raise InputError(f"invalid --idle {minutes}: must be 0 to 10080 minutes")
    return timedelta(minutes=minutes)


def event_options(at: str | None, duration: str | None, key: str | None) -> EventOptions:
    """`--at`, `--duration` and `--id` parsed into typed values, at the edge."""
    from catalyst_cli.progress import EventOptions, check_key
    from catalyst_cli.timeutil import optional_time, parse_duration

    return EventOptions(
        at=optional_time(at),
        duration_us=None if duration is None else parse_duration(duration),
        external_id=check_key(key),
    )
