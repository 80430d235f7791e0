"""Verbs: what each xAPI verb IRI means to catalyst, built in and extended by `--profile FILE.toml`.

A profile file maps verb IRIs to `start`, `complete`, `attempt` or `ignore`:

    [verbs]
    "http://novel-verbs.com/expapi/verbs/exited-before-completing" = "start"
"""

from __future__ import annotations

import enum
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from catalyst_cli.errors import InputError


class VerbKind(enum.Enum):
    """What a verb records."""

    START = "start"
    COMPLETE = "complete"
    ATTEMPT = "attempt"
    ENROL = "enrol"
    WITHDRAW = "withdraw"
    VOID = "void"
    IGNORE = "ignore"


ADL = "http://adlnet.gov/expapi/verbs/"
ADL_W3ID = "https://w3id.org/xapi/adl/verbs/"
VIDEO = "https://w3id.org/xapi/video/verbs/"
TINCAN = "http://id.tincanapi.com/verb/"
ACROSSX = "https://w3id.org/xapi/acrossx/verbs/"
DOD_ISD = "https://w3id.org/xapi/dod-isd/verbs/"
OPENEDX = "https://w3id.org/xapi/openedx/verb/"

# The verbs catalyst writes; reading them back must give the same kind.
VERB_START = ADL + "initialized"
VERB_COMPLETE = ADL + "completed"
VERB_PASSED = ADL + "passed"
VERB_FAILED = ADL + "failed"
VERB_SCORED = "https://w3id.org/xapi/tla/verbs/scored"
VERB_ENROL = ADL + "registered"
VERB_WITHDRAW = TINCAN + "unregistered"
VERB_VOIDED = ADL + "voided"

_PRESENCE = (
    # ADL vocabulary and cmi5 (abandoned is the LMS closing a session the AU left open).
    *(
        ADL + v
        for v in (
            "launched initialized attempted experienced interacted progressed answered asked "
            "responded commented shared attended resumed suspended terminated exited"
        ).split()
    ),
    ADL_W3ID + "abandoned",
    # The video profile (initialized, interacted, completed and terminated are ADL verbs).
    *(VIDEO + v for v in ("played", "paused", "seeked")),
    # Tin Can registry verbs Moodle and Open edX send.
    *(TINCAN + v for v in ("viewed", "accessed", "downloaded", "launched", "opened", "read")),
    # Moodle: quiz attempt and lesson started.
    "http://activitystrea.ms/schema/1.0/start",
    "http://activitystrea.ms/start",
    # Open edX: problem checks, navigation, forum actions.
    *(ACROSSX + v for v in ("evaluated", "posted", "edited", "reported")),
    *(DOD_ISD + v for v in ("navigated", "deleted")),
    *(OPENEDX + v for v in ("unreported", "voted")),
)

BUILTIN_VERBS: Mapping[str, VerbKind] = MappingProxyType(
    {
        **dict.fromkeys(_PRESENCE, VerbKind.START),
        VERB_COMPLETE: VerbKind.COMPLETE,
        VERB_PASSED: VerbKind.ATTEMPT,
        VERB_FAILED: VerbKind.ATTEMPT,
        VERB_SCORED: VerbKind.ATTEMPT,
        ADL + "scored": VerbKind.ATTEMPT,
        TINCAN + "earned": VerbKind.ATTEMPT,  # Open edX grades
        VERB_ENROL: VerbKind.ENROL,
        TINCAN + "registered": VerbKind.ENROL,
        VERB_WITHDRAW: VerbKind.WITHDRAW,
        VERB_VOIDED: VerbKind.VOID,
        # Verdicts of the LMS about a whole block or course, not something the learner did
        # (cmi5 satisfied, waived); and Moodle withdrawing a completion, which catalyst never
        # does: a first completion never moves.
        ADL_W3ID + "satisfied": VerbKind.IGNORE,
        ADL_W3ID + "waived": VerbKind.IGNORE,
        "https://xapi.edlm/profiles/edlm-lms/concepts/verbs/uncompleted": VerbKind.IGNORE,
    }
)

# What a profile file may map a verb to (the spec's list).
_FILE_KINDS = {
    k.value: k for k in (VerbKind.START, VerbKind.COMPLETE, VerbKind.ATTEMPT, VerbKind.IGNORE)
}


@dataclass(frozen=True)
class Profile:
    """Verb IRI -> what it records. Unknown verbs are skipped."""

    verbs: Mapping[str, VerbKind] = field(default_factory=lambda: BUILTIN_VERBS)

    def kind(self, verb_iri: str) -> VerbKind | None:
        """What `verb_iri` records, or None for a verb this profile does not know."""
        return self.verbs.get(verb_iri)


BUILTIN = Profile()


def load_profile(path: Path, base: Profile = BUILTIN) -> Profile:
    """`base` extended (and overridden) by the verbs of a profile TOML file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read profile {path}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: invalid TOML: {exc}") from None
    extra = set(data) - {"verbs"}
    verbs = data.get("verbs", {})
    if extra or not isinstance(verbs, dict):
        raise InputError(
            f'{path}: expected only a [verbs] table of "VERB IRI" = "start|complete|attempt|ignore"'
        )
    added: dict[str, VerbKind] = {}
    for iri, kind in verbs.items():
        if not isinstance(kind, str) or kind not in _FILE_KINDS:
            raise InputError(
                f"{path}: verb {iri!r} maps to {kind!r}; use start, complete, attempt or ignore"
            )
        if iri == VERB_VOIDED:
            raise InputError(f"{path}: the voided verb cannot be remapped")
        added[iri] = _FILE_KINDS[kind]
    return Profile(MappingProxyType({**base.verbs, **added}))
