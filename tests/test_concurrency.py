"""Concurrent writers: 8 OS processes at once on the same learners and modules, on both backends.

Each worker is a separate OS process, forked from pytest so that it starts with catalyst already
imported, with its own engines and connections. It waits at a barrier (a file appearing), then
runs its share of `start`, `complete` and `quiz submit` commands through the CLI's own entry
point, each command its own transaction on its own engine, as separate `catalyst` invocations
would be. Before the events, the workers race on the migration (SQLite: the database file does
not exist yet; PostgreSQL: every worker runs `db upgrade`), the catalogue and the learners.
Three rounds, each on a new database.

Afterwards no attempt is lost or doubled, and learning_progress is what SPEC.md's rules give
for the event list: started_at the earliest start, completion or attempt; completed_at the
earliest completion or passing attempt.
"""

from __future__ import annotations

import contextlib
import io
import json
import multiprocessing
import random
import sys
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select, text
from typer.testing import CliRunner

from catalyst_cli.db.engine import make_engine
from catalyst_cli.db.migrate import HEAD_REVISION
from catalyst_cli.db.models import (
    Competency,
    LearningModule,
    LearningProgress,
    Quiz,
    QuizAttempt,
    User,
)
from catalyst_cli.db.url import normalize_url
from catalyst_cli.main import app
from tests.conftest import TABLES, TEST_CATALOG, _admin_engine, _with_database

pytestmark = pytest.mark.slow  # run apart with -m slow; -m "not slow" is the fast subset

WORKERS = 8
ROUNDS = 3
EVENTS_PER_ROUND = 20
BARRIER_TIMEOUT_S = 60
ROUND_TIMEOUT_S = 120

LEARNERS = {
    "ann@example.com": "Europe/Paris",
    "bob@example.com": "America/Los_Angeles",
    "kim@example.com": "Pacific/Kiritimati",
}
MODULES = ["python/intro", "python/types", "python/functions", "sql/joins"]
# quiz slug -> (module path, pass percent, questions {id: (choices, answer)})
QUIZZES: dict[str, tuple[str, int, dict[str, tuple[list[str], str]]]] = {}
for _comp in TEST_CATALOG["competencies"]:
    for _module in _comp["modules"]:
        for _quiz in _module.get("quizzes", []):
            QUIZZES[_quiz["slug"]] = (
                f"{_comp['slug']}/{_module['slug']}",
                _quiz.get("pass_percent", 70),
                {q["id"]: (q["choices"], q["answer"]) for q in _quiz.get("questions", [])},
            )
OFFSETS = [UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-7))]


@dataclass(frozen=True)
class Event:
    """One thing a learner did, as the command line says it and as the rules see it."""

    kind: str  # start | complete | quiz
    user: str
    module: str
    at: datetime
    quiz: str | None = None
    score: int = 0
    total: int = 0
    answers: dict[str, str] | None = None
    key: str | None = None

    @property
    def passed(self) -> bool:
        return self.score * 100 >= QUIZZES[str(self.quiz)][1] * self.total

    def args(self) -> list[str]:
        at = ["--at", self.at.isoformat(), "--user", self.user]
        if self.kind != "quiz":
            return [self.kind, self.module, *at]
        given = (
            ["--answers", json.dumps(self.answers)]
            if self.answers is not None
            else ["--score", str(self.score), "--total", str(self.total)]
        )
        key = ["--id", self.key] if self.key else []
        return ["quiz", "submit", str(self.quiz), *given, *key, *at]


def make_events(rng: random.Random, round_: int) -> list[Event]:
    """Distinct events on few learners and modules, each at its own second."""
    base = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    seconds = rng.sample(range(14 * 24 * 3600), EVENTS_PER_ROUND)
    events = []
    for n, second in enumerate(seconds):
        at = (base + timedelta(seconds=second)).astimezone(rng.choice(OFFSETS))
        user = rng.choice(sorted(LEARNERS))
        kind = rng.choice(["start", "complete", "quiz", "quiz"])
        if kind != "quiz":
            events.append(Event(kind, user, rng.choice(MODULES), at))
            continue
        quiz = rng.choice(sorted(QUIZZES))
        module, _, questions = QUIZZES[quiz]
        key = f"r{round_}-{uuid.uuid4().hex[:8]}-{n}" if rng.random() < 0.5 else None
        if questions and rng.random() < 0.7:
            answers = {qid: rng.choice(choices) for qid, (choices, _) in questions.items()}
            score = sum(answers[qid] == answer for qid, (_, answer) in questions.items())
            events.append(Event(kind, user, module, at, quiz, score, len(questions), answers, key))
        else:
            total = len(questions) or rng.randint(1, 10)
            score = rng.randint(0, total)
            events.append(Event(kind, user, module, at, quiz, score, total, None, key))
    return events


def share_out(rng: random.Random, events: list[Event]) -> list[list[Event]]:
    """Give each event to 1 to 3 workers, so the same submissions and ids race each other."""
    shares: list[list[Event]] = [[] for _ in range(WORKERS)]
    for e in events:
        for worker in rng.sample(range(WORKERS), rng.randint(1, 3)):
            shares[worker].append(e)
    for share in shares:
        rng.shuffle(share)
    return shares


def expected_attempts(events: list[Event]) -> Counter[tuple[Any, ...]]:
    """One row per distinct attempt: by id when it has one, else by its content."""
    rows = {
        (e.user, e.quiz, e.at.astimezone(UTC), e.score, e.total, e.key, e.passed)
        for e in events
        if e.kind == "quiz"
    }
    return Counter(rows)


def expected_progress(events: list[Event]) -> dict[tuple[str, str], tuple[Any, ...]]:
    """SPEC.md: earliest start/completion/attempt; earliest completion or passing attempt."""
    starts: dict[tuple[str, str], list[datetime]] = {}
    completions: dict[tuple[str, str], list[datetime]] = {}
    for e in events:
        key = (e.user, e.module)
        starts.setdefault(key, []).append(e.at)
        if e.kind == "complete" or (e.kind == "quiz" and e.passed):
            completions.setdefault(key, []).append(e.at)
    state = {}
    for key, times in starts.items():
        done = min(completions[key]) if key in completions else None
        state[key] = (
            "completed" if done else "in_progress",
            min(times).astimezone(UTC),
            None if done is None else done.astimezone(UTC),
        )
    return state


# --- the worker process ----------------------------------------------------------------------


def barrier(workdir: Path, name: str, index: int) -> bool:
    """Say this worker is ready at `name`, then wait for the go; False if it never comes."""
    (workdir / f"{name}-ready-{index}").touch()
    deadline = time.monotonic() + BARRIER_TIMEOUT_S
    while not (workdir / f"{name}-go").exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)
    return True


def run_command(command: Any, args: list[str]) -> tuple[int, str]:
    """Run one catalyst command as its console script does; return its exit code and stderr.

    The command tree is built once per worker (Typer's test runner rebuilds it every call).
    """
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            command.main(args=args, prog_name="catalyst")
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        return code, err.getvalue()
    except Exception:  # a crash is a bug: report it with its traceback
        return -1, err.getvalue() + traceback.format_exc()
    return 0, err.getvalue()


def worker_main(workdir: Path, index: int, command: Any) -> None:
    """Run every round's setup, then its events, each phase released for all workers at once."""
    status = 0
    for round_ in range(ROUNDS):
        failures = []
        for phase in ("setup", "events"):
            if not barrier(workdir, f"round{round_}-{phase}", index):
                sys.exit(3)
            spec = json.loads((workdir / f"round{round_}-worker{index}.json").read_text())
            for args in spec[phase]:
                code, stderr = run_command(command, ["--db", spec["url"], *args])
                if code != 0:
                    failures.append([args, code, stderr])
        result = workdir / f"round{round_}-result{index}.json"
        partial = result.with_suffix(".partial")  # renamed whole, so never read half-written
        partial.write_text(json.dumps(failures))
        partial.replace(result)
        status = status or (1 if failures else 0)
    sys.exit(status)


# --- running the rounds ----------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_urls(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[str]]:
    """One database per round, none migrated: empty PG databases; SQLite files not created yet,
    or (odd rounds) created empty, which readers may race to migrate too."""
    if request.param == "sqlite":
        paths = [tmp_path / f"round{r}" / "catalyst.db" for r in range(ROUNDS)]
        for path in paths[1::2]:
            path.parent.mkdir()
            path.touch()
        yield [f"sqlite:///{path}" for path in paths]
        return
    admin_url: str = request.getfixturevalue("pg_admin_url")
    names = [f"race_{uuid.uuid4().hex[:12]}" for _ in range(ROUNDS)]
    admin = _admin_engine(admin_url)
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()  # no pooled connection for the workers to inherit
    try:
        yield [_with_database(admin_url, name) for name in names]
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def setup_commands(url: str, index: int, catalog: Path) -> list[list[str]]:
    """Before the events, all idempotent and all racing: migration, catalogue, learners.

    Every worker's first command races the others to migrate; three load the catalogue at
    once; each learner is added by two or three workers. A reader never creates an SQLite file,
    so readers race only where the (empty) file exists.
    """
    commands: list[list[str]] = []
    if url.startswith("postgresql"):
        commands.append(["db", "upgrade"])  # the only way to migrate PostgreSQL
    elif index % 2 and Path(url.removeprefix("sqlite:///")).exists():
        commands.append(["catalog", "show"])  # a reader racing the writers to migrate
    if index < 3:
        commands.append(["catalog", "load", str(catalog)])
    email = sorted(LEARNERS)[index % len(LEARNERS)]
    commands.append(["users", "add", email, "--tz", LEARNERS[email]])
    return commands


class Workers:
    """WORKERS forked processes of `worker_main`, released together at each barrier."""

    def __init__(self, workdir: Path) -> None:
        # What the commands import lazily is imported before the fork, so that no worker
        # leaves a barrier still importing.
        import alembic.command  # noqa: F401
        import typer.main

        import catalyst_cli.db.session  # noqa: F401
        import catalyst_cli.progress  # noqa: F401

        with contextlib.suppress(ImportError):
            import psycopg  # noqa: F401

        self.workdir = workdir
        command = typer.main.get_command(app)  # built once: Typer's runner rebuilds it per call
        context = multiprocessing.get_context("fork")
        self.processes = [
            context.Process(target=worker_main, args=(workdir, index, command), daemon=True)
            for index in range(WORKERS)
        ]
        for process in self.processes:
            process.start()

    def dead(self) -> list[str]:
        return [
            f"worker {i} ended with exit {p.exitcode}"
            for i, p in enumerate(self.processes)
            if not p.is_alive()
        ]

    def release(self, name: str) -> None:
        """Wait until every worker is at barrier `name`, then let them all go."""
        deadline = time.monotonic() + BARRIER_TIMEOUT_S
        while not all((self.workdir / f"{name}-ready-{i}").exists() for i in range(WORKERS)):
            assert not self.dead(), self.dead()
            assert time.monotonic() < deadline, f"not every worker reached {name}"
            time.sleep(0.005)
        (self.workdir / f"{name}-go").touch()

    def run_round(self, round_: int, url: str, shares: list[list[Event]]) -> None:
        """Give each worker its commands, run both phases, and check every command succeeded."""
        catalog = self.workdir / "catalog.json"
        catalog.write_text(json.dumps(TEST_CATALOG))
        for index, share in enumerate(shares):
            spec = {
                "url": url,
                "setup": setup_commands(url, index, catalog),
                "events": [e.args() for e in share],
            }
            (self.workdir / f"round{round_}-worker{index}.json").write_text(json.dumps(spec))
        self.release(f"round{round_}-setup")
        self.release(f"round{round_}-events")
        results = [self.workdir / f"round{round_}-result{i}.json" for i in range(WORKERS)]
        deadline = time.monotonic() + ROUND_TIMEOUT_S
        while not all(r.exists() for r in results):
            lost = [
                f"worker {i} ended with exit {p.exitcode} and no result"
                for i, (p, r) in enumerate(zip(self.processes, results, strict=True))
                if not p.is_alive() and not r.exists()
            ]
            assert not lost, lost
            assert time.monotonic() < deadline, f"round {round_} did not finish"
            time.sleep(0.01)
        failures = {i: json.loads(r.read_text()) for i, r in enumerate(results)}
        assert not any(failures.values()), f"round {round_}: {failures}"

    def finish(self) -> None:
        for process in self.processes:
            process.join(timeout=ROUND_TIMEOUT_S)
        assert [p.exitcode for p in self.processes] == [0] * WORKERS

    def kill(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.kill()
            process.join()


def database_state(url: str) -> dict[str, Any]:
    engine = make_engine(normalize_url(url))
    try:
        with engine.connect() as conn:
            attempts = conn.execute(
                select(
                    User.c.email,
                    Quiz.c.slug,
                    QuizAttempt.c.created_at,
                    QuizAttempt.c.score,
                    QuizAttempt.c.total_questions,
                    QuizAttempt.c.external_id,
                    QuizAttempt.c.passed,
                )
                .join(User, User.c.id == QuizAttempt.c.user_id)
                .join(Quiz, Quiz.c.id == QuizAttempt.c.quiz_id)
            ).all()
            progress = conn.execute(
                select(
                    User.c.email,
                    Competency.c.slug,
                    LearningModule.c.slug,
                    LearningProgress.c.status,
                    LearningProgress.c.started_at,
                    LearningProgress.c.completed_at,
                )
                .join(User, User.c.id == LearningProgress.c.user_id)
                .join(LearningModule, LearningModule.c.id == LearningProgress.c.module_id)
                .join(Competency, Competency.c.id == LearningModule.c.competency_id)
            ).all()
            counts = {
                model.name: conn.execute(select(func.count()).select_from(model)).scalar()
                for model in (User, Competency, LearningModule, Quiz)
            }
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    finally:
        engine.dispose()
    return {
        "attempts": Counter(tuple(row) for row in attempts),
        "progress": {(r[0], f"{r[1]}/{r[2]}"): (r[3], r[4], r[5]) for r in progress},
        "counts": counts,
        "versions": [v[0] for v in versions],
    }


def test_eight_processes_at_once_lose_and_double_nothing(
    fresh_urls: list[str], tmp_path: Path
) -> None:
    workdir = tmp_path / "workers"
    workdir.mkdir()
    workers = Workers(workdir)
    try:
        for round_, url in enumerate(fresh_urls):
            rng = random.Random(f"catalyst-concurrency-{round_}")
            events = make_events(rng, round_)
            shares = share_out(rng, events)
            assert sum(map(len, shares)) > len(events)  # events really are sent more than once
            workers.run_round(round_, url, shares)

            state = database_state(url)
            assert state["versions"] == [HEAD_REVISION]
            assert state["counts"] == {
                "users": 3,
                "competencies": 2,
                "learning_modules": 6,
                "quizzes": 3,
            }
            wanted = expected_attempts(events)
            assert sum(state["attempts"].values()) == sum(wanted.values()), round_
            assert state["attempts"] == wanted, round_
            assert state["progress"] == expected_progress(events), round_
        workers.finish()
    finally:
        workers.kill()


def test_expected_state_follows_the_spec_rules() -> None:
    """The oracle itself, on a hand-made case: completion before start, a failed attempt."""
    t = [datetime(2026, 3, 1, h, tzinfo=UTC) for h in range(8, 13)]
    events = [
        Event("start", "ann@example.com", "python/intro", t[3]),
        Event("complete", "ann@example.com", "python/intro", t[2]),
        Event("quiz", "ann@example.com", "python/intro", t[1], "py-intro", 1, 3),  # 33% < 50
        Event("quiz", "ann@example.com", "python/intro", t[4], "py-intro", 2, 3),  # passes
        Event("quiz", "bob@example.com", "python/types", t[0], "py-types", 4, 7),  # 57% passes
        Event("quiz", "kim@example.com", "sql/joins", t[0], "sql-joins", 6, 9),  # 66% < 70
    ]
    assert expected_progress(events) == {
        ("ann@example.com", "python/intro"): ("completed", t[1], t[2]),
        ("bob@example.com", "python/types"): ("completed", t[0], t[0]),
        ("kim@example.com", "sql/joins"): ("in_progress", t[0], None),
    }


# --- writes are insert-on-conflict, never read-then-write ------------------------------------


@pytest.fixture
def statements() -> Iterator[list[str]]:
    """Every SQL statement any engine runs during the test."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(Engine, "before_cursor_execute", record)
    yield seen
    event.remove(Engine, "before_cursor_execute", record)


def test_writes_are_insert_on_conflict(db_url: str, tmp_path: Path, statements: list[str]) -> None:
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps(TEST_CATALOG))
    runner = CliRunner()
    user = ["--user", "ann@example.com"]
    commands = [
        ["catalog", "load", str(catalog)],
        ["catalog", "load", str(catalog)],
        ["users", "add", "ann@example.com", "--tz", "Europe/Paris"],
        ["users", "add", "ann@example.com"],
        ["start", "python/intro", *user, "--at", "2026-03-02"],
        ["start", "python/intro", *user, "--at", "2026-03-01"],
        ["complete", "python/intro", *user, "--at", "2026-03-03"],
        ["quiz", "submit", "py-types", "--score", "1", "--total", "4", *user, "--at", "2026-03-04"],
        ["quiz", "submit", "py-types", "--score", "1", "--total", "4", *user, "--at", "2026-03-04"],
        ["quiz", "submit", "py-types", "--score", "4", "--total", "4", "--id", "k", *user],
        ["quiz", "submit", "py-types", "--score", "4", "--total", "4", "--id", "k", *user],
    ]
    for args in commands:
        result = runner.invoke(app, ["--db", db_url, *args])
        assert result.exit_code == 0, (args, result.stderr)
    writes = [
        s
        for s in statements
        if s.upper().startswith(("INSERT", "UPDATE", "DELETE"))
        and any(f" {table} " in f" {s} " for table in TABLES)
    ]
    assert writes, "no write seen: is the listener in place?"
    for s in writes:
        assert s.upper().startswith("INSERT") and " ON CONFLICT " in s.upper(), s
    state = database_state(db_url)
    assert sum(state["attempts"].values()) == 2
