from tests.conftest import Runner, json_out


def test_start_then_stats(seeded: Runner) -> None:
    assert seeded("start", "python/intro", "--user", "ann@example.com", "--at", "2026-03-01").exit_code == 0
    stats = json_out(seeded("stats", "--user", "ANN@example.com", "--as-of", "2026-03-01", "-f", "json"))
    assert stats["modules_in_progress"] == 1
    assert stats["current_streak"] == 1
