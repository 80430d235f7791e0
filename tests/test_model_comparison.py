"""catalyst against an independent model of SPEC.md (tests/spec_model.py), end to end.

Hypothesis generates catalogues (module slugs shared across competencies, quizzes with and
without questions, any pass_percent), learners from Pacific/Kiritimati (+14) to Pacific/Pago_Pago
(-11), and events clustered around DST changes over about three weeks, written as local times,
UTC, other offsets and bare dates. catalyst receives the events in a shuffled order through its
CLI, each example in a database of its own; then `stats`, `streak` and `modules` at several
`--as-of` points must equal the model's answer, field for field. Enrolments too: enrol,
withdraw and re-enrol (some at the very instant of an `--as-of`, or just after), with progress
outside the learner's catalogue; `stats --competency` outside it must be exit 1, and
`report --competency C [--include-withdrawn]` must list the model's learners, field for field.

Examples per backend: `CATALYST_MODEL_EXAMPLES=sqlite:200,postgresql:50` runs more (read at
import, before the autouse fixture clears CATALYST_* variables).
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text
from typer.testing import CliRunner, Result

from catalyst_cli.db.url import normalize_url
from catalyst_cli.main import app
from tests.spec_model import (
    Catalogue,
    CompetencyDef,
    Event,
    LearnerDef,
    ModuleDef,
    Question,
    QuizDef,
    SpecModel,
    diff,
    parse_time,
)

pytestmark = pytest.mark.slow  # run apart with -m slow; -m "not slow" is the fast subset

ZONES = (
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "America/Los_Angeles",
    "America/New_York",
    "Europe/London",
    "Europe/Paris",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "UTC",
)
# DST changes in 2026: US 03-08 and 11-01, EU 03-29 and 10-25, Lord Howe 04-05 and 10-04.
DST_DAYS = {
    "spring": (date(2026, 3, 8), date(2026, 3, 29), date(2026, 4, 5)),
    "autumn": (date(2026, 10, 4), date(2026, 10, 25), date(2026, 11, 1)),
}
COMPETENCY_SLUGS = ("python", "sql", "git")
MODULE_SLUGS = ("intro", "basics", "setup", "advanced", "review")
ID_KEYS = ("k1", "k2", "k3")


def _examples() -> dict[str, int]:
    counts = {"sqlite": 40, "postgresql": 15}
    given_ = os.environ.get("CATALYST_MODEL_EXAMPLES", "")
    for part in filter(None, given_.split(",")):
        backend, _, n = part.partition(":")
        counts[backend.strip()] = int(n)
    return counts


EXAMPLES = _examples()


# --- scenarios ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    user: str
    as_of: str
    competency: str | None  # for stats
    modules_of: str  # for modules, and report --competency
    include_withdrawn: bool = False  # for the report


@dataclass(frozen=True)
class Scenario:
    catalogue: Catalogue
    learners: tuple[LearnerDef, ...]
    events: tuple[Event, ...]  # in arrival order
    queries: tuple[Query, ...]


@st.composite
def catalogues(draw: st.DrawFn) -> Catalogue:
    n_quiz = 0
    comps = []
    for cslug in draw(
        st.lists(st.sampled_from(COMPETENCY_SLUGS), min_size=1, max_size=3, unique=True)
    ):
        modules = []
        for mslug in draw(
            st.lists(st.sampled_from(MODULE_SLUGS), min_size=1, max_size=5, unique=True)
        ):
            quizzes = []
            for _ in range(draw(st.integers(0, 2))):
                n_quiz += 1
                slug = f"quiz-{n_quiz}"
                percent = draw(
                    st.none() | st.sampled_from([0, 50, 57, 70, 100]) | st.integers(0, 100)
                )
                questions = None
                if draw(st.booleans()):
                    questions = tuple(
                        Question(f"{slug}-q{i}", draw(st.sampled_from("abc")))
                        for i in range(1, draw(st.integers(1, 4)) + 1)
                    )
                quizzes.append(QuizDef(slug, f"Quiz {n_quiz}", percent, questions))
            modules.append(ModuleDef(mslug, f"{cslug} {mslug}", tuple(quizzes)))
        comps.append(CompetencyDef(cslug, cslug.title(), tuple(modules)))
    return Catalogue(tuple(comps))


def _moment(draw: st.DrawFn, zone: str, centre: date, span: int, *, bare: bool = True) -> str:
    """A TIME near `centre`, often near midnight or a DST change, in one of TIME's forms."""
    day = centre + timedelta(days=draw(st.integers(-span, span)))
    hour = draw(st.sampled_from([0, 1, 2, 3, 12, 23]) | st.integers(0, 23))
    minute = draw(st.sampled_from([0, 30, 59]) | st.integers(0, 59))
    second = draw(st.sampled_from([0, 0, 0, 59]))
    naive = datetime.combine(day, time(hour, minute, second))
    styles = ["local", "local", "utc", "z", "offset"] + (["bare"] if bare else [])
    style = draw(st.sampled_from(styles))
    instant = naive.replace(tzinfo=ZoneInfo(zone))
    if style == "local":
        return naive.isoformat()
    if style == "bare":
        return day.isoformat()
    if style == "utc":
        return instant.astimezone(UTC).isoformat()
    if style == "z":
        return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    other = ZoneInfo(draw(st.sampled_from(ZONES)))
    return instant.astimezone(other).isoformat()


def _submission(draw: st.DrawFn, quiz: QuizDef) -> dict[str, Any]:
    if quiz.questions and draw(st.booleans()):
        answers = tuple(
            (q.id, draw(st.sampled_from([q.answer, q.answer, "a", "c"])))
            for q in quiz.questions
            if draw(st.integers(0, 4))  # now and then a question left unanswered
        )
        return {"answers": answers}
    if quiz.questions:
        total = len(quiz.questions)
    else:
        total = draw(st.sampled_from([1, 3, 7, 10, 100]) | st.integers(1, 20))
    threshold = -(-quiz.percent * total // 100)  # the least passing score
    near = sorted({s for s in (threshold, threshold - 1, 0, total) if 0 <= s <= total})
    return {"score": draw(st.sampled_from(near) | st.integers(0, total)), "total": total}


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    catalogue = draw(catalogues())
    zones = draw(st.lists(st.sampled_from(ZONES), min_size=1, max_size=3))
    learners = tuple(LearnerDef(f"learner{i}@example.com", z) for i, z in enumerate(zones, 1))
    centre = draw(st.sampled_from(DST_DAYS[draw(st.sampled_from(sorted(DST_DAYS)))]))
    span = draw(st.sampled_from([2, 4, 10]))
    paths = [f"{c.slug}/{m.slug}" for c in catalogue.competencies for m in c.modules]
    quizzes = [q for c in catalogue.competencies for m in c.modules for q in m.quizzes]
    kinds = ["start", "complete", "enrol", "withdraw"] + ["quiz", "quiz"] * bool(quizzes)
    names = [c.slug for c in catalogue.competencies]

    def event() -> Event:
        learner = draw(st.sampled_from(learners))
        user = draw(st.sampled_from([learner.email, learner.email, learner.email.upper()]))
        at = _moment(draw, learner.tz, centre, span)
        kind = draw(st.sampled_from(kinds))
        if kind in ("enrol", "withdraw"):
            return Event(kind, user, at, competency=draw(st.sampled_from(names)))
        key = draw(st.none() | st.none() | st.sampled_from(ID_KEYS))
        duration = draw(st.none() | st.sampled_from([0, 59, 600, 1799, 1800, 5400]))
        if kind != "quiz":
            module = draw(st.sampled_from(paths))
            return Event(kind, user, at, module=module, id=key, duration=duration)
        quiz = draw(st.sampled_from(quizzes))
        return Event(
            "quiz", user, at, quiz=quiz.slug, id=key, duration=duration, **_submission(draw, quiz)
        )

    events = [event() for _ in range(draw(st.integers(1, 8)))]
    # A habit: one learner active on consecutive local days, so that streaks form and break.
    if draw(st.integers(0, 3)):
        learner = draw(st.sampled_from(learners))
        first = centre + timedelta(days=draw(st.integers(-span, span)))
        for i in range(draw(st.integers(2, 6))):
            if draw(st.integers(0, 5)) == 0:
                continue  # a day off breaks the run
            hour = draw(st.sampled_from([0, 1, 23, 12]))
            moment = datetime.combine(first + timedelta(days=i), time(hour, 30))
            ev = event()
            events.append(replace(ev, user=learner.email, at=moment.isoformat()))
    if draw(st.booleans()):  # enrol, withdraw, work while out, re-enrol
        learner = draw(st.sampled_from(learners))
        competency = draw(st.sampled_from(names))
        first = centre + timedelta(days=draw(st.integers(-span, span)))
        target = next(x for x in paths if x.startswith(f"{competency}/"))
        for i, kind in enumerate(
            ["enrol", "withdraw", "start", "enrol"][: draw(st.integers(2, 4))]
        ):
            moment = datetime.combine(first + timedelta(days=i), time(draw(st.integers(0, 23))))
            at = moment.isoformat()
            if kind == "start":
                events.append(Event("start", learner.email, at, module=target))
            else:
                events.append(Event(kind, learner.email, at, competency=competency))
    for i in draw(st.lists(st.integers(0, len(events) - 1), max_size=3)):
        repeat = events[i]  # a repeat as is, or the same content at another time
        if draw(st.booleans()):
            zone = next(x.tz for x in learners if x.email == repeat.user.lower())
            repeat = replace(repeat, at=_moment(draw, zone, centre, span))
        events.append(repeat)
    arrival = tuple(draw(st.permutations(events)))

    zone_of = {x.email: x.tz for x in learners}
    queries = []
    for _ in range(draw(st.integers(1, 3))):
        # About a learner with events, in proportion to their events.
        who = draw(st.sampled_from(events)).user.lower()
        learner = next(x for x in learners if x.email == who)
        how = draw(st.sampled_from(["bare", "bare", "event", "before-event", "moment"]))
        if how == "bare":  # the end of a day: around one of the learner's days, or after it
            theirs = [e for e in events if e.user.lower() == learner.email]
            instant = parse_time(draw(st.sampled_from(theirs)).at, learner.tz, as_of=False)
            day = instant.astimezone(ZoneInfo(learner.tz)).date()
            as_of = (day + timedelta(days=draw(st.integers(-1, 2)))).isoformat()
        elif how in ("event", "before-event"):
            ev = draw(st.sampled_from(events))
            as_of = ev.at
            if how == "before-event":
                instant = parse_time(ev.at, zone_of[ev.user.lower()], as_of=False)
                as_of = (instant - timedelta(microseconds=1)).astimezone(UTC).isoformat()
        else:
            as_of = _moment(draw, learner.tz, centre, span + 1, bare=False)
        queries.append(
            Query(
                draw(st.sampled_from([learner.email, learner.email.upper()])),
                as_of,
                draw(st.none() | st.sampled_from(names)),
                draw(st.sampled_from(names)),
                draw(st.booleans()),
            )
        )
    return Scenario(catalogue, learners, arrival, tuple(queries))


# --- databases, one per example ----------------------------------------------------------


NewDatabase = Callable[[], AbstractContextManager[str]]


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def new_database(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> NewDatabase:
    """A factory of fresh databases at head, one per Hypothesis example, removed after it."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")

        @contextmanager
        def sqlite_db() -> Iterator[str]:
            folder = tmp_path / uuid.uuid4().hex[:12]
            folder.mkdir()
            shutil.copyfile(template, folder / "catalyst.db")
            try:
                yield f"sqlite:///{folder / 'catalyst.db'}"
            finally:
                shutil.rmtree(folder, ignore_errors=True)

        return sqlite_db

    admin_url: str = request.getfixturevalue("pg_admin_url")
    pg_template: str = request.getfixturevalue("pg_template")

    @contextmanager
    def pg_db() -> Iterator[str]:
        name = f"m_{uuid.uuid4().hex[:12]}"
        admin = create_engine(normalize_url(admin_url), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"'))
            try:
                url = normalize_url(admin_url).set(database=name)
                yield url.render_as_string(hide_password=False)
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            admin.dispose()

    return pg_db


# --- the comparison ----------------------------------------------------------------------


def _json(result: Result, args: list[str]) -> Any:
    assert result.exit_code == 0, (args, result.stdout, result.stderr)
    return json.loads(result.stdout)


def run_scenario(url: str, scenario: Scenario, folder: Path) -> None:
    runner = CliRunner()

    def cli(*args: str) -> Result:
        return runner.invoke(app, ["--db", url, *args])

    catalogue = folder / f"catalogue-{uuid.uuid4().hex[:8]}.json"
    catalogue.write_text(json.dumps(scenario.catalogue.to_json()))
    assert cli("catalog", "load", str(catalogue)).exit_code == 0
    for learner in scenario.learners:
        assert cli("users", "add", learner.email, "--tz", learner.tz).exit_code == 0

    model = SpecModel(scenario.catalogue, scenario.learners)
    for event in scenario.events:
        args = event.cli_args()
        note("catalyst " + " ".join(args))
        expected = model.apply(event)
        result = cli(*args)
        assert result.exit_code == expected, (args, result.exit_code, expected, result.stderr)

    for q in scenario.queries:
        as_of = ["--user", q.user, "--as-of", q.as_of, "--format", "json"]
        comp = [] if q.competency is None else ["--competency", q.competency]
        args = ["stats", *as_of, *comp]
        figures = model.stats(q.user, q.as_of, q.competency)
        if figures is None:  # outside the learner's catalogue
            result = cli(*args)
            assert (result.exit_code, result.stdout) == (1, ""), (args, result.stdout)
            assert result.stderr == f"{q.user.lower()} is not enrolled in {q.competency}\n"
        else:
            got = _json(cli(*args), args)
            assert got == figures, (args, diff(figures, got))

        args = ["streak", *as_of]
        want = model.streak(q.user, q.as_of)
        got = _json(cli(*args), args)
        assert got == want, (args, diff(want, got))

        args = ["modules", q.modules_of, *as_of]
        wanted = model.modules(q.user, q.modules_of, q.as_of)
        rows = _json(cli(*args), args)
        assert [r["module"] for r in rows] == [r["module"] for r in wanted], args
        for want, got in zip(wanted, rows, strict=True):
            assert got == want, (args, want["module"], diff(want, got))

        args = ["report", "--competency", q.modules_of, "--as-of", q.as_of, "--format", "json"]
        args += ["--include-withdrawn"] * q.include_withdrawn
        wanted = model.report(q.as_of, q.modules_of, include_withdrawn=q.include_withdrawn)
        rows = _json(cli(*args), args)
        assert [r["user"] for r in rows] == [r["user"] for r in wanted], args
        for want, got in zip(wanted, rows, strict=True):
            assert got == want, (args, want["user"], diff(want, got))


def test_catalyst_agrees_with_the_spec_model(
    backend: str, new_database: NewDatabase, tmp_path: Path
) -> None:
    @settings(
        max_examples=EXAMPLES[backend],
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )
    @given(scenario=scenarios())
    def compare(scenario: Scenario) -> None:
        with new_database() as url:
            run_scenario(url, scenario, tmp_path)

    compare()
