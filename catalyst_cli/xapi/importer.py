"""`import --format xapi`: statements in, events through the one recorder, every statement counted.

A statement's fate is one of: recorded (by kind), a duplicate (its id, or the same event, was
recorded before), a conflict (its id was recorded with different content: the first stands), a
voiding, or skipped with its reason. The counts add up to the statements read. Statements are
read as a stream and handled in batches: learners of a batch are resolved in a few queries,
activities from the catalogue held in memory. Voidings are applied after the file's events, in
the same transaction, so a statement voided later in the same file ends withdrawn too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Executable, delete, select

from catalyst_cli.db.models import LearningEvent, Quiz, QuizAttempt, UserIdentity, VoidedId
from catalyst_cli.db.upsert import dialect_insert
from catalyst_cli.errors import InputError
from catalyst_cli.events import Event, EventKind
from catalyst_cli.identities import learners_by_identity, normalize_identity
from catalyst_cli.limits import storable_text
from catalyst_cli.readers import failure_message
from catalyst_cli.recorder import BATCH_EVENTS, Recorder, bulk_gc, rederive
from catalyst_cli.rules import passes
from catalyst_cli.transfer import count_learners, ensure_learners, find_learners
from catalyst_cli.xapi import records
from catalyst_cli.xapi.catalog import Added, CatalogResolver
from catalyst_cli.xapi.interpret import interpret_all
from catalyst_cli.xapi.profile import BUILTIN, Profile
from catalyst_cli.xapi.reader import read_statements
from catalyst_cli.xapi.records import Fate, Skipped, StatementRecord, Voiding
from catalyst_cli.xapi.values import Score
from catalyst_cli.xapi.writer import ExportedActivity, ExportedEvent, statement_id

BATCH_STATEMENTS = BATCH_EVENTS
MAX_LISTED_ERRORS = 50
UNKNOWN_ACTOR = records.SkipReason.UNKNOWN_ACTOR.value
UNKNOWN_ACTIVITY = "unknown activity"
VOIDED_BEFORE = "voided before"
_MAX_INTEGER = 2**31 - 1  # score columns are 32-bit on PostgreSQL
_NAME_MAX = 200
_IN_CHUNK = 500
_ONE_US = timedelta(microseconds=1)
_KIND_WORDS = (
    (EventKind.start, "starts"),
    (EventKind.complete, "completions"),
    (EventKind.quiz, "attempts"),
    (EventKind.enrol, "enrolments"),
    (EventKind.withdraw, "withdrawals"),
)


@dataclass(frozen=True)
class XapiOptions:
    """What `import --format xapi` may do besides recording events."""

    create_users: bool = False
    create_catalog: bool = False
    strict: bool = False
    dry_run: bool = False
    profile: Profile = BUILTIN
    iri_base: str | None = None


@dataclass
class XapiSummary:
    """What an xAPI import read, and what became of each statement."""

    source: str
    dry_run: bool = False
    read: int = 0
    recorded: Counter[EventKind] = field(default_factory=Counter)
    duplicates: int = 0
    conflicts: int = 0
    voidings: int = 0
    withdrawn: int = 0  # events a voiding removed
    void_unknown: int = 0  # voidings whose target is not recorded (its id is kept)
    skipped: Counter[str] = field(default_factory=Counter)
    new_learners: int = 0
    added: Added = field(default_factory=Added)

    @property
    def accounted(self) -> int:
        """Statements with a fate: equals `read`."""
        return (
            sum(self.recorded.values())
            + self.duplicates
            + self.conflicts
            + self.voidings
            + sum(self.skipped.values())
        )

    def describe(self) -> str:
        """The summary line: every statement read, by what became of it."""
        kinds = ", ".join(f"{self.recorded[k]:,} {w}" for k, w in _KIND_WORDS)
        skipped = ", ".join(f"{n:,} {why}" for why, n in sorted(self.skipped.items()))
        text = (
            f"{self.read:,} statements: {sum(self.recorded.values()):,} recorded ({kinds}), "
            f"{self.duplicates:,} duplicates, {self.conflicts:,} conflicts, "
            f"{self.voidings:,} voided ({self.withdrawn:,} events withdrawn, "
            f"{self.void_unknown:,} targets not recorded), "
            f"{sum(self.skipped.values()):,} skipped" + (f" ({skipped})" if skipped else "")
        )
        added = (
            f"{self.new_learners:,} new learners, {self.added.competencies:,} new competencies, "
            f"{self.added.modules:,} new modules, {self.added.quizzes:,} new quizzes"
        )
        if self.dry_run:
            return f"dry run: {self.source}: {text}; would add {added}"
        return f"imported {self.source}: {text}; {added}"


class XapiImportFailed(InputError):
    """`--strict` and a skip or a conflict: each listed as `POSITION: message`, nothing written."""

    def __init__(self, source: str, errors: Sequence[str], count: int) -> None:
        super().__init__(failure_message(source, errors, count))
        self.errors = tuple(errors)
        self.count = count


def import_xapi(
    session: Connection, path: Path, *, options: XapiOptions, now: datetime
) -> XapiSummary:
    """Import every statement of `path`; under `strict`, raise XapiImportFailed on any skip.

    A dry run does the work in a savepoint that it rolls back: its counts are what the import
    would do. A file that is not JSON raises XapiFileError (`FILE:LINE: ...`).
    """
    savepoint = session.begin_nested() if options.dry_run else None
    try:
        before = count_learners(session)
        run = _Import(session, str(path), options, now)
        with bulk_gc():
            run.statements(interpret_all(read_statements(path), options.profile))
            run.apply_voids()
        if run.error_count:
            raise XapiImportFailed(str(path), run.errors, run.error_count)
        run.summary.new_learners = count_learners(session) - before
        run.summary.added = run.catalog.added
        return run.summary
    finally:
        if savepoint is not None:
            savepoint.rollback()


@dataclass(frozen=True)
class _Void:
    position: str
    target: str
    by: str | None
    at: datetime


class _Import:
    """One import's state: resolvers, the recorder, the counts, the voidings to apply."""

    def __init__(self, session: Connection, source: str, options: XapiOptions, now: datetime):
        self.session = session
        self.options = options
        self.now = now
        self.summary = XapiSummary(source, dry_run=options.dry_run)
        self.recorder = Recorder(session, batch_events=BATCH_STATEMENTS + 1)
        self.catalog = CatalogResolver(
            session, create=options.create_catalog, iri_base=options.iri_base
        )
        self.learners: dict[str, int | None] = {}
        self.voids: list[_Void] = []
        self.errors: list[str] = []
        self.error_count = 0
        self._seen_conflicts = 0

    def error(self, position: str, message: str) -> None:
        """Note an error for --strict (the first ones are listed)."""
        self.error_count += 1
        if len(self.errors) < MAX_LISTED_ERRORS:
            self.errors.append(f"{position}: {message}")

    def skip(self, position: str, reason: str, detail: str) -> None:
        """Count a skipped statement; under --strict it is an error."""
        self.summary.skipped[reason] += 1
        if self.options.strict:
            self.error(position, f"{reason}: {detail}")

    def statements(self, fates: Iterator[Fate]) -> None:
        """Handle every statement, a batch at a time."""
        batch: list[Fate] = []
        for fate in fates:
            batch.append(fate)
            if len(batch) >= BATCH_STATEMENTS:
                self._batch(batch)
                batch = []
        if batch:
            self._batch(batch)

    def _batch(self, batch: list[Fate]) -> None:
        self.summary.read += len(batch)
        self._resolve_learners([f for f in batch if isinstance(f, StatementRecord)])
        positions: dict[int, str] = {}
        for fate in batch:
            if isinstance(fate, Skipped):
                self.skip(fate.position, fate.reason.value, fate.detail)
            elif isinstance(fate, Voiding):
                self.summary.voidings += 1
                at = self.now if fate.at is None else fate.at
                self.voids.append(_Void(fate.position, fate.target_id, fate.statement_id, at))
            else:
                line = len(positions) + 1
                event = self._event(fate, line)
                if event is not None:
                    positions[line] = fate.position
                    self.recorder.add(event)
        self._flush(positions)

    def _flush(self, positions: dict[int, str]) -> None:
        tally = self.recorder.flush()
        self.summary.recorded = Counter(tally.recorded)
        self.summary.duplicates = tally.duplicates
        if tally.voided:
            self.summary.skipped[VOIDED_BEFORE] = tally.voided
        for conflict in tally.conflicts[self._seen_conflicts :]:
            self.summary.conflicts += 1
            if self.options.strict:
                self.error(
                    positions[conflict.line],
                    f"conflict: statement id {conflict.key} was recorded with different content",
                )
        self._seen_conflicts = len(tally.conflicts)

    # --- learners -----------------------------------------------------------------------------

    def _resolve_learners(self, statements: list[StatementRecord]) -> None:
        """Find (or, with --create-users, add) the learners of a batch in a few queries."""
        wanted: dict[str, StatementRecord] = {}
        for s in statements:
            if s.actor.key not in self.learners and s.actor.key not in wanted:
                wanted[s.actor.key] = s
        if not wanted:
            return
        normal: dict[str, str] = {}
        for key in wanted:
            try:
                normal[key] = normalize_identity(key)
            except InputError:
                self.learners[key] = None
        found = learners_by_identity(self.session, normal.values())
        missing = [k for k, n in normal.items() if n not in found]
        for key, identity in normal.items():
            if identity in found:
                self.learners[key] = found[identity].id
        if not missing or not self.options.create_users:
            self.learners.update(dict.fromkeys(missing, None))
            return
        people = {wanted[k].actor.handle: (_name(wanted[k].learner_name), "UTC") for k in missing}
        ensure_learners(self.session, ((h, n, tz) for h, (n, tz) in people.items()), now=self.now)
        by_handle = find_learners(self.session, sorted(people))
        rows = []
        for key in missing:
            learner = by_handle[wanted[key].actor.handle]
            self.learners[key] = learner.id
            if wanted[key].actor.email is None:  # an mbox is implied by the email
                rows.append({"user_id": learner.id, "identity": normal[key]})
        if rows:
            stmt = dialect_insert(self.session, UserIdentity).on_conflict_do_nothing(
                index_elements=["identity"]
            )
            self.session.execute(stmt, rows)

    # --- events -------------------------------------------------------------------------------

    def _event(self, s: StatementRecord, line: int) -> Event | None:
        """The event a statement records, or None when it is skipped (counted here).

        A statement whose id is the one `export` derives for an event without an id is that
        event without an id, so exporting and importing into the same database adds nothing.
        """
        event = self._build(s, line)
        if event is not None and s.statement_id is not None:
            if _derived_id(s, event) == s.statement_id:
                return event._replace(external_id=None)
        return event

    def _build(self, s: StatementRecord, line: int) -> Event | None:
        user_id = self.learners.get(s.actor.key)
        if user_id is None:
            self.skip(
                s.position,
                UNKNOWN_ACTOR,
                f"no learner holds {s.actor.key}: import with --create-users",
            )
            return None
        kind = s.kind
        if kind is records.EventKind.ATTEMPT and s.score is None and s.success is None:
            kind = records.EventKind.START  # "scored" with no score and no verdict: presence
        if kind in (records.EventKind.ENROL, records.EventKind.WITHDRAW):
            competency_id = self.catalog.competency(s.activity)
            if competency_id is None:
                return self._unknown_activity(s, "competency")
            event_kind = EventKind.enrol if kind is records.EventKind.ENROL else EventKind.withdraw
            return Event(
                event_kind,
                user_id,
                s.at,
                competency_id=competency_id,
                external_id=s.statement_id,
                line=line,
            )
        if kind is records.EventKind.ATTEMPT:
            return self._attempt(s, user_id, line)
        module_id = self.catalog.module(s.activity, s.competency)
        if module_id is None:
            return self._unknown_activity(s, "module")
        event_kind = EventKind.start if kind is records.EventKind.START else EventKind.complete
        return Event(
            event_kind,
            user_id,
            s.at,
            module_id=module_id,
            duration_us=_micros(s.duration),
            external_id=s.statement_id,
            line=line,
        )

    def _attempt(self, s: StatementRecord, user_id: int, line: int) -> Event | None:
        quiz = self.catalog.quiz(s.activity, s.competency, s.pass_percent)
        if quiz is None:
            return self._unknown_activity(s, "quiz")
        # Without a score, the verdict is the attempt: 1 of 1 when passed, 0 of 1 when failed.
        score = s.score if s.score is not None else Score(1 if s.success else 0, 1)
        if score.total > _MAX_INTEGER:
            self.skip(s.position, records.SkipReason.NOT_A_STATEMENT.value, "score too large")
            return None
        verdict = s.success
        if verdict is None:
            verdict = passes(score.score, score.total, quiz.pass_percent)
        return Event(
            EventKind.quiz,
            user_id,
            s.at,
            module_id=quiz.module_id,
            quiz_id=quiz.id,
            score=score.score,
            total=score.total,
            passed=verdict,
            duration_us=_micros(s.duration),
            external_id=s.statement_id,
            line=line,
        )

    def _unknown_activity(self, s: StatementRecord, what: str) -> Event | None:
        self.skip(
            s.position,
            UNKNOWN_ACTIVITY,
            f"no {what} has the iri {s.activity.iri}: add it to the catalogue, "
            "or import with --create-catalog",
        )
        return None

    # --- voidings -----------------------------------------------------------------------------

    def apply_voids(self) -> None:
        """Withdraw the voided statements: their ids kept, their rows gone, progress rederived."""
        if not self.voids:
            return
        targets = sorted({v.target for v in self.voids})
        already = set(
            _chunked(
                self.session,
                targets,
                lambda chunk: select(VoidedId.c.external_id).where(
                    VoidedId.c.external_id.in_(chunk)
                ),
            )
        )
        firsts: dict[str, _Void] = {}
        for v in self.voids:
            firsts.setdefault(v.target, v)
        rows = [
            {"external_id": t, "voided_by": v.by, "voided_at": v.at}
            for t, v in firsts.items()
            if t not in already
        ]
        if rows:
            stmt = dialect_insert(self.session, VoidedId).on_conflict_do_nothing()
            self.session.execute(stmt, rows)
        ev, qa = LearningEvent, QuizAttempt
        found_events = _chunked(
            self.session,
            targets,
            lambda chunk: select(ev.c.external_id, ev.c.user_id, ev.c.module_id).where(
                ev.c.external_id.in_(chunk)
            ),
        )
        found_attempts = _chunked(
            self.session,
            targets,
            lambda chunk: (
                select(qa.c.external_id, qa.c.user_id, Quiz.c.module_id)
                .join(Quiz, Quiz.c.id == qa.c.quiz_id)
                .where(qa.c.external_id.in_(chunk))
            ),
        )
        found = {row[0]: row for row in [*found_events, *found_attempts]}
        for i in range(0, len(targets), _IN_CHUNK):
            chunk = targets[i : i + _IN_CHUNK]
            self.session.execute(delete(ev).where(ev.c.external_id.in_(chunk)))
            self.session.execute(delete(qa).where(qa.c.external_id.in_(chunk)))
        rederive(self.session, [(u, m) for _, u, m in found.values() if m is not None])
        claimed: set[str] = set()
        for v in self.voids:
            if v.target in found and v.target not in claimed:
                claimed.add(v.target)
                self.summary.withdrawn += 1
            else:
                self.summary.void_unknown += 1


def _chunked(
    session: Connection, keys: list[str], query: Callable[[list[str]], Executable]
) -> list[Any]:
    """Rows of `query(chunk)` over `keys` in chunks; a one-column row as its value."""
    rows: list[Any] = []
    for i in range(0, len(keys), _IN_CHUNK):
        for row in session.execute(query(keys[i : i + _IN_CHUNK])):
            rows.append(tuple(row) if len(row) > 1 else row[0])
    return rows


_XAPI_KINDS = {
    EventKind.start: records.EventKind.START,
    EventKind.complete: records.EventKind.COMPLETE,
    EventKind.quiz: records.EventKind.ATTEMPT,
    EventKind.enrol: records.EventKind.ENROL,
    EventKind.withdraw: records.EventKind.WITHDRAW,
}


def _derived_id(s: StatementRecord, event: Event) -> str:
    """The id `export` gives this event when it has none (see `writer.statement_id`)."""
    exported = ExportedEvent(
        kind=_XAPI_KINDS[event.kind],
        learner="",
        activity=ExportedActivity("", iri=s.activity.iri),
        at=event.at,
        identities=(s.actor.key,),
        duration=None if event.duration_us is None else timedelta(microseconds=event.duration_us),
        score=event.score,
        total=event.total,
        passed=event.passed,
    )
    return statement_id(exported)


def _micros(duration: timedelta | None) -> int | None:
    return None if duration is None else duration // _ONE_US


def _name(name: str | None) -> str | None:
    cleaned = storable_text(name)
    return None if cleaned is None else cleaned[:_NAME_MAX]
