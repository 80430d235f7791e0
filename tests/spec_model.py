"""An independent, deliberately simple model of SPEC.md's progress rules.

Written from SPEC.md alone ("Time", "Progress operations", "Reading progress"), with nothing of
catalyst's own rules, stats or time code: only the standard library. The model keeps every
event as it arrived and derives each answer from the raw events at read time, so it shares no
state shape with catalyst (which merges events into one progress row per module).

Choices where SPEC.md is silent, made to match catalyst's documented ones:

* An attempt without `--id` is recognised by its content (user, quiz, instant, score, total):
  an identical one is recorded once.
* An event's "content" for `--id` comparison is its kind, user, target, score, total, answers
  and duration; the time is not compared (`ID_CONTENT_INCLUDES_TIME`), so a retried command
  whose time defaults to "now" is a repeat. A repeated id (same content) records nothing; the
  first stands.
* A start or completion without an id at the same instant as one recorded before (same user,
  kind and module) is the same event: the first (and its duration) stands.
* Activity days and time spent count learning events only: starts (revisits too),
  completions and attempts.
* A naive local time that falls in a DST gap or overlap is read as Python's zoneinfo does
  (fold=0: the offset in force before the transition, as RFC 5545 reads a local time in a gap).
  dateutil.tz reads a time in a gap with the offset after it: one hour apart.
* Enrolment ("Learners in bulk, groups and enrolment"): a withdraw with no enrolment before it
  changes no standing but, being an enrolment recorded, closes the competency for everybody.
  Enrolments are not activity and have no time spent.
* `user` in output is the email as registered. catalyst shows it lower-cased (it stores it so),
  so the comparison registers lower-case emails and varies the case only in `--user`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

DEFAULT_PASS_PERCENT = 70
IDLE = timedelta(minutes=30)
ID_CONTENT_INCLUDES_TIME = False
END_OF_DAY = time(23, 59, 59, 999999)
NOON = time(12, 0)


# --- the catalogue ------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    id: str
    answer: str
    choices: tuple[str, ...] = ("a", "b", "c")


@dataclass(frozen=True)
class QuizDef:
    slug: str
    title: str
    pass_percent: int | None = None  # None: left out of the file, so the default applies
    questions: tuple[Question, ...] | None = None

    @property
    def percent(self) -> int:
        return DEFAULT_PASS_PERCENT if self.pass_percent is None else self.pass_percent


@dataclass(frozen=True)
class ModuleDef:
    slug: str
    title: str
    quizzes: tuple[QuizDef, ...] = ()


@dataclass(frozen=True)
class CompetencyDef:
    slug: str
    title: str
    modules: tuple[ModuleDef, ...] = ()


@dataclass(frozen=True)
class Catalogue:
    competencies: tuple[CompetencyDef, ...]

    def to_json(self) -> dict[str, Any]:
        """The catalogue file, as SPEC.md's "Catalogue and users" describes it."""

        def quiz(q: QuizDef) -> dict[str, Any]:
            out: dict[str, Any] = {"slug": q.slug, "title": q.title}
            if q.pass_percent is not None:
                out["pass_percent"] = q.pass_percent
            if q.questions is not None:
                out["questions"] = [
                    {
                        "id": x.id,
                        "prompt": f"{x.id}?",
                        "choices": list(x.choices),
                        "answer": x.answer,
                    }
                    for x in q.questions
                ]
            return out

        return {
            "competencies": [
                {
                    "slug": c.slug,
                    "title": c.title,
                    "modules": [
                        {"slug": m.slug, "title": m.title, "quizzes": [quiz(q) for q in m.quizzes]}
                        for m in c.modules
                    ],
                }
                for c in self.competencies
            ]
        }


@dataclass(frozen=True)
class LearnerDef:
    email: str
    tz: str


# --- events -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """One write as a caller gives it: `start`, `complete`, `quiz`, `enrol` or `withdraw`."""

    kind: str
    user: str
    at: str
    module: str | None = None  # COMPETENCY/MODULE, for start and complete
    quiz: str | None = None
    score: int | None = None
    total: int | None = None
    answers: tuple[tuple[str, str], ...] | None = None  # {question id: answer}, as pairs
    id: str | None = None
    duration: int | None = None  # whole seconds
    competency: str | None = None  # for enrol and withdraw (generated without id or duration)

    def cli_args(self) -> list[str]:
        """The catalyst command line recording this event."""
        when = ["--user", self.user, "--at", self.at]
        if self.id is not None:
            when += ["--id", self.id]
        if self.duration is not None:
            when += [
                "--duration",
                f"PT{self.duration}S" if self.duration % 2 else str(self.duration),
            ]
        if self.kind in ("start", "complete"):
            assert self.module is not None
            return [self.kind, self.module, *when]
        if self.kind in ("enrol", "withdraw"):
            assert self.competency is not None and self.id is None and self.duration is None
            return [self.kind, self.competency, *when]
        assert self.quiz is not None
        args = ["quiz", "submit", self.quiz, *when]
        if self.answers is not None:
            args += ["--answers", json.dumps(dict(self.answers))]
        else:
            args += ["--score", str(self.score), "--total", str(self.total)]
        return args


@dataclass(frozen=True)
class _ModuleEvent:
    user: str
    kind: str
    module: str
    at: datetime
    duration: int | None
    id: str | None

    def content(self) -> tuple[Any, ...]:
        base: tuple[Any, ...] = (self.kind, self.user, self.module, self.duration)
        return (*base, self.at) if ID_CONTENT_INCLUDES_TIME else base


@dataclass(frozen=True)
class _Attempt:
    user: str
    quiz: str
    module: str
    at: datetime
    score: int
    total: int
    passed: bool
    answers: tuple[tuple[str, str], ...] | None
    id: str | None
    duration: int | None

    def content(self) -> tuple[Any, ...]:
        base: tuple[Any, ...] = (
            "quiz",
            self.user,
            self.quiz,
            self.score,
            self.total,
            self.answers,
            self.duration,
        )
        return (*base, self.at) if ID_CONTENT_INCLUDES_TIME else base


# --- time ---------------------------------------------------------------------------------


def parse_time(text: str, zone: str, *, as_of: bool) -> datetime:
    """TIME as SPEC.md reads it: ISO 8601, in the learner's zone when it has no offset.

    A bare date (any ISO 8601 calendar date without a time) is noon for `--at` and the last
    microsecond of the day for `--as-of`.
    """
    text = text.strip()
    tz = ZoneInfo(zone)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        day = None
    if day is not None:
        return datetime.combine(day, END_OF_DAY if as_of else NOON, tzinfo=tz)
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value


def render(value: datetime | None, zone: str) -> str | None:
    """A timestamp in output: ISO 8601 on the learner's wall clock, with its offset."""
    return None if value is None else value.astimezone(ZoneInfo(zone)).isoformat()


def half_up(part: int, whole: int) -> int:
    """100 * part / whole, rounded half up; 0 when there is nothing to count."""
    if whole == 0:
        return 0
    return int((Decimal(100 * part) / Decimal(whole)).quantize(Decimal(1), ROUND_HALF_UP))


def passes(score: int, total: int, pass_percent: int) -> bool:
    """SPEC.md's pass rule, in integers."""
    return score * 100 >= pass_percent * total


# --- the model ----------------------------------------------------------------------------


@dataclass
class SpecModel:
    """Catalyst as SPEC.md describes it: events in, the JSON of stats, streak and modules out."""

    catalogue: Catalogue
    learners: Iterable[LearnerDef]
    module_events: list[_ModuleEvent] = field(default_factory=list)
    attempts: list[_Attempt] = field(default_factory=list)
    enrolments: list[tuple[str, str, datetime, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.zones = {x.email.lower(): x.tz for x in self.learners}
        self.emails = {x.email.lower(): x.email for x in self.learners}
        self.module_paths: list[tuple[str, int, ModuleDef]] = []
        self.quiz_module: dict[str, tuple[QuizDef, str]] = {}
        for c in self.catalogue.competencies:
            for pos, m in enumerate(c.modules, 1):
                path = f"{c.slug}/{m.slug}"
                self.module_paths.append((c.slug, pos, m))
                for q in m.quizzes:
                    self.quiz_module[q.slug] = (q, path)

    # writes

    def apply(self, event: Event) -> int:
        """Record one event as it arrives; the exit code catalyst should give."""
        user = event.user.lower()
        if user not in self.zones:
            return 1
        at = parse_time(event.at, self.zones[user], as_of=False)
        if event.kind in ("enrol", "withdraw"):
            if event.competency not in {c.slug for c in self.catalogue.competencies}:
                return 1
            self.enrolments.append((user, event.competency, at, event.kind))
            return 0
        if event.kind in ("start", "complete"):
            paths = {f"{c}/{m.slug}" for c, _, m in self.module_paths}
            if event.module not in paths:
                return 1
            new = _ModuleEvent(user, event.kind, event.module, at, event.duration, event.id)
            if event.id is not None:
                first = self._keyed(event.id)
                if first is not None:
                    return 0 if first.content() == new.content() else 1
            elif any(
                e.id is None
                and (e.user, e.kind, e.module, e.at) == (user, new.kind, new.module, at)
                for e in self.module_events
            ):
                return 0
            self.module_events.append(new)
            return 0
        assert event.kind == "quiz"
        if event.quiz not in self.quiz_module:
            return 1
        quiz, path = self.quiz_module[event.quiz]
        if event.answers is not None:
            if not quiz.questions:
                return 1
            given = dict(event.answers)
            ids = {q.id for q in quiz.questions}
            if set(given) - ids:
                return 1
            score = sum(1 for q in quiz.questions if given.get(q.id) == q.answer)
            total = len(quiz.questions)
        else:
            if event.score is None or event.total is None:
                return 1
            score, total = event.score, event.total
            if total < 1 or not 0 <= score <= total:
                return 1
            if quiz.questions and total != len(quiz.questions):
                return 1
        attempt = _Attempt(
            user,
            quiz.slug,
            path,
            at,
            score,
            total,
            passes(score, total, quiz.percent),
            event.answers,
            event.id,
            event.duration,
        )
        if event.id is not None:
            first = self._keyed(event.id)
            if first is not None:
                return 0 if first.content() == attempt.content() else 1
        else:
            for a in self.attempts:
                if a.id is None and (a.user, a.quiz, a.at, a.score, a.total) == (
                    user,
                    quiz.slug,
                    at,
                    score,
                    total,
                ):
                    return 0
        self.attempts.append(attempt)
        return 0

    def _keyed(self, key: str) -> _ModuleEvent | _Attempt | None:
        for e in self.module_events:
            if e.id == key:
                return e
        return next((a for a in self.attempts if a.id == key), None)

    # reads

    def _as_of(self, user: str, as_of: str) -> tuple[str, datetime]:
        zone = self.zones[user.lower()]
        return zone, parse_time(as_of, zone, as_of=True)

    def _attempts(self, user: str, when: datetime) -> list[_Attempt]:
        return [a for a in self.attempts if a.user == user.lower() and a.at <= when]

    def _progress(self, user: str, path: str, when: datetime) -> tuple[datetime | None, ...]:
        """(started_at, completed_at) of one module, from the events at or before `when`."""
        mine = [
            e
            for e in self.module_events
            if (e.user, e.module) == (user.lower(), path) and e.at <= when
        ]
        starts = [e.at for e in mine if e.kind == "start"]
        completes = [e.at for e in mine if e.kind == "complete"]
        tries = [a for a in self._attempts(user, when) if a.module == path]
        started = starts + completes + [a.at for a in tries]
        completed = completes + [a.at for a in tries if a.passed]
        return (min(started) if started else None, min(completed) if completed else None)

    def activity_days(self, user: str, when: datetime) -> set[date]:
        zone = ZoneInfo(self.zones[user.lower()])
        days: set[date] = set()
        for e in self.module_events:
            if e.user == user.lower() and e.at <= when:
                days.add(e.at.astimezone(zone).date())
        for a in self._attempts(user, when):
            days.add(a.at.astimezone(zone).date())
        return days

    def time_spent(self, user: str, when: datetime, competency: str | None) -> int:
        """Seconds: each event a moment or the span of its duration ending at its time; spans
        sorted, joined across gaps of at most IDLE, their lengths added."""
        spans = []
        for e in self.module_events:
            if e.user == user.lower() and e.at <= when:
                if competency is None or e.module.split("/")[0] == competency:
                    spans.append((e.at - timedelta(seconds=e.duration or 0), e.at))
        for a in self._attempts(user, when):
            if competency is None or a.module.split("/")[0] == competency:
                spans.append((a.at - timedelta(seconds=a.duration or 0), a.at))
        spans.sort()
        total = timedelta(0)
        merged: list[list[datetime]] = []
        for start, end in spans:
            if merged and start - merged[-1][1] <= IDLE:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        for start, end in merged:
            total += end - start
        return int(total.total_seconds() // 1)

    def standing(
        self, user: str, competency: str, when: datetime
    ) -> tuple[bool, datetime | None, datetime | None]:
        """(enrolled, enrolled_at, withdrawn_at) of a learner in a competency at `when`.

        Replayed in time order, a withdraw after an enrol at the same instant (it wins).
        """
        mine = sorted(
            (at, kind == "withdraw")
            for who, comp, at, kind in self.enrolments
            if who == user.lower() and comp == competency and at <= when
        )
        enrolled, since, left = False, None, None
        for at, is_withdraw in mine:
            if is_withdraw and enrolled:
                enrolled, left = False, at
            elif not is_withdraw and not enrolled:
                enrolled, since, left = True, at, None
        return enrolled, since, left

    def is_open(self, competency: str, when: datetime) -> bool:
        """No enrol or withdraw recorded for it, by anyone, at or before `when`."""
        return not any(c == competency and at <= when for _, c, at, _ in self.enrolments)

    def catalogue_of(self, user: str, when: datetime) -> set[str]:
        """The open competencies and those the learner is enrolled in."""
        return {
            c.slug
            for c in self.catalogue.competencies
            if self.is_open(c.slug, when) or self.standing(user, c.slug, when)[0]
        }

    def streak(self, user: str, as_of: str) -> dict[str, Any]:
        zone, when = self._as_of(user, as_of)
        days = self.activity_days(user, when)
        today = when.astimezone(ZoneInfo(zone)).date()

        def run_ending(day: date) -> int:
            n = 0
            while day - timedelta(days=n) in days:
                n += 1
            return n

        if today in days:
            current = run_ending(today)
        elif today - timedelta(days=1) in days:
            current = run_ending(today - timedelta(days=1))
        else:
            current = 0
        longest = max((run_ending(d) for d in days), default=0)
        return {
            "user": self.emails[user.lower()],
            "as_of": render(when, zone),
            "timezone": zone,
            "current_streak": current,
            "longest_streak": longest,
            "last_active": max(days).isoformat() if days else None,
            "streak_at_risk": current > 0 and today not in days,
            "active_today": today in days,
        }

    def stats(self, user: str, as_of: str, competency: str | None = None) -> dict[str, Any] | None:
        """The stats JSON; None when the competency is outside the learner's catalogue (exit 1)."""
        _, when = self._as_of(user, as_of)
        if competency is not None and competency not in self.catalogue_of(user, when):
            return None
        return self.stats_at(user, when, competency)

    def stats_at(self, user: str, when: datetime, competency: str | None) -> dict[str, Any]:
        """A learner's stats at an instant: totals over their catalogue, attempts over all."""
        zone = self.zones[user.lower()]
        mine = self.catalogue_of(user, when)

        def in_scope(comp: str) -> bool:
            return competency is None or comp == competency

        modules = [f"{c}/{m.slug}" for c, _, m in self.module_paths if in_scope(c) and c in mine]
        quizzes = {
            slug for slug, (_, path) in self.quiz_module.items() if in_scope(path.split("/")[0])
        }
        counted = {q for q in quizzes if self.quiz_module[q][1].split("/")[0] in mine}
        states = [self._progress(user, p, when) for p in modules]
        completed = sum(1 for _, done in states if done is not None)
        in_progress = sum(1 for start, done in states if start is not None and done is None)
        tries = [a for a in self._attempts(user, when) if a.quiz in quizzes]
        streak = self.streak(user, when.isoformat())
        return {
            "user": self.emails[user.lower()],
            "as_of": render(when, zone),
            "timezone": zone,
            "competency": competency,
            "modules_total": len(modules),
            "modules_completed": completed,
            "modules_in_progress": in_progress,
            "progress_percent": half_up(completed, len(modules)),
            "quizzes_total": len(counted),
            "quizzes_passed": len({a.quiz for a in tries if a.passed and a.quiz in counted}),
            "quiz_attempts": len(tries),
            "quiz_attempts_passed": sum(1 for a in tries if a.passed),
            "current_streak": streak["current_streak"],
            "longest_streak": streak["longest_streak"],
            "last_active": streak["last_active"],
            "streak_at_risk": streak["streak_at_risk"],
            "time_spent": self.time_spent(user, when, competency),
        }

    def report(
        self, as_of: str, competency: str, *, include_withdrawn: bool
    ) -> list[dict[str, Any]]:
        """`report --competency C --format json` (`--as-of` in UTC): the learners in scope."""
        when = parse_time(as_of, "UTC", as_of=True)
        rows = []
        for key in sorted(self.zones):
            enrolled, since, left = self.standing(key, competency, when)
            if not (
                self.is_open(competency, when)
                or enrolled
                or (include_withdrawn and left is not None)
            ):
                continue
            zone = self.zones[key]
            row: dict[str, Any] = {"user": self.emails[key], "name": None}
            row.update(self.stats_at(key, when, competency))
            row["enrolled_at"] = render(since, zone)
            row["withdrawn_at"] = render(left, zone)
            rows.append(row)
        return rows

    def modules(self, user: str, competency: str, as_of: str) -> list[dict[str, Any]]:
        zone, when = self._as_of(user, as_of)
        rows = []
        for comp, pos, m in self.module_paths:
            if comp != competency:
                continue
            started, completed = self._progress(user, f"{comp}/{m.slug}", when)
            status = "completed" if completed else "in_progress" if started else "not_started"
            rows.append(
                {
                    "competency": comp,
                    "module": m.slug,
                    "title": m.title,
                    "position": pos,
                    "status": status,
                    "started_at": render(started, zone),
                    "completed_at": render(completed, zone),
                }
            )
        return rows


def diff(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> dict[str, Any]:
    """The keys whose values differ: {key: (model, catalyst)}."""
    keys = list(expected) + [k for k in actual if k not in expected]
    return {
        k: (expected.get(k, "<missing>"), actual.get(k, "<missing>"))
        for k in keys
        if expected.get(k, "<missing>") != actual.get(k, "<missing>")
    }
