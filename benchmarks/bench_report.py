"""Time `catalyst report --format csv` against the best hand-written SQL for the same rows.

    python benchmarks/bench_report.py [--users 10000] [--modules 50] [--runs 3]
                                      [--postgres ADMIN_URL]

Generates USERS learners x MODULES modules of activity spread over 120 days (straight into the
database through the raw driver, after an Alembic upgrade), then, in one run, alternately:
  catalyst  the full per-user CSV report through the CLI's own code path, to a file;
  baseline  one hand-written SQL query through the raw driver (sqlite3, or psycopg with
            --postgres), written with the csv module.
Each timing runs in a fresh subprocess (imports done before the clock starts), so that peak
memory (peak RSS) is measured per side. Both sides must write byte-identical files.

What SQL cannot do on SQLite: IANA time zones. The SQLite baseline has SQL compute every count
and percentage and gather each learner's activity instants to the minute (every zone's offset
is a whole number of minutes, so a minute has one local date); Python then turns the distinct
minutes into local dates and streaks. On PostgreSQL the whole row, streaks included (gaps and
islands over local dates), is computed in SQL.

--postgres takes the URL of a server where the benchmark may create (and then drops) a scratch
database. Target: catalyst <= 3x the baseline.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

AS_OF_DAY = "2026-03-31"
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


class Data:
    """Generated rows, one list per table, in insertion order."""

    def __init__(self) -> None:
        self.competencies: list[tuple[Any, ...]] = []
        self.modules: list[tuple[Any, ...]] = []
        self.quizzes: list[tuple[Any, ...]] = []
        self.users: list[tuple[Any, ...]] = []
        self.progress: list[tuple[Any, ...]] = []
        self.attempts: list[tuple[Any, ...]] = []


def generate(n_users: int, n_modules: int, n_competencies: int, seed: int) -> Data:
    """Deterministic, realistic activity: learners work through modules in sessions."""
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
    attempt_id = progress_id = 0
    for n, uid in enumerate(ids):
        tzname = ZONES[n % len(ZONES)]
        tz = ZoneInfo(tzname)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email, name = f"{first}.{last}{uid}@example.com", f"{first.title()} {last.title()}"
        data.users.append((uid, email, name, tzname, start.strftime(SQLITE_TS)))
        engaged = int(n_modules * rng.random() ** 0.8)
        day = start.astimezone(tz).date() + timedelta(days=rng.randint(0, DAYS // 3))
        for module in range(1, engaged + 1):
            day += timedelta(days=rng.choice((0, 0, 1, 1, 1, 2, 3, 6)))
            local = datetime(day.year, day.month, day.day, rng.randint(7, 22), rng.randint(0, 59))
            t = local.replace(tzinfo=tz).astimezone(UTC)
            if t > AS_OF:
                break
            started, completed = t, None
            quiz = quiz_of.get(module)
            for _ in range(rng.choice((0, 1, 1, 1, 2, 3)) if quiz else 0):
                t += timedelta(minutes=rng.randint(5, 50), seconds=rng.randint(0, 59))
                if t > AS_OF:
                    break
                score = rng.randint(3, 10)
                attempt_id += 1
                data.attempts.append(
                    (attempt_id, uid, quiz, score, 10, None, score >= 7, t.strftime(SQLITE_TS))
                )
                if score >= 7:
                    completed = completed or t
            if quiz is None and rng.random() < 0.8:
                completed = t + timedelta(minutes=rng.randint(10, 90))
            if completed is not None and completed > AS_OF:
                completed = None
            progress_id += 1
            data.progress.append(
                (
                    progress_id,
                    uid,
                    module,
                    "completed" if completed else "in_progress",
                    started.strftime(SQLITE_TS),
                    completed.strftime(SQLITE_TS) if completed else None,
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
    "progress": "INSERT INTO learning_progress (id, user_id, module_id, status, started_at, "
    "completed_at) VALUES (?, ?, ?, ?, ?, ?)",
    "attempts": "INSERT INTO quiz_attempts (id, user_id, quiz_id, score, total_questions, "
    "answers, passed, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
}


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
        for table in ("competencies", "learning_modules", "quizzes", "users"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        cur.execute("ANALYZE")


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


# --- the baseline ----------------------------------------------------------------------------

SQLITE_QUERY = """
WITH scope AS (
  SELECT (SELECT count(*) FROM learning_modules) AS modules_total,
         (SELECT count(*) FROM quizzes) AS quizzes_total
), p AS (
  SELECT user_id, count(*) AS started,
         sum(completed_at IS NOT NULL AND completed_at <= :as_of) AS completed,
         group_concat(substr(started_at, 1, 16)) AS started_minutes,
         group_concat(CASE WHEN completed_at <= :as_of THEN substr(completed_at, 1, 16) END)
           AS completed_minutes
  FROM learning_progress WHERE started_at <= :as_of GROUP BY user_id
), a AS (
  SELECT user_id, count(*) AS attempts, sum(passed) AS attempts_passed,
         count(DISTINCT CASE WHEN passed THEN quiz_id END) AS quizzes_passed,
         group_concat(substr(created_at, 1, 16)) AS attempt_minutes
  FROM quiz_attempts WHERE created_at <= :as_of GROUP BY user_id
)
SELECT u.email, u.name, u.timezone, s.modules_total,
       coalesce(p.completed, 0), coalesce(p.started - p.completed, 0),
       CASE WHEN s.modules_total = 0 THEN 0
            ELSE (200 * coalesce(p.completed, 0) + s.modules_total) / (2 * s.modules_total) END,
       s.quizzes_total, coalesce(a.quizzes_passed, 0), coalesce(a.attempts, 0),
       coalesce(a.attempts_passed, 0),
       p.started_minutes, p.completed_minutes, a.attempt_minutes
FROM users u CROSS JOIN scope s
LEFT JOIN p ON p.user_id = u.id
LEFT JOIN a ON a.user_id = u.id
ORDER BY u.email
"""

PG_QUERY = """
WITH scope AS (
  SELECT (SELECT count(*) FROM learning_modules) AS modules_total,
         (SELECT count(*) FROM quizzes) AS quizzes_total
), p AS (
  SELECT user_id, count(*) AS started,
         count(*) FILTER (WHERE completed_at <= %(as_of)s) AS completed
  FROM learning_progress WHERE started_at <= %(as_of)s GROUP BY user_id
), a AS (
  SELECT user_id, count(*) AS attempts, count(*) FILTER (WHERE passed) AS attempts_passed,
         count(DISTINCT quiz_id) FILTER (WHERE passed) AS quizzes_passed
  FROM quiz_attempts WHERE created_at <= %(as_of)s GROUP BY user_id
), ev AS (
  SELECT user_id, started_at AS t FROM learning_progress WHERE started_at <= %(as_of)s
  UNION ALL
  SELECT user_id, completed_at FROM learning_progress WHERE completed_at <= %(as_of)s
  UNION ALL
  SELECT user_id, created_at FROM quiz_attempts WHERE created_at <= %(as_of)s
), days AS (
  SELECT DISTINCT ev.user_id, (ev.t AT TIME ZONE u.timezone)::date AS day
  FROM ev JOIN users u ON u.id = ev.user_id
), runs AS (
  SELECT user_id, max(day) AS last_day, count(*) AS len
  FROM (SELECT user_id, day, day - (row_number() OVER w)::int AS island
        FROM days WINDOW w AS (PARTITION BY user_id ORDER BY day)) d
  GROUP BY user_id, island
), st AS (
  SELECT r.user_id, max(r.len) AS longest, max(r.last_day) AS last_active,
         coalesce(max(r.len) FILTER (
           WHERE r.last_day >= (%(as_of)s AT TIME ZONE u.timezone)::date - 1), 0) AS current
  FROM runs r JOIN users u ON u.id = r.user_id GROUP BY r.user_id
)
SELECT u.email, u.name, u.timezone, s.modules_total,
       coalesce(p.completed, 0), coalesce(p.started - p.completed, 0),
       CASE WHEN s.modules_total = 0 THEN 0
            ELSE (200 * coalesce(p.completed, 0) + s.modules_total) / (2 * s.modules_total) END,
       s.quizzes_total, coalesce(a.quizzes_passed, 0), coalesce(a.attempts, 0),
       coalesce(a.attempts_passed, 0), coalesce(st.current, 0), coalesce(st.longest, 0),
       st.last_active,
       coalesce(st.current, 0) > 0
         AND st.last_active <> (%(as_of)s AT TIME ZONE u.timezone)::date
FROM users u CROSS JOIN scope s
LEFT JOIN p ON p.user_id = u.id
LEFT JOIN a ON a.user_id = u.id
LEFT JOIN st ON st.user_id = u.id
ORDER BY u.email COLLATE "C"
"""

HEADER = (
    "user,name,as_of,timezone,competency,modules_total,modules_completed,modules_in_progress,"
    "progress_percent,quizzes_total,quizzes_passed,quiz_attempts,quiz_attempts_passed,"
    "current_streak,longest_streak,last_active,streak_at_risk"
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


def baseline_sqlite(path: Path, out_path: Path) -> None:
    """The SQLite baseline: one query through sqlite3; local dates and streaks in Python."""
    import sqlite3

    zones: dict[str, ZoneInfo] = {}
    conn = sqlite3.connect(path)
    rows = conn.execute(SQLITE_QUERY, {"as_of": AS_OF.strftime(SQLITE_TS)})
    with open(out_path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(HEADER)
        for email, name, tzname, *counts, started, completed, attempted in rows:
            tz = zones.get(tzname) or zones.setdefault(tzname, ZoneInfo(tzname))
            local_as_of = AS_OF.astimezone(tz)
            today = local_as_of.date()
            minutes: set[str] = set()
            for text in (started, completed, attempted):
                if text:
                    minutes.update(text.split(","))
            days = sorted(
                {
                    datetime.fromisoformat(m).replace(tzinfo=UTC).astimezone(tz).date()
                    for m in minutes
                }
            )
            current, longest, last = _streak(days, today)
            writer.writerow(
                [
                    _text(email),
                    _text(name),
                    local_as_of.isoformat(),
                    tzname,
                    "",
                    *counts,
                    current,
                    longest,
                    last.isoformat() if last else "",
                    "true" if current and last != today else "false",
                ]
            )
    conn.close()


def baseline_postgres(url: str, out_path: Path) -> None:
    """The PostgreSQL baseline: the whole row, streaks included, in one query via psycopg."""
    import psycopg

    zones: dict[str, ZoneInfo] = {}
    with psycopg.connect(_libpq(url)) as conn, conn.cursor() as cur:
        cur.execute(PG_QUERY, {"as_of": AS_OF})
        with open(out_path, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow(HEADER)
            for email, name, tzname, *counts, last, at_risk in cur:
                tz = zones.get(tzname) or zones.setdefault(tzname, ZoneInfo(tzname))
                writer.writerow(
                    [
                        _text(email),
                        _text(name),
                        AS_OF.astimezone(tz).isoformat(),
                        tzname,
                        "",
                        *counts,
                        last.isoformat() if last else "",
                        "true" if at_risk else "false",
                    ]
                )


# --- the runs --------------------------------------------------------------------------------


def child(side: str, url: str, out_path: Path) -> None:
    """Time one side in this fresh process and print {seconds, cpu, peak_kib} as JSON."""
    if side == "catalyst":
        from catalyst_cli.main import app

        args = ["--db", url, "report", "-f", "csv", "--as-of", AS_OF_DAY, "-o", str(out_path)]
        begin, cpu = time.perf_counter(), cpu_seconds()
        app(args, standalone_mode=False)
    elif url.startswith("sqlite:///"):
        import sqlite3  # noqa: F401  (imported before the clock starts, as catalyst's modules are)

        begin, cpu = time.perf_counter(), cpu_seconds()
        baseline_sqlite(Path(url.removeprefix("sqlite:///")), out_path)
    else:
        import psycopg  # noqa: F401

        begin, cpu = time.perf_counter(), cpu_seconds()
        baseline_postgres(url, out_path)
    seconds, cpu = time.perf_counter() - begin, cpu_seconds() - cpu
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_kib": peak_memory_kib()}))


def cpu_seconds() -> float:
    """CPU time of this process so far (the database server's, on PostgreSQL, not included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_memory_kib() -> int:
    """This process's peak resident memory.

    VmHWM where Linux has it: ru_maxrss survives exec, so it would include the parent's peak.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run_side(side: str, url: str, out_path: Path) -> dict[str, float]:
    """Run one side in a subprocess and return its figures."""
    cmd = [sys.executable, __file__, "--child", side, "--db", url, "--out", str(out_path)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{side} failed (exit {done.returncode}):\n{done.stderr}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def compare(url: str, workdir: Path, runs: int, label: str) -> float:
    """Alternate the two sides `runs` times; print best times, ratio and peak memory."""
    best: dict[str, dict[str, float]] = {}
    outputs = {side: workdir / f"{label}-{side}.csv" for side in ("catalyst", "baseline")}
    for _ in range(runs):
        for side, out_path in outputs.items():
            got = run_side(side, url, out_path)
            if side not in best or got["seconds"] < best[side]["seconds"]:
                best[side] = got
    same = outputs["catalyst"].read_bytes() == outputs["baseline"].read_bytes()
    rows = sum(1 for _ in outputs["catalyst"].open(encoding="utf-8")) - 1
    ratio = best["catalyst"]["seconds"] / best["baseline"]["seconds"]
    print(f"\n{label}: {rows} rows, outputs identical: {'yes' if same else 'NO'}")
    for side in ("catalyst", "baseline"):
        b = best[side]
        print(
            f"  {side:9} {b['seconds']:7.3f} s   (client CPU {b['cpu']:6.3f} s)"
            f"   peak RSS {b['peak_kib'] / 1024:6.1f} MiB"
        )
    print(f"  ratio     {ratio:7.2f}x   (target <= 3x; best of {runs} runs each)")
    if not same:
        sys.exit("the two sides wrote different reports: the comparison is void")
    return ratio


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
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="also run on this server")
    parser.add_argument("--child", choices=("catalyst", "baseline"), help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.db, args.out)
        return

    begin = time.perf_counter()
    data = generate(args.users, args.modules, args.competencies, args.seed)
    print(
        f"generated {len(data.users)} users x {len(data.modules)} modules "
        f"({len(data.quizzes)} quizzes): {len(data.progress)} progress rows, "
        f"{len(data.attempts)} attempts over {DAYS} days, "
        f"in {time.perf_counter() - begin:.1f} s"
    )
    ratios = []
    with tempfile.TemporaryDirectory(prefix="catalyst-bench-") as tmp:
        workdir = Path(tmp)
        db_path = workdir / "bench.db"
        load_sqlite(db_path, data)
        ratios.append(compare(f"sqlite:///{db_path}", workdir, args.runs, "sqlite"))
        if args.postgres:
            with scratch_database(args.postgres) as url:
                load_postgres(url, data)
                ratios.append(compare(url, workdir, args.runs, "postgresql"))
    if max(ratios) > 3:
        sys.exit(f"catalyst took {max(ratios):.2f}x the baseline: above the 3x target")


if __name__ == "__main__":
    main()
