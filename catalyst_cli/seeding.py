"""`catalyst seed`: a deterministic synthetic catalogue, learners and their activity.

Everything comes from `random.Random` seeded with the plan's seed (one generator per learner, so
a learner's activity does not depend on how many come before), and from `as_of`: the same plan
and the same `as_of` give the same data. Events go through the recorder, the one write path,
so seeded data obeys every rule the commands apply. Learners revisit modules they are working
on, and most events carry the time spent on them, so reports exercise revisits and time spent.

A `prefix` seeds a second cohort beside the first: its emails, event ids and random streams
carry the prefix, while the catalogue is shared. A given `catalog` replaces the generated one.
With `enrol`, each learner enrols in a subset of the competencies at the start of the window
and works only on those; a few withdraw from one later, and some of them re-enrol.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

from sqlalchemy import Connection

from catalyst_cli.catalog import (
    CatalogIndex,
    CompetencyRef,
    CompetencySpec,
    ModuleRef,
    ModuleSpec,
    QuestionSpec,
    QuizRef,
    QuizSpec,
    catalog_index,
    load_catalog,
)
from catalyst_cli.errors import InputError
from catalyst_cli.events import Event, EventKind
from catalyst_cli.progress import Submission, grade_attempt
from catalyst_cli.recorder import Recorder, Tally, bulk_gc
from catalyst_cli.transfer import count_learners, describe_changes, ensure_learners, find_learners
from catalyst_cli.users import Learner

ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Paris",
    "America/Los_Angeles",
    "America/New_York",
    "America/Sao_Paulo",
    "Africa/Lagos",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
    "Pacific/Kiritimati",
)
TOPICS = (
    "python",
    "sql",
    "git",
    "linux",
    "testing",
    "security",
    "networking",
    "cloud",
    "data",
    "web",
)
FIRST_NAMES = ("Ada", "Ben", "Chloé", "Dev", "Eun-ji", "Femi", "Grace", "Hiro", "Inès", "Jamal")
LAST_NAMES = ("Okafor", "Martin", "Nakamura", "Silva", "Kumar", "Smith", "Dubois", "Ng", "Rossi")
CHOICES = ("a", "b", "c", "d")
QUIZ_TOTAL = 10  # the total of quizzes without questions
PROFILES = ("never", "lapsed", "regular", "streak")
PROFILE_WEIGHTS = (15, 25, 40, 20)
PREFIX = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
ENROL_RATE = 0.6  # each competency's chance to be in a learner's subset (at least one is)
WITHDRAW_RATE = 0.15  # learners who withdraw from one of theirs
REENROL_RATE = 0.5  # of those, who come back

T = TypeVar("T")
ProgressCallback = Callable[[int, int], None]
"""Called now and then with the events and the learners done so far."""


@dataclass(frozen=True)
class SeedPlan:
    """What to generate: sizes, the activity window in days before `as_of`, and the seed."""

    users: int = 100
    competencies: int = 3
    modules_per_competency: int = 5
    days: int = 30
    seed: int = 0
    prefix: str | None = None
    catalog: tuple[CompetencySpec, ...] | None = None  # None: generate one
    enrol: bool = False

    def __post_init__(self) -> None:
        if self.prefix is not None and not PREFIX.match(self.prefix):
            raise InputError(
                f"invalid --prefix {self.prefix!r}: 1 to 40 lower-case letters, digits or '-'"
            )
        if self.catalog is not None and not any(c.modules for c in self.catalog):
            raise InputError("cannot seed over a catalogue without modules")
        for option, value in (
            ("--users", self.users),
            ("--competencies", self.competencies),
            ("--modules-per-competency", self.modules_per_competency),
            ("--days", self.days),
        ):
            if value < 1:
                raise InputError(f"invalid {option} {value}: must be at least 1")

    def stream(self, name: str) -> str:
        """The name of one random stream: the prefix keeps a second cohort's apart."""
        return name if self.prefix is None else f"{self.prefix}:{name}"


@dataclass(frozen=True)
class SeedSummary:
    """What a seed generated, and what it changed in the database."""

    competencies: int
    modules: int
    quizzes: int
    learners: int
    events: int
    new_learners: int
    tally: Tally

    def describe(self) -> str:
        """The one-line summary the command prints."""
        return (
            f"seeded {self.competencies} competencies, {self.modules} modules, "
            f"{self.quizzes} quizzes, {self.learners:,} learners and {self.events:,} events: "
            + describe_changes(self.new_learners, self.tally)
        )


def seed_catalog(plan: SeedPlan) -> tuple[CompetencySpec, ...]:
    """The plan's catalogue: the one given, or one generated from the seed.

    In a generated one about 60% of modules have a quiz, half of them with questions.
    """
    if plan.catalog is not None:
        return plan.catalog
    rng = random.Random(f"catalog:{plan.seed}")
    competencies = []
    for c in range(plan.competencies):
        topic = TOPICS[c % len(TOPICS)]
        slug = topic if c < len(TOPICS) else f"{topic}-{c // len(TOPICS) + 1}"
        modules = []
        for m in range(1, plan.modules_per_competency + 1):
            quizzes: tuple[QuizSpec, ...] = ()
            if rng.random() < 0.6:
                questions = None
                if rng.random() < 0.5:
                    questions = tuple(
                        QuestionSpec(f"q{i}", f"Question {i}", CHOICES, rng.choice(CHOICES))
                        for i in range(1, rng.randint(3, 6) + 1)
                    )
                quiz_slug = f"{slug}-m{m:02d}-quiz"
                percent = rng.choice((50, 60, 70, 70, 80))
                quizzes = (QuizSpec(quiz_slug, f"{topic.title()} {m} quiz", percent, questions),)
            modules.append(ModuleSpec(f"m{m:02d}", f"{topic.title()} part {m}", quizzes))
        competencies.append(CompetencySpec(slug, f"{topic.title()} ({c + 1})", tuple(modules)))
    return tuple(competencies)


def seed_people(plan: SeedPlan) -> list[tuple[str, str, str]]:
    """The plan's learners as (email, name, zone); the zones take turns."""
    rng = random.Random(plan.stream(f"people:{plan.seed}"))
    width = max(5, len(str(plan.users)))
    who = "learner" if plan.prefix is None else f"{plan.prefix}-learner"
    return [
        (
            f"{who}{i:0{width}d}@example.com",
            f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
            ZONES[(i + plan.seed) % len(ZONES)],
        )
        for i in range(1, plan.users + 1)
    ]


@dataclass(frozen=True)
class Course:
    """The seeded part of the catalogue: competencies, their modules in order, module quizzes."""

    competencies: tuple[CompetencyRef, ...]
    paths: tuple[tuple[ModuleRef, ...], ...]
    quizzes: dict[int, QuizRef]

    @classmethod
    def of(cls, index: CatalogIndex, catalog: tuple[CompetencySpec, ...]) -> Course:
        """The course of `catalog` as loaded (the database may hold more)."""
        competencies = tuple(index.competency(c.slug) for c in catalog)
        paths = tuple(index.modules_of(c) for c in competencies)
        ids = {m.id for path in paths for m in path}
        quizzes = {q.module.id: q for q in index.quizzes.values() if q.module.id in ids}
        return cls(competencies, paths, quizzes)

    def only(self, positions: Sequence[int]) -> Course:
        """The course of the competencies at these positions (0-based), in catalogue order."""
        return Course(
            tuple(self.competencies[i] for i in positions),
            tuple(self.paths[i] for i in positions),
            self.quizzes,
        )


def _active_days(rng: random.Random, days: int) -> list[int]:
    """Which of the days 0..days-1 (the last is today) a learner is active on, by profile."""
    profile = rng.choices(PROFILES, PROFILE_WEIGHTS)[0]
    rate = rng.uniform(0.25, 0.7)
    if profile == "never":
        return []
    if profile == "regular":
        first = rng.randrange(days // 2 + 1)
        return [d for d in range(first, days) if rng.random() < rate]
    if profile == "lapsed":  # nothing today or yesterday
        if days < 3:
            return []
        first = rng.randrange(days - 2)
        last = rng.randrange(first, days - 2)
        return [first] + [d for d in range(first + 1, last + 1) if rng.random() < rate]
    run = rng.randint(min(days, 8), min(days, 60))
    before = [d for d in range(days - run) if rng.random() < rate / 2]
    return before + list(range(days - run, days))


class _Learning:
    """One learner working through the course: start, quiz until passed, complete, next."""

    def __init__(self, rng: random.Random, user_id: int, course: Course, key: str | None) -> None:
        self.rng = rng
        self.user_id = user_id
        self.quizzes = course.quizzes
        first = rng.randrange(len(course.paths))
        self.path = [m for p in course.paths[first:] + course.paths[:first] for m in p]
        self.position = 0
        self.started = False
        self.passed: list[QuizRef] = []
        self.key = key
        self.attempts = 0

    def act(self, at: datetime) -> Iterator[Event]:
        """The events of one action at `at`."""
        if self.position >= len(self.path):
            if self.passed:  # all done: revise a passed quiz
                yield self._attempt(_pick(self.rng, self.passed), at, pass_rate=0.9)
            return
        module = self.path[self.position]
        if not self.started:
            self.started = True
            yield self._module_event(EventKind.start, module, at)
            return
        if self.rng.random() < 0.4:  # back to the module on another visit: a revisit
            yield self._module_event(EventKind.start, module, at)
            return
        quiz = self.quizzes.get(module.id)
        if quiz is None:
            yield self._module_event(EventKind.complete, module, at)
            self._next()
            return
        event = self._attempt(quiz, at, pass_rate=0.65)
        yield event
        if event.passed:
            self.passed.append(quiz)
            if self.rng.random() < 0.5:  # some systems also send the completion
                yield self._module_event(EventKind.complete, module, at)
            self._next()

    def _duration(self) -> int | None:
        """Most systems report the time spent: 2 to 25 minutes, in microseconds."""
        if self.rng.random() < 0.3:
            return None
        return (120 + _below(self.rng, 1380)) * 1_000_000

    def _module_event(self, kind: EventKind, module: ModuleRef, at: datetime) -> Event:
        return Event(kind, self.user_id, at, module_id=module.id, duration_us=self._duration())

    def _next(self) -> None:
        self.position += 1
        self.started = False

    def _attempt(self, quiz: QuizRef, at: datetime, *, pass_rate: float) -> Event:
        good = self.rng.random() < pass_rate
        self.attempts += 1
        key = None if self.key is None else f"{self.key}-{self.attempts}"
        if quiz.questions:
            answers = {
                str(q["id"]): q["answer"]
                if good or self.rng.random() < 0.3
                else _wrong(q["answer"])
                for q in quiz.questions
            }
            submission = Submission(answers=answers)
        else:
            score = 6 + _below(self.rng, QUIZ_TOTAL - 5) if good else _below(self.rng, 8)
            submission = Submission(score=score, total=QUIZ_TOTAL)
        return grade_attempt(
            self.user_id, quiz, submission, at, external_id=key, duration_us=self._duration()
        )


def _below(rng: random.Random, n: int) -> int:
    """A whole number in 0..n-1: `randrange` without its argument checks, several times faster."""
    return int(rng.random() * n)


def _pick(rng: random.Random, items: Sequence[T]) -> T:
    return items[_below(rng, len(items))]


def _wrong(answer: Any) -> Any:
    return next(c for c in CHOICES if c != answer)


def _enrolments(
    plan: SeedPlan, number: int, learner: Learner, course: Course, as_of: datetime
) -> tuple[Course, list[Event]]:
    """The learner's part of the course under `--enrol`, and their enrol and withdraw events.

    Enrolments are at 06:00 on the window's first day, before any activity (07:00 or later);
    a withdrawal is at 06:30 on a later day, and a re-enrolment at 06:45 a few days after it.
    """
    rng = random.Random(plan.stream(f"enrol:{plan.seed}:{number}"))
    picked = [i for i in range(len(course.paths)) if rng.random() < ENROL_RATE]
    if not picked:
        picked = [_below(rng, len(course.paths))]
    tz = learner.tz
    first = as_of.astimezone(tz).date() - timedelta(days=plan.days - 1)

    def event(kind: EventKind, day: int, minute: int, competency: CompetencyRef) -> Event:
        local = datetime.combine(first + timedelta(days=day), time(6, minute), tzinfo=tz)
        return Event(kind, learner.id, local.astimezone(UTC), competency_id=competency.id)

    events = [event(EventKind.enrol, 0, 0, course.competencies[i]) for i in picked]
    if plan.days > 2 and rng.random() < WITHDRAW_RATE:
        left = course.competencies[_pick(rng, picked)]
        day = 1 + _below(rng, plan.days - 1)
        events.append(event(EventKind.withdraw, day, 30, left))
        if rng.random() < REENROL_RATE:
            events.append(event(EventKind.enrol, day + 1 + _below(rng, 7), 45, left))
    return course.only(picked), sorted(
        (e for e in events if e.at <= as_of), key=lambda e: (e.at, e.competency_id or 0)
    )


def learner_events(
    plan: SeedPlan, number: int, learner: Learner, course: Course, as_of: datetime
) -> Iterator[Event]:
    """The events of the plan's learner `number`, in time order, none after `as_of`."""
    rng = random.Random(plan.stream(f"learner:{plan.seed}:{number}"))
    # half the learners come through a system that sends idempotency keys; derived from the
    # seed (and prefix), so the same options and --as-of give the same data, whatever the clock
    key = f"seed{plan.seed}-{number}" if rng.random() < 0.5 else None
    if key is not None and plan.prefix is not None:
        key = f"{plan.prefix}-{key}"
    enrolments: list[Event] = []
    if plan.enrol:
        course, enrolments = _enrolments(plan, number, learner, course, as_of)
    learning = _Learning(rng, learner.id, course, key)
    tz = learner.tz
    today = as_of.astimezone(tz).date()
    yield from enrolments  # the recorder keeps no order: time order is for readers only
    for day_index in _active_days(rng, plan.days):
        day: date = today - timedelta(days=plan.days - 1 - day_index)
        begin = time(7 + _below(rng, 15), _below(rng, 60))
        at = datetime.combine(day, begin, tzinfo=tz).astimezone(UTC)  # UTC: cheap arithmetic
        for _ in range(1 + _below(rng, 4)):
            if at > as_of:
                break
            yield from learning.act(at)
            at += timedelta(seconds=180 + _below(rng, 2820))


def seed(
    session: Connection,
    plan: SeedPlan,
    *,
    as_of: datetime,
    on_progress: ProgressCallback | None = None,
) -> SeedSummary:
    """Load the plan's catalogue and learners, and record their activity up to `as_of`."""
    before = count_learners(session)
    catalog = seed_catalog(plan)
    loaded = load_catalog(session, catalog)
    people = seed_people(plan)
    ensure_learners(session, people, now=as_of - timedelta(days=plan.days))
    learners = find_learners(session, [email for email, _, _ in people])
    course = Course.of(catalog_index(session), catalog)
    recorder = Recorder(session)
    events = 0
    with bulk_gc():
        for number, (email, _, _) in enumerate(people, 1):
            for ev in learner_events(plan, number, learners[email], course, as_of):
                events += 1
                recorder.add(ev)
            if on_progress is not None and (number % 100 == 0 or number == len(people)):
                on_progress(events, number)
        tally = recorder.flush()
    if tally.conflicts:
        raise InputError(
            f"cannot seed: {len(tally.conflicts)} generated ids are already recorded "
            "with different content (seed into a new database, or change --seed)"
        )
    return SeedSummary(
        loaded.competencies,
        loaded.modules,
        loaded.quizzes,
        len(people),
        events,
        count_learners(session) - before,
        tally,
    )
