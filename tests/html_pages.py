"""Report pages for the HTML tests: a realistic cohort, and one full of hostile text."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from catalyst_cli.html_page import ActiveDay, ModuleSummary, ReportPage

LEARNER_COLUMNS = (
    "user",
    "name",
    "timezone",
    "modules_total",
    "modules_completed",
    "modules_in_progress",
    "progress_percent",
    "quizzes_total",
    "quizzes_passed",
    "quiz_attempts",
    "quiz_attempts_passed",
    "current_streak",
    "longest_streak",
    "last_active",
    "streak_at_risk",
    "time_spent",
)
AS_OF = datetime(2026, 3, 18, 23, 59, 59, 999999, tzinfo=UTC)
COMPETENCIES = {
    "python": ["Getting started", "Values and types", "Functions", "Modules and packages"],
    "sql": ["Relational thinking", "Select and filter", "Joins", "Aggregates"],
    "git": ["Commits", "Branches", "Merging and rebasing", "Working with remotes"],
}
FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim"]
LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson"]
ZONES = ["Europe/London", "America/New_York", "Asia/Tokyo", "UTC", "Europe/Berlin"]


def cohort_page(learners: int = 40, seed: int = 7) -> ReportPage:
    """A deterministic cohort: 12 modules in 3 competencies, 8 weeks of activity."""
    rng = random.Random(seed)
    modules_total = sum(len(m) for m in COMPETENCIES.values())
    rows: list[dict[str, Any]] = []
    for i in range(learners):
        first, last = FIRST[i % len(FIRST)], LAST[(i * 3) % len(LAST)]
        done = min(modules_total, max(0, round(rng.betavariate(1.6, 1.4) * modules_total)))
        streak = rng.choice([0, 0, 1, 2, 3, 5, 8])
        rows.append(
            {
                "user": f"{first.lower()}.{last.lower()}{i}@example.org",
                "name": f"{first} {last}",
                "timezone": ZONES[i % len(ZONES)],
                "modules_total": modules_total,
                "modules_completed": done,
                "modules_in_progress": min(modules_total - done, rng.randint(0, 2)),
                "progress_percent": (200 * done + modules_total) // (2 * modules_total),
                "quizzes_total": 8,
                "quizzes_passed": min(8, done * 2 // 3),
                "quiz_attempts": done + rng.randint(0, 6),
                "quiz_attempts_passed": min(8, done * 2 // 3),
                "current_streak": streak,
                "longest_streak": streak + rng.randint(0, 9),
                "last_active": (AS_OF.date() - timedelta(days=rng.randint(0, 20)))
                if done
                else None,
                "streak_at_risk": streak > 0 and rng.random() < 0.3,
                "time_spent": done * rng.randint(900, 4200),
            }
        )
    rows.sort(key=lambda r: str(r["user"]))
    summaries = []
    for p, (comp, titles) in enumerate(COMPETENCIES.items()):
        for j, title in enumerate(titles):
            position = p * 4 + j
            completed = sum(1 for r in rows if r["modules_completed"] > position)
            started = min(learners, completed + rng.randint(0, 8))
            attempts = started + rng.randint(0, 20)
            summaries.append(
                ModuleSummary(
                    competency=comp,
                    module=title.lower().split()[0],
                    title=title,
                    learners=learners,
                    started=started,
                    completed=completed,
                    completion_percent=(200 * completed + learners) // (2 * learners)
                    if learners
                    else 0,
                    mean_progress_percent=rng.randint(20, 95),
                    attempts=attempts,
                    attempts_passed=attempts * 2 // 3,
                    median_best_score=rng.randint(55, 95) if attempts else None,
                    time_spent=completed * rng.randint(1200, 3600),
                )
            )
    today = AS_OF.date()
    days = [
        ActiveDay(
            day=today - timedelta(days=d),
            learners=max(
                0,
                round(
                    rng.gauss(
                        learners / 3 if (today - timedelta(days=d)).weekday() < 5 else learners / 8,
                        3,
                    )
                ),
            ),
        )
        for d in range(60)
    ]
    return ReportPage(
        title="Learner progress",
        scope="every learner",
        as_of=AS_OF,
        timezone="UTC",
        modules=tuple(summaries),
        active_days=tuple(d for d in days if d.learners),
        learner_columns=LEARNER_COLUMNS,
        learners=tuple(rows),
    )


HOSTILE = [
    "<script>alert(1)</script>",
    "\"quoted\" & 'single' <b>bold</b>",
    "Ctrl\x1b[31mred\x00nul\nline",
    "Bidi \u202egnp.exe",
    "</td></tr></table><img src=x onerror=alert(1)>",
]


def hostile_page() -> ReportPage:
    """Names, titles, scope and emails made to break out of their HTML and SVG."""
    rows = [
        {
            "user": f'x{i}"><script>@example.org',
            "name": name,
            "progress_percent": 10 * i,
            "last_active": date(2026, 3, 1),
            "time_spent": 59 + 3600 * i,
        }
        for i, name in enumerate(HOSTILE)
    ]
    modules = [
        ModuleSummary("c<&>", f"m{i}", name, 5, 3, 1, 20, 40, 2, 1, None, 0)
        for i, name in enumerate(HOSTILE)
    ]
    return ReportPage(
        title="Report <script>alert('t')</script>",
        scope='group "<b>x</b>"',
        as_of=AS_OF,
        timezone="UTC",
        modules=tuple(modules),
        active_days=(),
        learner_columns=("user", "name", "progress_percent", "last_active", "time_spent"),
        learners=tuple(rows),
    )
