"""The one write path at the library level: the recorder on a real session, both backends."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, insert, select, text

from catalyst_cli.catalog import catalog_index
from catalyst_cli.db.models import LearningEvent, LearningProgress, VoidedId
from catalyst_cli.errors import ConflictError
from catalyst_cli.events import Event, EventKind
from catalyst_cli.progress import Submission, grade_attempt
from catalyst_cli.recorder import Recorder, record_one, rederive
from catalyst_cli.stats import learner_activity
from catalyst_cli.users import Learner, get_learner

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
MINUTE = 60_000_000


def ids(session: Connection) -> dict[str, Any]:
    index = catalog_index(session)
    return {
        "ann": get_learner(session, "ann@example.com"),
        "bob": get_learner(session, "bob@example.com"),
        "intro": index.module("python/intro"),
        "types": index.module("python/types"),
        "quiz": index.quiz("py-types"),
        "python": index.competency("python"),
    }


def start(learner: Learner, module_id: int, at: datetime, **kw: Any) -> Event:
    return Event(EventKind.start, learner.id, at, module_id=module_id, **kw)


def complete(learner: Learner, module_id: int, at: datetime, **kw: Any) -> Event:
    return Event(EventKind.complete, learner.id, at, module_id=module_id, **kw)


def progress(session: Connection) -> list[tuple[Any, ...]]:
    lp = LearningProgress.c
    rows = session.execute(
        select(lp.user_id, lp.module_id, lp.status, lp.started_at, lp.completed_at).order_by(
            lp.user_id, lp.module_id
        )
    )
    return [tuple(r) for r in rows]


def events(session: Connection) -> int:
    return int(session.scalar(text("SELECT count(*) FROM learning_events")) or 0)


def test_a_revisit_is_kept_and_changes_no_status(session: Connection) -> None:
    x = ids(session)
    ann = x["ann"]
    record_one(session, start(ann, x["intro"].id, T0))
    again = record_one(session, start(ann, x["intro"].id, T0 + DAY, duration_us=20 * MINUTE))
    assert again.recorded and events(session) == 2
    assert progress(session) == [(ann.id, x["intro"].id, "in_progress", T0, None)]
    activity = learner_activity(session, ann, as_of=T0 + 2 * DAY)
    assert len(activity.activity_days()) == 2
    assert activity.time_spent(timedelta(minutes=30)) == 20 * 60


def test_the_same_event_twice_is_one_event(session: Connection) -> None:
    x = ids(session)
    recorder = Recorder(session)
    recorder.add_all([start(x["ann"], x["intro"].id, T0)] * 3)
    tally = recorder.flush()
    assert (tally.recorded[EventKind.start], tally.duplicates) == (1, 2)
    assert record_one(session, start(x["ann"], x["intro"].id, T0)).recorded is False
    assert events(session) == 1


def test_an_id_repeated_with_the_same_content_records_nothing_and_reports_the_first(
    session: Connection,
) -> None:
    x = ids(session)
    first = record_one(session, complete(x["ann"], x["intro"].id, T0, external_id="k"))
    retry = record_one(session, complete(x["ann"], x["intro"].id, T0 + DAY, external_id="k"))
    assert first.recorded and not retry.recorded
    assert retry.event.at == T0  # the first event stands, as the command reports
    assert events(session) == 1


@pytest.mark.parametrize(
    "other",
    [
        lambda x: complete(x["ann"], x["intro"].id, T0, external_id="k"),  # another kind
        lambda x: start(x["ann"], x["types"].id, T0, external_id="k"),  # another module
        lambda x: start(x["bob"], x["intro"].id, T0, external_id="k"),  # another learner
        lambda x: start(x["ann"], x["intro"].id, T0, external_id="k", duration_us=1),
        lambda x: grade_attempt(
            x["ann"].id, x["quiz"], Submission(score=1, total=4), T0, external_id="k"
        ),
    ],
)
def test_an_id_with_other_content_is_a_conflict_on_every_kind(
    session: Connection, other: Any
) -> None:
    x = ids(session)
    record_one(session, start(x["ann"], x["intro"].id, T0, external_id="k"))
    before = progress(session), events(session)
    with pytest.raises(ConflictError, match="conflict: id 'k' was already recorded"):
        record_one(session, other(x))
    assert (progress(session), events(session)) == before


def test_the_order_events_arrive_in_never_changes_progress(session: Connection) -> None:
    x = ids(session)
    ann, types = x["ann"], x["types"].id
    batch = [
        start(ann, types, T0 + DAY),
        complete(ann, types, T0 + 3 * DAY),
        grade_attempt(ann.id, x["quiz"], Submission(score=1, total=4), T0),
        grade_attempt(ann.id, x["quiz"], Submission(score=4, total=4), T0 + 2 * DAY),
    ]
    seen = set()
    for order in itertools.permutations(batch):
        session.execute(text("DELETE FROM learning_progress"))
        session.execute(text("DELETE FROM learning_events"))
        session.execute(text("DELETE FROM quiz_attempts"))
        for event in order:
            record_one(session, event)
        seen.add(tuple(progress(session)))
    assert seen == {((ann.id, types, "completed", T0, T0 + 2 * DAY),)}


def test_a_keyed_repeat_keeps_the_earliest_time_of_one_input_across_batches(
    session: Connection,
) -> None:
    x = ids(session)
    late = start(x["ann"], x["intro"].id, T0 + DAY, external_id="s1", line=2)
    early = late._replace(at=T0, line=3)
    recorder = Recorder(session, batch_events=1)  # each event a batch of its own
    recorder.add_all([late, early])
    tally = recorder.flush()
    assert (tally.recorded[EventKind.start], tally.duplicates, tally.conflicts) == (1, 1, [])
    assert session.scalar(select(LearningEvent.c.occurred_at)) == T0
    assert progress(session)[0][3] == T0


def test_conflicts_within_one_input_name_the_first_line(session: Connection) -> None:
    x = ids(session)
    recorder = Recorder(session)
    recorder.add(start(x["ann"], x["intro"].id, T0, external_id="k", line=2))
    recorder.add(complete(x["ann"], x["intro"].id, T0, external_id="k", line=5))
    conflict = recorder.flush().conflicts[0]
    assert (conflict.line, conflict.message) == (
        5,
        "conflict: id 'k' was given on line 2 with different content",
    )


def test_a_voided_id_records_nothing(session: Connection) -> None:
    x = ids(session)
    session.execute(insert(VoidedId).values(external_id="gone", voided_by="v", voided_at=T0))
    result = record_one(session, start(x["ann"], x["intro"].id, T0, external_id="gone"))
    assert not result.recorded and events(session) == 0 and progress(session) == []


def test_rederive_recomputes_progress_from_the_record(session: Connection) -> None:
    x = ids(session)
    ann, intro = x["ann"], x["intro"].id
    record_one(session, start(ann, intro, T0))
    record_one(session, complete(ann, intro, T0 + DAY, external_id="c"))
    session.execute(text("DELETE FROM learning_events WHERE external_id = 'c'"))
    rederive(session, [(ann.id, intro)])
    assert progress(session) == [(ann.id, intro, "in_progress", T0, None)]
    session.execute(text("DELETE FROM learning_events"))
    rederive(session, [(ann.id, intro)])
    assert progress(session) == []


def test_enrolments_are_events_of_the_same_record(session: Connection) -> None:
    x = ids(session)
    comp = x["python"].id
    recorder = Recorder(session)
    recorder.add(Event(EventKind.enrol, x["ann"].id, T0, competency_id=comp))
    recorder.add(Event(EventKind.withdraw, x["ann"].id, T0 + DAY, competency_id=comp))
    recorder.add(Event(EventKind.enrol, x["ann"].id, T0, competency_id=comp))  # a repeat
    tally = recorder.flush()
    assert (tally.recorded[EventKind.enrol], tally.recorded[EventKind.withdraw]) == (1, 1)
    assert tally.duplicates == 1 and progress(session) == []
    standing = learner_activity(session, x["ann"], as_of=T0 + 2 * DAY).enrolments()[comp]
    assert (standing.enrolled, standing.enrolled_at, standing.withdrawn_at) == (
        False,
        T0,
        T0 + DAY,
    )


def test_the_timestamp_column_stores_the_instant_of_any_zone_and_refuses_naive_times(
    session: Connection,
) -> None:
    """The UTC type's one-call binds, on both backends: an instant in any zone, never naive."""
    from datetime import timedelta, timezone

    from sqlalchemy.exc import StatementError

    paris = datetime(2026, 3, 29, 3, 30, tzinfo=timezone(timedelta(hours=2)))
    session.execute(insert(VoidedId).values(external_id="z", voided_by=None, voided_at=paris))
    stored = session.scalar(select(VoidedId.c.voided_at).where(VoidedId.c.external_id == "z"))
    assert stored == paris and stored is not None and stored.tzinfo is UTC
    assert stored.isoformat() == "2026-03-29T01:30:00+00:00"
    with pytest.raises(StatementError, match="naive datetime"):
        session.execute(
            insert(VoidedId).values(external_id="n", voided_at=datetime(2026, 1, 1, 12))
        )
