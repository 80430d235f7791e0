"""Domain errors, each carrying the exit code that SPEC.md gives it."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class CatalystError(Exception):
    """A failure the user can act on: printed as one line, then exit with `exit_code`."""

    exit_code = 1


class InputError(CatalystError):
    """Bad input: a value out of range, a malformed file, a conflict (exit 1)."""


class NotFoundError(InputError):
    """An unknown slug, id, email or file (exit 1)."""


class ConflictError(InputError):
    """The same idempotency key with different content (exit 1)."""


class NotEnrolledError(InputError):
    """A learner asked about a competency outside their catalogue (exit 1)."""


class NoLearnerError(CatalystError):
    """A learner-level command was run without a learner (exit 3)."""

    exit_code = 3

    def __init__(self) -> None:
        super().__init__("Sign in to track your progress: pass --user EMAIL or set CATALYST_USER.")


class DatabaseError(CatalystError):
    """The database is unreachable, locked past the timeout, or behind the code (exit 4)."""

    exit_code = 4


def unknown(kind: str, value: str, known: Iterable[str]) -> NotFoundError:
    """Build the not-found error for `value`, naming the closest known values."""
    close = difflib.get_close_matches(value, list(known), n=3, cutoff=0.5)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    return NotFoundError(f"unknown {kind} {value!r}{hint}")
