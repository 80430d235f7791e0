"""Start-up: Python's cyclic GC stays off while a command's modules load.

Importing Typer, SQLAlchemy and the command's modules allocates some hundred thousand objects
and no garbage cycles; with the collector on, it walks them again and again (a quarter of a
short command's time). The console script turns it off before the first import, and the unit
of work turns it back on once the database is open, after moving everything loaded so far out
of its sight (`gc.freeze`), so a long import or report still collects its own cycles.
"""

from __future__ import annotations

import gc

_paused = False


def pause_collector() -> None:
    """Turn the cyclic GC off for the start-up imports (the console script only)."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume_collector() -> None:
    """Everything loaded so far is permanent: freeze it, and collect from here on."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
