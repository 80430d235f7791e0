"""The console script `catalyst` and `python -m catalyst_cli`."""

from __future__ import annotations


def main() -> None:
    """Load the command with the cyclic GC off (see `startup`), then run it."""
    from catalyst_cli.startup import pause_collector

    pause_collector()
    from catalyst_cli.main import main as run

    run()
