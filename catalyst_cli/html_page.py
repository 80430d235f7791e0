"""The HTML page of `report --format html`: page values in, one self-contained document out.

Pure: no database, no clock, no files. The page is a Jinja2 template shipped in the package
(`templates/report.html.j2`, autoescaped); its three charts are inline SVG drawn by the
template's macros from the geometry computed here. Jinja2 is imported only in this module, and
this module only by the command that renders HTML, so `catalyst --help` stays light.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from catalyst_cli import __version__

SUMMARY_COLUMNS = (
    "competency",
    "module",
    "title",
    "learners",
    "started",
    "completed",
    "completion_percent",
    "mean_progress_percent",
    "attempts",
    "attempts_passed",
    "median_best_score",
    "time_spent",
)
HEATMAP_WEEKS = 8
# Columns holding whole seconds: shown as hours and minutes, the seconds kept in data-value.
DURATION_KEYS = frozenset({"time_spent"})
# Percent columns that get a small bar beside the number.
METER_KEYS = frozenset({"progress_percent", "completion_percent"})

# Characters shown as escapes instead of being sent to the browser: C0 and C1 controls, lone
# surrogates, and the bidirectional overrides that could make one name look like another.
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class ModuleSummary:
    """One row of `report --summary module`, keys as SPEC.md names them."""

    competency: str
    module: str
    title: str
    learners: int
    started: int
    completed: int
    completion_percent: int
    mean_progress_percent: int
    attempts: int
    attempts_passed: int
    median_best_score: int | None
    time_spent: int


@dataclass(frozen=True)
class ActiveDay:
    """How many learners had an activity day on `day` (a date on the clock of `--tz`)."""

    day: date
    learners: int


@dataclass(frozen=True)
class ReportPage:
    """Everything the page shows.

    `as_of` is on the clock of `--tz` (its date is "today" for the heatmap); `modules` in
    catalogue order; `active_days` may leave out days with nobody active; `learner_columns` and
    `learners` as the JSON report has them (values: str, int, bool, None, date or datetime).
    """

    title: str
    scope: str
    as_of: datetime
    timezone: str
    modules: Sequence[ModuleSummary]
    active_days: Sequence[ActiveDay]
    learner_columns: Sequence[str]
    learners: Sequence[Mapping[str, Any]]


# Geometry of the charts, in SVG user units; the template draws it.


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: its rectangle, its label and what its tooltip and value say."""

    x: float
    y: float
    width: float
    height: float
    label: str
    value: str
    tip: str


@dataclass(frozen=True)
class Tick:
    """A gridline at `pos` with its label."""

    pos: float
    label: str


@dataclass(frozen=True)
class Chart:
    """A bar chart: size, plot area, bars, gridlines, and the sentence of its <desc>."""

    width: float
    height: float
    plot_x: float
    plot_y: float
    plot_width: float
    plot_height: float
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    desc: str


@dataclass(frozen=True)
class Cell:
    """One day of the heatmap; `level` 0-4 picks the colour, -1 is a day after `as_of`."""

    x: float
    y: float
    day: date
    count: int
    level: int
    tip: str


@dataclass(frozen=True)
class Heatmap:
    """The calendar heatmap: 7 rows (Monday first) by HEATMAP_WEEKS columns, and its legend."""

    width: float
    height: float
    cell_width: float
    cell_height: float
    cells: tuple[Cell, ...]
    week_labels: tuple[Tick, ...]
    day_labels: tuple[Tick, ...]
    legend: tuple[tuple[int, str], ...]
    desc: str


@dataclass(frozen=True)
class TableCell:
    """One table cell: its key, the value scripts read (`data-value`) and the text shown.

    `meter` is the width in percent of the small bar beside a percentage (None: no bar).
    """

    key: str
    value: str
    text: str
    numeric: bool
    meter: int | None


def visible(text: str) -> str:
    """`text` with control, surrogate and bidi-override characters shown as escapes."""
    return _INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def machine_value(value: Any) -> str:
    """A value as the JSON report writes it, as text: ISO dates, true/false, '' for null."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def duration_text(seconds: int) -> str:
    """Whole seconds as a short reading: 45s, 12m, 3h 05m."""
    if seconds < 60:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    return f"{minutes // 60}h {minutes % 60:02d}m"


def table_cell(key: str, value: Any) -> TableCell:
    """The cell of `value` in column `key`."""
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if value is None:
        text = "–"
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    elif key in DURATION_KEYS and isinstance(value, int):
        text = duration_text(value)
    else:
        text = machine_value(value)
    meter = min(max(int(value), 0), 100) if numeric and key in METER_KEYS else None
    return TableCell(key=key, value=machine_value(value), text=text, numeric=numeric, meter=meter)


@dataclass(frozen=True)
class Header:
    """A column's header: its key, its text, and whether its cells are numbers."""

    key: str
    text: str
    numeric: bool


def headers(columns: Sequence[str], rows: Sequence[Sequence[TableCell]]) -> tuple[Header, ...]:
    """Headers of a table: a column is numeric when its cells that are not null all are."""
    result = []
    for i, key in enumerate(columns):
        cells = [row[i] for row in rows if row[i].value != ""]
        text = key.removesuffix("_percent").replace("_", " ")
        text += " %" if key.endswith("_percent") else ""
        result.append(Header(key, text, bool(cells) and all(c.numeric for c in cells)))
    return tuple(result)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _nice_step(top: int, lines: int) -> int:
    """A whole round step (1, 2 or 5 x 10^n) giving at most `lines` gridlines up to `top`."""
    raw = max(top, 1) / lines
    magnitude = 1
    while magnitude * 10 <= raw:
        magnitude *= 10
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)


def completion_chart(modules: Sequence[ModuleSummary]) -> Chart:
    """Horizontal bars of completion_percent, one per module in catalogue order."""
    label_width, value_width, row, top = 270.0, 110.0, 26.0, 24.0
    width = 1000.0
    plot_width = width - label_width - value_width
    bars = tuple(
        Bar(
            x=label_width,
            y=top + i * row + 4,
            width=plot_width * m.completion_percent / 100,
            height=row - 8,
            label=_shorten(visible(f"{m.competency} / {m.title}"), 32),
            value=f"{m.completion_percent}% ({m.completed}/{m.learners})",
            tip=f"{m.competency}/{m.module} – {m.title}: {m.completion_percent}% completed "
            f"({m.completed} of {m.learners} learners)",
        )
        for i, m in enumerate(modules)
    )
    ticks = tuple(Tick(label_width + plot_width * p / 100, f"{p}%") for p in range(0, 101, 25))
    if modules:
        best = max(modules, key=lambda m: m.completion_percent)
        worst = min(modules, key=lambda m: m.completion_percent)
        desc = (
            f"Share of learners who completed each of {len(modules)} modules. Highest: "
            f"{best.competency}/{best.module} at {best.completion_percent}%; lowest: "
            f"{worst.competency}/{worst.module} at {worst.completion_percent}%."
        )
    else:
        desc = "No modules in scope."
    height = top + max(len(modules), 1) * row + 8
    return Chart(width, height, label_width, top, plot_width, height - top - 8, bars, ticks, desc)


def progress_bins(values: Sequence[int]) -> tuple[tuple[str, int], ...]:
    """Learners per progress band: 0-9, 10-19, ..., 90-99, then 100 on its own."""
    counts = [0] * 11
    for v in values:
        counts[min(max(v, 0), 100) // 10] += 1
    labels = [f"{10 * i}–{10 * i + 9}" for i in range(10)] + ["100"]
    return tuple(zip(labels, counts, strict=True))


def progress_histogram(learners: Sequence[Mapping[str, Any]]) -> Chart:
    """Vertical bars: how many learners have a progress_percent in each band."""
    values = [
        v
        for r in learners
        if isinstance(v := r.get("progress_percent"), int) and not isinstance(v, bool)
    ]
    bins = progress_bins(values)
    width, height, left, top, bottom = 480.0, 300.0, 44.0, 22.0, 44.0
    plot_width, plot_height = width - left - 12, height - top - bottom
    peak = max((c for _, c in bins), default=0)
    step = _nice_step(peak, 5)
    scale_top = max(step, math.ceil(peak / step) * step)
    slot = plot_width / len(bins)
    bars = tuple(
        Bar(
            x=left + i * slot + 3,
            y=top + plot_height * (1 - count / scale_top),
            width=slot - 6,
            height=plot_height * count / scale_top,
            label=label,
            value=str(count),
            tip=f"progress {label}%: {count} learner{'' if count == 1 else 's'}",
        )
        for i, (label, count) in enumerate(bins)
    )
    ticks = tuple(
        Tick(top + plot_height * (1 - n / scale_top), str(n)) for n in range(0, scale_top + 1, step)
    )
    desc = (
        f"Learners by progress, in bands of 10 points, {len(values)} learners: "
        + "; ".join(f"{label}%: {count}" for label, count in bins)
        + "."
    )
    return Chart(width, height, left, top, plot_width, plot_height, bars, ticks, desc)


def _level(count: int, peak: int) -> int:
    return 0 if count <= 0 else min(4, 1 + (4 * (count - 1)) // max(peak, 1))


def activity_heatmap(active_days: Sequence[ActiveDay], today: date) -> Heatmap:
    """Active learners per day over the HEATMAP_WEEKS weeks ending with the week of `today`."""
    first = today - timedelta(days=today.weekday() + 7 * (HEATMAP_WEEKS - 1))
    counts: dict[date, int] = {}
    for a in active_days:
        counts[a.day] = counts.get(a.day, 0) + a.learners
    shown = [first + timedelta(days=i) for i in range(7 * HEATMAP_WEEKS)]
    peak = max((counts.get(d, 0) for d in shown if d <= today), default=0)
    left, top, cell_w, cell_h, gap = 44.0, 22.0, 52.0, 26.0, 4.0
    cells = []
    for i, d in enumerate(shown):
        n = counts.get(d, 0) if d <= today else 0
        word = "learner" if n == 1 else "learners"
        tip = f"{d:%a %Y-%m-%d}: " + (f"{n} active {word}" if d <= today else "after the report")
        cells.append(
            Cell(
                x=left + (i // 7) * (cell_w + gap),
                y=top + (i % 7) * (cell_h + gap),
                day=d,
                count=n,
                level=_level(n, peak) if d <= today else -1,
                tip=tip,
            )
        )
    week_labels = tuple(
        Tick(left + w * (cell_w + gap) + cell_w / 2, f"{first + timedelta(weeks=w):%b %d}")
        for w in range(HEATMAP_WEEKS)
    )
    day_labels = tuple(
        Tick(top + i * (cell_h + gap) + cell_h / 2, name)
        for i, name in enumerate(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"))
    )
    legend = ((0, "0"),) + tuple(
        (level, _level_range(level, peak)) for level in range(1, 5) if _level_range(level, peak)
    )
    past = [c for c in cells if c.level >= 0]
    busiest = max(past, key=lambda c: c.count)
    total = sum(c.count for c in past)
    desc = (
        f"Active learners per day from {first:%Y-%m-%d} to {today:%Y-%m-%d}, one column per "
        f"week (Monday at the top). {total} learner-days in all"
        + (f"; busiest day {busiest.day:%Y-%m-%d} with {busiest.count}." if total else ".")
    )
    width = left + HEATMAP_WEEKS * (cell_w + gap)
    height = top + 7 * (cell_h + gap)
    return Heatmap(
        width, height, cell_w, cell_h, tuple(cells), week_labels, day_labels, legend, desc
    )


def _level_range(level: int, peak: int) -> str:
    """The counts that get `level`, as text ('' when none can)."""
    members = [n for n in range(1, peak + 1) if _level(n, peak) == level]
    if not members:
        return ""
    low, high = members[0], members[-1]
    return str(low) if low == high else f"{low}–{high}"


def _mean_half_up(values: Sequence[int]) -> int | None:
    """The mean of `values` as an integer, half up; None when there are none."""
    return (2 * sum(values) + len(values)) // (2 * len(values)) if values else None


def _number(value: float) -> str:
    """An SVG coordinate: at most one decimal."""
    return f"{value:.1f}".removesuffix(".0")


def render_page(page: ReportPage) -> str:
    """The report as one self-contained HTML document: no network, no JavaScript."""
    from jinja2 import Environment, PackageLoader, StrictUndefined
    from markupsafe import Markup

    def finalize(value: Any) -> Any:
        # Every {{ expression }} passes here before autoescaping: data text loses its controls.
        if isinstance(value, Markup):
            return value
        return visible(value) if isinstance(value, str) else value

    env = Environment(
        loader=PackageLoader("catalyst_cli", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        finalize=finalize,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["n"] = _number
    progress = [
        v
        for r in page.learners
        if isinstance(v := r.get("progress_percent"), int) and not isinstance(v, bool)
    ]
    summary_rows = [[table_cell(k, getattr(m, k)) for k in SUMMARY_COLUMNS] for m in page.modules]
    learner_rows = [[table_cell(k, r.get(k)) for k in page.learner_columns] for r in page.learners]
    template = env.get_template("report.html.j2")
    return template.render(
        page=page,
        version=__version__,
        summary_headers=headers(SUMMARY_COLUMNS, summary_rows),
        summary_rows=summary_rows,
        learner_headers=headers(page.learner_columns, learner_rows),
        learner_rows=[
            (machine_value(r.get("user")), cells)
            for r, cells in zip(page.learners, learner_rows, strict=True)
        ],
        completion=completion_chart(page.modules),
        histogram=progress_histogram(page.learners),
        heatmap=activity_heatmap(page.active_days, page.as_of.date()),
        learner_count=len(page.learners),
        mean_progress=_mean_half_up(progress),
        finished=sum(1 for v in progress if v >= 100),
        has_progress=bool(progress),
    )
