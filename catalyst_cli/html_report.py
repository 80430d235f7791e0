"""The figures of `report --format html`, gathered in the same pass as the per-learner rows.

The page's summary by module is `report --summary module`'s computation, its progress spread
and learner table come from the per-learner rows, and its active learners per day count each
learner's activity days (their own local dates, as for streaks) over the page's eight weeks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from catalyst_cli.catalog import CatalogIndex, CompetencyRef
from catalyst_cli.stats import LearnerActivity
from catalyst_cli.summaries import CatalogueSummary

# Columns of the per-learner rows that the page leaves out: the same for every row of a page.
PAGE_HIDDEN_COLUMNS = frozenset({"as_of", "timezone", "competency"})
PAGE_TITLE = "Learner progress"


class PageTap:
    """Watches the learners go by on their way to the per-learner rows, and counts for the page."""

    def __init__(
        self,
        index: CatalogIndex,
        competency: CompetencyRef | None,
        idle: timedelta,
        as_of: datetime,
    ) -> None:
        from catalyst_cli.html_page import HEATMAP_WEEKS

        self.summary = CatalogueSummary(index, competency, idle)
        self.as_of = as_of
        self.today = as_of.date()
        self.first_day = self.today - timedelta(days=self.today.weekday() + 7 * (HEATMAP_WEEKS - 1))
        self.active: Counter[date] = Counter()

    def watch(self, activity: Iterable[LearnerActivity]) -> Iterator[LearnerActivity]:
        """The learners, unchanged, counted as they pass."""
        for learner in activity:
            self.summary.add(learner)
            for day in learner.activity_days():
                if self.first_day <= day <= self.today:
                    self.active[day] += 1
            yield learner

    def document(
        self, columns: Sequence[str], learners: Sequence[Mapping[str, Any]], scope: str
    ) -> str:
        """The page, once every learner has passed."""
        from catalyst_cli.html_page import ActiveDay, ModuleSummary, ReportPage, render_page

        page = ReportPage(
            title=PAGE_TITLE,
            scope=scope,
            as_of=self.as_of,
            timezone=str(self.as_of.tzinfo),
            modules=[ModuleSummary(**row) for row in self.summary.rows()],
            active_days=[ActiveDay(d, n) for d, n in sorted(self.active.items())],
            learner_columns=[c for c in columns if c not in PAGE_HIDDEN_COLUMNS],
            learners=learners,
        )
        return render_page(page)
