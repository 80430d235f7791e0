"""The baseline of `bench_startup.py`: a Typer script doing a command's work with `sqlite3`.

    python benchmarks/startup_baseline.py DB COMMAND ARGS...

What an admin would write by hand for one scripted write or read on catalyst's own tables:
`start` / `complete` MODULE, `quiz-submit` QUIZ SCORE TOTAL, `enrol` COMPETENCY (the learner
by --user), `stats` and `streak`. Each opens the file, looks the learner and the item up by
name, writes the event and merges the progress it implies (earliest start, earliest
completion) in one transaction, or reads the learner's figures (activity days in the learner's
zone, streaks), and prints a few `key  value` lines. It checks nothing and handles no error:
it is the floor a Typer command on SQLite cannot go below, not a second catalyst.
"""

from __future__ import annotations

import sqlite3
import sys
from datetime import UTC, date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

app = typer.Typer()
User = Annotated[str, typer.Option("--user")]
state: dict[str, sqlite3.Connection] = {}


def now_text() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def learner(con: sqlite3.Connection, email: str) -> tuple[int, str]:
    row = con.execute("SELECT id, timezone FROM users WHERE email = ?", (email,)).fetchone()
    return int(row[0]), str(row[1])


def merge(con: sqlite3.Connection, uid: int, mid: int, at: str, done: bool) -> None:
    con.execute(
        "INSERT INTO learning_progress (user_id, module_id, status, started_at, completed_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, module_id) DO UPDATE SET"
        " started_at = min(started_at, excluded.started_at),"
        " completed_at = coalesce(min(completed_at, excluded.completed_at), completed_at,"
        " excluded.completed_at),"
        " status = CASE WHEN coalesce(completed_at, excluded.completed_at) IS NULL"
        " THEN 'in_progress' ELSE 'completed' END",
        (uid, mid, "completed" if done else "in_progress", at, at if done else None),
    )


def show(con: sqlite3.Connection, uid: int, mid: int, name: str) -> None:
    row = con.execute(
        "SELECT status, started_at, completed_at FROM learning_progress"
        " WHERE user_id = ? AND module_id = ?",
        (uid, mid),
    ).fetchone()
    sys.stdout.write(f"module        {name}\nstatus        {row[0]}\nstarted_at    {row[1]}\n")
    sys.stdout.write(f"completed_at  {row[2] or ''}\n")


def module_event(kind: str, module: str, email: str) -> None:
    con = state["con"]
    comp, _, slug = module.partition("/")
    con.execute("BEGIN IMMEDIATE")
    uid, _ = learner(con, email)
    (mid,) = con.execute(
        "SELECT m.id FROM learning_modules m JOIN competencies c ON c.id = m.competency_id"
        " WHERE c.slug = ? AND m.slug = ?",
        (comp, slug),
    ).fetchone()
    at = now_text()
    con.execute(
        "INSERT INTO learning_events (user_id, kind, module_id, occurred_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (uid, kind, mid, at),
    )
    merge(con, uid, mid, at, kind == "complete")
    show(con, uid, mid, module)
    con.execute("COMMIT")


@app.callback()
def root(db: str) -> None:
    state["con"] = sqlite3.connect(db, isolation_level=None)


@app.command()
def start(module: str, user: User) -> None:
    module_event("start", module, user)


@app.command()
def complete(module: str, user: User) -> None:
    module_event("complete", module, user)


@app.command("quiz-submit")
def quiz_submit(quiz: str, score: int, total: int, user: User) -> None:
    con = state["con"]
    con.execute("BEGIN IMMEDIATE")
    uid, _ = learner(con, user)
    qid, mid, percent = con.execute(
        "SELECT id, module_id, pass_percent FROM quizzes WHERE slug = ?", (quiz,)
    ).fetchone()
    passed = score * 100 >= percent * total
    at = now_text()
    con.execute(
        "INSERT INTO quiz_attempts (user_id, quiz_id, score, total_questions, passed, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (uid, qid, score, total, passed, at),
    )
    merge(con, uid, mid, at, passed)
    sys.stdout.write(f"quiz    {quiz}\nscore   {score}\ntotal   {total}\npassed  {passed}\n")
    con.execute("COMMIT")


@app.command()
def enrol(competency: str, user: User) -> None:
    con = state["con"]
    con.execute("BEGIN IMMEDIATE")
    uid, _ = learner(con, user)
    (cid,) = con.execute("SELECT id FROM competencies WHERE slug = ?", (competency,)).fetchone()
    at = now_text()
    con.execute(
        "INSERT INTO learning_events (user_id, kind, competency_id, occurred_at)"
        " VALUES (?, 'enrol', ?, ?) ON CONFLICT DO NOTHING",
        (uid, cid, at),
    )
    sys.stdout.write(f"user        {user}\ncompetency  {competency}\nat          {at}\n")
    con.execute("COMMIT")


def streaks(con: sqlite3.Connection, uid: int, tz: str) -> tuple[int, int, date | None]:
    zone = ZoneInfo(tz)
    instants = con.execute(
        "SELECT occurred_at FROM learning_events WHERE user_id = ?"
        " UNION SELECT created_at FROM quiz_attempts WHERE user_id = ?",
        (uid, uid),
    )
    days = {datetime.fromisoformat(at + "+00:00").astimezone(zone).date() for (at,) in instants}
    longest = run = 0
    previous: date | None = None
    for day in sorted(days):
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        longest, previous = max(longest, run), day
    today = datetime.now(zone).date()
    current = 0
    day = today if today in days else today - timedelta(days=1)
    while day in days:
        current, day = current + 1, day - timedelta(days=1)
    return current, longest, previous


@app.command()
def stats(user: User) -> None:
    con = state["con"]
    uid, tz = learner(con, user)
    done, going = con.execute(
        "SELECT count(completed_at), count(*) - count(completed_at) FROM learning_progress"
        " WHERE user_id = ?",
        (uid,),
    ).fetchone()
    (modules,) = con.execute("SELECT count(*) FROM learning_modules").fetchone()
    attempts, passed = con.execute(
        "SELECT count(*), coalesce(sum(passed), 0) FROM quiz_attempts WHERE user_id = ?", (uid,)
    ).fetchone()
    current, longest, last = streaks(con, uid, tz)
    sys.stdout.write(
        f"user               {user}\nmodules_total      {modules}\n"
        f"modules_completed  {done}\nmodules_in_progress  {going}\n"
        f"quiz_attempts      {attempts}\nquiz_attempts_passed  {passed}\n"
        f"current_streak     {current}\nlongest_streak     {longest}\nlast_active  {last}\n"
    )


@app.command()
def streak(user: User) -> None:
    con = state["con"]
    uid, tz = learner(con, user)
    current, longest, last = streaks(con, uid, tz)
    sys.stdout.write(
        f"user            {user}\ncurrent_streak  {current}\nlongest_streak  {longest}\n"
        f"last_active     {last}\n"
    )


if __name__ == "__main__":
    app()
