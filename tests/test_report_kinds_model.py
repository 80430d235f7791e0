"""Summaries and series against an independent computation from the exported events.

Random small scenarios (Hypothesis) are imported through the CLI; then `catalyst export`,
`users list` and the test catalogue are all this model reads. It recomputes every figure of
`report --summary module|competency|group` and `report --series day|week|month` from those
events with the standard library only, and compares field by field, on both backends.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from typer.testing import CliRunner

from catalyst_cli.db.engine import make_engine
from catalyst_cli.db.url import normalize_url
from catalyst_cli.main import app
from tests.conftest import TEST_CATALOG

ZONES = ["UTC", "Europe/Paris", "America/Los_Angeles", "Pacific/Kiritimati"]
GROUPS = ["blue", "red"]
START = datetime(2026, 3, 20, tzinfo=UTC)  # the days around Europe's DST change
IDLE = timedelta(minutes=30)
MODULES = [
    (c["slug"], m["slug"], m["title"], [q["slug"] for q in m.get("quizzes", [])])
    for c in TEST_CATALOG["competencies"]
    for m in c["modules"]
]
PASS = {
    q["slug"]: q.get("pass_percent", 70)
    for c in TEST_CATALOG["competencies"]
    for m in c["modules"]
    for q in m.get("quizzes", [])
}
QUIZ_MODULE = {q: f"{c}/{m}" for c, m, _, qs in MODULES for q in qs}
COMPETENCIES = [(c["slug"], c["title"]) for c in TEST_CATALOG["competencies"]]


# --- the model ---------------------------------------------------------------------------


def half_up(part: int, whole: int) -> int:
    return 0 if whole == 0 else int((part * 100 * 2 + whole) // (2 * whole))


def mean(values: list[int]) -> int:
    return 0 if not values else (2 * sum(values) + len(values)) // (2 * len(values))


def median(values: list[int]) -> int | None:
    if not values:
        return None
    s = sorted(values)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2] + 1) // 2


def parse_duration(text_: str | None) -> timedelta:
    if not text_:
        return timedelta(0)
    body = text_.removeprefix("PT")
    total = 0.0
    number = ""
    for ch in body:
        if ch.isdigit() or ch == ".":
            number += ch
        else:
            total += float(number) * {"H": 3600, "M": 60, "S": 1}[ch]
            number = ""
    return timedelta(seconds=total)


def seconds(spans: Iterable[tuple[datetime, datetime]]) -> int:
    joined: list[list[datetime]] = []
    for a, b in sorted(spans):
        if joined and a - joined[-1][1] <= IDLE:
            joined[-1][1] = max(joined[-1][1], b)
        else:
            joined.append([a, b])
    return int(sum(((b - a) for a, b in joined), timedelta(0)).total_seconds())


class Model:
    """Every figure from the exported events, users and catalogue."""

    def __init__(self, events: list[dict[str, Any]], users: list[dict[str, Any]]) -> None:
        self.users = sorted(users, key=lambda u: u["email"])
        self.events = [
            {**e, "at": datetime.fromisoformat(e["at"]), "d": parse_duration(e["duration"])}
            for e in events
        ]

    def mine(self, email: str, t: datetime) -> list[dict[str, Any]]:
        return [e for e in self.events if e["user"] == email and e["at"] <= t]

    def catalogue(self, email: str, t: datetime) -> set[str]:
        found = set()
        for slug, _ in COMPETENCIES:
            marks = [e for e in self.events if e["competency"] == slug and e["at"] <= t]
            if not marks:
                found.add(slug)
                continue
            own = sorted(
                (e["at"], e["event"] == "withdraw", e["event"]) for e in marks if e["user"] == email
            )
            if own and own[-1][2] == "enrol":
                found.add(slug)
        return found

    def module_of(self, e: dict[str, Any]) -> str | None:
        return e["module"] if e["event"] in ("start", "complete") else QUIZ_MODULE.get(e["quiz"])

    def facts(self, email: str, t: datetime, paths: set[str]) -> dict[str, Any]:
        """A learner's figures over some modules, as of `t`."""
        mine = [e for e in self.mine(email, t) if self.module_of(e) in paths]
        quizzes = [e for e in mine if e["event"] == "quiz"]
        done = {
            self.module_of(e)
            for e in mine
            if e["event"] == "complete"
            or (e["event"] == "quiz" and e["score"] * 100 >= PASS[e["quiz"]] * e["total"])
        }
        spans = [(e["at"] - e["d"], e["at"]) for e in mine if e["event"] != "enrol"]
        return {
            "started": bool({self.module_of(e) for e in mine}),
            "done": len(done),
            "attempts": len(quizzes),
            "passed": sum(e["score"] * 100 >= PASS[e["quiz"]] * e["total"] for e in quizzes),
            "best": max((half_up(e["score"], e["total"]) for e in quizzes), default=None),
            "time": seconds(spans),
        }

    def row(self, learners: list[dict[str, Any]], total: int | None) -> dict[str, Any]:
        bests = [f["best"] for f in learners if f["best"] is not None]
        completed = [f for f in learners if f["total"] and f["done"] == f["total"]]
        return {
            "learners": len(learners),
            "started": sum(f["started"] for f in learners),
            "completed": len(completed),
            "completion_percent": half_up(len(completed), len(learners)),
            "mean_progress_percent": mean([half_up(f["done"], f["total"]) for f in learners]),
            "attempts": sum(f["attempts"] for f in learners),
            "attempts_passed": sum(f["passed"] for f in learners),
            "median_best_score": median(bests),
            "time_spent": sum(f["time"] for f in learners),
        }

    def by_module(self, t: datetime) -> list[dict[str, Any]]:
        rows = []
        for comp, mod, title, _ in MODULES:
            path = f"{comp}/{mod}"
            facts = [
                {**self.facts(u["email"], t, {path}), "total": 1}
                for u in self.users
                if comp in self.catalogue(u["email"], t)
            ]
            rows.append({"competency": comp, "module": mod, "title": title, **self.row(facts, 1)})
        return rows

    def by_competency(self, t: datetime) -> list[dict[str, Any]]:
        rows = []
        for comp, title in COMPETENCIES:
            paths = {f"{c}/{m}" for c, m, _, _ in MODULES if c == comp}
            facts = [
                {**self.facts(u["email"], t, paths), "total": len(paths)}
                for u in self.users
                if comp in self.catalogue(u["email"], t)
            ]
            rows.append({"competency": comp, "title": title, **self.row(facts, None)})
        return rows

    def learner(self, email: str, t: datetime) -> dict[str, Any]:
        """Whole catalogue for modules; attempts, scores and time over everything."""
        cat = self.catalogue(email, t)
        paths = {f"{c}/{m}" for c, m, _, _ in MODULES if c in cat}
        every = {f"{c}/{m}" for c, m, _, _ in MODULES}
        scoped, wide = self.facts(email, t, paths), self.facts(email, t, every)
        return {
            **wide,
            "started": scoped["started"],
            "done": scoped["done"],
            "total": len(paths),
        }

    def by_group(self, t: datetime) -> list[dict[str, Any]]:
        rows = []
        for group in GROUPS:
            facts = [self.learner(u["email"], t) for u in self.users if group in u["groups"]]
            if facts:
                rows.append({"group": group, **self.row(facts, None)})
        return rows

    def series(self, period: str, as_of: datetime, since: datetime) -> list[dict[str, Any]]:
        tz = as_of.tzinfo
        assert tz is not None

        def begin(d: date) -> date:
            if period == "week":
                return d - timedelta(days=d.weekday())
            return d.replace(day=1) if period == "month" else d

        def after(d: date) -> date:
            if period == "day":
                return d + timedelta(days=1)
            if period == "week":
                return d + timedelta(days=7)
            return (d.replace(day=28) + timedelta(days=4)).replace(day=1)

        rows = []
        start = begin(since.astimezone(tz).date())
        previous_end = datetime.combine(start, time.min, tzinfo=tz) - timedelta(microseconds=1)
        while start <= as_of.date():
            last = after(start) - timedelta(days=1)
            end = min(datetime.combine(last, time.max, tzinfo=tz), as_of)
            figures = [self.learner(u["email"], end) for u in self.users]
            active = 0
            for u in self.users:
                zone = ZoneInfo(u["timezone"])
                days = {
                    e["at"].astimezone(zone).date()
                    for e in self.mine(u["email"], as_of)
                    if e["event"] in ("start", "complete", "quiz")
                }
                active += any(start <= d <= last for d in days)
            rows.append(
                {
                    "period_end": end.isoformat(),
                    "learners": len(figures),
                    "active_learners": active,
                    "modules_completed": sum(f["done"] for f in figures),
                    "mean_progress_percent": mean(
                        [half_up(f["done"], f["total"]) for f in figures]
                    ),
                    "time_spent": sum(
                        seconds(
                            (e["at"] - e["d"], e["at"])
                            for e in self.mine(u["email"], end)
                            if e["event"] in ("start", "complete", "quiz")
                            and previous_end < e["at"] <= end
                        )
                        for u in self.users
                    ),
                }
            )
            previous_end = end
            start = after(start)
        return rows


# --- scenarios ---------------------------------------------------------------------------


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    n = draw(st.integers(1, 4))
    users = [
        {
            "email": f"l{i}@example.com",
            "name": f"L{i}",
            "timezone": draw(st.sampled_from(ZONES)),
            "groups": ";".join(draw(st.lists(st.sampled_from(GROUPS), unique=True))),
        }
        for i in range(n)
    ]
    events = []
    for _ in range(draw(st.integers(0, 14))):
        user = draw(st.sampled_from(users))["email"]
        at = START + timedelta(minutes=draw(st.integers(0, 40 * 24 * 4)) * 15)
        kind = draw(st.sampled_from(["start", "complete", "quiz", "quiz", "enrol", "withdraw"]))
        row = {"user": user, "event": kind, "at": at.isoformat()}
        if draw(st.booleans()) and kind not in ("enrol", "withdraw"):
            row["duration"] = f"PT{draw(st.integers(1, 90))}M"
        if kind in ("start", "complete"):
            c, m, _, _ = draw(st.sampled_from(MODULES))
            row["module"] = f"{c}/{m}"
        elif kind == "quiz":
            row["quiz"] = draw(st.sampled_from(sorted(PASS)))
            total = 3 if row["quiz"] == "py-intro" else draw(st.integers(1, 8))
            row["score"], row["total"] = str(draw(st.integers(0, total))), str(total)
        else:
            row["competency"] = draw(st.sampled_from(COMPETENCIES))[0]
        events.append(row)
    return users, events


def _csv(rows: list[dict[str, str]], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, restval="")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _clear(url: str) -> None:
    engine = make_engine(normalize_url(url))
    with engine.begin() as conn:
        for table in (
            "quiz_attempts",
            "learning_progress",
            "learning_events",
            "group_members",
            "groups",
            "user_identities",
            "users",
        ):
            conn.execute(text(f"DELETE FROM {table}"))
    engine.dispose()


@pytest.mark.slow
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios(), period=st.sampled_from(["day", "week", "month"]))
def test_summaries_and_series_agree_with_the_exported_events(
    db_url: str, catalog_file: Path, tmp_path: Path, scenario: Any, period: str
) -> None:
    runner = CliRunner()

    def cli(*args: str) -> Any:
        result = runner.invoke(app, ["--db", db_url, *args])
        assert result.exit_code == 0, (args, result.stdout, result.stderr)
        return result.stdout

    users, events = scenario
    _clear(db_url)
    cli("catalog", "load", str(catalog_file))
    people = tmp_path / "users.csv"
    people.write_text(_csv(users, ["email", "name", "timezone", "groups"]))
    cli("users", "import", str(people))
    if events:
        feed = tmp_path / "events.csv"
        columns = ["user", "event", "module", "quiz", "score", "total", "at", "id", "duration"]
        feed.write_text(_csv(events, [*columns, "competency"]))
        cli("import", str(feed))

    exported = [json.loads(line) for line in cli("export", "--format", "jsonl").splitlines()]
    listed = json.loads(cli("users", "list", "--format", "json"))
    model = Model(exported, listed)
    as_of = datetime(2026, 4, 20, 23, 59, 59, 999999, tzinfo=ZoneInfo("Europe/Paris"))
    base = ["report", "--as-of", "2026-04-20", "--tz", "Europe/Paris", "--format", "json"]

    assert json.loads(cli(*base, "--summary", "module")) == model.by_module(as_of)
    assert json.loads(cli(*base, "--summary", "competency")) == model.by_competency(as_of)
    assert json.loads(cli(*base, "--summary", "group")) == model.by_group(as_of)
    since = datetime(2026, 3, 25, 12, tzinfo=ZoneInfo("Europe/Paris"))
    got = json.loads(cli(*base, "--series", period, "--from", "2026-03-25"))
    assert got == model.series(period, as_of, since)
