"""`catalyst report`: every learner's stats, or their standing on every module, as rows.

Built on `stats.iter_activity` (three set-based queries, streamed in email order) and the same
pure functions as `stats` and `modules`, so a report row says what those commands say.
Each row's `as_of` and timestamps are on the learner's own wall clock, as in `stats`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection

from catalyst_cli.catalog import CatalogIndex, CompetencyRef, catalog_index
from catalyst_cli.columns import REPORT_COLUMNS, REPORT_ENROLMENT_COLUMNS, REPORT_MODULE_COLUMNS
from catalyst_cli.errors import InputError
from catalyst_cli.output import write_rows
from catalyst_cli.report_kinds import ReportKind
from catalyst_cli.rules import DEFAULT_IDLE
from catalyst_cli.scope import Scope, resolve_scope
from catalyst_cli.stats import LearnerActivity, iter_activity, learner_stats, module_statuses
from catalyst_cli.timeutil import TimeArg, resolve_time, zone

Row = dict[str, Any]


@dataclass(frozen=True)
class Report:
    """A report ready to stream: its columns, and its rows as a one-shot iterator."""

    columns: tuple[str, ...]
    rows: Iterator[Row]
    document: str | None = None  # the whole report, for the HTML page


def report_time(as_of: TimeArg | None, tz: str, now: datetime) -> datetime:
    """`--as-of` of a report: without an offset in `tz`; a date is its end; default now; in `tz`."""
    where = zone(tz)
    return resolve_time(as_of, where, now, end_of_day=True).astimezone(where)


def output_path(template: str, as_of: datetime) -> Path:
    """`--output` with its strftime fields expanded from `as_of`, on `as_of`'s wall clock."""
    if not template.strip() or template.endswith(("/", "\\")):
        raise InputError(f"invalid --output {template!r}: name a file, e.g. reports/%Y-%m-%d.csv")
    return Path(as_of.strftime(template)).expanduser()


def write_report(report: Report, fmt: str, out: IO[str]) -> None:
    """The report in `fmt`: its document when it has one (the HTML page), else its rows."""
    if report.document is not None:
        out.write(report.document)
    else:
        write_rows(report.rows, report.columns, fmt, out)


def build_report(
    session: Connection,
    *,
    as_of: datetime,
    competency: str | None,
    users: Sequence[str] | None,
    by_module: bool,
    idle: timedelta = DEFAULT_IDLE,
    groups: Sequence[str] | None = None,
    include_withdrawn: bool = False,
    kind: ReportKind | None = None,
) -> Report:
    """Resolve the scope (see `scope.Scope`) now; the rows are read as they are taken.

    Every learner when `users` and `groups` are empty. Errors surface here, before any row.
    """
    index = catalog_index(session)
    scope = resolve_scope(
        session,
        index,
        competency=competency,
        users=users,
        groups=groups,
        include_withdrawn=include_withdrawn,
    )
    activity: Iterable[LearnerActivity] = iter_activity(session, as_of=as_of, scope=scope)
    comp = scope.competency
    columns = REPORT_COLUMNS if comp is None else (*REPORT_COLUMNS, *REPORT_ENROLMENT_COLUMNS)
    if kind is not None:  # filters, summaries, series, the HTML page: report_kinds.py
        activity, shaped = kind.shape(
            session,
            activity,
            index=index,
            competency=comp,
            idle=idle,
            as_of=as_of,
            learner_columns=columns,
            learner_rows=lambda learners: _learner_rows(learners, index, scope, idle),
        )
        if shaped is not None:
            return Report(shaped.columns, shaped.rows, shaped.document)
    if by_module:
        return Report(REPORT_MODULE_COLUMNS, _module_rows(activity, index, comp, idle))
    return Report(columns, _learner_rows(activity, index, scope, idle))


def _learner_rows(
    activity: Iterable[LearnerActivity], index: CatalogIndex, scope: Scope, idle: timedelta
) -> Iterator[Row]:
    for learner in activity:
        stats = learner_stats(learner, index, scope.competency, idle)
        row = {c: getattr(stats, c) for c in REPORT_COLUMNS}
        if scope.competency is not None:
            row.update(_enrolment_cells(learner, scope))
        yield row


def _enrolment_cells(learner: LearnerActivity, scope: Scope) -> Row:
    """`enrolled_at` and `withdrawn_at` on the learner's clock; null when none (C open, say)."""
    standing = scope.standing(learner)
    tz = learner.learner.tz
    times = (None, None) if standing is None else (standing.enrolled_at, standing.withdrawn_at)
    return {
        c: None if t is None else t.astimezone(tz)
        for c, t in zip(REPORT_ENROLMENT_COLUMNS, times, strict=True)
    }


def _module_rows(
    activity: Iterable[LearnerActivity],
    index: CatalogIndex,
    competency: CompetencyRef | None,
    idle: timedelta,
) -> Iterator[Row]:
    for learner in activity:
        mine = learner.catalogue(index)
        for status in module_statuses(learner, index, competency, idle, mine):
            yield {c: getattr(status, c) for c in REPORT_MODULE_COLUMNS}
