"""Time `catalyst report --format csv` against hand-written SQL plus a Python loop.

    python benchmarks/bench_report.py [--users 10000] [--modules 50] [--runs 2]
                                      [--postgres ADMIN_URL | --no-postgres] [--target X]

Generates USERS learners x MODULES modules of activity over 120 days, with revisits (3 later
starts per started module on average) and durations, straight into the database through the
raw driver after catalyst's own Alembic upgrade: the event log (`learning_events`), the quiz
attempts, and the progress rows derived from them. Then, in one run, alternately:
  catalyst  the full per-learner CSV report (time_spent and streaks included) through the
            CLI's own code path, to a file;
  baseline  two hand-written queries through the raw driver (sqlite3, or psycopg): the counts
            per learner in SQL, and every event's span in email order; a Python loop joins
            each learner's spans across idle gaps (time_spent) and turns instants into local
            dates (streaks: SQLite knows no IANA zones), written with the csv module.
Each timing runs in a fresh subprocess with every import done before the clock starts (the
child reports any module first imported inside the timed part), so that peak memory (VmHWM)
is measured per side. Both sides must write byte-identical files.

PostgreSQL: a throwaway server is started as the tests start theirs (tests/pg_server.py)
unless --postgres names one where the benchmark may create (and then drop) a scratch
database; --no-postgres skips it. Target (issue 13): catalyst <= 1.6x the baseline on SQLite,
<= 2.0x on PostgreSQL (--target X: one target for both).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import importlib
import json
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from benchkit import cpu_seconds, peak_memory_kib, postgres_server

AS_OF_DAY = "2026-03-31"
TARGETS = {"sqlite": 1.6, "postgresql": 2.0}  # issue 13: catalyst's time at most this x
AS_OF = datetime(2026, 3, 31, 23, 59, 59, 999999, tzinfo=UTC)
DAYS = 120
ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Paris",
    "America/New_York",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Adelaide",
    "Pacific/Kiritimati",
)
FIRST = ("ana", "ben", "chloe", "dev", "eli", "fatima", "gus", "hana", "ivan", "jo", "kai", "li")
LAST = ("smith", "garcia", "ng", "okafor", "muller", "rossi", "kim", "silva", "dubois", "khan")
SQLITE_TS = "%Y-%m-%d %H:%M:%S.%f"  # how catalyst's UTC type stores timestamps on SQLite


# --- data ------------------------------------------------------------------------------------

REVISITS = (1, 2, 3, 3, 4, 5)  # later starts of a started module: 3 on average


class Data:
    """Generated rows, one list per table, in insertion order."""

    def __init__(self) -> None:
        self.competencies: list[tuple[Any, ...]] = []
        self.modules: list[tuple[Any, ...]] = []
        self.quizzes: list[tuple[Any, ...]] = []
        self.users: list[tuple[Any, ...]] = []
        self.events: list[tuple[Any, ...]] = []
        self.attempts: list[tuple[Any, ...]] = []
        self.progress: list[tuple[Any, ...]] = []


def generate(n_users: int, n_modules: int, n_competencies: int, seed: int) -> Data:
    """Deterministic, realistic activity: learners work through modules, coming back to them.

    Each started module gets a first start, 1 to 5 revisits (3 on average) on the same or later
    days, quiz attempts where it has a quiz, and often a completion; seven events in ten carry
    a duration of 2 to 25 minutes. Progress rows are derived as catalyst derives them.
    """
    rng = random.Random(seed)
    data = Data()
    per_comp = max(1, n_modules // n_competencies)
    for m in range(n_modules):
        comp = m // per_comp + 1
        if comp > len(data.competencies):
            data.competencies.append((comp, f"comp-{comp}", f"Competency {comp}", comp))
        data.modules.append((m + 1, comp, f"mod-{m + 1}", f"Module {m + 1}", m % per_comp + 1))
        if m % 5 != 4:  # four modules in five have a quiz
            q = len(data.quizzes) + 1
            data.quizzes.append((q, m + 1, f"quiz-{q}", f"Quiz {q}", 70, 1, None))
    quiz_of = {row[1]: row[0] for row in data.quizzes}
    start = AS_OF - timedelta(days=DAYS)
    ids = list(range(1, n_users + 1))
    rng.shuffle(ids)  # ids unrelated to email order, as in real life

    def spent() -> int | None:
        return None if rng.random() < 0.3 else rng.randint(120, 1500) * 1_000_000

    def stamp(t: datetime) -> str:
        return t.strftime(SQLITE_TS)

    for n, uid in enumerate(ids):
        tzname = ZONES[n % len(ZONES)]
        tz = ZoneInfo(tzname)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email, name = f"{first}.{last}{uid}@example.com", f"{first.title()} {last.title()}"
        data.users.append((uid, email, name, tzname, stamp(start)))
        engaged = int(n_modules * rng.random() ** 0.8)
        day = start.astimezone(tz).date() + timedelta(days=rng.randint(0, DAYS // 3))
        for module in range(1, engaged + 1):
            day += timedelta(days=rng.choice((0, 0, 1, 1, 1, 2, 3, 6)))
            local = datetime(day.year, day.month, day.day, rng.randint(7, 22), rng.randint(0, 59))
            t = local.replace(tzinfo=tz).astimezone(UTC)
            if t > AS_OF:
                break
            started, completed = t, None
            module_events = [("start", t)]
            for _ in range(rng.choice(REVISITS)):
                t += timedelta(minutes=rng.choice((20, 45, 90, 300, 1200, 1500, 2900, 4400)))
                t += timedelta(seconds=rng.randint(0, 599))
                module_events.append(("start", t))
            quiz = quiz_of.get(module)
            for _ in range(rng.choice((0, 1, 1, 1, 2, 3)) if quiz else 0):
                t += timedelta(minutes=rng.randint(5, 50), seconds=rng.randint(0, 59))
                if t > AS_OF:
                    break
                score = rng.randint(3, 10)
                data.attempts.append(
                    (len(data.attempts) + 1, uid, quiz, score, 10, None, score >= 7, stamp(t))
                    + (spent(),)
                )
                if score >= 7 and completed is None:
                    completed = t
                    if rng.random() < 0.5:  # some systems also send the completion
                        module_events.append(("complete", t))
            if quiz is None and rng.random() < 0.8:
                completed = t + timedelta(minutes=rng.randint(10, 90))
                module_events.append(("complete", completed))
            for kind, at in module_events:
                if at <= AS_OF:
                    row = (len(data.events) + 1, uid, kind, module, stamp(at), spent())
                    data.events.append(row)
            if completed is not None and completed > AS_OF:
                completed = None
            data.progress.append(
                (
                    len(data.progress) + 1,
                    uid,
                    module,
                    "completed" if completed else "in_progress",
                    stamp(started),
                    stamp(completed) if completed else None,
                )
            )
    return data


INSERTS = {
    "competencies": "INSERT INTO competencies (id, slug, title, position) VALUES (?, ?, ?, ?)",
    "modules": "INSERT INTO learning_modules (id, competency_id, slug, title, position) "
    "VALUES (?, ?, ?, ?, ?)",
    "quizzes": "INSERT INTO quizzes (id, module_id, slug, title, pass_percent, position, "
    "questions) VALUES (?, ?, ?, ?, ?, ?, ?)",
    "users": "INSERT INTO users (id, email, name, timezone, created_at) VALUES (?, ?, ?, ?, ?)",
    "events": "INSERT INTO learning_events (id, user_id, kind, module_id, occurred_at, "
    "duration_us) VALUES (?, ?, ?, ?, ?, ?)",
    "attempts": "INSERT INTO quiz_attempts (id, user_id, quiz_id, score, total_questions, "
    "answers, passed, created_at, duration_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "progress": "INSERT INTO learning_progress (id, user_id, module_id, status, started_at, "
    "completed_at) VALUES (?, ?, ?, ?, ?, ?)",
}
SEQUENCED = ("competencies", "learning_modules", "quizzes", "users", "learning_events")
SEQUENCED += ("quiz_attempts", "learning_progress")


def migrate(url: str) -> None:
    """Create catalyst's schema with its own Alembic upgrade."""
    from catalyst_cli.db.engine import make_engine
    from catalyst_cli.db.migrate import upgrade
    from catalyst_cli.db.url import normalize_url

    engine = make_engine(normalize_url(url))
    upgrade(engine)
    engine.dispose()


def load_sqlite(path: Path, data: Data) -> None:
    """Migrate an SQLite file and insert the rows with the raw driver."""
    import sqlite3

    migrate(f"sqlite:///{path}")
    conn = sqlite3.connect(path)
    with conn:
        for table, sql in INSERTS.items():
            conn.executemany(sql, getattr(data, table))
    conn.execute("ANALYZE")
    conn.close()


def _pg_value(value: Any) -> Any:
    if isinstance(value, str) and len(value) == 26 and value[10] == " " and value[4] == "-":
        return datetime.strptime(value, SQLITE_TS).replace(tzinfo=UTC)
    return value


def load_postgres(url: str, data: Data) -> None:
    """Migrate a PostgreSQL database and COPY the rows in with psycopg."""
    import psycopg

    migrate(url)
    with psycopg.connect(_libpq(url)) as conn, conn.cursor() as cur:
        for table, sql in INSERTS.items():
            name, columns = sql.split(" (", 1)[0].split()[-1], sql.split("(", 1)[1].split(")")[0]
            with cur.copy(f"COPY {name} ({columns}) FROM STDIN") as copy:
                for row in getattr(data, table):
                    copy.write_row([_pg_value(v) for v in row])
        for table in SEQUENCED:
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        cur.execute("ANALYZE")


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


# --- the baseline ----------------------------------------------------------------------------
# Two hand-written queries, streamed side by side in email order: every count per learner,
# and every event's span (start and end in integer microseconds since the epoch). A Python
# loop sorts each learner's spans, joins them across idle gaps (time_spent) and turns the
# distinct minutes into local dates (streaks). Same SQL on both backends but for dialect.

COUNTS = """
WITH p AS (
  SELECT user_id, count(*) AS started,
         sum(CASE WHEN completed_at <= {as_of} THEN 1 ELSE 0 END) AS completed
  FROM learning_progress WHERE started_at <= {as_of} GROUP BY user_id
), a AS (
  SELECT user_id, count(*) AS attempts, sum(CASE WHEN passed THEN 1 ELSE 0 END) AS passed,
         count(DISTINCT CASE WHEN passed THEN quiz_id END) AS quizzes_passed
  FROM quiz_attempts WHERE created_at <= {as_of} GROUP BY user_id
)
SELECT u.id, u.email, u.name, u.timezone, coalesce(p.completed, 0),
       coalesce(p.started - p.completed, 0), coalesce(a.quizzes_passed, 0),
       coalesce(a.attempts, 0), coalesce(a.passed, 0)
FROM users u LEFT JOIN p ON p.user_id = u.id LEFT JOIN a ON a.user_id = u.id
ORDER BY u.email{collate}
"""

SPANS = """
WITH ev AS (
  SELECT user_id, occurred_at AS t, duration_us AS d FROM learning_events
  WHERE kind IN ('start', 'complete') AND occurred_at <= {as_of}
  UNION ALL
  SELECT user_id, created_at, duration_us FROM quiz_attempts WHERE created_at <= {as_of}
)
SELECT ev.user_id, {micros} AS e, coalesce(ev.d, 0)
FROM ev JOIN users u ON u.id = ev.user_id
ORDER BY u.email{collate}
"""

SQLITE_MICROS = (
    "CAST(strftime('%s', substr(ev.t, 1, 19)) AS INTEGER) * 1000000"
    " + CAST(substr(ev.t, 21, 6) AS INTEGER)"
)
PG_MICROS = "(extract(epoch FROM ev.t) * 1000000)::bigint"
IDLE_US = 30 * 60 * 1_000_000
MINUTE_US = 60_000_000

HEADER = (
    "user,name,as_of,timezone,competency,modules_total,modules_completed,modules_in_progress,"
    "progress_percent,quizzes_total,quizzes_passed,quiz_attempts,quiz_attempts_passed,"
    "current_streak,longest_streak,last_active,streak_at_risk,time_spent"
).split(",")


def _text(value: str | None) -> str:
    if value is None:
        return ""
    return "'" + value if value.startswith(("=", "+", "-", "@", "\t", "\r")) else value


def _streak(days: list[date], today: date) -> tuple[int, int, date | None]:
    """(current, longest, last active) from sorted distinct days up to today."""
    if not days:
        return 0, 0, None
    longest = run = 1
    for prev, day in zip(days, days[1:], strict=False):
        run = run + 1 if (day - prev).days == 1 else 1
        longest = max(longest, run)
    return (run if (today - days[-1]).days <= 1 else 0), longest, days[-1]


def _time_spent(spans: list[tuple[int, int]]) -> int:
    """Seconds covered by the (start, end) spans, joined across gaps of at most IDLE_US."""
    spans.sort()
    total = 0
    first, last = spans[0]
    for start, end in spans:
        if start - last <= IDLE_US:
            if end > last:
                last = end
        else:
            total += last - first
            first, last = start, end
    return (total + last - first) // 1_000_000


def write_baseline(
    counts: Iterable[Any], spans: Iterable[Any], totals: tuple[int, int], out_path: Path
) -> None:
    """The report from the two streams (both in email order), written with the csv module."""
    modules_total, quizzes_total = totals
    zones: dict[str, ZoneInfo] = {}
    spans_it = iter(spans)
    head = next(spans_it, None)
    with open(out_path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(HEADER)
        for uid, email, name, tzname, completed, in_progress, *attempts in counts:
            tz = zones.get(tzname) or zones.setdefault(tzname, ZoneInfo(tzname))
            local_as_of = AS_OF.astimezone(tz)
            mine: list[tuple[int, int]] = []
            while head is not None and head[0] == uid:
                mine.append((head[1] - head[2], head[1]))
                head = next(spans_it, None)
            if mine:
                minutes = {end // MINUTE_US for _, end in mine}
                days = sorted({datetime.fromtimestamp(m * 60, tz).date() for m in minutes})
                spent = _time_spent(mine)
            else:
                days, spent = [], 0
            today = local_as_of.date()
            current, longest, last = _streak(days, today)
            percent = (200 * completed + modules_total) // (2 * modules_total)
            writer.writerow(
                [
                    _text(email),
                    _text(name),
                    local_as_of.isoformat(),
                    tzname,
                    "",
                    modules_total,
                    completed,
                    in_progress,
                    percent,
                    quizzes_total,
                    *attempts,
                    current,
                    longest,
                    last.isoformat() if last else "",
                    "true" if current and last != today else "false",
                    spent,
                ]
            )


TOTALS = "SELECT (SELECT count(*) FROM learning_modules), (SELECT count(*) FROM quizzes)"


def baseline_sqlite(path: Path, out_path: Path) -> None:
    """The SQLite baseline: two queries through sqlite3, merged in a Python loop."""
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("PRAGMA query_only = ON")
    fill = {"as_of": ":as_of", "collate": "", "micros": SQLITE_MICROS}
    params = {"as_of": AS_OF.strftime(SQLITE_TS)}
    totals = conn.execute(TOTALS).fetchone()
    counts = conn.execute(COUNTS.format(**fill), params)
    spans = conn.cursor().execute(SPANS.format(**fill), params)
    write_baseline(counts, spans, totals, out_path)
    conn.close()


def baseline_postgres(url: str, out_path: Path) -> None:
    """The PostgreSQL baseline: the same two queries, streamed by psycopg server cursors."""
    import psycopg

    fill = {"as_of": "%(as_of)s", "collate": ' COLLATE "C"', "micros": PG_MICROS}
    with psycopg.connect(_libpq(url)) as conn:
        totals = conn.execute(TOTALS).fetchone()
        assert totals is not None
        counts = conn.cursor(name="counts")
        spans = conn.cursor(name="spans")
        counts.itersize = spans.itersize = 5000
        counts.execute(COUNTS.format(**fill), {"as_of": AS_OF})
        spans.execute(SPANS.format(**fill), {"as_of": AS_OF})
        write_baseline(counts, spans, (totals[0], totals[1]), out_path)


# --- the runs --------------------------------------------------------------------------------


def _preload_catalyst(url: str) -> None:
    """Every module the report command imports, so that the clock times the work only."""
    import sqlalchemy  # noqa: F401
    import typer.main

    import catalyst_cli.commands.report  # noqa: F401
    import catalyst_cli.db.models  # noqa: F401
    import catalyst_cli.db.session  # noqa: F401
    import catalyst_cli.enrolment  # noqa: F401
    import catalyst_cli.formats  # noqa: F401
    import catalyst_cli.main  # noqa: F401
    import catalyst_cli.output  # noqa: F401
    import catalyst_cli.reports  # noqa: F401
    import catalyst_cli.stats  # noqa: F401
    import catalyst_cli.timeutil  # noqa: F401

    typer.main.get_command(catalyst_cli.main.app)  # what Typer imports to build the command
    with contextlib.suppress(ImportError):  # and to coerce arguments (pydantic, when present)
        importlib.import_module("typer._adapters")
        importlib.import_module("typer._click.decorators")
        importlib.import_module("fractions")
        importlib.import_module("pydantic.plugin._loader")
    if url.startswith("sqlite"):
        import sqlite3  # noqa: F401

        import sqlalchemy.dialects.sqlite  # noqa: F401
    else:
        import psycopg  # noqa: F401
        import sqlalchemy.dialects.postgresql.psycopg  # noqa: F401


def child(side: str, url: str, out_path: Path) -> None:
    """Time one side in this fresh process and print {seconds, cpu, peak_kib} as JSON.

    Imports happen before the clock starts, on both sides; modules first imported inside the
    timed part are counted and reported (`late_imports`), so a regression here shows.
    """
    if side == "catalyst":
        _preload_catalyst(url)
        from catalyst_cli.main import app

        args = ["--db", url, "report", "-f", "csv", "--as-of", AS_OF_DAY, "-o", str(out_path)]
        before = set(sys.modules)
        begin, cpu = time.perf_counter(), cpu_seconds()
        app(args, standalone_mode=False)
    elif url.startswith("sqlite:///"):
        import sqlite3  # noqa: F401  (imported before the clock starts, as catalyst's modules are)

        before = set(sys.modules)
        begin, cpu = time.perf_counter(), cpu_seconds()
        baseline_sqlite(Path(url.removeprefix("sqlite:///")), out_path)
    else:
        import psycopg  # noqa: F401

        before = set(sys.modules)
        begin, cpu = time.perf_counter(), cpu_seconds()
        baseline_postgres(url, out_path)
    seconds, cpu = time.perf_counter() - begin, cpu_seconds() - cpu
    late = sorted(set(sys.modules) - before)
    result = {"seconds": seconds, "cpu": cpu, "peak_kib": peak_memory_kib(), "late": late}
    print(json.dumps(result))


def run_side(side: str, url: str, out_path: Path, profile: Path | None = None) -> dict[str, Any]:
    """Run one side in a subprocess (under cProfile, into `profile`) and return its figures."""
    cmd = [sys.executable, __file__, "--child", side, "--db", url, "--out", str(out_path)]
    if profile is not None:
        cmd[1:1] = ["-m", "cProfile", "-o", str(profile)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{side} failed (exit {done.returncode}):\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def compare(
    url: str, workdir: Path, runs: int, label: str, target: float, profile: Path | None = None
) -> tuple[float, float]:
    """Alternate the two sides `runs` times; print best times, ratios and peak memory."""
    best: dict[str, dict[str, Any]] = {}
    outputs = {side: workdir / f"{label}-{side}.csv" for side in ("catalyst", "baseline")}
    for _ in range(runs):
        for side, out_path in outputs.items():
            got = run_side(side, url, out_path)
            if side not in best or got["seconds"] < best[side]["seconds"]:
                best[side] = got
    same = outputs["catalyst"].read_bytes() == outputs["baseline"].read_bytes()
    rows = sum(1 for _ in outputs["catalyst"].open(encoding="utf-8")) - 1
    ratio = best["catalyst"]["seconds"] / best["baseline"]["seconds"]
    cpu_ratio = best["catalyst"]["cpu"] / best["baseline"]["cpu"]
    print(f"\n{label}: {rows} rows, outputs identical: {'yes' if same else 'NO'}")
    for side in ("catalyst", "baseline"):
        b = best[side]
        late = f"   late imports: {', '.join(b['late'])}" if b["late"] else ""
        print(
            f"  {side:9} {b['seconds']:7.3f} s   (client CPU {b['cpu']:6.3f} s)"
            f"   peak RSS {b['peak_kib'] / 1024:6.1f} MiB{late}"
        )
    verdict = "meets" if ratio <= target else "MISSES"
    print(
        f"  ratio     {ratio:7.2f}x by wall time ({verdict} the target <= {target}x), "
        f"{cpu_ratio:.2f}x by client CPU; best of {runs} runs each"
    )
    if not same:
        sys.exit("the two sides wrote different reports: the comparison is void")
    if profile is not None:
        where = profile.with_name(f"{profile.stem}-{label}{profile.suffix}")
        run_side("catalyst", url, outputs["catalyst"], where)
        print(f"  cProfile of the catalyst side: {where}")
    return ratio, target


@contextlib.contextmanager
def scratch_database(admin_url: str) -> Iterator[str]:
    """A new PostgreSQL database on the server of `admin_url`, dropped afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"catalyst_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = make_url(admin_url).set(drivername="postgresql+psycopg", database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--modules", type=int, default=50)
    parser.add_argument("--competencies", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--target", type=float, help="one target for both backends")
    parser.add_argument("--profile", type=Path, help="cProfile catalyst into FILE-BACKEND")
    backends = parser.add_mutually_exclusive_group()
    backends.add_argument("--postgres", metavar="ADMIN_URL", help="use this server")
    backends.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--child", choices=("catalyst", "baseline"), help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.db, args.out)
        return

    begin = time.perf_counter()
    data = generate(args.users, args.modules, args.competencies, args.seed)
    starts = sum(1 for e in data.events if e[2] == "start")
    print(
        f"generated {len(data.users)} users x {len(data.modules)} modules "
        f"({len(data.quizzes)} quizzes) over {DAYS} days: {len(data.events)} events "
        f"({starts - len(data.progress)} revisits, "
        f"{(starts - len(data.progress)) / max(1, len(data.progress)):.2f} per started module), "
        f"{len(data.attempts)} attempts, {len(data.progress)} progress rows, "
        f"in {time.perf_counter() - begin:.1f} s"
    )
    ratios: list[tuple[float, float]] = []  # (ratio, its target)
    with tempfile.TemporaryDirectory(prefix="catalyst-bench-") as tmp:
        workdir = Path(tmp)
        db_path = workdir / "bench.db"
        load_sqlite(db_path, data)
        ratios.append(
            compare(
                f"sqlite:///{db_path}",
                workdir,
                args.runs,
                "sqlite",
                args.target or TARGETS["sqlite"],
                args.profile,
            )
        )
        if not args.no_postgres:
            with postgres_server(args.postgres) as admin, scratch_database(admin) as url:
                load_postgres(url, data)
                ratios.append(
                    compare(
                        url,
                        workdir,
                        args.runs,
                        "postgresql",
                        args.target or TARGETS["postgresql"],
                        args.profile,
                    )
                )
    missed = [f"{ratio:.2f}x (target {target}x)" for ratio, target in ratios if ratio > target]
    if missed:
        sys.exit(f"catalyst took {', '.join(missed)} the baseline's time: above the target")


if __name__ == "__main__":
    main()
