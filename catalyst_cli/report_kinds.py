"""The report's other shapes: filtered learners, summaries, series and the HTML page.

`reports.build_report` hands its learners in scope here (the stream of LearnerActivity) and
gets back the columns and rows, or the page, of the kind asked for; the per-learner and
per-module rows stay its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from catalyst_cli.catalog import CatalogIndex, CompetencyRef
from catalyst_cli.columns import SERIES_COLUMNS
from catalyst_cli.errors import InputError
from catalyst_cli.filters import LearnerFilter
from catalyst_cli.formats import Period, SummaryKind
from catalyst_cli.series import series_rows
from catalyst_cli.stats import LearnerActivity
from catalyst_cli.summaries import summary_report
from catalyst_cli.timeutil import TimeArg, zone

Row = dict[str, Any]
LearnerRows = Callable[[Iterable[LearnerActivity]], Iterator[Row]]


class KindConflict(InputError):
    """Report options that do not go together: a usage error, which the command reports so."""


@dataclass(frozen=True)
class Shaped:
    """A report of another kind: its columns and rows, or a whole document (the HTML page)."""

    columns: tuple[str, ...]
    rows: Iterator[Row]
    document: str | None = None


@dataclass(frozen=True)
class ReportKind:
    """What `report` was asked for besides its default rows."""

    summary: SummaryKind | None = None
    series: Period | None = None
    since: datetime | None = None
    html: bool = False
    by_module: bool = False
    filters: LearnerFilter = field(default_factory=LearnerFilter)

    def __post_init__(self) -> None:
        kinds = [
            name
            for name, given in (
                ("--by-module", self.by_module),
                ("--summary", self.summary is not None),
                ("--series", self.series is not None),
            )
            if given
        ]
        if len(kinds) > 1:
            raise KindConflict(f"{' and '.join(kinds)} cannot be combined: choose one")
        if self.html and kinds:
            raise KindConflict(f"--format html is a page of its own: leave out {kinds[0]}")
        if self.since is not None and self.series is None:
            raise KindConflict("--from goes with --series")

    def shape(
        self,
        session: Connection,
        activity: Iterable[LearnerActivity],
        *,
        index: CatalogIndex,
        competency: CompetencyRef | None,
        idle: timedelta,
        as_of: datetime,
        learner_columns: tuple[str, ...],
        learner_rows: LearnerRows,
    ) -> tuple[Iterable[LearnerActivity], Shaped | None]:
        """The learners narrowed by the filters, and the report when it is not per learner."""
        if self.filters.active:
            activity = self.filters.narrow(activity, index, competency)
        if self.summary is not None:
            columns, rows = summary_report(session, self.summary, activity, index, competency, idle)
            return activity, Shaped(columns, iter(rows))
        if self.series is not None:
            found = series_rows(
                session,
                activity,
                index,
                competency,
                period=self.series,
                as_of=as_of,
                since=self.since,
                idle=idle,
            )
            return activity, Shaped(SERIES_COLUMNS, iter(found))
        if self.html:
            from catalyst_cli.html_report import PageTap

            tap = PageTap(index, competency, idle, as_of)
            learners = list(learner_rows(tap.watch(activity)))
            page = tap.document(learner_columns, learners, self.scope(competency))
            return activity, Shaped(learner_columns, iter(()), page)
        return activity, None

    def scope(self, competency: CompetencyRef | None) -> str:
        """The page's sentence of who is in it."""
        text = "every learner" if competency is None else f"competency {competency.slug}"
        f = self.filters
        if f.stuck is not None:
            text += f", stuck {f.stuck}+ days"
        if f.inactive is not None:
            text += f", inactive {f.inactive}+ days"
        if f.at_risk:
            text += ", streak at risk"
        return text


def report_kind(
    *,
    summary: SummaryKind | None,
    series: Period | None,
    since: TimeArg | None,
    tz: str,
    html: bool,
    by_module: bool,
    stuck: int | None,
    inactive: int | None,
    at_risk: bool,
) -> ReportKind:
    """The report's kind from its options; `--from` without an offset is in `tz`."""
    return ReportKind(
        summary=summary,
        series=series,
        since=None if since is None else since.resolve(zone(tz)),
        html=html,
        by_module=by_module,
        filters=LearnerFilter(stuck=stuck, inactive=inactive, at_risk=at_risk),
    )
