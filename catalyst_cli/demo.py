"""`catalyst demo`: a small catalogue, three learners and a few days of activity."""

from __future__ import annotations

import json
import shlex
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path

from sqlalchemy import Connection

from catalyst_cli.catalog import catalog_index, load_catalog, parse_catalog
from catalyst_cli.config import Settings, Source, data_dir
from catalyst_cli.events import Event, EventKind
from catalyst_cli.progress import Submission, grade_attempt
from catalyst_cli.recorder import Recorder
from catalyst_cli.users import add_user

DEMO_LEARNER = "ada@example.com"
DEMO_COMPETENCY = "python"


def demo_database(settings: Settings, env: dict[str, str]) -> tuple[str, Path | None]:
    """The demo's database: the one given with --db, else its own file (returned to reset)."""
    if settings.database_url_source is Source.FLAG:
        return settings.database_url, None
    path = data_dir(env) / "demo.db"
    return f"sqlite:///{path}", path


def explore_command(url: str, own_file: Path | None) -> str:
    """The command that shows the demo learner's stats from the demo's database.

    A URL with a password is shown with `***` in its place: a password is never printed.
    """
    from catalyst_cli.db.url import normalize_url, safe_url

    where = str(own_file) if own_file is not None else url
    if own_file is None and normalize_url(url).password:
        where = safe_url(normalize_url(url))
    return f"catalyst --db {shlex.quote(where)} stats --user {DEMO_LEARNER}"


def demo_page_path(url: str, env: dict[str, str]) -> Path:
    """Where the demo writes its HTML report: beside its SQLite file, else in the data folder."""
    from catalyst_cli.db.url import normalize_url

    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        return Path(str(parsed.database)).with_name("demo-report.html")
    return data_dir(env) / "demo-report.html"


def reset_demo_file(path: Path) -> None:
    """Remove the demo's own SQLite file (and its WAL files), so each demo starts afresh."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def seed_demo(session: Connection, now: datetime) -> None:
    """Load the demo catalogue and record a few days of activity ending `now`."""
    text = resources.files("catalyst_cli").joinpath("demo_catalog.json").read_text("utf-8")
    load_catalog(session, parse_catalog(json.loads(text), source="demo catalogue"))
    ada = add_user(session, DEMO_LEARNER, name="Ada Lovelace", timezone="Europe/London", now=now)
    bob = add_user(
        session, "bob@example.com", name="Bob Ross", timezone="America/New_York", now=now
    )
    add_user(session, "kim@example.com", name="Kim Jung", timezone="Asia/Tokyo", now=now)
    index = catalog_index(session)
    day, minutes = timedelta(days=1), 60_000_000

    def module(kind: EventKind, user_id: int, path: str, at: datetime, spent: int) -> Event:
        return Event(kind, user_id, at, module_id=index.module(path).id, duration_us=spent)

    def attempt(user_id: int, quiz: str, submission: Submission, at: datetime) -> Event:
        return grade_attempt(user_id, index.quiz(quiz), submission, at, duration_us=8 * minutes)

    failed, passed = Submission(score=5, total=10), Submission(score=8, total=10)
    recorder = Recorder(session)
    recorder.add_all(
        [
            module(EventKind.start, ada.id, "python/intro", now - 3 * day, 20 * minutes),
            module(EventKind.complete, ada.id, "python/intro", now - 2 * day, 15 * minutes),
            attempt(
                ada.id,
                "python-intro-check",
                Submission(answers={"q1": "writes text", "q2": "yes"}),
                now - 2 * day,
            ),
            module(
                EventKind.start,
                ada.id,
                "python/types",
                now - day - timedelta(minutes=10),
                25 * minutes,
            ),
            attempt(ada.id, "python-types-quiz", failed, now - day),
            module(
                EventKind.start, ada.id, "python/types", now - timedelta(minutes=30), 20 * minutes
            ),
            attempt(ada.id, "python-types-quiz", passed, now - timedelta(minutes=10)),
            module(EventKind.start, ada.id, "python/functions", now, 5 * minutes),
            module(EventKind.start, bob.id, "sql/intro", now - 2 * day, 30 * minutes),
            module(EventKind.complete, bob.id, "sql/intro", now - day, 40 * minutes),
            module(EventKind.start, bob.id, "python/types", now - day, 10 * minutes),
        ]
    )
    recorder.flush()
