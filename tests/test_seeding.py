"""`catalyst seed` in the domain layer: determinism, the spread of activity, and the rules."""

from __future__ import annotations

import dataclasses
import io
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from catalyst_cli.catalog import catalog_index, read_catalog_file
from catalyst_cli.db.session import unit_of_work
from catalyst_cli.errors import InputError
from catalyst_cli.formats import DataFormat
from catalyst_cli.readers import FileFormat, Source
from catalyst_cli.seeding import ZONES, SeedPlan, seed, seed_catalog, seed_people
from catalyst_cli.stats import iter_activity
from catalyst_cli.transfer import export_events, import_events, write_events
from tests.conftest import snapshot
from tests.test_transfer import clear_progress

AS_OF = datetime(2026, 3, 31, 23, 59, 59, 999999, tzinfo=UTC)
PLAN = SeedPlan(users=60, competencies=2, modules_per_competency=6, days=40, seed=7)


def seeded_with(url: str, plan: SeedPlan = PLAN) -> None:
    with unit_of_work(url) as session:
        seed(session, plan, as_of=AS_OF)


def export_text(url: str) -> str:
    out = io.StringIO()
    with unit_of_work(url, write=False) as session:
        write_events(export_events(session, as_of=None, tz=UTC), DataFormat.csv, out)
    return out.getvalue()


@pytest.mark.parametrize("field", ["users", "competencies", "modules_per_competency", "days"])
def test_sizes_must_be_positive(field: str) -> None:
    option = "--" + field.replace("_", "-")
    sizes: dict[str, Any] = {field: 0}
    with pytest.raises(InputError, match=f"invalid {option} 0: must be at least 1"):
        SeedPlan(**sizes)


def test_catalogue_is_deterministic_with_both_kinds_of_quiz() -> None:
    plan = SeedPlan(competencies=12, modules_per_competency=8, seed=3)
    catalog = seed_catalog(plan)
    assert catalog == seed_catalog(plan)
    assert catalog != seed_catalog(SeedPlan(competencies=12, modules_per_competency=8, seed=4))
    assert len(catalog) == 12 and all(len(c.modules) == 8 for c in catalog)
    assert len({c.slug for c in catalog}) == 12  # slugs stay unique past the topic list
    quizzes = [q for c in catalog for m in c.modules for q in m.quizzes]
    assert len({q.slug for q in quizzes}) == len(quizzes)
    assert any(q.questions for q in quizzes) and any(q.questions is None for q in quizzes)
    assert {tz for _, _, tz in seed_people(SeedPlan(users=40))} == set(ZONES)


def test_same_seed_same_data_to_the_byte(
    sqlite_url: str, sqlite_template: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other.db"
    shutil.copyfile(sqlite_template, other)
    seeded_with(sqlite_url)
    seeded_with(f"sqlite:///{other}")
    assert snapshot(sqlite_url) == snapshot(f"sqlite:///{other}")
    third = tmp_path / "third.db"
    shutil.copyfile(sqlite_template, third)
    seeded_with(
        f"sqlite:///{third}",
        SeedPlan(users=60, competencies=2, modules_per_competency=6, days=40, seed=8),
    )
    assert export_text(f"sqlite:///{third}") != export_text(sqlite_url)


def test_same_seed_same_data_on_both_backends(sqlite_url: str, pg_url: str) -> None:
    seeded_with(sqlite_url)
    seeded_with(pg_url)
    assert export_text(sqlite_url) == export_text(pg_url)


def test_activity_is_spread_like_real_learners(db_url: str) -> None:
    seeded_with(
        db_url, SeedPlan(users=150, competencies=3, modules_per_competency=8, days=60, seed=1)
    )
    with unit_of_work(db_url, write=False) as session:
        learners = [(a.learner, a.streak()) for a in iter_activity(session, as_of=AS_OF)]
    assert len(learners) == 150
    zones = {learner.timezone for learner, _ in learners}
    assert {"Pacific/Kiritimati", "America/Los_Angeles", "Europe/London", "Asia/Kolkata"} <= zones
    never = [s for _, s in learners if s.last_active is None]
    streaking = [s for _, s in learners if s.current >= 7]
    lapsed = [s for _, s in learners if s.current == 0 and s.longest > 0]
    assert len(never) >= 5 and len(streaking) >= 5 and len(lapsed) >= 5
    assert max(s.longest for _, s in learners) >= 20


def test_seeded_data_is_what_its_own_events_give(db_url: str) -> None:
    seeded_with(db_url)
    exported = export_text(db_url)
    times = [line.split(",")[6] for line in exported.splitlines()[1:]]
    assert times and max(datetime.fromisoformat(t) for t in times) <= AS_OF
    clear_progress(db_url)
    raw = exported.encode()
    with unit_of_work(db_url) as session:
        import_events(
            session,
            Source(io.BytesIO(raw), "seed.csv", len(raw)),
            fmt=FileFormat.csv,
            create_users=False,
            dry_run=False,
            now=AS_OF,
        )
    assert export_text(db_url) == exported


def test_seeding_again_changes_nothing(db_url: str) -> None:
    seeded_with(db_url)
    before = snapshot(db_url)
    with unit_of_work(db_url) as session:
        summary = seed(session, PLAN, as_of=AS_OF)
    assert summary.events > 0
    assert (summary.new_learners, summary.tally.total_recorded) == (0, 0)
    assert snapshot(db_url) == before


# --- a second cohort, a given catalogue, enrolments --------------------------------------------

ENROL_PLAN = SeedPlan(
    users=80, competencies=3, modules_per_competency=4, days=40, seed=2, enrol=True
)


def test_prefix_is_checked() -> None:
    with pytest.raises(InputError, match="invalid --prefix 'B C'"):
        SeedPlan(prefix="B C")
    with pytest.raises(InputError, match="without modules"):
        SeedPlan(catalog=())


def test_a_second_cohort_joins_without_clashing(db_url: str) -> None:
    seeded_with(db_url)
    first = export_text(db_url)
    with unit_of_work(db_url) as session:
        summary = seed(session, dataclasses.replace(PLAN, prefix="b"), as_of=AS_OF)
    assert summary.new_learners == PLAN.users and not summary.tally.conflicts
    both = export_text(db_url)
    header, *lines = first.splitlines()
    mine = [line for line in both.splitlines()[1:] if not line.startswith("b-learner")]
    assert sorted(mine) == sorted(lines)  # the first cohort is untouched
    theirs = [line.split(",") for line in both.splitlines()[1:] if line.startswith("b-learner")]
    assert len(theirs) > 100 and all(r[7] == "" or r[7].startswith("b-seed7-") for r in theirs)
    assert sorted(line.split(",")[1:7] for line in lines) != sorted(r[1:7] for r in theirs)


def test_enrolments_are_a_subset_with_withdrawals_and_re_enrolments(db_url: str) -> None:
    seeded_with(db_url, ENROL_PLAN)
    rows = [line.split(",") for line in export_text(db_url).splitlines()[1:]]
    kinds: dict[str, list[tuple[str, str, str]]] = {}
    for r in rows:
        if r[1] in ("enrol", "withdraw"):
            kinds.setdefault(r[0], []).append((r[6], r[1], r[9]))
    assert len(kinds) == ENROL_PLAN.users  # every learner enrols in something
    sizes = [len({c for _, k, c in events if k == "enrol"}) for events in kinds.values()]
    assert 1 in sizes and 3 in sizes and min(sizes) >= 1
    withdrawn = [e for e in kinds.values() if any(k == "withdraw" for _, k, _ in e)]
    back = [e for e in withdrawn if sum(k == "enrol" for _, k, _ in e) > len({c for *_, c in e})]
    assert 3 <= len(withdrawn) <= 30 and back
    with unit_of_work(db_url, write=False) as session:
        learners = list(iter_activity(session, as_of=AS_OF))
        index = catalog_index(session)
        catalogues = [a.catalogue(index) for a in learners]
    assert any(len(c) < 3 for c in catalogues)  # enrolment narrows the catalogue


def test_seed_over_a_given_catalogue(db_url: str, catalog_file: Path) -> None:
    plan = SeedPlan(users=30, days=20, seed=4, catalog=read_catalog_file(catalog_file), enrol=True)
    seeded_with(db_url, plan)
    rows = [line.split(",") for line in export_text(db_url).splitlines()[1:]]
    modules = {r[2] for r in rows if r[2]}
    assert modules <= {"python/intro", "python/types", "python/functions", "python/classes",
                       "sql/intro", "sql/joins"}  # fmt: skip
    assert {r[3] for r in rows if r[3]} <= {"py-intro", "py-types", "sql-joins"}
    assert {r[9] for r in rows if r[9]} == {"python", "sql"}
