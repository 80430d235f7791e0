"""The catalogue: loading it from JSON or TOML, listing it, and resolving names given by users."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, literal, select, update

from catalyst_cli.db.models import IRI_LENGTH, Competency, LearningModule, Quiz
from catalyst_cli.db.upsert import dialect_insert
from catalyst_cli.errors import InputError, NotFoundError, unknown
from catalyst_cli.limits import (
    MAX_SLUG,
    MAX_TITLE,
    check_json,
    check_slug,
    check_text,
    load_json,
    load_toml,
    read_text_file,
)

DEFAULT_PASS_PERCENT = 70
_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s\x00-\x1f\x7f]+\Z")


@dataclass(frozen=True)
class QuestionSpec:
    """One question of a quiz."""

    id: str
    prompt: str
    choices: tuple[Any, ...]
    answer: Any


@dataclass(frozen=True)
class QuizSpec:
    """A quiz as the catalogue file gives it."""

    slug: str
    title: str
    pass_percent: int
    questions: tuple[QuestionSpec, ...] | None
    iri: str | None = None


@dataclass(frozen=True)
class ModuleSpec:
    """A module as the catalogue file gives it."""

    slug: str
    title: str
    quizzes: tuple[QuizSpec, ...]
    iri: str | None = None


@dataclass(frozen=True)
class CompetencySpec:
    """A competency as the catalogue file gives it."""

    slug: str
    title: str
    modules: tuple[ModuleSpec, ...]
    iri: str | None = None


@dataclass(frozen=True)
class LoadSummary:
    """How much a catalogue load upserted."""

    competencies: int
    modules: int
    quizzes: int


def read_catalog_file(path: Path) -> tuple[CompetencySpec, ...]:
    """Read and validate a catalogue file (JSON, or TOML by its `.toml` extension).

    UTF-8, with or without a byte-order mark, as `import` reads.
    """
    text = read_text_file(path, "catalogue")
    if path.suffix.lower() == ".toml":
        data = load_toml(text, str(path))
    else:
        data = load_json(text, str(path))
    return parse_catalog(data, source=str(path))


def _text(obj: Mapping[str, Any], key: str, where: str, max_len: int = MAX_TITLE) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{where}: {key!r} must be a non-empty string")
    try:
        return check_text(key, value.strip(), max_len)
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None


def _items(obj: Mapping[str, Any], key: str, where: str, *, required: bool) -> list[Any]:
    value = obj.get(key, None if required else [])
    if not isinstance(value, list):
        raise InputError(f"{where}: {key!r} must be a list")
    for i, item in enumerate(value, 1):
        if not isinstance(item, dict):
            raise InputError(f"{where}: {key}[{i}] must be an object")
    return value


def _iri(obj: Mapping[str, Any], where: str) -> str | None:
    """The optional `iri` of an item: an absolute IRI of at most IRI_LENGTH characters."""
    value = obj.get("iri")
    if value is None:
        return None
    if not isinstance(value, str) or not _IRI.match(value):
        raise InputError(f"{where}: 'iri' must be an absolute IRI (scheme:...), not {value!r}")
    if len(value) > IRI_LENGTH:
        raise InputError(f"{where}: 'iri' is longer than {IRI_LENGTH} characters")
    return value


def _slug(obj: Mapping[str, Any], where: str) -> str:
    slug = _text(obj, "slug", where, MAX_SLUG)
    try:
        return check_slug("slug", slug)
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None


def _quiz(obj: Mapping[str, Any], where: str) -> QuizSpec:
    slug = _slug(obj, where)
    where = f"{where} quiz {slug!r}"
    pass_percent = obj.get("pass_percent", DEFAULT_PASS_PERCENT)
    if isinstance(pass_percent, bool) or not isinstance(pass_percent, int):
        raise InputError(f"{where}: pass_percent must be a whole number, not {pass_percent!r}")
    if not 0 <= pass_percent <= 100:
        raise InputError(f"{where}: pass_percent {pass_percent} is not between 0 and 100")
    questions: tuple[QuestionSpec, ...] | None = None
    if "questions" in obj:
        check_json(f"{where} questions", obj["questions"])
        seen: set[str] = set()
        parsed = []
        for q in _items(obj, "questions", where, required=True):
            if "id" not in q or isinstance(q["id"], bool | dict | list):
                raise InputError(f"{where}: every question needs an 'id'")
            qid = str(q["id"])
            if qid in seen:
                raise InputError(f"{where}: duplicate question id {qid!r}")
            seen.add(qid)
            if "answer" not in q:
                raise InputError(f"{where}: question {qid!r} has no 'answer'")
            choices = q.get("choices", [])
            if not isinstance(choices, list):
                raise InputError(f"{where}: question {qid!r}: 'choices' must be a list")
            if choices and q["answer"] not in choices:
                raise InputError(f"{where}: question {qid!r}: the answer is not among its choices")
            parsed.append(QuestionSpec(qid, str(q.get("prompt", "")), tuple(choices), q["answer"]))
        questions = tuple(parsed) or None
    return QuizSpec(slug, _text(obj, "title", where), pass_percent, questions, _iri(obj, where))


def parse_catalog(data: Any, *, source: str = "catalogue") -> tuple[CompetencySpec, ...]:
    """Validate the catalogue's structure: `{"competencies": [...]}` with unique slugs."""
    if not isinstance(data, dict) or "competencies" not in data:
        raise InputError(f"{source}: the top level must be an object with 'competencies'")
    competencies: list[CompetencySpec] = []
    comp_slugs: set[str] = set()
    quiz_slugs: set[str] = set()
    for c in _items(data, "competencies", source, required=True):
        cslug = _slug(c, f"{source}: competency")
        if cslug in comp_slugs:
            raise InputError(f"{source}: duplicate competency slug {cslug!r}")
        comp_slugs.add(cslug)
        where = f"{source}: competency {cslug!r}"
        modules: list[ModuleSpec] = []
        module_slugs: set[str] = set()
        for m in _items(c, "modules", where, required=True):
            mslug = _slug(m, f"{where} module")
            if mslug in module_slugs:
                raise InputError(f"{where}: duplicate module slug {mslug!r}")
            module_slugs.add(mslug)
            mwhere = f"{source}: module {cslug}/{mslug}"
            quizzes = tuple(_quiz(q, mwhere) for q in _items(m, "quizzes", mwhere, required=False))
            for q in quizzes:
                if q.slug in quiz_slugs:
                    raise InputError(f"{source}: duplicate quiz slug {q.slug!r}")
                quiz_slugs.add(q.slug)
            modules.append(ModuleSpec(mslug, _text(m, "title", mwhere), quizzes, _iri(m, mwhere)))
        competencies.append(
            CompetencySpec(cslug, _text(c, "title", where), tuple(modules), _iri(c, where))
        )
    result = tuple(competencies)
    seen: dict[str, str] = {}
    for item, iri in _iris(result):
        if iri in seen:
            raise InputError(f"{source}: iri {iri!r} is used by both {seen[iri]} and {item}")
        seen[iri] = item
    return result


def _iris(competencies: tuple[CompetencySpec, ...]) -> Iterator[tuple[str, str]]:
    """(item named for messages, iri) of every item of the catalogue that has an iri."""
    for c in competencies:
        if c.iri is not None:
            yield f"competency {c.slug}", c.iri
        for m in c.modules:
            if m.iri is not None:
                yield f"module {c.slug}/{m.slug}", m.iri
            for q in m.quizzes:
                if q.iri is not None:
                    yield f"quiz {q.slug}", q.iri


def _iri_holders(session: Connection, iris: list[str]) -> dict[str, str]:
    """Which item holds each of these iris in the database, named as in `_iris`."""
    comp, mod, quiz = Competency, LearningModule, Quiz
    queries = (
        select(comp.c.iri, literal("competency "), comp.c.slug).where(comp.c.iri.in_(iris)),
        select(mod.c.iri, literal("module "), comp.c.slug + "/" + mod.c.slug)
        .join(comp, comp.c.id == mod.c.competency_id)
        .where(mod.c.iri.in_(iris)),
        select(quiz.c.iri, literal("quiz "), quiz.c.slug).where(quiz.c.iri.in_(iris)),
    )
    return {
        iri: kind + name
        for query in queries
        for iri, kind, name in session.execute(query)
        if iri is not None
    }


def _claim_iris(session: Connection, competencies: tuple[CompetencySpec, ...]) -> None:
    """Free the iris the file gives, from the items of the file that hold them now.

    An iri held by an item that is not in the file is an InputError: two items never share one.
    """
    wanted = dict((iri, item) for item, iri in _iris(competencies))
    if not wanted:
        return
    in_file = {
        name
        for c in competencies
        for name in (
            f"competency {c.slug}",
            *(f"module {c.slug}/{m.slug}" for m in c.modules),
            *(f"quiz {q.slug}" for m in c.modules for q in m.quizzes),
        )
    }
    iris = sorted(wanted)
    for iri, holder in sorted(_iri_holders(session, iris).items()):
        if holder not in in_file:
            raise InputError(f"iri {iri!r} of {wanted[iri]} is already used by {holder}")
    for model in (Competency, LearningModule, Quiz):
        session.execute(update(model).where(model.c.iri.in_(iris)).values(iri=None))


def load_catalog(session: Connection, competencies: tuple[CompetencySpec, ...]) -> LoadSummary:
    """Upsert the catalogue by slug, positions in file order; nothing absent is deleted.

    A quiz's slug is its identity, so a quiz moved to another module in the file moves. Each
    item in the file gets the iri the file gives it (none when it gives none).
    """
    _claim_iris(session, competencies)
    n_modules = n_quizzes = 0
    for cpos, comp in enumerate(competencies, 1):
        ins = dialect_insert(session, Competency)
        cvalues = {"title": comp.title, "position": cpos, "iri": comp.iri}
        comp_id = session.execute(
            ins.values(slug=comp.slug, **cvalues)
            .on_conflict_do_update(index_elements=["slug"], set_=cvalues)
            .returning(Competency.c.id)
        ).scalar_one()
        for mpos, mod in enumerate(comp.modules, 1):
            ins = dialect_insert(session, LearningModule)
            mvalues = {"title": mod.title, "position": mpos, "iri": mod.iri}
            module_id = session.execute(
                ins.values(competency_id=comp_id, slug=mod.slug, **mvalues)
                .on_conflict_do_update(index_elements=["competency_id", "slug"], set_=mvalues)
                .returning(LearningModule.c.id)
            ).scalar_one()
            n_modules += 1
            for qpos, quiz in enumerate(mod.quizzes, 1):
                questions = (
                    None
                    if quiz.questions is None
                    else [
                        {
                            "id": q.id,
                            "prompt": q.prompt,
                            "choices": list(q.choices),
                            "answer": q.answer,
                        }
                        for q in quiz.questions
                    ]
                )
                values = {
                    "module_id": module_id,
                    "title": quiz.title,
                    "pass_percent": quiz.pass_percent,
                    "position": qpos,
                    "questions": questions,
                    "iri": quiz.iri,
                }
                ins = dialect_insert(session, Quiz)
                session.execute(
                    ins.values(slug=quiz.slug, **values).on_conflict_do_update(
                        index_elements=["slug"], set_=values
                    )
                )
                n_quizzes += 1
    return LoadSummary(len(competencies), n_modules, n_quizzes)


@dataclass(frozen=True)
class ModuleRef:
    """A module of the catalogue, with its competency."""

    id: int
    competency_id: int
    competency: str
    slug: str
    title: str
    position: int

    @property
    def path(self) -> str:
        """The module's name on the command line: COMPETENCY/MODULE."""
        return f"{self.competency}/{self.slug}"


@dataclass(frozen=True)
class QuizRef:
    """A quiz of the catalogue, with the module it belongs to."""

    id: int
    slug: str
    title: str
    module: ModuleRef
    pass_percent: int
    position: int
    questions: tuple[Mapping[str, Any], ...] | None


@dataclass(frozen=True)
class CompetencyRef:
    """A competency of the catalogue."""

    id: int
    slug: str
    title: str
    position: int


@dataclass(frozen=True)
class CatalogIndex:
    """The whole catalogue in memory, in catalogue order, for resolving names."""

    competencies: dict[str, CompetencyRef]
    modules: tuple[ModuleRef, ...]
    quizzes: dict[str, QuizRef]
    _by_path: dict[str, ModuleRef] = field(repr=False)
    _by_id: dict[int, ModuleRef] = field(repr=False)

    def competency(self, slug: str) -> CompetencyRef:
        """The competency `slug`, or a not-found error naming the closest ones."""
        try:
            return self.competencies[slug]
        except KeyError:
            raise unknown("competency", slug, self.competencies) from None

    def module(self, ref: str) -> ModuleRef:
        """The module named `COMPETENCY/MODULE` or by its numeric id."""
        ref = ref.strip()
        if ref.isdigit():
            if int(ref) in self._by_id:
                return self._by_id[int(ref)]
            raise NotFoundError(f"unknown module id {ref}")
        try:
            return self._by_path[ref]
        except KeyError:
            raise unknown("module", ref, self._by_path) from None

    def quiz(self, slug: str) -> QuizRef:
        """The quiz `slug`, or a not-found error naming the closest ones."""
        try:
            return self.quizzes[slug.strip()]
        except KeyError:
            raise unknown("quiz", slug, self.quizzes) from None

    def modules_of(self, competency: CompetencyRef | None) -> tuple[ModuleRef, ...]:
        """The modules of one competency, or of all, in catalogue order."""
        if competency is None:
            return self.modules
        return tuple(m for m in self.modules if m.competency_id == competency.id)

    def quizzes_of(self, competency: CompetencyRef | None) -> tuple[QuizRef, ...]:
        """The quizzes of one competency, or of all."""
        return tuple(
            q
            for q in self.quizzes.values()
            if competency is None or q.module.competency_id == competency.id
        )


def catalog_index(session: Connection) -> CatalogIndex:
    """Read the whole catalogue (three queries)."""
    comps = {
        c.slug: CompetencyRef(c.id, c.slug, c.title, c.position)
        for c in session.execute(
            select(Competency).order_by(Competency.c.position, Competency.c.id)
        )
    }
    by_comp_id = {c.id: c for c in comps.values()}
    modules = tuple(
        ModuleRef(
            m.id, m.competency_id, by_comp_id[m.competency_id].slug, m.slug, m.title, m.position
        )
        for m in session.execute(select(LearningModule))
    )
    modules = tuple(
        sorted(
            modules,
            key=lambda m: (by_comp_id[m.competency_id].position, m.competency_id, m.position, m.id),
        )
    )
    by_id = {m.id: m for m in modules}
    quizzes = {
        q.slug: QuizRef(
            q.id,
            q.slug,
            q.title,
            by_id[q.module_id],
            q.pass_percent,
            q.position,
            tuple(q.questions) if q.questions else None,
        )
        for q in session.execute(select(Quiz).order_by(Quiz.c.position, Quiz.c.id))
    }
    return CatalogIndex(comps, modules, quizzes, {m.path: m for m in modules}, by_id)


@dataclass(frozen=True)
class CatalogRow:
    """One line of `catalog show`."""

    competency: str
    module: str
    title: str
    position: int
    quizzes: str


def catalog_rows(index: CatalogIndex) -> Iterator[CatalogRow]:
    """The catalogue as rows, one per module, in order."""
    quizzes_by_module: dict[int, list[str]] = {}
    for q in index.quizzes.values():
        quizzes_by_module.setdefault(q.module.id, []).append(q.slug)
    for m in index.modules:
        yield CatalogRow(
            m.competency, m.slug, m.title, m.position, " ".join(quizzes_by_module.get(m.id, []))
        )


# --- export -----------------------------------------------------------------------------------


def catalog_specs(session: Connection) -> tuple[CompetencySpec, ...]:
    """The stored catalogue in the form a file gives it: items in position order (three queries)."""
    quizzes: dict[int, list[QuizSpec]] = {}
    for q in session.execute(select(Quiz).order_by(Quiz.c.module_id, Quiz.c.position, Quiz.c.id)):
        questions = (
            tuple(
                QuestionSpec(x["id"], x["prompt"], tuple(x["choices"]), x["answer"])
                for x in q.questions
            )
            if q.questions
            else None
        )
        quizzes.setdefault(q.module_id, []).append(
            QuizSpec(q.slug, q.title, q.pass_percent, questions, q.iri)
        )
    modules: dict[int, list[ModuleSpec]] = {}
    stmt = select(LearningModule).order_by(
        LearningModule.c.competency_id, LearningModule.c.position, LearningModule.c.id
    )
    for m in session.execute(stmt):
        modules.setdefault(m.competency_id, []).append(
            ModuleSpec(m.slug, m.title, tuple(quizzes.get(m.id, ())), m.iri)
        )
    return tuple(
        CompetencySpec(c.slug, c.title, tuple(modules.get(c.id, ())), c.iri)
        for c in session.execute(
            select(Competency).order_by(Competency.c.position, Competency.c.id)
        )
    )


def catalog_document(competencies: tuple[CompetencySpec, ...]) -> dict[str, Any]:
    """The catalogue as the JSON or TOML document `catalog load` reads; empty keys left out."""

    def item(slug: str, title: str, iri: str | None) -> dict[str, Any]:
        found: dict[str, Any] = {"slug": slug, "title": title}
        if iri is not None:
            found["iri"] = iri
        return found

    def quiz(q: QuizSpec) -> dict[str, Any]:
        found = item(q.slug, q.title, q.iri) | {"pass_percent": q.pass_percent}
        if q.questions:
            found["questions"] = [
                {"id": x.id, "prompt": x.prompt, "choices": list(x.choices), "answer": x.answer}
                for x in q.questions
            ]
        return found

    def module(m: ModuleSpec) -> dict[str, Any]:
        found = item(m.slug, m.title, m.iri)
        if m.quizzes:
            found["quizzes"] = [quiz(q) for q in m.quizzes]
        return found

    return {
        "competencies": [
            item(c.slug, c.title, c.iri) | {"modules": [module(m) for m in c.modules]}
            for c in competencies
        ]
    }


def dump_catalog(competencies: tuple[CompetencySpec, ...], fmt: str) -> str:
    """The catalogue as `json` or `toml` text; a value TOML cannot hold (null) is an InputError."""
    document = catalog_document(competencies)
    if fmt == "toml":
        return toml_document(document)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


# --- TOML, written by hand: the catalogue needs tables, arrays of tables and plain values ---

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+\Z")
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def _toml_string(text: str) -> str:
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _toml_string(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return "nan"
        if value in (float("inf"), float("-inf")):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        pairs = (f"{_toml_key(str(k))} = {_toml_value(v)}" for k, v in value.items())
        return "{" + ", ".join(pairs) + "}"
    raise InputError(f"TOML cannot hold the value {json.dumps(value)}: use --format json")


_ITEM_LISTS = ("competencies", "modules", "quizzes", "questions")


def _is_table_array(key: str, value: Any) -> bool:
    return key in _ITEM_LISTS and isinstance(value, list) and bool(value)


def _toml_table(table: dict[str, Any], path: str, out: list[str]) -> None:
    """Plain keys first, then each list of items as an array of tables (`[[path.key]]`)."""
    for key, value in table.items():
        if not _is_table_array(key, value):
            out.append(f"{_toml_key(key)} = {_toml_value(value)}")
    for key, value in table.items():
        if _is_table_array(key, value):
            name = f"{path}.{key}" if path else key
            for item in value:
                out.append(f"\n[[{name}]]")
                _toml_table(item, name, out)


def toml_document(document: dict[str, Any]) -> str:
    """A catalogue document as TOML text: items as arrays of tables, values inline."""
    out: list[str] = []
    _toml_table(document, "", out)
    return "\n".join(out).lstrip("\n") + "\n"
