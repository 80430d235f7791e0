"""Statements' activities as catalogue items: found by `iri` (or under an IRI base), or added.

`--create-catalog` adds what a statement names and the catalogue lacks: the competency from the
statement's context (else one named after the activity IRI's host), a module per activity, and a
quiz for an activity that gets a score. A scored activity becomes a module and its quiz, both
with the activity's IRI (iris are unique per table). Slugs are readable and stable: made from the
activity's name (else the last part of its IRI path), deduplicated with -2, -3, ...
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import Connection, Table, func, insert, select

from catalyst_cli.db.models import Competency, LearningModule, Quiz
from catalyst_cli.xapi.records import Activity

DEFAULT_PASS_PERCENT = 70
FALLBACK_COMPETENCY = "xapi-imported"
_SLUG_MAX = 60
_TITLE_MAX = 500


@dataclass(frozen=True)
class QuizTarget:
    """The quiz an attempt is recorded against."""

    id: int
    module_id: int
    pass_percent: int


@dataclass
class Added:
    """Catalogue items an import added."""

    competencies: int = 0
    modules: int = 0
    quizzes: int = 0


def slugify(text: str, fallback: str) -> str:
    """A lower-case ASCII slug of `text` (letters, digits and dashes), never digits only."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:_SLUG_MAX].strip("-")
    if not slug:
        return fallback
    return f"{fallback}-{slug}" if slug.isdigit() else slug


def _unique(base: str, taken: set[str]) -> str:
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base[: _SLUG_MAX - len(str(n)) - 1]}-{n}"
    taken.add(slug)
    return slug


def iri_label(iri: str) -> str:
    """A readable name for an IRI without one: the last part of its path, else its host."""
    parts = urlsplit(iri)
    segments = [s for s in re.split(r"[/:@]", unquote(parts.path)) if s]
    if parts.query and not segments:
        segments = [unquote(parts.query)]
    if segments:
        return segments[-1]
    return parts.netloc or iri


def _title(activity: Activity) -> str:
    return (activity.name or iri_label(activity.iri))[:_TITLE_MAX]


class CatalogResolver:
    """Activity IRIs to module, quiz and competency ids, adding them when `create` is set."""

    def __init__(self, session: Connection, *, create: bool, iri_base: str | None) -> None:
        self._session = session
        self._create = create
        self._base = None if iri_base is None else iri_base.rstrip("/") + "/"
        self.added = Added()
        comps = session.execute(select(Competency.c.id, Competency.c.slug, Competency.c.iri)).all()
        self._comp_by_iri = {iri: cid for cid, _, iri in comps if iri}
        self._comp_by_slug: dict[str, int] = {slug: cid for cid, slug, _ in comps}
        mods = session.execute(
            select(
                LearningModule.c.id,
                LearningModule.c.competency_id,
                LearningModule.c.slug,
                LearningModule.c.iri,
                Competency.c.slug,
            ).join(Competency, Competency.c.id == LearningModule.c.competency_id)
        ).all()
        self._module_by_iri = {iri: mid for mid, _, _, iri, _ in mods if iri}
        self._module_by_path = {f"{cslug}/{slug}": mid for mid, _, slug, _, cslug in mods}
        self._module_slugs: dict[int, set[str]] = {}
        for _, cid, slug, _, _ in mods:
            self._module_slugs.setdefault(cid, set()).add(slug)
        quizzes = session.execute(
            select(
                Quiz.c.id, Quiz.c.module_id, Quiz.c.pass_percent, Quiz.c.slug, Quiz.c.iri
            ).order_by(Quiz.c.position, Quiz.c.id)
        ).all()
        self._quiz_by_iri: dict[str, QuizTarget] = {}
        self._quiz_by_slug: dict[str, QuizTarget] = {}
        self._quiz_of_module: dict[int, QuizTarget] = {}
        for qid, mid, pass_percent, slug, iri in quizzes:
            target = QuizTarget(qid, mid, pass_percent)
            self._quiz_by_slug[slug] = target
            self._quiz_of_module.setdefault(mid, target)
            if iri:
                self._quiz_by_iri[iri] = target

    # --- lookups ------------------------------------------------------------------------------

    def _under_base(self, iri: str, role: str) -> str | None:
        """The slug part of `IRI-BASE/ROLE/SLUG`, as `export --iri-base` writes it."""
        if self._base is None or not iri.startswith(self._base + role + "/"):
            return None
        return unquote(iri[len(self._base) + len(role) + 1 :])

    def module(self, activity: Activity, competency: Activity | None) -> int | None:
        """The module a start or completion is about."""
        found = self._module_by_iri.get(activity.iri)
        if found is None and activity.iri in self._quiz_by_iri:
            found = self._quiz_by_iri[activity.iri].module_id
        if found is None:
            path = self._under_base(activity.iri, "modules")
            found = None if path is None else self._module_by_path.get(path)
        if found is None and self._create:
            found = self._add_module(activity, self._parent(competency, activity))
        return found

    def quiz(
        self, activity: Activity, competency: Activity | None, pass_percent: int | None
    ) -> QuizTarget | None:
        """The quiz an attempt is about: by its iri, else the first quiz of the module."""
        found = self._quiz_by_iri.get(activity.iri)
        if found is None and activity.iri in self._module_by_iri:
            found = self._quiz_of_module.get(self._module_by_iri[activity.iri])
        if found is None:
            slug = self._under_base(activity.iri, "quizzes")
            found = None if slug is None else self._quiz_by_slug.get(slug)
        if found is None and self._create:
            module_id = self.module(activity, competency)
            assert module_id is not None
            found = self._quiz_of_module.get(module_id) or self._add_quiz(
                activity, module_id, pass_percent
            )
        return found

    def competency(self, activity: Activity) -> int | None:
        """The competency an enrolment or withdrawal is about."""
        found = self._comp_by_iri.get(activity.iri)
        if found is None:
            slug = self._under_base(activity.iri, "competencies")
            found = None if slug is None else self._comp_by_slug.get(slug)
        if found is None and self._create:
            found = self._add_competency(
                slugify(_title(activity), "competency"), _title(activity), activity.iri
            )
        return found

    # --- additions ----------------------------------------------------------------------------

    def _insert(self, table: Table, **values: Any) -> int:
        new_id = self._session.execute(insert(table).values(**values).returning(table.c.id))
        return int(new_id.scalar_one())

    def _parent(self, competency: Activity | None, activity: Activity) -> int:
        if competency is not None:
            found = self.competency(competency)
            assert found is not None
            return found
        host = urlsplit(activity.iri).hostname
        slug = slugify(host, FALLBACK_COMPETENCY) if host else FALLBACK_COMPETENCY
        existing = self._comp_by_slug.get(slug)
        if existing is not None:
            return existing
        return self._add_competency(slug, host or FALLBACK_COMPETENCY, None, unique=False)

    def _add_competency(
        self, base: str, title: str, iri: str | None, *, unique: bool = True
    ) -> int:
        slug = _unique(base, set(self._comp_by_slug)) if unique else base
        position = self._session.scalar(select(func.coalesce(func.max(Competency.c.position), 0)))
        new_id = self._insert(
            Competency,
            slug=slug,
            title=title[:_TITLE_MAX],
            position=(position or 0) + 1,
            iri=iri,
        )
        self._comp_by_slug[slug] = new_id
        if iri is not None:
            self._comp_by_iri[iri] = new_id
        self.added.competencies += 1
        return new_id

    def _add_module(self, activity: Activity, competency_id: int) -> int:
        taken = self._module_slugs.setdefault(competency_id, set())
        slug = _unique(slugify(_title(activity), "module"), taken)
        position = self._session.scalar(
            select(func.coalesce(func.max(LearningModule.c.position), 0)).where(
                LearningModule.c.competency_id == competency_id
            )
        )
        new_id = self._insert(
            LearningModule,
            competency_id=competency_id,
            slug=slug,
            title=_title(activity),
            position=(position or 0) + 1,
            iri=activity.iri,
        )
        self._module_by_iri[activity.iri] = new_id
        self.added.modules += 1
        return new_id

    def _add_quiz(self, activity: Activity, module_id: int, pass_percent: int | None) -> QuizTarget:
        slug_of_module = self._session.scalar(
            select(LearningModule.c.slug).where(LearningModule.c.id == module_id)
        )
        slug = _unique(f"{slug_of_module}-quiz", set(self._quiz_by_slug))
        percent = DEFAULT_PASS_PERCENT if pass_percent is None else pass_percent
        new_id = self._insert(
            Quiz,
            module_id=module_id,
            slug=slug,
            title=_title(activity),
            pass_percent=percent,
            position=1,
            questions=None,
            iri=None if activity.iri in self._quiz_by_iri else activity.iri,
        )
        target = QuizTarget(new_id, module_id, percent)
        self._quiz_by_slug[slug] = target
        self._quiz_of_module[module_id] = target
        self._quiz_by_iri[activity.iri] = target
        self.added.quizzes += 1
        return target
