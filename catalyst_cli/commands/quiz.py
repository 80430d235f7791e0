"""`catalyst quiz submit`: record a quiz attempt."""

from __future__ import annotations

from typing import Annotated

import typer

from catalyst_cli.commands.common import (
    AtOption,
    DurationOption,
    IdOption,
    UserOption,
    ViewFormatOption,
    command,
    event_options,
    group,
    learner_email,
    now,
    settings,
)
from catalyst_cli.formats import ViewFormat

app = group(
    "quiz",
    "Submit quiz attempts.",
    example="catalyst quiz submit python-intro-check --user ada@example.com --answers @a.json",
)


@command(
    app,
    "submit",
    example="catalyst quiz submit python-types-quiz --user ada@example.com --score 8 --total 10",
)
def submit(
    ctx: typer.Context,
    quiz: Annotated[str, typer.Argument(help="The quiz's slug.")],
    *,
    answers: Annotated[
        str | None,
        typer.Option(
            help='Answers as JSON {"question id": answer}, or @FILE holding it.',
            show_default=False,
        ),
    ] = None,
    score: Annotated[
        int | None, typer.Option(help="Correct answers (with --total).", show_default=False)
    ] = None,
    total: Annotated[
        int | None, typer.Option(help="Number of questions (with --score).", show_default=False)
    ] = None,
    key: IdOption = None,
    user: UserOption = None,
    at: AtOption = None,
    duration: DurationOption = None,
    fmt: ViewFormatOption = ViewFormat.table,
) -> None:
    """Grade and record an attempt; a pass completes the quiz's module."""
    import sys

    from catalyst_cli.db.session import unit_of_work
    from catalyst_cli.output import write_record
    from catalyst_cli.progress import read_submission, record_submission

    email = learner_email(user)
    submission = read_submission(_answers_text(answers), score, total)
    options = event_options(at, duration, key)
    with unit_of_work(settings(ctx).database_url) as session:
        outcome = record_submission(
            session, email=email, quiz=quiz, submission=submission, options=options, now=now()
        )
    row = outcome.record()
    write_record(row, fmt.value, sys.stdout)


def _answers_text(answers: str | None) -> str | None:
    """`--answers` as JSON text: @FILE read here, bounded, UTF-8 with or without a BOM."""
    from pathlib import Path

    from catalyst_cli.errors import InputError
    from catalyst_cli.limits import read_text_file

    if answers is None or not answers.startswith("@"):
        return answers
    text = read_text_file(Path(answers[1:]), "answers file")
    if text.lstrip("\ufeff").startswith("@"):
        raise InputError(f"{answers[1:]}: invalid JSON: it starts with '@'")
    return text
